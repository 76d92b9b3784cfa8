"""kb.claimreview: schema.org ClaimReview for the bundled base, checked against the
properties ClaimReview markup requires."""

from __future__ import annotations

import dataclasses
import json

import jsonschema
import pytest

from conftest import ROOT
from kb.claimreview import RATING, claim_reviewed, claim_reviews
from kb.cli import main
from kb.grading import grade_all
from kb.load import load_kb
from kb.model import Claim, Verdict

CLAIM_REVIEW_SCHEMA = {
    "type": "object",
    "required": ["@context", "@type", "url", "claimReviewed", "itemReviewed", "author",
                 "datePublished", "reviewRating"],
    "properties": {
        "@context": {"const": "https://schema.org"},
        "@type": {"const": "ClaimReview"},
        "url": {"type": "string", "pattern": "^https?://"},
        "claimReviewed": {"type": "string", "minLength": 1, "maxLength": 74},
        "datePublished": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
        "author": {"type": "object", "required": ["@type", "name"]},
        "itemReviewed": {
            "type": "object", "required": ["@type", "appearance"],
            "properties": {"@type": {"const": "Claim"},
                           "appearance": {"type": "object", "required": ["@type"]}}},
        "reviewRating": {
            "type": "object",
            "required": ["@type", "ratingValue", "bestRating", "worstRating", "alternateName",
                         "ratingExplanation"],
            "properties": {"@type": {"const": "Rating"},
                           "ratingValue": {"type": "integer", "minimum": 1, "maximum": 5},
                           "bestRating": {"const": 5}, "worstRating": {"const": 1},
                           "alternateName": {"type": "string", "minLength": 1}}},
    },
}


@pytest.fixture(scope="module")
def reviews():
    kb, report = load_kb(str(ROOT))
    grades = grade_all(kb, report)
    return kb, grades, claim_reviews(kb, grades, site_url="https://reviews.example.org/dn/",
                                     author="Test desk", date="2026-11-23")


def test_every_review_validates(reviews) -> None:
    for item in reviews[2]:
        jsonschema.validate(item, CLAIM_REVIEW_SCHEMA)


def test_one_review_per_rated_checkable_claim(reviews) -> None:
    kb, grades, items = reviews
    expected = [c.id for c in kb.claims if c.checkable and grades[c.id].verdict in RATING]
    assert [i["url"].split("claim=")[1] for i in items] == expected
    assert not any(grades[c.id].verdict is Verdict.NOT_CHECKABLE and c.id in
                   {i["url"].split("claim=")[1] for i in items} for c in kb.claims)


def test_rating_follows_the_documented_scale(reviews) -> None:
    kb, grades, items = reviews
    for item in items:
        verdict = grades[item["url"].split("claim=")[1]].verdict
        assert item["reviewRating"]["ratingValue"] == RATING[verdict][0]
        assert item["reviewRating"]["alternateName"] == RATING[verdict][1]


def test_claim_reviewed_is_the_short_form_or_the_whole_statement(reviews) -> None:
    kb, _, items = reviews
    by_id = {c.id: c for c in kb.claims}
    for item in items:
        claim = by_id[item["url"].split("claim=")[1]]
        assert item["claimReviewed"] == " ".join((claim.short or claim.statement).split())
        assert not item["claimReviewed"].endswith("…")
    assert any(c.short for c in kb.claims)


def test_a_long_statement_is_never_cut() -> None:
    statement = ("Dry needling added to physical therapy works better than physical therapy "
                 "alone for people with chronic neck pain.")
    claim = Claim(id="c", quote="q", statement=statement, kind="efficacy")
    assert claim_reviewed(claim) == statement
    assert claim_reviewed(dataclasses.replace(claim, short="Needling plus PT beats PT.")) == (
        "Needling plus PT beats PT.")


def test_cli_needs_a_site_url(capsys, monkeypatch) -> None:
    monkeypatch.delenv("KB_SITE_URL", raising=False)
    assert main(["export", "claimreview", "--kb", str(ROOT)]) == 2
    assert "--site-url" in capsys.readouterr().err
    assert main(["export", "claimreview", "--kb", str(ROOT), "--site-url",
                 "https://x.example.org"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["@type"] == "ClaimReview"
