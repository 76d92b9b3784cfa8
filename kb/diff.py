"""Compare two versions of a knowledge base: verdicts, certainties, long-term flags and
evidence links, claim by claim, with the reason each verdict changed.

A version is a folder, or a git revision of the repository holding the base (its files are
read with `git show REV:path` into a temporary folder; the base folder is never written).
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from kb.claims import load_claims, parse_entry
from kb.exports import _table
from kb.grading import Grade, grade_all
from kb.load import BIB_FILE, CLAIMS_FILE, load_kb
from kb.model import Claim, as_data
from kb.problems import Report


class VersionError(Exception):
    """A version that cannot be read; the message says why."""


@dataclass(frozen=True)
class Version:
    label: str
    kb: KnowledgeBase
    report: Report
    grades: dict[str, Grade]


def load_version(spec: str, kb_dir: str) -> Version:
    """A base folder (`spec` is a path), or the base in `kb_dir` at git revision `spec`."""
    if os.path.isdir(spec):
        kb, report = load_kb(spec)
        return Version(spec, kb, report, grade_all(kb, report))
    with tempfile.TemporaryDirectory(prefix="kb-diff-") as tmp:
        top, rel = _repo_path(kb_dir)
        for name in (CLAIMS_FILE, BIB_FILE):
            _git_show(top, spec, os.path.join(rel, name), os.path.join(tmp, name))
        article = _article_path(os.path.join(tmp, CLAIMS_FILE))
        if article is not None and not os.path.isabs(article):
            target = os.path.normpath(os.path.join(tmp, article))
            if target.startswith(tmp + os.sep):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                try:
                    _git_show(top, spec, os.path.normpath(os.path.join(rel, article)), target)
                except VersionError:
                    pass  # reported as a missing article by the load below
        kb, report = load_kb(tmp)
        kb = replace(kb, root=f"{spec}:{rel or '.'}")
        return Version(spec, kb, report, grade_all(kb, report))


# The top-level `article:` block: its line and the indented, blank or comment lines after it.
_ARTICLE = re.compile(r"^article:[ \t]*\r?\n(?:[ \t#][^\n]*\n|\r?\n)*", re.M)


def _article_path(claims_path: str) -> str | None:
    """`article.text` of a claims file, read from its article section alone when it can be."""
    with open(claims_path, "rb") as fh:
        text = fh.read().decode("utf-8", "replace")
    section = _ARTICLE.search(text)
    parsed = parse_entry("section", section.group(), CLAIMS_FILE) if section else None
    if parsed is not None:
        article = parsed[0].get("article")
        value = article.get("text") if isinstance(article, dict) else None
        return value if isinstance(value, str) else None
    doc = load_claims(claims_path)
    return doc.article.text if doc.article else None


def revision_id(spec: str, kb_dir: str) -> str | None:
    """The commit a revision names (None for a folder), to key what was read from it."""
    if os.path.isdir(spec):
        return None
    top, _ = _repo_path(kb_dir)
    if spec.startswith("-"):
        raise VersionError(f"'{spec}' is not a revision")
    out = subprocess.run(["git", "-C", top, "rev-parse", "--verify", "--quiet",
                          f"{spec}^{{commit}}"], capture_output=True, text=True, check=False,
                         timeout=60)
    if out.returncode != 0:
        raise VersionError(f"'{spec}' is not a revision of the repository at {top}")
    return out.stdout.strip()


def _repo_path(kb_dir: str) -> tuple[str, str]:
    try:
        out = subprocess.run(["git", "-C", kb_dir, "rev-parse", "--show-toplevel"],
                             capture_output=True, text=True, check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise VersionError(f"cannot run git: {exc}") from None
    if out.returncode != 0:
        raise VersionError(f"'{kb_dir}' is not in a git repository, so a revision cannot be "
                           "read there; give the path of another base folder instead")
    top = out.stdout.strip()
    rel = os.path.relpath(os.path.realpath(kb_dir), os.path.realpath(top))
    return top, "" if rel == "." else rel


def _git_show(top: str, rev: str, path: str, out_path: str) -> None:
    if rev.startswith("-"):
        raise VersionError(f"'{rev}' is not a revision")
    spec = f"{rev}:{path.replace(os.sep, '/')}"
    try:
        out = subprocess.run(["git", "-C", top, "show", spec], capture_output=True,
                             check=False, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise VersionError(f"cannot run git: {exc}") from None
    if out.returncode != 0:
        msg = out.stderr.decode("utf-8", "replace").strip().splitlines()
        raise VersionError(f"git cannot show {spec}: {msg[-1] if msg else 'unknown error'}")
    with open(out_path, "wb") as fh:
        fh.write(out.stdout)


@dataclass(frozen=True)
class ClaimChange:
    """How one claim differs between two versions (None: the same in both)."""

    claim: str
    change: str                                   # added | removed | changed
    verdict: tuple[str | None, str | None] | None = None
    certainty: tuple[str | None, str | None] | None = None
    lacking_long_term: tuple[bool | None, bool | None] | None = None
    override: tuple[str | None, str | None] | None = None
    review: tuple[str | None, str | None] | None = None
    links_added: list[dict[str, Any]] = field(default_factory=list)
    links_removed: list[dict[str, Any]] = field(default_factory=list)
    links_changed: list[dict[str, Any]] = field(default_factory=list)
    appraisals_changed: list[str] = field(default_factory=list)
    rule: tuple[str | None, str | None] | None = None
    why: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def compare(old: Version, new: Version) -> list[ClaimChange]:
    """Every claim whose verdict, certainty, long-term flag, override, review status or
    evidence links differ, in the new version's order (then claims only in the old)."""
    old_claims = {c.id: c for c in old.kb.claims}
    new_claims = {c.id: c for c in new.kb.claims}
    out = []
    for cid in [*new_claims, *(c for c in old_claims if c not in new_claims)]:
        change = _compare_claim(cid, old_claims.get(cid), new_claims.get(cid), old, new)
        if change is not None:
            out.append(change)
    return out


