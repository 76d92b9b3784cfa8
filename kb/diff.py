"""Compare two versions of a knowledge base: verdicts, certainties, long-term flags and
evidence links, claim by claim, with the reason each verdict changed.

A version is a folder, or a git revision of the repository holding the base (its files are
read with `git show REV:path` into a temporary folder; the base folder is never written).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from kb.claims import _chunks, load_claims, parse_entry
from kb.exports import _table
from kb.grading import Grade, grade_all
from kb.load import BIB_FILE, CLAIMS_FILE, load_kb
from kb.model import Claim
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


def _article_path(claims_path: str) -> str | None:
    """`article.text` of a claims file, read from its article section alone when it can be."""
    with open(claims_path, "rb") as fh:
        text = fh.read().decode("utf-8", "replace")
    for chunk in _chunks(text) or ():
        if chunk.kind == "section" and chunk.text.startswith("article:"):
            parsed = parse_entry("section", chunk.text, CLAIMS_FILE)
            article = parsed[0].get("article") if parsed else None
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


def _compare_claim(cid: str, a: Claim | None, b: Claim | None, old: Version,
                   new: Version) -> ClaimChange | None:
    ga, gb = old.grades.get(cid), new.grades.get(cid)
    va, vb = (ga.verdict.value if ga else None), (gb.verdict.value if gb else None)
    ca = ga.certainty.value if ga and ga.certainty else None
    cb = gb.certainty.value if gb and gb.certainty else None
    la, lb = (ga.lacking_long_term if ga else None), (gb.lacking_long_term if gb else None)
    oa = a.review.override.verdict.value if a and a.review.override else None
    ob = b.review.override.verdict.value if b and b.review.override else None
    ra, rb = (a.review.status.value if a else None), (b.review.status.value if b else None)
    links_a = _links(a)
    links_b = _links(b)
    added = [links_b[k] for k in links_b if k not in links_a]
    removed = [links_a[k] for k in links_a if k not in links_b]
    changed = []
    for key in links_a.keys() & links_b.keys():
        for name in dict.fromkeys([*links_a[key], *links_b[key]]):
            if links_a[key].get(name) != links_b[key].get(name):
                changed.append({"study": key, "field": name, "before": links_a[key].get(name),
                                "after": links_b[key].get(name)})
    cited = set(links_a) | set(links_b)
    appraisals = sorted(k for k in cited if old.kb.studies.get(k) != new.kb.studies.get(k))
    kind = "added" if a is None else "removed" if b is None else "changed"
    change = ClaimChange(
        claim=cid, change=kind, verdict=_pair(va, vb), certainty=_pair(ca, cb),
        lacking_long_term=_pair(la, lb), override=_pair(oa, ob), review=_pair(ra, rb),
        links_added=added, links_removed=removed, links_changed=sorted(
            changed, key=lambda c: (c["study"], c["field"])),
        appraisals_changed=appraisals,
        rule=_pair(ga.rule if ga else None, gb.rule if gb else None))
    if kind == "changed" and not any((change.verdict, change.certainty,
                                      change.lacking_long_term, change.override, change.review,
                                      added, removed, changed, appraisals)):
        return None
    settings_changed = old.kb.settings != new.kb.settings
    return _with_why(change, gb or ga, settings_changed)


def _links(claim: Claim | None) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for link in claim.evidence if claim else ():
        out.setdefault(link.study, link.model_dump(mode="json", exclude_none=True))
    return out


def _with_why(change: ClaimChange, g: Grade | None, settings_changed: bool) -> ClaimChange:
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
    if settings_changed and (change.verdict or change.certainty or change.lacking_long_term):
        causes.append("the verdict settings changed")
    why = "; ".join(causes)
    if g is not None and (change.verdict or change.certainty or change.lacking_long_term):
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
