"""Editorial changes: review status, verdict override and evidence links, one function each,
used by the `kb` command and the dashboard alike.

    base = open_base(root, kb, report)          claims.yaml's bytes and hash, with the loaded base
    p = set_review(base, "claim-id", "reviewed", reviewer="Ann", today=date)   # in memory
    p.problems, p.grade_before, p.grade_after   what the change would do (nothing written)
    save(p, editor="Ann", now=datetime)         lock, check the hash, write, log

A change rewrites only the claim's entry (`kb.claimtext`): every other byte of claims.yaml
stays. It is validated first with the checks `kb check` runs on a claim (YAML, schema, the
per-claim cross-file checks); a change that adds an error is refused with its located
message. `save` refuses with `Conflict` when the file changed since `open_base` read it.
Every saved change appends one JSON line to `review-log.jsonl` beside the base.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import json
import os
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from kb.checks import CHECKS, check_article, check_claim_ids, check_quotes, check_studies
from kb.claims import ClaimsDocument, _validate_item, parse_yaml
from kb.claimtext import (
    Entry,
    EntryText,
    NotEditable,
    detect_style,
    find_claim,
    neighbours,
    splice,
)
from kb.grading import Grade, grade
from kb.importer import ImportPlan, import_into, read_incoming_text
from kb.load import BIB_FILE, CLAIMS_FILE
from kb.model import Claim, KnowledgeBase, Verdict, as_data
from kb.problems import Problem, Report, error
from kb.writes import Conflict, WriteRefused, append_line, atomic_write, digest, locked

LOG_FILE = "review-log.jsonl"
OPERATIONS = ("review", "override", "override-clear", "link", "unlink", "add-study")
# Verdicts an editor may record (not-graded is a state of the data, not a judgement).
OVERRIDE_VERDICTS = tuple(v.value for v in Verdict if v is not Verdict.NOT_GRADED)
LINK_FIELDS = ("stance", "certainty", "outcome", "follow_up", "locator", "note")

__all__ = ["Base", "Conflict", "LOG_FILE", "NotEditable", "OPERATIONS", "OVERRIDE_VERDICTS",
           "Proposal", "Saved", "WriteRefused", "add_studies", "clear_override", "describe",
           "entry_diff", "find_studies", "open_base", "read_log", "remove_link", "save",
           "set_link", "set_override", "set_review", "value_changes"]


@dataclass(frozen=True)
class Base:
    """A knowledge base opened for editing: the loaded base and the bytes of claims.yaml
    it is edited from, with their hash (what a save must find unchanged)."""

    root: str
    kb: KnowledgeBase
    report: Report
    raw: bytes
    digest: str
    # The hash of `raw` when known; `digest` differs from it when an editor started from an
    # earlier version (the dashboard keeps that one, so that a save refuses).
    raw_digest: str | None = None

    @property
    def claims_path(self) -> str:
        return os.path.join(self.root, CLAIMS_FILE)


def open_base(root: str, kb: KnowledgeBase, report: Report, raw: bytes | None = None) -> Base:
    """Read claims.yaml for editing (or take bytes the caller read before loading `kb`)."""
    if raw is None:
        with open(os.path.join(root, CLAIMS_FILE), "rb") as fh:
            raw = fh.read()
    d = digest(raw)
    return Base(root, kb, report, raw, d, d)


@dataclass(frozen=True)
class Proposal:
    """One change, worked out in memory: what it writes, what it changes, what it breaks."""

    base: Base
    operation: str
    claim_id: str
    index: int
    entry: Entry
    old_text: str
    new_text: str
    before: dict[str, Any]
    after: dict[str, Any]
    problems: tuple[Problem, ...]       # errors the change adds: any one refuses it
    warnings: tuple[Problem, ...]       # the claim's warnings after the change
    grade_before: Grade
    grade_after: Grade | None
    claim_after: Claim | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changed(self) -> bool:
        return self.new_text != self.old_text

    @cached_property
    def new_raw(self) -> bytes:
        return splice(self.base.raw, self.entry, self.new_text)

    @cached_property
    def new_digest(self) -> str:
        return digest(self.new_raw)

    def render_problems(self) -> str:
        return "\n".join(p.render() for p in self.problems)


@dataclass(frozen=True)
class Saved:
    """A change as written: the record appended to the log, and the new file's hash."""

    proposal: Proposal
    record: dict[str, Any]
    digest: str


# --- the operations ------------------------------------------------------------------------


