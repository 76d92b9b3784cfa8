"""kb.rules and kb.grading: one minimal case per rule, and properties of the policy."""

from __future__ import annotations

import dataclasses
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import KB_MIN, make_kb
from kb.grading import grade, grade_all, plain_statement
from kb.load import load_kb
from kb.model import (
    Appraisal,
    Certainty,
    Claim,
    ClaimKind,
    Design,
    EvidenceLink,
    Settings,
    Stance,
    Verdict,
    validate,
)
from kb.rules import RULES

VERIFIED = [{"url": "https://example.org/x", "date": "2026-11-01"}]


def study(design: str = "rct", follow_up: str | None = "12 weeks") -> Appraisal:
    return validate(Appraisal, {"design": design, "follow_up": follow_up,
                                     "verified": VERIFIED})


def link(key: str, stance: str, certainty: str, follow_up: str | None = None) -> EvidenceLink:
    return EvidenceLink(study=key, stance=Stance(stance), certainty=Certainty(certainty),
                        follow_up=follow_up, note="n")


def claim(*links: EvidenceLink, kind: str = "efficacy", checkable: bool = True,
          horizon: str | None = None) -> Claim:
    return Claim(id="c", quote="q", statement="s", kind=ClaimKind(kind), checkable=checkable,
                 evidence=list(links), horizon=horizon)


def lacking_claim(*links: EvidenceLink) -> Claim:
    """A state-of-evidence claim that long-term evidence is lacking."""
    return claim(*links, kind="state-of-evidence", horizon="long-term")


STUDIES = {k: study() for k in "abcdefgh"}
REVIEWS = {"r": study("systematic-review", "6 months"), "n": study("narrative-review", None)}

# One minimal claim per rule, showing it fires.
RULE_CASES = {
    "R1-not-checkable": claim(link("a", "supports", "high"), checkable=False),
    "R2-no-evidence": claim(link("a", "context", "high")),
    "R3-contradicted": claim(link("a", "refutes", "moderate"), link("b", "supports", "low")),
    "R4-mixed": claim(link("a", "supports", "moderate"), link("b", "refutes", "low")),
    "R5-supported": claim(link("a", "supports", "moderate"), link("b", "supports", "low")),
    "R6-limited": claim(link("a", "supports", "low"), link("b", "supports", "low")),
    # Graded from the base's trials (here: trials a-h, none followed for 52 weeks or more).
    "S1-long-term-support-found": lacking_claim(link("r", "refutes", "low")),
    "S2-long-term-support-lacking": lacking_claim(link("r", "supports", "low")),
    "S3-reviews-only": lacking_claim(link("n", "supports", "very-low")),
    "S4-base-silent": lacking_claim(),
}
# The studies each case is graded with (S3 and S4: a base without trials).
CASE_STUDIES = {"S3-reviews-only": REVIEWS, "S4-base-silent": REVIEWS}


def test_every_rule_has_a_case_and_fires() -> None:
    assert set(RULE_CASES) == {r.id for r in RULES}
    for rule_id, c in RULE_CASES.items():
        g = grade(c, CASE_STUDIES.get(rule_id, STUDIES | REVIEWS))
        assert g.rule == rule_id
        assert g.reason.startswith(rule_id)
        assert g.verdict is next(r.verdict for r in RULES if r.id == rule_id)


def test_every_rule_documents_its_rationale() -> None:
    for rule in RULES:
        assert len(rule.rationale) > 40


def test_mixed_margin_is_a_setting() -> None:
    c = RULE_CASES["R4-mixed"]
    assert grade(c, STUDIES, Settings(mixed_margin=0)).verdict is Verdict.LIMITED


def test_single_strong_study_is_limited_not_supported() -> None:
    g = grade(claim(link("a", "supports", "high")), STUDIES)
    assert g.verdict is Verdict.LIMITED
    assert "needs moderate certainty from at least 2 studies" in g.reason


def test_lacking_long_term_trials_flag() -> None:
    short = claim(link("a", "supports", "moderate"), link("b", "supports", "moderate"))
    assert grade(short, STUDIES).lacking_long_term
    long_studies = {**STUDIES, "b": study("rct", "12 months")}
    assert not grade(short, long_studies).lacking_long_term
    # A long survey is not a long-term trial.
    survey = {**STUDIES, "b": study("cross-sectional", "2 years")}
    assert grade(short, survey).lacking_long_term
    # Claims that are not about effects never carry the flag.
    assert not grade(claim(link("a", "supports", "moderate"), kind="definition"),
                     STUDIES).lacking_long_term


