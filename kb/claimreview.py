"""schema.org ClaimReview (JSON-LD) for every graded, checkable claim.

Rating scale (documented in the README): 1 = worst, 5 = best.

    supported 5 · limited 4 · mixed 3 · no-evidence 2 · contradicted 1

Claims that are not checkable or not graded get no ClaimReview: there is nothing to rate.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any

from kb.grading import Grade
from kb.model import Claim, KnowledgeBase, Verdict
from kb.text import safe_url

RATING: Mapping[Verdict, tuple[int, str]] = {
    Verdict.SUPPORTED: (5, "Supported by the evidence"),
    Verdict.LIMITED: (4, "Limited evidence"),
    Verdict.MIXED: (3, "Mixed evidence"),
    Verdict.NO_EVIDENCE: (2, "Unsupported: no evidence found"),
    Verdict.CONTRADICTED: (1, "Contradicted by the evidence"),
}
BEST, WORST = 5, 1


def claim_reviewed(claim: Claim) -> str:
    """What ClaimReview names as the claim: the editor's short form when given, else the whole
    statement. Never a cut phrase: a claim cut mid-way can say something else (`kb check`
    warns when a short form is too long for ClaimReview's display)."""
    return " ".join((claim.short or claim.statement).split())


def claim_reviews(kb: KnowledgeBase, grades: Mapping[str, Grade], *, site_url: str,
                  author: str, date: str) -> list[dict[str, Any]]:
    """One ClaimReview per rated claim; `site_url` is where the dashboard is published."""
    base = site_url.rstrip("/")
    art = kb.article
    appearance: dict[str, Any] = {"@type": "CreativeWork"}
    if art:
        appearance["headline"] = art.title
        appearance["publisher"] = {"@type": "Organization", "name": art.publisher}
        if url := safe_url(art.url):
            appearance["url"] = url
    out = []
    for claim in kb.claims:
        g = grades.get(claim.id)
        if g is None or not claim.checkable or g.verdict not in RATING:
            continue
        value, name = RATING[g.verdict]
        explanation = g.statement + (f" Certainty: {g.certainty.label}." if g.certainty else "")
        if g.lacking_long_term:
            explanation += " Long-term trials are lacking."
        review_date = (claim.review.date.isoformat() if claim.review.date else date)
        out.append({
            "@context": "https://schema.org",
            "@type": "ClaimReview",
            "url": f"{base}/claim?{urllib.parse.urlencode({'claim': claim.id})}",
            "claimReviewed": claim_reviewed(claim),
            "itemReviewed": {"@type": "Claim", "text": claim.quote, "appearance": appearance,
                             **({"author": {"@type": "Organization", "name": art.publisher}}
                                if art else {})},
            "author": {"@type": "Organization", "name": author},
            "datePublished": review_date,
            "reviewRating": {"@type": "Rating", "ratingValue": value, "bestRating": BEST,
                             "worstRating": WORST, "alternateName": name,
                             "ratingExplanation": explanation},
        })
    return out