def _pair(a: Any, b: Any) -> tuple[Any, Any] | None:
    return None if a == b else (a, b)


def _values(g: Grade | None, claim: Claim | None) -> dict[str, Any]:
    """The compared values of one claim in one version (None where there is none)."""
    review = claim.review if claim else None
    return {
        "verdict": g.verdict.value if g else None,
        "certainty": g.certainty.value if g and g.certainty else None,
        "lacking_long_term": g.lacking_long_term if g else None,
        "override": review.override.verdict.value if review and review.override else None,
        "review": review.status.value if review else None,
        "rule": g.rule if g else None,
    }


def _link_changes(a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]]
                  ) -> list[dict[str, Any]]:
    """Field by field, for the studies linked in both versions."""
    out = [{"study": key, "field": name, "before": a[key].get(name), "after": b[key].get(name)}
           for key in a.keys() & b.keys() for name in dict.fromkeys([*a[key], *b[key]])
           if a[key].get(name) != b[key].get(name)]
    return sorted(out, key=lambda c: (c["study"], c["field"]))


def _compare_claim(cid: str, a: Claim | None, b: Claim | None, old: Version,
                   new: Version) -> ClaimChange | None:
    ga, gb = old.grades.get(cid), new.grades.get(cid)
    before, after = _values(ga, a), _values(gb, b)
    pairs = {k: _pair(before[k], after[k]) for k in before}
    links_a, links_b = _links(a), _links(b)
    kind = "added" if a is None else "removed" if b is None else "changed"
    change = ClaimChange(
        claim=cid, change=kind, **pairs,
        links_added=[links_b[k] for k in links_b if k not in links_a],
        links_removed=[links_a[k] for k in links_a if k not in links_b],
        links_changed=_link_changes(links_a, links_b),
        appraisals_changed=_appraisals_changed({*links_a, *links_b}, old, new))
    if kind == "changed" and not _moved(change):
        return None
    return _with_why(change, gb or ga, old.kb.settings != new.kb.settings)


def _appraisals_changed(keys: set[str], old: Version, new: Version) -> list[str]:
    return sorted(k for k in keys if old.kb.studies.get(k) != new.kb.studies.get(k))