def set_review(base: Base, claim_id: str, status: str, *, reviewer: str | None = None,
               note: str | None = None, today: dt.date | None = None) -> Proposal:
    """Set the review status (draft, in-review, needs-changes, reviewed), the reviewer and
    the note ("" removes them; None leaves them). When anything changes, `today` becomes
    the review's date."""
    claim, entry, et = _open(base, claim_id)
    keys = ["status", "reviewer", "date", "note"]
    review = claim.review
    before = _pick(as_data(review, mode="json"), keys)
    if status != review.status.value:
        et.set(("review", "status"), status)
    for name, value, now in (("reviewer", reviewer, review.reviewer), ("note", note,
                                                                          review.note)):
        if value is None or (value.strip() or None) == now:
            continue
        if value.strip():
            et.set(("review", name), value.strip())
        else:
            et.delete(("review", name))
    if today is not None and et.result() != entry_text(base, entry):
        et.set(("review", "date"), today)
    return _propose(base, "review", claim, entry, et, before,
                    lambda c: _pick(as_data(c.review, mode="json"), keys))


def set_override(base: Base, claim_id: str, verdict: str, reason: str) -> Proposal:
    """Record an editor's verdict beside the computed one; the reason is required."""
    claim, entry, et = _open(base, claim_id)
    if _override(claim)["override"] != {"verdict": verdict, "rationale": reason.strip() or None}:
        et.set(("review", "override"), {"verdict": verdict,
                                        "rationale": reason.strip() or None})
    return _propose(base, "override", claim, entry, et, _override(claim), _override)


def clear_override(base: Base, claim_id: str) -> Proposal:
    claim, entry, et = _open(base, claim_id)
    et.delete(("review", "override"))
    return _propose(base, "override-clear", claim, entry, et, _override(claim), _override)


def set_link(base: Base, claim_id: str, study: str, **values: str | None) -> Proposal:
    """Add an evidence link, or change the claim's link to `study`.

    Values: stance, certainty, outcome, follow_up, locator, note. None leaves a value as it
    is; "" removes an optional one. A new link goes after the claim's other links.
    """
    unknown = set(values) - set(LINK_FIELDS)
    if unknown:
        raise ValueError(f"unknown link fields: {sorted(unknown)}")
    claim, entry, et = _open(base, claim_id)
    at = _link_index(claim, study)
    if at is None:
        link = {"study": study, **{k: v.strip() for k, v in values.items()
                                   if v is not None and v.strip()}}
        et.append(("evidence",), link)
        before: dict[str, Any] = {"link": None}
    else:
        current = as_data(claim.evidence[at], mode="json", exclude_none=True)
        before = {"link": current}
        for name in LINK_FIELDS:
            value = values.get(name)
            if value is None or (value.strip() or None) == current.get(name):
                continue
            if value.strip():
                et.set(("evidence", at, name), value.strip())
            else:
                et.delete(("evidence", at, name))
    return _propose(base, "link", claim, entry, et, before, lambda c: _link(c, study))


def remove_link(base: Base, claim_id: str, study: str) -> Proposal:
    claim, entry, et = _open(base, claim_id)
    at = _link_index(claim, study)
    if at is None:
        raise NotEditable(f"claim '{claim_id}' has no link to '{study}'")
    # A claim left without links is written the way the file writes one.
    empty = "flow" if b"evidence: []" in base.raw else "delete"
    et.remove(("evidence",), at, empty)
    return _propose(base, "unlink", claim, entry, et, _link(claim, study),
                    lambda c: _link(c, study))


def _pick(data: Mapping[str, Any], keys: list[str]) -> dict[str, Any]:
    return {k: data.get(k) for k in keys}


def _override(claim: Claim) -> dict[str, Any]:
    o = claim.review.override
    return {"override": None if o is None else as_data(o, mode="json")}


def _link(claim: Claim, study: str) -> dict[str, Any]:
    at = _link_index(claim, study)
    return {"link": None if at is None else as_data(
        claim.evidence[at], mode="json", exclude_none=True)}


def _link_index(claim: Claim, study: str) -> int | None:
    return next((i for i, e in enumerate(claim.evidence) if e.study == study), None)


# --- working a change out -----------------------------------------------------------------


