"""The loading pipeline: read the three sources, build the knowledge base, run the checks.

    claims.yaml ─┐
    references.bib ─┼─> KnowledgeBase ─> checks ─> Report
    article text ─┘
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from kb.bibliography import Bibliography, load_bibliography
from kb.checks import run_checks
from kb.claims import ClaimsDocument, load_claims
from kb.model import KnowledgeBase
from kb.problems import FILE_LEVEL, MAX_PROBLEMS, Problem, Report, error, warning
from kb.sources import gc_paused, read_text

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
    with gc_paused():
        progress(f"parsing {CLAIMS_FILE}")
        doc = load_claims(os.path.join(root, CLAIMS_FILE), CLAIMS_FILE)
        progress(f"parsing {BIB_FILE}")
        bib = load_bibliography(os.path.join(root, BIB_FILE), BIB_FILE)
        return assemble(root, doc, bib, progress)


def missing_folder(root: str) -> Problem:
    return error("kb-missing", root, None, f"'{root}' is not a folder",
                 "pass --kb with the folder that holds claims.yaml")


def assemble(root: str, doc: ClaimsDocument, bib: Bibliography,
             progress: Progress = _quiet) -> tuple[KnowledgeBase, Report]:
    """Join the parsed sources with the article text and run the cross-file checks."""
    problems: list[Problem] = [*doc.problems, *bib.problems]
    article_text = None
    if doc.article is not None:
        rel = doc.article.text
        path = os.path.join(root, rel)
        inside = os.path.realpath(root)
        if os.path.isabs(rel) or os.path.commonpath([inside, os.path.realpath(path)]) != inside:
            problems.append(error(
                "article-path", CLAIMS_FILE, doc.lines.get("article.text"),
                f"article text path '{rel}' leaves the knowledge-base folder",
                "keep the article text inside the folder and give a relative path",
                path="article.text"))
        else:
            article_text, text_problems = read_text(path, rel)
            problems += text_problems
    kb = KnowledgeBase(
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
    )
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
    return kb, Report.of(problems)


# The checks an unreadable bibliography would fail for every key: one summary line says so.
NEEDS_BIBLIOGRAPHY = frozenset({"claim-unknown-study", "study-unknown-reference",
                                "review-includes-unknown"})


def _explained(problems: Iterable[Problem], codes: frozenset[str],
               count: list[int]) -> Iterator[Problem]:
    """The problems whose code is not in `codes`; those left out are counted in count[0]."""
    for p in problems:
        if p.code in codes:
            count[0] += 1
        else:
            yield p
