"""State-of-evidence claims graded from the base (rules S1-S4), the three-valued long-term
flag for every claim kind, and verdicts that carry their time frame."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import KB_MIN, ROOT, make_kb
from kb.claimreview import claim_reviews
from kb.cli import main
from kb.grading import grade, grade_all
from kb.load import load_kb
from kb.model import (Appraisal, Claim, ClaimKind, EvidenceLink, LongTerm, Verdict,
                      as_data, validate)
from kb.report import ReportMeta, render_html, render_markdown
from kb.rules import LONG_TERM_SCOPE, long_term_applies

# kb_min's last claim, made a checkable claim that long-term evidence is lacking, with the
# review linked in support (it reports scarce long-term data).
LACKING_CLAIM = """  - id: long-term-unknown
    quote: Nobody knows the long-term effect.
    statement: The long-term effect is unknown.
    kind: state-of-evidence
    horizon: long-term
    evidence:
      - study: gamma2021review
        stance: supports
        certainty: low
        note: The review reports that few trials followed patients beyond six months.
"""


def base_text(*, trial_follow_up: str = "12 weeks", link_follow_up: str | None = None) -> str:
    text = (KB_MIN / "claims.yaml").read_text(encoding="utf-8")
    text = text[:text.index("  - id: long-term-unknown")] + LACKING_CLAIM
    text = text.replace("    participants: 60\n    follow_up: 12 weeks\n",
                        f"    participants: 60\n    follow_up: {trial_follow_up}\n")
    if link_follow_up:
        text = text.replace("        note: One trial favours needling.\n",
                            f"        note: One trial favours needling.\n"
                            f"        follow_up: {link_follow_up}\n")
    return text


def graded(tmp_path: Path, text: str):
    kb, report = load_kb(str(make_kb(tmp_path, claims=text)))
    assert report.valid, report.render()
    return kb, grade_all(kb, report)


def test_no_long_term_trial_supports_the_claim(tmp_path: Path) -> None:
    _, grades = graded(tmp_path, base_text())
    g = grades["long-term-unknown"]
    assert (g.verdict, g.rule, g.certainty) == (Verdict.SUPPORTED,
                                                "S2-long-term-support-lacking", None)
    assert g.reason == ("S2-long-term-support-lacking: Of 1 trial in the base, none followed "
                        "patients for 52 weeks or more; 1 review reports scarce long-term data "
                        "(gamma2021review).")
    assert g.long_term is LongTerm.LACKING and g.lacking_long_term


def test_long_term_trial_without_long_term_support(tmp_path: Path) -> None:
    # The trial ran for a year, but its supporting result is a 12-week one.
    _, grades = graded(tmp_path, base_text(trial_follow_up="12 months",
                                           link_follow_up="12 weeks"))
    g = grades["long-term-unknown"]
    assert g.rule == "S2-long-term-support-lacking"
    assert ("Of 1 trial in the base, 1 followed patients for 52 weeks or more "
            "(alpha2020trial), and none of those supports the effect") in g.reason


def test_long_term_trial_supporting_the_effect_contradicts(tmp_path: Path) -> None:
    _, grades = graded(tmp_path, base_text(trial_follow_up="12 months",
                                           link_follow_up="12 months"))
    g = grades["long-term-unknown"]
    assert (g.verdict, g.rule) == (Verdict.CONTRADICTED, "S1-long-term-support-found")
    assert "1 of those supports the effect (alpha2020trial)" in g.reason
    assert g.long_term is LongTerm.HAS_LONG_TERM_EVIDENCE
    assert grades["short-term-pain"].long_term is LongTerm.HAS_LONG_TERM_EVIDENCE


def test_base_without_trials(tmp_path: Path) -> None:
    text = base_text().replace("    design: rct\n", "    design: cohort\n")
    _, grades = graded(tmp_path, text)
    g = grades["long-term-unknown"]
    assert (g.verdict, g.rule) == (Verdict.LIMITED, "S3-reviews-only")
    assert g.reason.startswith("S3-reviews-only: The base holds no trials; 1 review reports")
    no_review = text[:text.index("    evidence:\n      - study: gamma2021review\n        "
                                 "stance: supports\n        certainty: low\n        note: The")]
    _, grades = graded(tmp_path / "silent", no_review)
    assert grades["long-term-unknown"].verdict is Verdict.NO_EVIDENCE
    assert grades["long-term-unknown"].rule == "S4-base-silent"


def test_impact_drill_regrades_from_the_base_without_the_study(tmp_path: Path) -> None:
    from kb.graph import claims_resting_on

    kb, _ = load_kb(str(make_kb(tmp_path, claims=base_text(trial_follow_up="12 months",
                                                            link_follow_up="12 months"))))
    rows = {r.claim_id: r for r in claims_resting_on(kb, "alpha2020trial")}
    # The state-of-evidence claim does not cite the trial but is graded from it.
    row = rows["long-term-unknown"]
    assert row.stance == "counted in the base"
    assert (row.verdict_before, row.verdict_after) == (Verdict.CONTRADICTED, Verdict.LIMITED)
    assert "long-term-unknown" not in {r.claim_id for r in claims_resting_on(kb, "delta2019survey")}


VERIFIED = [{"url": "https://example.org/x", "date": "2026-11-01"}]
STUDIES = {"t": validate(Appraisal, {"design": "rct", "follow_up": "12 weeks",
                                          "verified": VERIFIED})}


def one(kind: str, horizon: str | None = None, checkable: bool = True) -> Claim:
    return Claim(id="c", quote="q", statement="s", kind=ClaimKind(kind), horizon=horizon,
                 checkable=checkable, evidence=[EvidenceLink(
                     study="t", stance="supports", certainty="moderate", note="n")])


@pytest.mark.parametrize(("kind", "horizon", "expected"), [
    ("efficacy", None, LongTerm.LACKING),
    ("comparative-efficacy", None, LongTerm.LACKING),
    ("safety", None, LongTerm.NOT_APPLICABLE),  # e.g. discomfort during a session
    ("safety", "long-term", LongTerm.LACKING),  # harms over time
    ("state-of-evidence", None, LongTerm.NOT_APPLICABLE),
    ("state-of-evidence", "long-term", LongTerm.LACKING),
    ("mechanism", None, LongTerm.NOT_APPLICABLE),
    ("definition", None, LongTerm.NOT_APPLICABLE),
    ("procedure", None, LongTerm.NOT_APPLICABLE),
    ("etiology", None, LongTerm.NOT_APPLICABLE),
    ("practice", None, LongTerm.NOT_APPLICABLE),
])
def test_three_valued_flag_per_claim_kind(kind: str, horizon: str | None,
                                          expected: LongTerm) -> None:
    c = one(kind, horizon)
    assert grade(c, STUDIES).long_term is expected
    assert long_term_applies(c) is (expected is not LongTerm.NOT_APPLICABLE)
    long = {"t": validate(Appraisal, {**as_data(STUDIES["t"]), "follow_up": "2 years"})}
    if expected is LongTerm.LACKING and kind != "state-of-evidence":
        assert grade(c, long).long_term is LongTerm.HAS_LONG_TERM_EVIDENCE
    assert grade(one(kind, horizon, checkable=False), STUDIES).long_term is (
        LongTerm.NOT_APPLICABLE)


def test_flag_scope_is_defined_once_and_covers_every_kind() -> None:
    kinds = [s.kind for s in LONG_TERM_SCOPE]
    assert len(kinds) == len(set(kinds))
    assert {ClaimKind.MECHANISM, ClaimKind.DEFINITION, ClaimKind.PROCEDURE}.isdisjoint(kinds)


def test_verdict_carries_its_time_frame() -> None:
    c = Claim(id="c", quote="q", statement="s", kind=ClaimKind.EFFICACY, evidence=[
        EvidenceLink(study="t", stance="supports", certainty="moderate", note="n"),
        EvidenceLink(study="u", stance="supports", certainty="low", note="n",
                     follow_up="4 weeks")])
    studies = {**STUDIES, "u": STUDIES["t"]}
    g = grade(c, studies)
    assert g.verdict is Verdict.SUPPORTED and g.covers_weeks == 12
    assert g.statement == ("This is probably true for up to 12 weeks. "
                           "There is no evidence beyond.")
    assert "The supporting evidence covers follow-up for up to 12 weeks." in g.reason
    # Very low certainty: no time frame is claimed.
    weak = validate(Claim, {**as_data(c), "evidence": [
        {**as_data(e), "certainty": "very-low"} for e in c.evidence]})
    assert grade(weak, studies).covers_weeks is None


def test_exports_carry_the_flag_and_time_frame(tmp_path: Path, capsys) -> None:
    kb_dir = make_kb(tmp_path, claims=base_text())
    assert main(["verdicts", "--kb", str(kb_dir), "--no-cache", "--format", "json"]) == 0
    records = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert {r["id"]: r["long_term"] for r in records.values()} == {
        "very-safe": "not-applicable", "short-term-pain": "lacking",
        "long-term-unknown": "lacking"}
    assert all(r["lacking_long_term"] is (r["long_term"] == "lacking")
               for r in records.values())
    assert main(["verdicts", "--kb", str(kb_dir), "--no-cache"]) == 0
    table = capsys.readouterr().out
    assert re.search(r"very-safe\s+limited\s+low\s+n/a", table)
    kb, report = load_kb(str(kb_dir))
    grades = grade_all(kb, report)
    meta = ReportMeta(generated="2026-12-02", version="x")
    assert "long-term evidence: n/a" in render_markdown(kb, grades, meta)
    assert "long-term evidence: ⏳ lacking" in render_html(kb, grades, meta)
    short = grades["short-term-pain"]
    assert "for up to 12 weeks" in short.statement
    [review] = [r for r in claim_reviews(kb, grades, site_url="https://x.example.org",
                                         author="t", date="2026-12-02")
                if r["url"].endswith("short-term-pain")]
    assert short.statement in review["reviewRating"]["ratingExplanation"]


def test_bundled_no_long_term_trials_is_graded_from_the_base() -> None:
    kb, report = load_kb(str(ROOT))
    g = grade_all(kb, report)["no-long-term-trials"]
    assert g.rule.startswith("S") and g.certainty is None
    trials = [k for k, a in kb.studies.items() if a.design.is_trial]
    long_term = [k for k in trials if (w := kb.studies[k].follow_up_weeks) is not None
                 and w >= kb.settings.long_term_weeks]
    m = re.search(r"Of (\d+) trials in the base, (\d+|none) followed patients for 52 weeks "
                  r"or more.*; (\d+) reviews? reports? scarce long-term data", g.reason)
    assert m, g.reason
    assert int(m[1]) == len(trials)
    assert (0 if m[2] == "none" else int(m[2])) == len(long_term)
    # The claim says long-term evidence is lacking: it never reads as the opposite.
    assert g.long_term is LongTerm.LACKING or g.verdict is Verdict.CONTRADICTED
