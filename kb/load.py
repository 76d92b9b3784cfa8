"""The loading pipeline: read the three sources, build the knowledge base, run the checks.

    claims.yaml ─┐
    references.bib ─┼─> KnowledgeBase ─> checks ─> Report
    article text ─┘
"""

from __future__ import annotations

import os
from collections.abc import Callable

from kb.bibliography import Bibliography, load_bibliography
from kb.checks import run_checks
from kb.claims import ClaimsDocument, load_claims
from kb.model import KnowledgeBase
from kb.problems import Problem, Report, error
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
    if doc.article is None:
        return None, []
    rel = doc.article.text
    path = article_path(root, rel)
    if path is None:
        return None, [error(
            "article-path", CLAIMS_FILE, doc.lines.get("article.text"),
            f"article text path '{rel}' leaves the knowledge-base folder",
            "keep the article text inside the folder and give a relative path",
            path="article.text")]
    return read_text(path, rel)


def build_kb(root: str, doc: ClaimsDocument, bib: Bibliography,
             article_text: str | None) -> KnowledgeBase:
    """The knowledge base made of parsed sources (no checks)."""
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
    )


def assemble(root: str, doc: ClaimsDocument, bib: Bibliography,
             progress: Progress = _quiet) -> tuple[KnowledgeBase, Report]:
    """Join the parsed sources with the article text and run the cross-file checks."""
    article_text, text_problems = read_article(root, doc)
    problems: list[Problem] = [*doc.problems, *bib.problems, *text_problems]
    kb = build_kb(root, doc, bib, article_text)
    if doc.article is not None or doc.claims or doc.studies:
        # Cross-file checks would only echo an unreadable claims file as noise.
        progress("checking claims against the bibliography and the article")
        problems += run_checks(kb)
    return kb, Report.of(problems)
