"""The loading pipeline: read the three sources, build the knowledge base, run the checks.

    claims.yaml ─┐
    references.bib ─┼─> KnowledgeBase ─> checks ─> Report
    article text ─┘
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice

from kb.bibliography import Bibliography, load_bibliography
from kb.checks import run_checks
from kb.claims import ClaimsDocument, load_claims
from kb.model import KnowledgeBase
from kb.problems import FILE_LEVEL, MAX_PROBLEMS, Problem, Report, error, warning
from kb.sources import read_text

CLAIMS_FILE = "claims.yaml"
BIB_FILE = "references.bib"


Progress = Callable[[str], None]


def _quiet(stage: str) -> None:
    """The default progress reporter: says nothing (the library never prints)."""


def load_kb(root: str = ".", progress: Progress = _quiet) -> tuple[KnowledgeBase, Report]:
    """Load the knowledge base in folder `root` and check it. Never raises on bad data.

    Examples
    --------
    >>> kb, report = load_kb(".")          # doctest: +SKIP
    >>> report.valid, len(kb.claims)        # doctest: +SKIP
    (True, 21)
    """
    if not os.path.isdir(root):
        return KnowledgeBase(root=root), Report.of([missing_folder(root)])
    progress(f"parsing {CLAIMS_FILE}")
    doc = load_claims(os.path.join(root, CLAIMS_FILE), CLAIMS_FILE)
    progress(f"parsing {BIB_FILE}")
    bib = load_bibliography(os.path.join(root, BIB_FILE), BIB_FILE)
    return assemble(root, doc, bib, progress)


def missing_folder(root: str) -> Problem:
    return error("kb-missing", root, None, f"'{root}' is not a folder",
                 "pass --kb with the folder that holds claims.yaml")


def article_path(root: str, rel: str) -> str | None:
    """Where the article text is, or None when `rel` leaves the knowledge-base folder."""
    path = os.path.join(root, rel)
    inside = os.path.realpath(root)
    if os.path.isabs(rel) or os.path.commonpath([inside, os.path.realpath(path)]) != inside:
        return None
    return path


def read_article(root: str, doc: ClaimsDocument) -> tuple[str | None, list[Problem]]:
    """The article text named in claims.yaml, or None with the problems that stopped it."""
    if doc.article_path is None:
        return None, []
    rel = doc.article_path
    path = article_path(root, rel)
    if path is None:
        return None, [error(
            "article-path", CLAIMS_FILE, doc.lines.get("article.text"),
            f"article text path '{rel}' leaves the knowledge-base folder",
            "keep the article text inside the folder and give a relative path",
            path="article.text")]
    return read_text(path, rel)


def build_kb(root: str, doc: ClaimsDocument, bib: Bibliography, article_text: str | None,
             quote_counts: Mapping[str, int] | None = None) -> KnowledgeBase:
    """The knowledge base made of parsed sources (no checks); `quote_counts`: how often
    quotes occur in this very article text, when an earlier load counted them."""
    return KnowledgeBase(
        root=root,
        article=doc.article,
        article_text=article_text,
        settings=doc.settings,
        references=bib.references,
        studies=doc.studies,
        claims=tuple(doc.claims),
        invalid_claims=tuple(doc.invalid_claims),
        claim_positions=tuple(doc.claim_positions),
        lines=doc.lines,
        invalid_studies=frozenset(doc.invalid_studies),
        quote_counts=quote_counts or {},
    )


def assemble(root: str, doc: ClaimsDocument, bib: Bibliography,
             progress: Progress = _quiet, quote_counts: Mapping[str, int] | None = None
             ) -> tuple[KnowledgeBase, Report]:
    """Join the parsed sources with the article text and run the cross-file checks
    (`quote_counts`: see `build_kb`; the caller vouches that the text is the same)."""
    article_text, text_problems = read_article(root, doc)
    problems: list[Problem] = [*doc.problems, *bib.problems, *text_problems]
    kb = build_kb(root, doc, bib, article_text, quote_counts)
    if doc.article is not None or doc.claims or doc.studies:
        # Cross-file checks would only echo an unreadable claims file as noise.
        progress("checking claims against the bibliography and the article")
        found: Iterable[Problem] = run_checks(kb)
        skipped = [0]
        if any(p.code in FILE_LEVEL for p in bib.problems):
            found = _explained(found, NEEDS_BIBLIOGRAPHY, skipped)
        problems += islice(found, MAX_PROBLEMS + 1)  # `Report.of` closes the list there
        if skipped[0]:
            problems.append(warning(
                "checks-skipped", CLAIMS_FILE, None,
                f"{skipped[0]} links and appraisals could not be checked against {BIB_FILE}, "
                "which could not be read", f"fix {BIB_FILE} first (see its error above)"))
    return kb, Report.of(_blame_duplicates(kb, problems))


# The checks an unreadable bibliography would fail for every key: one summary line says so.
NEEDS_BIBLIOGRAPHY = frozenset({"claim-unknown-study", "study-unknown-reference",
                                "review-includes-unknown"})


# Below this similarity a missing key is not taken for a duplicated entry's intended key.
DUPLICATE_LIKENESS = 0.8


def _blame_duplicates(kb: KnowledgeBase, problems: list[Problem]) -> list[Problem]:
    """Fold the 'not in references.bib' errors a duplicated key explains into its error.

    An entry pasted with a key already in use is dropped by BibTeX; the claims then cite the
    key it was meant to have, and fail. A missing key that closely resembles a duplicated
    one is reported once, at the duplicate, with the places that cite it.
    """
    dups = [p for p in problems if p.code == "bib-duplicate-key" and p.path]
    if not dups:
        return problems
    groups = _by_duplicate(kb, problems, dups)
    explained = {id(p) for keys in groups.values() for ps in keys.values() for p in ps}
    blamed = {id(dups[i]): keys for i, keys in groups.items()}
    out = []
    for p in problems:
        if id(p) in explained:
            continue
        if id(p) in blamed:
            p = _blamed(p, blamed[id(p)])
        out.append(p)
    return out


def _by_duplicate(kb: KnowledgeBase, problems: list[Problem],
                  dups: list[Problem]) -> dict[int, dict[str, list[Problem]]]:
    """Duplicate (by index) -> the missing keys that resemble it -> the problems citing them."""
    groups: dict[int, dict[str, list[Problem]]] = {}
    for p in problems:
        key = _missing_key(kb, p) if p.code in NEEDS_BIBLIOGRAPHY else None
        if key is None:
            continue
        score, dup = max((difflib.SequenceMatcher(None, key, d.path).ratio(), i)
                         for i, d in enumerate(dups))
        if score >= DUPLICATE_LIKENESS:
            groups.setdefault(dup, {}).setdefault(key, []).append(p)
    return groups


def _blamed(p: Problem, keys: dict[str, list[Problem]]) -> Problem:
    """A duplicate-key error that also names the missing keys it probably was meant to be."""
    cited = "; ".join(
        f"'{key}', which is not in {BIB_FILE}, is cited at {CLAIMS_FILE} line"
        f"{'s' * (len(ps) > 1)} {', '.join(str(q.line) for q in ps[:10])}"
        f"{' ...' * (len(ps) > 10)}" for key, ps in keys.items())
    meant = " or ".join(f"'{k}'" for k in keys)
    return dataclasses.replace(
        p, message=f"{p.message}; {cited}",
        hint=f"if this entry is {meant}, give it that key; otherwise delete it")


def _missing_key(kb: KnowledgeBase, p: Problem) -> str | None:
    """The key a 'not in references.bib' problem is about, found from its data path."""
    if p.code == "study-unknown-reference":
        return p.path.removeprefix("studies.")
    if p.code == "review-includes-unknown":
        head, _, tail = p.path.rpartition(".includes[")
        study = kb.studies.get(head.removeprefix("studies."))
        j = tail.rstrip("]")
        return study.includes[int(j)] if study and j.isdigit() and \
            int(j) < len(study.includes) else None
    m = re.fullmatch(r"claims\[(\d+)\]\.evidence\[(\d+)\]\.study", p.path)
    if m is None:
        return None
    i, j = int(m.group(1)), int(m.group(2))
    for idx, claim in kb.claims_with_index():
        if idx == i:
            return claim.evidence[j].study if j < len(claim.evidence) else None
    invalid = next((c for c in kb.invalid_claims if c.index == i), None)
    return dict(invalid.links).get(j) if invalid else None


def _explained(problems: Iterable[Problem], codes: frozenset[str],
               count: list[int]) -> Iterator[Problem]:
    """The problems whose code is not in `codes`; those left out are counted in count[0]."""
    for p in problems:
        if p.code in codes:
            count[0] += 1
        else:
            yield p
