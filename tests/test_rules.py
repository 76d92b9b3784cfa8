"""kb.rules' guided appraisal: the certainty a link starts from, by design, and what kb check
says about links, design words, short forms and contradictions."""

from __future__ import annotations

import pytest

from conftest import make_kb
from kb.grading import grade
from kb.load import load_kb
from kb.model import Appraisal, Certainty, Claim, Design, EvidenceLink, nearest_design, validate
from kb.model import GRADE_START
from kb.rules import default_certainty, link_certainty, starting_certainty

VERIFIED = [{"url": "https://example.org/x", "date": "2026-11-01"}]


def appraisal(design: str, quality: dict | None = None) -> Appraisal:
    return validate(Appraisal, {"design": design, "verified": VERIFIED,
                                     **({"quality": quality} if quality else {})})


def link(stance: str = "supports", **extra: object) -> EvidenceLink:
    return validate(EvidenceLink, {"study": "s", "stance": stance, "note": "n", **extra})


@pytest.mark.parametrize("design, expected", [
    ("rct", Certainty.HIGH), ("crossover-rct", Certainty.HIGH), ("cluster-rct", Certainty.HIGH),
    ("non-randomised-trial", Certainty.LOW), ("cohort", Certainty.LOW),
    ("case-control", Certainty.LOW), ("cross-sectional", Certainty.LOW),
    ("case-series", Certainty.LOW),
    # designs GRADE does not rate count as very low until appraised
    ("laboratory", Certainty.VERY_LOW), ("physiology", Certainty.VERY_LOW),
    ("expert-opinion", Certainty.VERY_LOW), ("guideline", Certainty.VERY_LOW),
    # syntheses without a rating of their own start low
    ("systematic-review", Certainty.LOW), ("critically-appraised-topic", Certainty.LOW),
])
def test_starting_level_by_design(design, expected) -> None:
    assert starting_certainty(appraisal(design))[0] is expected
    assert default_certainty(link(), appraisal(design))[0] is expected


def test_every_design_has_a_starting_level_and_a_meaning() -> None:
    assert set(GRADE_START) == set(Design)  # the one design -> starting level table
    assert all(d.meaning and d.label for d in Design)


@pytest.mark.parametrize("quality, expected", [
    ({"tool": "GRADE", "rating": "moderate"}, Certainty.MODERATE),
    ({"tool": "AMSTAR 2", "rating": "critically low"}, Certainty.VERY_LOW),
    ({"tool": "AMSTAR 2", "rating": "High"}, Certainty.HIGH),
    ({"tool": "PEDro", "rating": "7/10"}, Certainty.LOW),  # not a certainty scale: unrated
])
def test_reviews_start_from_their_own_rating(quality, expected) -> None:
    a = appraisal("systematic-review-meta-analysis", quality)
    assert default_certainty(link(), a)[0] is expected


SERIOUS = {"domain": "risk-of-bias", "level": "serious", "reason": "no blinding"}
VERY_SERIOUS = {"domain": "imprecision", "level": "very-serious", "reason": "few events"}


@pytest.mark.parametrize("design, downgrades, upgrades, expected", [
    ("rct", [SERIOUS], [], Certainty.MODERATE),
    ("crossover-rct", [SERIOUS, VERY_SERIOUS], [], Certainty.VERY_LOW),
    ("cohort", [SERIOUS], [], Certainty.VERY_LOW),
    ("cohort", [], [{"domain": "large-effect", "level": "serious", "reason": "RR 5"}],
     Certainty.MODERATE),
    ("systematic-review-meta-analysis", [SERIOUS], [], Certainty.MODERATE),
    ("laboratory", [SERIOUS], [], Certainty.VERY_LOW),
])
def test_default_is_lowered_by_downgrades(design, downgrades, upgrades, expected) -> None:
    certainty, why = default_certainty(link(downgrades=downgrades, upgrades=upgrades),
                                       appraisal(design))
    assert certainty is expected and expected.label in why


