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
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from kb.checks import (
    CHECKS,
    check_article,
    check_claim_ids,
    check_contradictions,
    check_quotes,
    check_studies,
    claim_ids,
    study_problems,
)
from kb.cache import load_kb_cached, store_edited
from kb.claims import ClaimsDocument, LineMap, _validate_item, block_hash, parse_yaml
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
from kb.problems import FILE_LEVEL, MAX_PROBLEMS, Problem, Report, error
from kb.writes import Conflict, WriteRefused, append_line, atomic_write, digest, locked

LOG_FILE = "review-log.jsonl"
OPERATIONS = ("review", "override", "override-clear", "link", "unlink", "add-study")
# Verdicts an editor may record (not-graded is a state of the data, not a judgement).
OVERRIDE_VERDICTS = tuple(v.value for v in Verdict if v is not Verdict.NOT_GRADED)
LINK_FIELDS = ("stance", "certainty", "outcome", "follow_up", "locator", "note")

__all__ = ["Base", "Conflict", "LOG_FILE", "NotEditable", "OPERATIONS", "OVERRIDE_VERDICTS",
           "Proposal", "Saved", "WriteRefused", "add_studies", "applied", "apply_saved",
           "clear_override", "describe", "keep_in_cache",
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
    claim_before: Claim | None = None

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
    """A change as written: the record appended to the log, and the new file's hash and
    status as written (taken under the file's lock: a later writer changes it)."""

    proposal: Proposal
    record: dict[str, Any]
    digest: str
    stat: os.stat_result | None = None


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
        claim_after=new_claim, claim_before=claim)


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
    _keep_cached(kb, alone)
    same_quote = old is not None and report is not None and old.quote == claim.quote
    problems += _claim_problems(kb, alone, prefix, same_quote)
    if same_quote and report is not None:
        quote = f"{prefix}.quote"
        problems += [dataclasses.replace(p, line=lines.get(quote, p.line))
                     for p in report if p.file == CLAIMS_FILE and p.path == quote]
    return claim, problems


def _claim_problems(kb: KnowledgeBase, alone: KnowledgeBase, prefix: str,
                    same_quote: bool) -> list[Problem]:
    """What the checks of one claim find about the claim `alone` holds (`kb`: its base)."""
    out: list[Problem] = []
    for check in CHECKS:
        if check in _BASE_WIDE or (check is check_quotes and same_quote):
            continue
        if check is check_contradictions:  # the claims it names are elsewhere in the base
            named = any(c.contradicts for c in alone.claims)
            found = check_contradictions(alone, claim_ids(kb) if named else ())
        else:
            found = check(alone)
        out += [p for p in found if p.path.startswith(prefix)]
    return out


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


# --- the base after a save ------------------------------------------------------------------


def applied(saved: Saved) -> tuple[KnowledgeBase, Report]:
    """The base and report `load_kb` gives for the folder after this save: worked out in
    memory from the change (`apply_saved`), else loaded again through the cache."""
    got = apply_saved(saved)
    return got if got is not None else load_kb_cached(saved.proposal.base.root)


def apply_saved(saved: Saved) -> tuple[KnowledgeBase, Report] | None:
    """The base and report after this save, worked out from the change without reading a
    file (what `load_kb` gives, to every line and in the report's order), or None when that
    cannot be done exactly: load the base again then.

    The edited claim is replaced, every line after its entry moves by the lines it gained or
    lost, and the problems the checks find are worked out again for the claims and studies
    they can concern: those the report names, the edited claim, and the studies it linked
    or links (whether a study is cited depends on every claim). Checking the same ones in the
    base before the change must give the report's problems back, which confirms that the
    rest of the report (what the files' parsers found) is untouched by the checks.
    Takes `Base`'s word that its base was loaded from `raw` and that the other files have
    not changed since.
    """
    p = saved.proposal
    if not p.changed:
        return p.base.kb, p.base.report
    kb, new = p.base.kb, p.claim_after
    at = _ordinal(kb, p.index)
    if new is None or at is None or not p.ok or not _plain(p.base.report) \
            or kb.claims[at].id != new.id:
        return None
    moved = _Moved(p.entry.line + p.old_text.count("\n"),
                   p.new_text.count("\n") - p.old_text.count("\n"))
    _, claim_lines, _ = _validate_entry(p.index, p.entry.line, p.new_text)
    lines = _moved_lines(kb.lines, p.index, p.entry.line, claim_lines, moved)
    if lines is None:
        return None
    after = dataclasses.replace(kb, claims=(*kb.claims[:at], new, *kb.claims[at + 1:]),
                                lines=lines)
    problems = _problems_after(p, kb.claims[at], after, moved)
    _keep_cached(kb, after, (kb.claims[at], new))  # (the index, if the checks built it)
    return None if problems is None else (after, Report.of(problems))