def _open(base: Base, claim_id: str) -> tuple[Claim, Entry, EntryText]:
    kb = base.kb
    # One pass to the claim: a lazily loaded base decodes claims only up to it.
    index, claim = next(((i, c) for i, c in kb.claims_with_index() if c.id == claim_id),
                        (-1, None))
    if claim is None:
        if any(c.id == claim_id for c in kb.invalid_claims):
            raise NotEditable(f"claim '{claim_id}' has validation errors; fix them in "
                              f"{CLAIMS_FILE} first (kb check lists them)")
        raise NotEditable(f"there is no claim '{claim_id}' in {CLAIMS_FILE}")
    entry = find_claim(base.raw, claim_id, kb.line_of(f"claims[{index}]"))
    if entry is None:
        raise NotEditable(f"claim '{claim_id}' was not found in {CLAIMS_FILE} as read; "
                          "it may have changed since the base was loaded: load it again")
    text = base.raw[entry.start:entry.end].decode("utf-8")
    return claim, entry, EntryText(text, detect_style(text, neighbours(base.raw, entry)))


def entry_text(base: Base, entry: Entry) -> str:
    return base.raw[entry.start:entry.end].decode("utf-8")


def _index_of(kb: KnowledgeBase, claim_id: str) -> int:
    return next(i for i, c in kb.claims_with_index() if c.id == claim_id)


def _propose(base: Base, operation: str, claim: Claim, entry: Entry, et: EntryText,
             before: dict[str, Any], after_of: Any) -> Proposal:
    index = _index_of(base.kb, claim.id)
    old_text = entry_text(base, entry)
    new_text = et.result()
    new_claim, found = check_entry(base.kb, index, entry.line, new_text, claim, base.report)
    prefix = f"claims[{index}]"
    old = [p for p in base.report if p.file == CLAIMS_FILE and p.path.startswith(prefix)]
    added = Counter((p.code, p.message) for p in found if p.is_error) - Counter(
        (p.code, p.message) for p in old if p.is_error)
    problems = []
    for p in found:
        if p.is_error and added[(p.code, p.message)] > 0:
            added[(p.code, p.message)] -= 1
            problems.append(p)
    kb = base.kb
    return Proposal(
        base=base, operation=operation, claim_id=claim.id, index=index, entry=entry,
        old_text=old_text, new_text=new_text, before=before,
        after=after_of(new_claim) if new_claim is not None else {},
        problems=tuple(problems), warnings=tuple(p for p in found if not p.is_error),
        grade_before=grade(claim, kb.studies, kb.settings),
        grade_after=None if new_claim is None else grade(new_claim, kb.studies, kb.settings),
        claim_after=new_claim)


# Checks about the base as a whole: an edit of one claim's review or links cannot add an
# error to them (ids do not change; unused studies are warnings). Every other check of
# `kb check` runs on the edited claim, including any added to CHECKS later.
_BASE_WIDE = (check_claim_ids, check_studies, check_article)


def check_entry(kb: KnowledgeBase, index: int, line: int, text: str,
                old: Claim | None = None,
                report: Report | None = None) -> tuple[Claim | None, list[Problem]]:
    """Check one claim entry's text as `kb check` would at this place in the file: YAML,
    schema, and the cross-file checks of one claim (links, quote, review, effects). `line`
    is the 0-based line where the entry starts; problems carry the file's lines. With the
    claim as it was (`old`) and its base's `report`, an unchanged quote keeps the problems
    it had instead of being looked up in the article again."""
    claim, lines, problems = _validate_entry(index, line, text)
    if claim is None:
        return None, problems
    prefix = f"claims[{index}]"
    alone = dataclasses.replace(kb, claims=(claim,), claim_positions=(index,), lines=lines)
    same_quote = old is not None and report is not None and old.quote == claim.quote
    for check in CHECKS:
        if check in _BASE_WIDE or (check is check_quotes and same_quote):
            continue
        problems += [p for p in check(alone) if p.path.startswith(prefix)]
    if same_quote and report is not None:
        quote = f"{prefix}.quote"
        problems += [dataclasses.replace(p, line=lines.get(quote, p.line))
                     for p in report if p.file == CLAIMS_FILE and p.path == quote]
    return claim, problems


def _validate_entry(index: int, line: int, text: str
                    ) -> tuple[Claim | None, dict[str, int], list[Problem]]:
    """The entry's YAML and schema: the claim (or None), its lines in the file, problems."""
    sub = ClaimsDocument()
    data = parse_yaml(text, CLAIMS_FILE, sub)
    problems = [_shift(p, line) for p in sub.problems]
    if data is None or problems:
        return None, {}, problems
    if not isinstance(data, list) or len(data) != 1:
        return None, {}, [error("yaml-syntax", CLAIMS_FILE, line + 1,
                                "the edited entry is not one claim", "edit the file by hand")]
    prefix = f"claims[{index}]"
    doc = ClaimsDocument()
    doc.lines = {prefix + p[3:]: n + line for p, n in sub.lines.items() if p.startswith("[0]")}
    claim = _validate_item(Claim, data[0], prefix, CLAIMS_FILE, doc)
    return claim, dict(doc.lines), list(doc.problems)