def test_default_agrees_with_the_consistency_check(tmp_path) -> None:
    """A link given the default certainty it would get is never 'certainty-inconsistent'."""
    base = make_kb(tmp_path)
    text = (base / "claims.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "        certainty: low\n        outcome: pain\n        note: One trial favours needling.\n",
        "        certainty: moderate\n        outcome: pain\n        note: One trial favours needling.\n"
        "        downgrades:\n          - {domain: risk-of-bias, level: serious, reason: open}\n")
    (base / "claims.yaml").write_text(text, encoding="utf-8")
    _, report = load_kb(str(base))
    assert "certainty-inconsistent" not in report.codes()
    assert "downgrades" in text


def test_editor_certainty_wins_and_context_needs_none() -> None:
    a = appraisal("rct")
    assert link_certainty(link(certainty="low"), a) is Certainty.LOW
    assert link_certainty(link(), a) is Certainty.HIGH
    assert link_certainty(link("context"), a) is None


def test_grading_uses_the_default() -> None:
    studies = {"s": appraisal("rct"), "t": appraisal("cohort")}
    claim = validate(Claim, {
        "id": "c", "quote": "q", "statement": "s", "kind": "efficacy",
        "evidence": [{"study": "s", "stance": "supports", "note": "n"},
                     {"study": "t", "stance": "supports", "note": "n"},
                     {"study": "t", "stance": "context", "note": "background"}]})
    g = grade(claim, studies)
    assert g.verdict.value == "supported" and g.certainty is Certainty.HIGH


@pytest.mark.parametrize("word, term", [
    ("crossover", "crossover-rct"), ("randomized crossover trial", "crossover-rct"),
    ("cluster randomized trial", "cluster-rct"), ("controlled trial", "non-randomised-trial"),
    ("CAT", "critically-appraised-topic"), ("physiological study", "physiology"),
    ("Randomized controlled trial", "rct"), ("survey", "cross-sectional"),
    ("position statement", "guideline"), ("cadaver study", "laboratory"),
    ("sytematic-review", "systematic-review"),
])
def test_nearest_design_term(word, term) -> None:
    assert nearest_design(word) is Design(term)


def test_check_hints_the_nearest_design_term(tmp_path) -> None:
    base = make_kb(tmp_path)
    text = (base / "claims.yaml").read_text(encoding="utf-8")
    (base / "claims.yaml").write_text(text.replace("design: cross-sectional",
                                                   "design: survey study"), encoding="utf-8")
    _, report = load_kb(str(base))
    [p] = [p for p in report.problems if p.code == "schema-vocabulary"]
    assert "cross-sectional" in p.hint and p.line is not None


def test_check_warns_about_defaulted_certainty_and_passes(tmp_path) -> None:
    base = make_kb(tmp_path)
    text = (base / "claims.yaml").read_text(encoding="utf-8")
    (base / "claims.yaml").write_text(
        text.replace("        certainty: low\n        outcome: pain\n", "        outcome: pain\n"),
        encoding="utf-8")
    _, report = load_kb(str(base))
    assert report.valid
    [p] = [p for p in report.problems if p.code == "link-certainty-default"]
    assert "alpha2020trial" in p.message and "high" in p.message
    assert p.path == "claims[1].evidence[1]" and p.line is not None


def test_short_form_and_contradicts_are_checked(tmp_path) -> None:
    base = make_kb(tmp_path)
    text = (base / "claims.yaml").read_text(encoding="utf-8")
    text = text.replace("    statement: Needling is very safe.\n",
                        "    statement: Needling is very safe.\n    short: " + "x" * 80 + "\n"
                        "    contradicts: [short-term-pain, no-such-claim]\n")
    (base / "claims.yaml").write_text(text, encoding="utf-8")
    kb, report = load_kb(str(base))
    codes = {(p.code, p.path) for p in report.problems}
    assert ("claim-short-long", "claims[0].short") in codes
    assert ("claim-contradicts-unknown", "claims[0].contradicts[1]") in codes
    assert not any(p.path == "claims[0].contradicts[0]" for p in report.problems)
    assert kb.claims[0].contradicts == ("short-term-pain", "no-such-claim")