def keep_in_cache(saved: Saved, kb: KnowledgeBase, report: Report) -> bool:
    """Store the base after this save (`kb`, `report`: what `apply_saved` gave) as the cache
    entry of the files saved (`kb.cache.store_edited`), so that the next process reads it
    back rather than loading the change. False when it was not stored."""
    p = saved.proposal
    if not p.changed or saved.stat is None:
        return False
    return store_edited(p.base.root, p.base.digest, kb, report, written=saved.stat,
                        digest=saved.digest, position=p.index,
                        block=block_hash("claim", p.new_text))


@dataclass(frozen=True)
class _Moved:
    """Lines after `after` (1-based) move by `by` lines."""

    after: int
    by: int

    def line(self, n: int) -> int:
        return n + self.by if n > self.after else n

    def problem(self, p: Problem) -> Problem:
        if not self.by or p.file != CLAIMS_FILE or p.line is None or p.line <= self.after:
            return p
        return dataclasses.replace(p, line=p.line + self.by)


def _ordinal(kb: KnowledgeBase, index: int) -> int | None:
    """Where the claim at this position of the file is in `kb.claims`."""
    if not kb.claim_positions:
        return index if 0 <= index < len(kb.claims) else None
    at = bisect_left(kb.claim_positions, index)  # positions ascend (the file's order)
    return at if at < len(kb.claim_positions) and kb.claim_positions[at] == index else None


def _claims_at(kb: KnowledgeBase, positions: Iterable[int]) -> list[tuple[int, Claim]]:
    """(position, claim) of the valid claims at these positions, in the file's order."""
    found = ((i, _ordinal(kb, i)) for i in sorted(positions))
    return [(i, kb.claims[at]) for i, at in found if at is not None]


def _plain(report: Report) -> bool:
    """Whether the report is the problems in the order found, nothing folded or left out:
    no file-level problem, no cap (`kb.problems.settle`), no duplicated BibTeX key (whose
    error absorbs others: `kb.load._blame_duplicates`)."""
    return len(report) <= MAX_PROBLEMS and not any(
        p.code in FILE_LEVEL or p.code in ("too-many-problems", "bib-duplicate-key")
        for p in report)


def _under(path: str, prefix: str) -> bool:
    """Whether a data path is `prefix` or below it."""
    return path.startswith(prefix) and path[len(prefix):len(prefix) + 1] in ("", ".", "[")


def _moved_lines(lines: Mapping[str, int], index: int, offset: int,
                 claim_lines: Mapping[str, int], moved: _Moved) -> Mapping[str, int] | None:
    """The base's lines with the claim at `index` (its entry from 0-based line `offset`)
    given `claim_lines` and every line after its entry moved (new maps; none is changed)."""
    prefix = f"claims[{index}]"
    if not isinstance(lines, LineMap):
        out = {k: moved.line(v) for k, v in lines.items() if not _under(k, prefix)}
        out.update(claim_lines)
        return out
    if index >= len(lines.claims) or lines.claims[index][1] != offset:
        return None
    new = LineMap()
    new.flat = {k: moved.line(v) for k, v in lines.flat.items()}
    # A block's lines are relative to its first line: a block after the entry moves whole.
    new.claims = [(rel, at + moved.by) if at >= moved.after else (rel, at)
                  for rel, at in lines.claims] if moved.by else list(lines.claims)
    new.claims[index] = ({k[len(prefix):]: n - offset for k, n in claim_lines.items()}, offset)
    new.studies = _moved_blocks(lines, moved)
    return new


def _moved_blocks(lines: LineMap, moved: _Moved) -> dict[str, tuple[Mapping[str, int], int]]:
    """The appraisals' blocks, those after the edited entry moved (the same dict when none
    is: `studies:` before `claims:`, the usual layout)."""
    flat = lines.flat
    if not moved.by or ("studies" in flat and "claims" in flat
                        and flat["studies"] < flat["claims"]):
        return lines.studies
    return {k: (rel, at + moved.by) if at >= moved.after else (rel, at)
            for k, (rel, at) in lines.studies.items()}