def test_horizon_word_counts_as_long_term() -> None:
    c = claim(link("a", "supports", "moderate", "long-term"), link("b", "supports", "low"))
    assert not grade(c, STUDIES).lacking_long_term


def test_plain_language_follows_grade_wording() -> None:
    assert plain_statement(Verdict.SUPPORTED, Certainty.MODERATE) == "This is probably true."
    assert "may" in plain_statement(Verdict.LIMITED, Certainty.LOW)
    assert "very uncertain" in plain_statement(Verdict.LIMITED, Certainty.VERY_LOW)


def test_mixed_certainty_is_rated_down_for_inconsistency() -> None:
    g = grade(RULE_CASES["R4-mixed"], STUDIES)
    assert g.certainty is Certainty.LOW


def test_override_is_kept_beside_the_computed_verdict(tmp_path) -> None:
    text = (KB_MIN / "claims.yaml").read_text(encoding="utf-8").replace(
        "    not_checkable_reason: A statement about ignorance.\n",
        "    not_checkable_reason: A statement about ignorance.\n    review:\n      override:\n"
        "        verdict: supported\n        rationale: Editors agree.\n")
    kb, report = load_kb(str(make_kb(tmp_path, claims=text)))
    g = grade_all(kb, report)["long-term-unknown"]
    assert g.verdict is Verdict.NOT_CHECKABLE
    assert g.override is not None and g.shown_verdict is Verdict.SUPPORTED


def test_claims_with_errors_are_not_graded(tmp_path) -> None:
    from conftest import BROKEN
    kb, report = load_kb(str(make_kb(tmp_path, claims=BROKEN / "unknown_study.claims.yaml")))
    grades = grade_all(kb, report)
    assert grades["short-term-pain"].verdict is Verdict.NOT_GRADED
    assert "claim-unknown-study" in grades["short-term-pain"].reason
    assert grades["very-safe"].verdict is Verdict.LIMITED


def test_invalid_claims_are_not_graded(tmp_path) -> None:
    from conftest import BROKEN
    kb, report = load_kb(str(make_kb(tmp_path, claims=BROKEN / "bad_vocabulary.claims.yaml")))
    grades = grade_all(kb, report)
    assert list(grades) == ["very-safe", "short-term-pain", "long-term-unknown"]
    assert grades["very-safe"].verdict is Verdict.NOT_GRADED


# --- properties ---------------------------------------------------------------------------

links_strategy = st.lists(
    st.builds(link, st.sampled_from("abcdefgh"), st.sampled_from([s.value for s in Stance]),
              st.sampled_from([c.value for c in Certainty])),
    max_size=8)


@settings(max_examples=300, deadline=None)
@given(links_strategy, st.sampled_from("abcdefgh"))
def test_adding_high_certainty_support_never_lowers_a_verdict(links, key) -> None:
    before = grade(claim(*links), STUDIES)
    after = grade(claim(*links, link(key, "supports", "high")), STUDIES)
    assert after.verdict.strength >= before.verdict.strength


@settings(max_examples=200, deadline=None)
@given(links_strategy)
def test_removing_every_link_gives_no_evidence(links) -> None:
    c = claim(*links)
    assert grade(dataclasses.replace(c, evidence=()), STUDIES).verdict is Verdict.NO_EVIDENCE


@settings(max_examples=200, deadline=None)
@given(links_strategy, st.randoms(use_true_random=False))
def test_verdict_does_not_depend_on_link_order(links, rnd: random.Random) -> None:
    shuffled = list(links)
    rnd.shuffle(shuffled)
    a, b = grade(claim(*links), STUDIES), grade(claim(*shuffled), STUDIES)
    assert (a.verdict, a.certainty, a.rule, a.lacking_long_term) == (
        b.verdict, b.certainty, b.rule, b.lacking_long_term)


def test_verdicts_do_not_depend_on_claim_order(tmp_path) -> None:
    kb, report = load_kb(str(KB_MIN))
    forward = grade_all(kb, report)
    reversed_kb = dataclasses.replace(kb, claims=tuple(reversed(kb.claims)), claim_positions=())
    backward = grade_all(reversed_kb)
    assert {k: (g.verdict, g.certainty) for k, g in forward.items()} == {
        k: (g.verdict, g.certainty) for k, g in backward.items()}


def test_grading_is_deterministic() -> None:
    c = RULE_CASES["R4-mixed"]
    assert grade(c, STUDIES) == grade(c, STUDIES)


def test_design_vocabulary_is_complete() -> None:
    assert Design("umbrella-review").is_review and Design("rct").is_trial