def _moved(c: ClaimChange) -> bool:
    return any((c.verdict, c.certainty, c.lacking_long_term, c.override, c.review,
                c.links_added, c.links_removed, c.links_changed, c.appraisals_changed))


def _links(claim: Claim | None) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for link in claim.evidence if claim else ():
        out.setdefault(link.study, as_data(link, mode="json", exclude_none=True))
    return out


def _causes(change: ClaimChange) -> list[str]:
    """What changed under a claim, in words: its links and its studies' appraisals."""
    causes = []
    if change.links_added:
        causes.append("links added: " + ", ".join(
            f"{x['study']} ({x.get('stance')}, {x.get('certainty')})" for x in change.links_added))
    if change.links_removed:
        causes.append("links removed: " + ", ".join(x["study"] for x in change.links_removed))
    if change.links_changed:
        causes.append("links changed: " + ", ".join(
            f"{x['study']} {x['field']} {x['before']} -> {x['after']}"
            for x in change.links_changed))
    if change.appraisals_changed:
        causes.append("appraisals changed: " + ", ".join(change.appraisals_changed))
    return causes


def _with_why(change: ClaimChange, g: Grade | None, settings_changed: bool) -> ClaimChange:
    graded = bool(change.verdict or change.certainty or change.lacking_long_term)
    causes = _causes(change)
    if settings_changed and graded:
        causes.append("the verdict settings changed")
    why = "; ".join(causes)
    if g is not None and graded:
        why = (why + ". " if why else "") + f"Now {g.reason}"
    return replace(change, why=why)


def rows(changes: list[ClaimChange]) -> list[list[str]]:
    """One row per claim: what changed in each column, and why."""
    def arrow(pair: tuple[Any, Any] | None) -> str:
        return "" if pair is None else f"{_show(pair[0])} -> {_show(pair[1])}"

    out = []
    for c in changes:
        links = ", ".join(part for part in (
            f"+{len(c.links_added)}" if c.links_added else "",
            f"-{len(c.links_removed)}" if c.links_removed else "",
            f"~{len({x['study'] for x in c.links_changed})}" if c.links_changed else "") if part)
        out.append([c.claim + ("" if c.change == "changed" else f" ({c.change})"),
                    arrow(c.verdict), arrow(c.certainty), arrow(c.lacking_long_term),
                    arrow(c.override), arrow(c.review), links, c.why])
    return out


HEADERS = ("claim", "verdict", "certainty", "lacking long-term", "override", "review",
           "links", "why")


def as_table(changes: list[ClaimChange], old_label: str, new_label: str) -> str:
    """The changes as a plain-text table, with a one-line summary above it."""
    if not changes:
        return (f"No differences in verdicts, certainties, long-term flags, overrides, review "
                f"statuses or links between {old_label} and {new_label}.")
    s = summary(changes)
    n = s["claims"]
    head = (f"{old_label} -> {new_label}: {n} claim{'s' * (n != 1)} differ{'s' * (n == 1)} "
            f"({s['verdicts']} "
            f"verdicts, {s['certainties']} certainties, {s['long_term_flags']} long-term "
            f"flags, {s['links']} link changes)")
    return head + "\n\n" + _table(HEADERS, rows(changes))


def as_json(changes: list[ClaimChange], old_label: str, new_label: str) -> dict[str, Any]:
    return {"old": old_label, "new": new_label, "summary": dict(summary(changes)),
            "changes": [c.to_dict() for c in changes]}


def _show(value: Any) -> str:
    return "(none)" if value is None else str(value).lower() if isinstance(value, bool) \
        else str(value)


def summary(changes: list[ClaimChange]) -> Mapping[str, int]:
    return {"claims": len(changes),
            "verdicts": sum(1 for c in changes if c.verdict),
            "certainties": sum(1 for c in changes if c.certainty),
            "long_term_flags": sum(1 for c in changes if c.lacking_long_term),
            "links": sum(len(c.links_added) + len(c.links_removed) + len(c.links_changed)
                         for c in changes)}