def _keep_cached(old: KnowledgeBase, new: KnowledgeBase,
                 replaced: tuple[Claim, Claim] | None = None) -> None:
    """Give the new base what the old one worked out that still holds: the article's index
    (the same text) and, given the claim replaced and its replacement, the claims by id."""
    before, after = getattr(old, "__dict__", {}), getattr(new, "__dict__", None)
    if after is None:
        return
    if "article_index" in before:
        after["article_index"] = before["article_index"]
    by_id = before.get("_claims_by_id")
    if replaced is not None and by_id is not None and by_id.get(replaced[0].id) is replaced[0]:
        after["_claims_by_id"] = {**by_id, replaced[1].id: replaced[1]}


def _problems_after(p: Proposal, old: Claim, kb: KnowledgeBase,
                    moved: _Moved) -> list[Problem] | None:
    """The problems `load_kb` finds in the base after the change, in the order it finds
    them, or None when the report cannot be split into what the parsers and what the checks
    found."""
    old_kb, report, new = p.base.kb, list(p.base.report), p.claim_after
    assert new is not None
    scope = _Scope.of(old_kb, report, p.index, old, new)
    _keep_cached(old_kb, kb)  # the article's index, if the scope has quotes to look up
    checked = scope.checked(old_kb, scope.cited_before)
    found = [q for part in checked for q in part]
    head = len(report) - len(found)
    if head < 0 or report[head:] != found:
        return None
    parsed = _parsed_after(report[:head], f"claims[{p.index}]", moved)
    if parsed is None:
        return None
    # The article's checks see the article and its lines, and the claims' quotes and ids (when
    # its text changed, which the report before says: its check of the scope gave it back).
    article = [moved.problem(q) for q in checked[CHECKS.index(check_article)]] \
        if old.quote == new.quote else None
    return parsed + [q for part in scope.checked(kb, scope.cited_after, article) for q in part]


def _parsed_after(parsed: list[Problem], prefix: str, moved: _Moved) -> list[Problem] | None:
    """What the parsers found, after the change: nothing about the edited claim (its entry
    now reads cleanly), lines moved; None when a message names a line that moved."""
    if moved.by and any(q.file == CLAIMS_FILE and (q.line or 0) > moved.after
                        and _LINE_IN_TEXT.search(q.message) for q in parsed):
        return None
    return [moved.problem(q) for q in parsed
            if not (q.file == CLAIMS_FILE and _under(q.path, prefix))]


_LINE_IN_TEXT = re.compile(r"\blines? \d")


@dataclass(frozen=True)
class _Scope:
    """What the checks can report differently after one claim's change, and what they
    reported about before it: the claims at `positions`, the appraised studies and
    references `studies` and `references` (keys in the base's order), with which of them
    claims cite before and after the change and which reviews include.

    Quotes are not looked up in the article again: an unchanged quote has the problems the
    report gives it (`quoted`, at `claims[N].quote`, as `check_entry` takes them); only the
    edited claim's, if it changed (`look_up`), is looked up.
    """

    index: int
    look_up: bool
    quoted: tuple[Problem, ...]
    positions: frozenset[int]
    studies: tuple[str, ...]
    references: tuple[str, ...]
    cited_before: frozenset[str]
    cited_after: frozenset[str]
    included: frozenset[str]
    ids: frozenset[str]  # every claim id, when one of the claims names others

    @classmethod
    def of(cls, kb: KnowledgeBase, report: list[Problem], index: int, old: Claim,
           new: Claim) -> _Scope:
        positions, keys = _named(kb, report)
        positions.add(index)
        keys, before, after, included = _usage(kb, keys, old, new)
        look_up = old.quote != new.quote
        quoted = tuple(q for q in report if q.file == CLAIMS_FILE and _QUOTE.fullmatch(q.path)
                       and not (look_up and _position(q.path) == index))
        named = new.contradicts or any(c.contradicts for _, c in _claims_at(kb, positions))
        return cls(index, look_up, quoted, frozenset(positions), _in_order(kb.studies, keys),
                   _in_order(kb.references, keys), before, after, included,
                   frozenset(claim_ids(kb) if named else ()))

    def checked(self, kb: KnowledgeBase, cited: frozenset[str],
                article: list[Problem] | None = None) -> list[list[Problem]]:
        """What each of `kb check`'s checks finds about this scope of `kb` (given which keys
        claims cite, and what `check_article` found if that is known)."""
        part = _claims_at(kb, self.positions)
        sub = dataclasses.replace(kb, claims=tuple(c for _, c in part),
                                  claim_positions=tuple(i for i, _ in part))
        _keep_cached(kb, sub)
        out: list[list[Problem]] = []
        for check in CHECKS:
            if check is check_studies:
                found = study_problems(sub, self.studies, self.references, cited, self.included)
            elif check is check_contradictions:
                found = check_contradictions(sub, self.ids)
            elif check is check_quotes:
                found = self._quotes(sub)
            elif check is check_article and article is not None:
                found = article
            else:
                found = check(sub)
            out.append(list(found))
        return out

    def _quotes(self, sub: KnowledgeBase) -> list[Problem]:
        """What `check_quotes` finds in the scope (in its order: by position): the problems
        reported for the quotes that did not change, at their lines in `sub`, and what
        looking up the edited claim's changed quote finds."""
        found = [dataclasses.replace(q, line=sub.line_of(q.path)) for q in self.quoted]
        if self.look_up:
            claim = next(c for i, c in sub.claims_with_index() if i == self.index)
            alone = dataclasses.replace(sub, claims=(claim,), claim_positions=(self.index,),
                                        invalid_claims=())
            _keep_cached(sub, alone)
            found += check_quotes(alone)
        return sorted(found, key=lambda q: _position(q.path))