def _shift(p: Problem, lines: int) -> Problem:
    return p if p.line is None else dataclasses.replace(p, line=p.line + lines)


# --- adding studies ----------------------------------------------------------------------


def add_studies(root: str, text: str, editor: str, *, fmt: str | None = None,
                dry_run: bool = False, now: dt.datetime | None = None) -> ImportPlan:
    """Add the references in pasted BibTeX, RIS or CSL-JSON to references.bib.

    Duplicates of an existing study (same DOI or PMID, the same or a near-identical title
    with the same year) or within the text are named in the plan and not added; new entries
    are appended under the bibliography's lock (`kb.importer.import_into`) and logged.
    """
    if not dry_run and not editor.strip():
        raise NotEditable("say who makes the change (an editor's name)")
    incoming, problems = read_incoming_text(text, "pasted text", fmt)
    plan = import_into(os.path.join(root, BIB_FILE), incoming, dry_run=dry_run)
    plan.problems.extend(problems)
    if plan.added and not dry_run:
        when = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
        record = {"time": when.isoformat(timespec="seconds"), "editor": editor.strip(),
                  "claim": None, "operation": "add-study", "before": None,
                  "after": {"studies": [r.key for r in plan.added]},
                  "skipped": [{"title": s.label, "duplicate_of": s.duplicate_of,
                               "reason": s.reason} for s in plan.skipped]}
        append_line(os.path.join(root, LOG_FILE), json.dumps(record, ensure_ascii=False))
    return plan


# --- saving ----------------------------------------------------------------------------------


def save(proposal: Proposal, editor: str, now: dt.datetime | None = None) -> Saved:
    """Write a change and log it. Refuses (nothing written) when the change adds an error
    (NotEditable, with the located messages) or claims.yaml changed since it was read
    (Conflict, saying whether this claim's entry is among what changed)."""
    if not proposal.ok:
        raise NotEditable("the change was not saved:\n" + proposal.render_problems())
    if not editor.strip():
        raise NotEditable("say who makes the change (an editor's name)")
    base = proposal.base
    record = change_record(proposal, editor.strip(), now or dt.datetime.now(dt.timezone.utc))
    if not proposal.changed:
        return Saved(proposal, {}, base.digest)
    new_raw = proposal.new_raw
    log = os.path.join(base.root, LOG_FILE)
    with locked(base.claims_path) as target:
        with open(target, "rb") as fh:
            current = fh.read()
        # The bytes read are at hand when the digest is theirs: comparing them is exact and
        # cheaper than hashing the file again.
        same = current == base.raw if base.digest == base.raw_digest else \
            digest(current) == base.digest
        if not same:
            raise Conflict(base.claims_path, base.digest, current,
                           _what_changed(proposal, current))
        atomic_write(target, new_raw)
        # Still under claims.yaml's lock, so the log's order is the order of the saves.
        try:
            append_line(log, json.dumps(record, ensure_ascii=False, default=str))
        except (WriteRefused, OSError) as exc:
            raise WriteRefused(f"the change was saved to {CLAIMS_FILE}, but {LOG_FILE} could "
                               f"not be written ({exc}); add the record by hand: "
                               + json.dumps(record, ensure_ascii=False, default=str)) from None
    return Saved(proposal, record, proposal.new_digest)


def _what_changed(proposal: Proposal, current: bytes) -> str:
    try:
        entry = find_claim(current, proposal.claim_id)
    except NotEditable:
        entry = None
    if entry is None:
        return f"claim '{proposal.claim_id}' is no longer in the file"
    if current[entry.start:entry.end].decode("utf-8", "replace") == proposal.old_text:
        return (f"claim '{proposal.claim_id}' itself is as you saw it; other parts of the "
                "file changed")
    return f"claim '{proposal.claim_id}' was changed by someone else"


def change_record(p: Proposal, editor: str, now: dt.datetime) -> dict[str, Any]:
    """The change-log record of a change (one JSON object per line of review-log.jsonl)."""
    def verdict(g: Grade | None) -> dict[str, Any] | None:
        if g is None:
            return None
        return {"verdict": g.verdict.value, "certainty": g.certainty.value if g.certainty
                else None, "rule": g.rule, "lacking_long_term": g.lacking_long_term}

    return {"time": now.astimezone(dt.timezone.utc).isoformat(timespec="seconds"),
            "editor": editor, "claim": p.claim_id, "operation": p.operation,
            "before": p.before, "after": p.after,
            "verdict_before": verdict(p.grade_before), "verdict_after": verdict(p.grade_after),
            "file": {"before": p.base.digest, "after": p.new_digest}}


