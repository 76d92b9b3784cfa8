"""The bundled knowledge base is part of CI: it must load with zero errors and meet its brief."""

from __future__ import annotations

from collections import Counter

import pytest

from conftest import ROOT, SHARED
from kb.anchors import ArticleIndex, sha256_text
from kb.grading import grade_all
from kb.load import load_kb
from kb.model import ClaimKind, Design, Stance, Verdict


@pytest.fixture(scope="module")
def bundled():
    return load_kb(str(ROOT))


def test_bundled_base_has_no_errors(bundled) -> None:
    _, report = bundled
    assert report.valid, report.render()


def test_article_is_stored_unchanged(bundled) -> None:
    kb, _ = bundled
    assert kb.article_text is not None and kb.article is not None
    assert sha256_text(kb.article_text) == kb.article.sha256
    source = SHARED / "source" / "dry-needling-article.txt"
    if source.is_file():
        assert source.read_bytes() == (ROOT / kb.article.text).read_bytes()


def test_every_claim_is_anchored_once(bundled) -> None:
    kb, _ = bundled
    index = ArticleIndex(kb.article_text or "")
    for claim in kb.claims:
        assert len(index.find(claim.quote)) == 1, claim.id


def test_debris_is_not_a_claim(bundled) -> None:
    kb, _ = bundled
    for claim in kb.claims:
        assert "Scroll to Top" not in claim.quote
        assert "Your go-to source" not in claim.quote


def test_brief_coverage(bundled) -> None:
    kb, report = bundled
    assert len(kb.claims) >= 20
    assert len({link.study for c in kb.claims for link in c.evidence}) >= 35
    for claim in kb.claims:
        substantive = {e.study for e in claim.evidence if e.stance is not Stance.CONTEXT}
        if claim.kind in (ClaimKind.EFFICACY, ClaimKind.COMPARATIVE_EFFICACY, ClaimKind.SAFETY):
            assert len({e.study for e in claim.evidence}) >= 3, claim.id
        if claim.kind is ClaimKind.SAFETY and claim.id == "very-safe":
            assert len(substantive) >= 3
    stances = Counter(e.stance for c in kb.claims for e in c.evidence)
    assert stances[Stance.REFUTES] and stances[Stance.MIXED], "a fact-check needs counter-evidence"
    grades = grade_all(kb, report)
    assert any(g.lacking_long_term for g in grades.values())
    assert grades["should-not-be-discouraged"].verdict is Verdict.NOT_CHECKABLE


def test_every_study_is_appraised_and_verified(bundled) -> None:
    kb, _ = bundled
    assert set(kb.studies) == set(kb.references)
    for key, appraisal in kb.studies.items():
        assert appraisal.verified, key
        assert all(v.url.startswith(("http://", "https://")) for v in appraisal.verified)
    assert any(a.design is Design.UMBRELLA_REVIEW for a in kb.studies.values())