_QUOTE = re.compile(r"claims\[\d+\]\.quote")


def _position(path: str) -> int:
    """The position of the claim a data path below `claims[N]` is about (-1 for others)."""
    index = path[7:path.find("]")] if path.startswith("claims[") else ""
    return int(index) if index.isdigit() else -1


def _named(kb: KnowledgeBase, report: list[Problem]) -> tuple[set[int], set[str]]:
    """The positions of the claims and the keys of the studies and references the report's
    problems are about (their data paths say)."""
    positions, keys = set(), set()
    for q in report:
        if q.file == kb.bib_file:
            keys.add(q.path)
        elif _position(q.path) >= 0:
            positions.add(_position(q.path))
        elif q.path.startswith("studies."):
            keys.add(_study_key(kb, q.path[8:]))
    return positions, keys


def _study_key(kb: KnowledgeBase, rest: str) -> str:
    """The appraised study a data path below `studies.` is about (keys may hold dots)."""
    end = len(rest)
    while end > 0:
        if rest[:end] in kb.studies:
            return rest[:end]
        end = rest.rfind(".", 0, end)
    return rest


def _in_order(mapping: Mapping[str, object], keys: set[str]) -> tuple[str, ...]:
    """Those of `keys` that are in `mapping`, in its order."""
    found = [k for k in keys if k in mapping]
    return tuple(found) if len(found) < 2 else tuple(k for k in mapping if k in keys)


def _usage(kb: KnowledgeBase, keys: set[str], old: Claim, new: Claim
           ) -> tuple[set[str], frozenset[str], frozenset[str], frozenset[str]]:
    """The keys to check (`keys` and those the claim links before or after its change), those
    of them claims cite before and after it, and those a review includes (where it matters:
    for the keys not cited before or after)."""
    linked = ({link.study for link in old.evidence}, {link.study for link in new.evidence})
    keys = keys | (linked[0] ^ linked[1])  # a study it links before and after stays cited
    elsewhere = _cited_elsewhere(kb, old, keys - (linked[0] & linked[1]))
    before, after = elsewhere | linked[0], elsewhere | linked[1]
    included = _included(kb, keys - (before & after))
    return keys, frozenset(before), frozenset(after), frozenset(included)


def _cited_elsewhere(kb: KnowledgeBase, claim: Claim, keys: set[str]) -> set[str]:
    """Which of `keys` a claim other than `claim` cites (those that failed validation too)."""
    found: set[str] = set()
    if not keys:
        return found
    for c in kb.claims:
        if c is claim:
            continue
        found.update(link.study for link in c.evidence if link.study in keys)
        if len(found) == len(keys):
            return found
    found.update(key for c in kb.invalid_claims for _, key in c.links if key in keys)
    return found


def _included(kb: KnowledgeBase, keys: set[str]) -> set[str]:
    """Which of `keys` an appraised review includes."""
    found: set[str] = set()
    if not keys:
        return found
    for appraisal in kb.studies.values():
        found.update(k for k in appraisal.includes if k in keys)
        if len(found) == len(keys):
            break
    return found


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
        written = os.stat(target)
        # Still under claims.yaml's lock, so the log's order is the order of the saves.
        try:
            append_line(log, json.dumps(record, ensure_ascii=False, default=str))
        except (WriteRefused, OSError) as exc:
            raise WriteRefused(f"the change was saved to {CLAIMS_FILE}, but {LOG_FILE} could "
                               f"not be written ({exc}); add the record by hand: "
                               + json.dumps(record, ensure_ascii=False, default=str)) from None
    return Saved(proposal, record, proposal.new_digest, written)


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