@dataclass(frozen=True)
class LogRead:
    records: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def read_log(root: str) -> LogRead:
    """The change log, oldest first; unreadable lines are reported, not fatal."""
    path = os.path.join(root, LOG_FILE)
    out = LogRead()
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
    except FileNotFoundError:
        return out
    except OSError as exc:
        out.problems.append(error("file-unreadable", LOG_FILE, None,
                                  f"cannot read {LOG_FILE}: {exc.strerror}",
                                  "check its permissions"))
        return out
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if not isinstance(record, dict):
            out.problems.append(error("log-syntax", LOG_FILE, n, "not a JSON object",
                                      "each line is one change record; remove this line"))
            continue
        out.records.append(record)
    return out


def describe(p: Proposal) -> str:
    """What a change does, in two lines: the values it changes and the verdict after it."""
    if not p.changed:
        return f"{p.claim_id}: nothing to change"
    parts = [f"{path}: {show_value(a)} -> {show_value(b)}" for path, a, b in value_changes(p.before,
                                                                                p.after)]
    g0, g1 = p.grade_before, p.grade_after
    after = "not graded" if g1 is None else _verdict_label(g1)
    return (f"{p.claim_id}: {p.operation}: {'; '.join(parts) or 'rewritten'}\n"
            f"verdict: {_verdict_label(g0)} -> {after}")


def value_changes(before: Mapping[str, Any], after: Mapping[str, Any],
                  prefix: str = "") -> list[tuple[str, Any, Any]]:
    """(path, before, after) for each value that differs, nested mappings flattened."""
    out = []
    for key in dict.fromkeys([*before, *after]):
        a, b = before.get(key), after.get(key)
        if a == b:
            continue
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            out += value_changes(a, b, f"{prefix}{key}.")
        else:
            out.append((f"{prefix}{key}", a, b))
    return out


def show_value(value: Any, limit: int | None = None) -> str:
    """A logged value as text for people, cut to `limit` characters when given."""
    if value is None:
        return "(none)"
    if isinstance(value, Mapping):
        text = "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    else:
        text = str(value)
    return text if limit is None or len(text) <= limit else text[:limit - 1] + "…"


def record_changes(record: Mapping[str, Any], limit: int | None = None
                   ) -> list[tuple[str, str, str]]:
    """A change-log record's changed values as (path, before, after) text."""
    return [(path, show_value(a, limit), show_value(b, limit)) for path, a, b in
            value_changes(record.get("before") or {}, record.get("after") or {})]


def record_verdicts(record: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The computed verdict before and after a logged change."""
    return ((record.get("verdict_before") or {}).get("verdict"),
            (record.get("verdict_after") or {}).get("verdict"))


def _verdict_label(g: Grade) -> str:
    certainty = f", {g.certainty.label} certainty" if g.certainty else ""
    return f"{g.verdict.value}{certainty} ({g.rule})"


def entry_diff(p: Proposal) -> str:
    """The change as a unified diff of claims.yaml (what `git diff` will show)."""
    old = p.old_text.splitlines(keepends=True)
    new = p.new_text.splitlines(keepends=True)
    lines = difflib.unified_diff(old, new, CLAIMS_FILE, CLAIMS_FILE, n=1, lineterm="")
    out = []
    for line in lines:
        if line.startswith("@@"):  # hunk lines relative to the entry: make them the file's
            m = re.match(r"@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@", line)
            if m:
                a, b = int(m.group(1)) + p.entry.line, int(m.group(3)) + p.entry.line
                line = f"@@ -{a}{m.group(2) or ''} +{b}{m.group(4) or ''} @@"
        out.append(line.rstrip("\n"))
    return "\n".join(out)


def find_studies(kb: KnowledgeBase, query: str, limit: int = 50) -> list[str]:
    """Keys of references matching every word of `query` in key, title, authors or DOI,
    appraised studies first."""
    words = query.casefold().split()
    hits = []
    for key, ref in kb.references.items():
        hay = " ".join((key, ref.fields.get("title", ""), ref.fields.get("author", ""),
                        ref.doi or "", ref.year or "")).casefold()
        if all(w in hay for w in words):
            hits.append(key)
    hits.sort(key=lambda k: k not in kb.studies)
    return hits[:limit]
