"""kb.sof: the summary of findings of a small base with stored effects, exploratory pooling
checked against DerSimonian-Laird computed by hand, informative statements, and `kb sof`."""

from __future__ import annotations

import json
import math

import pytest

from conftest import FIXTURES, ROOT
from kb.claimreview import claim_reviews
from kb.cli import main
from kb.grading import grade_all
from kb.load import load_kb
from kb.model import Certainty, Effect, EffectMeasure, Stance
from kb.report import ReportMeta, render_html, render_markdown
from kb.sof import (
    CERTAINTY_SYMBOLS,
    NOT_REPORTED,
    Finding,
    forest_plots,
    informative_statement,
    pool_effects,
    sof_records,
    sof_rows,
)

KB_SOF = FIXTURES / "kb_sof"


@pytest.fixture(scope="module")
def base():
    kb, report = load_kb(str(KB_SOF))
    assert report.valid and not report.warnings, report.render()
    return kb


def test_sof_numbers_come_from_the_stored_fields(base) -> None:
    claim = base.claim("short-term-pain")
    [row] = sof_rows(base, claim)
    links = {link.study: link for link in claim.evidence}
    assert row.outcome == "pain"  # "Pain" on one link: same outcome
    # alpha2020trial is included in gamma2021review: its patients are inside the review's count.
    assert row.studies == ("gamma2021review", "beta2022trial")
    assert row.inside == ("alpha2020trial",)
    assert row.participants == links["gamma2021review"].participants + links[
        "beta2022trial"].participants
    assert row.participants_text == "320 (2 studies; 1 more within a review)"
    assert row.certainty is Certainty.MODERATE
    assert row.certainty_text == f"{CERTAINTY_SYMBOLS[Certainty.MODERATE]} MODERATE"
    reasons = [d.reason for link in claim.evidence for d in link.downgrades]
    assert len(row.footnotes) == len(reasons) == 4
    assert all(r in note for r, note in zip(reasons, row.footnotes, strict=True))
    assert row.follow_up == "4 weeks to 12 weeks"
    assert row.horizon == "short-term"
    [pooled] = row.pooled
    assert pooled.studies == ("gamma2021review", "beta2022trial")
    assert pooled.left_out == (("alpha2020trial", "gamma2021review"),)
    assert row.effect.startswith("SMD −0.54 (95% CI −0.78 to −0.3), I² 0%")
    assert row.statement == "Needling probably reduces pain in the short term."


def test_narrative_effect_and_missing_effect(base, tmp_path) -> None:
    [row] = sof_rows(base, base.claim("very-safe"))
    assert row.effect == base.claim("very-safe").evidence[0].effect.text
    assert row.participants_text == "300 (1 study)"
    text = (KB_SOF / "claims.yaml").read_text(encoding="utf-8")
    start = text.index("        effect:\n          measure: narrative")
    end = text.index("  - id: short-term-pain")
    kb_dir = tmp_path / "kb"
    kb_dir.mkdir()
    for name in ("article.txt", "references.bib"):
        (kb_dir / name).write_bytes((KB_SOF / name).read_bytes())
    (kb_dir / "claims.yaml").write_text(text[:start] + text[end:], encoding="utf-8")
    kb, _ = load_kb(str(kb_dir))
    [row] = sof_rows(kb, kb.claim("very-safe"))
    assert row.effect == NOT_REPORTED == "not reported in the stored record"


def _finding(study: str, measure: str, value: float, low: float, high: float) -> Finding:
    effect = Effect(measure=EffectMeasure(measure), value=value, ci_low=low, ci_high=high)
    return Finding(claim_id="c", study=study, design=None, stance=Stance.SUPPORTS,
                   outcome="pain", participants=None, certainty=Certainty.LOW,
                   certainty_default=False, effect=effect,
                   downgrades=(), upgrades=(), follow_up=None, follow_up_weeks=None,
                   locator=None)


def _dl_by_hand(y: list[float], se: list[float]) -> tuple[float, float, float, float]:
    """DerSimonian-Laird: inverse-variance weights, Q, tau² = max(0, (Q-df)/C)."""
    w = [1 / s ** 2 for s in se]
    fixed = sum(wi * yi for wi, yi in zip(w, y)) / sum(w)
    q = sum(wi * (yi - fixed) ** 2 for wi, yi in zip(w, y))
    c = sum(w) - sum(wi ** 2 for wi in w) / sum(w)
    tau2 = max(0.0, (q - (len(y) - 1)) / c)
    w_re = [1 / (s ** 2 + tau2) for s in se]
    mean = sum(wi * yi for wi, yi in zip(w_re, y)) / sum(w_re)
    half = 1.959963984540054 * math.sqrt(1 / sum(w_re))
    i2 = max(0.0, (q - (len(y) - 1)) / q)
    return mean, mean - half, mean + half, i2


def test_pooled_mean_difference_equals_dersimonian_laird_by_hand() -> None:
    # Two heterogeneous trials: MD -2.0 (-3.0 to -1.0) and MD -0.5 (-1.3 to 0.3).
    pooled = pool_effects("pain", [_finding("a", "MD", -2.0, -3.0, -1.0),
                                   _finding("b", "MD", -0.5, -1.3, 0.3)])
    assert pooled is not None
    mean, low, high, i2 = _dl_by_hand([-2.0, -0.5], [2.0 / 3.92, 1.6 / 3.92])
    assert pooled.tau2 > 0
    assert pooled.value == pytest.approx(mean, abs=1e-9)
    assert (pooled.ci_low, pooled.ci_high) == (pytest.approx(low, abs=1e-9),
                                               pytest.approx(high, abs=1e-9))
    assert pooled.i2 == pytest.approx(i2, abs=1e-9)
    # Worked on paper: w = 3.8416, 6.0025; fixed -1.0854; Q 5.2705; C 4.6849; tau² 0.9115;
    # random-effects weights 0.8533, 0.9275; mean -2.1705 / 1.7809 = -1.219.
    assert round(pooled.value, 3) == -1.219
    assert round(pooled.tau2, 3) == 0.912


def test_pooled_ratio_is_combined_on_the_log_scale() -> None:
    pooled = pool_effects("pain", [_finding("a", "RR", 0.5, 0.25, 1.0),
                                   _finding("b", "RR", 0.8, 0.64, 1.0)])
    assert pooled is not None
    y = [math.log(0.5), math.log(0.8)]
    se = [(math.log(1.0) - math.log(0.25)) / 3.92, (math.log(1.0) - math.log(0.64)) / 3.92]
    mean, low, high, _ = _dl_by_hand(y, se)
    assert pooled.value == pytest.approx(math.exp(mean), abs=1e-9)
    assert pooled.ci_low == pytest.approx(math.exp(low), abs=1e-9)
    assert pooled.ci_high == pytest.approx(math.exp(high), abs=1e-9)


def test_homogeneous_effects_truncate_tau2_at_zero() -> None:
    pooled = pool_effects("pain", [_finding("a", "SMD", -0.5, -0.8, -0.2),
                                   _finding("b", "SMD", -0.6, -1.0, -0.2)])
    assert pooled is not None and pooled.tau2 == 0 and pooled.i2 == 0
    mean, low, high, _ = _dl_by_hand([-0.5, -0.6], [0.6 / 3.92, 0.8 / 3.92])
    assert (pooled.value, pooled.ci_low, pooled.ci_high) == (
        pytest.approx(mean), pytest.approx(low), pytest.approx(high))


def test_nothing_is_pooled_from_one_study() -> None:
    assert pool_effects("pain", [_finding("a", "MD", -2.0, -3.0, -1.0)]) is None
    same = [_finding("a", "MD", -2.0, -3.0, -1.0), _finding("a", "MD", -1.0, -2.0, 0.0)]
    assert pool_effects("pain", same) is None


@pytest.mark.parametrize(("certainty", "effect", "horizon", "expected"), [
    ("low", {"measure": "SMD", "value": -0.3, "ci_low": -0.5, "ci_high": -0.1,
             "direction": "lower is better"}, "short-term",
     "Needling may reduce pain slightly in the short term."),
    ("moderate", {"measure": "MD", "value": 2, "ci_low": 1, "ci_high": 3,
                  "direction": "higher is better"}, "long-term",
     "Needling probably improves pain in the long term."),
    ("high", {"measure": "RR", "value": 0.9, "ci_low": 0.7, "ci_high": 1.2}, None,
     "Needling results in little to no difference in pain."),
    ("low", {"measure": "RR", "value": 1.8, "ci_low": 1.2, "ci_high": 2.5,
             "direction": "lower is better"}, None, "Needling may increase pain."),
    ("very-low", {"measure": "SMD", "value": -0.3, "ci_low": -0.5, "ci_high": -0.1}, "immediate",
     "The evidence is very uncertain about the effect of needling on pain immediately after "
     "treatment."),
])
def test_informative_statements_follow_grade_wording(certainty, effect, horizon,
                                                     expected) -> None:
    assert informative_statement("Needling", "pain", Certainty(certainty), Effect(**effect),
                                 Stance.SUPPORTS, horizon) == expected


def test_forest_plot_rows(base) -> None:
    [plot] = forest_plots(base, base.claim("short-term-pain"))
    assert [r.study for r in plot.rows] == ["gamma2021review", "alpha2020trial",
                                            "beta2022trial", None]
    assert plot.rows[-1].label == "Pooled, I² 0% (exploratory)"
    assert plot.no_effect == 0 and not plot.log_scale and plot.unit == "VAS 0-10"
    assert forest_plots(base, base.claim("very-safe")) == []  # narrative only


def test_cli_sof_json_equals_library_records(base, capsys) -> None:
    assert main(["sof", "--kb", str(KB_SOF), "--no-cache", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert records == json.loads(json.dumps(sof_records(base)))
    gamma = next(r for r in records if r["study"] == "gamma2021review")
    assert (gamma["participants"], gamma["measure"], gamma["value"], gamma["ci_low"],
            gamma["ci_high"], gamma["follow_up_weeks"]) == (240, "SMD", -0.5, -0.8, -0.2, 12.0)
    assert gamma["downgrades"] == [{"domain": "inconsistency", "level": "serious",
                                    "reason": "Trials disagreed on the size of the effect."}]
    assert main(["sof", "short-term-pain", "--kb", str(KB_SOF), "--no-cache",
                 "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("claim,study,outcome,stance,participants,measure,value")
    assert len(lines) == 4
    assert main(["sof", "nope", "--kb", str(KB_SOF), "--no-cache"]) == 2


def test_report_and_claimreview_show_the_effect(base) -> None:
    grades = grade_all(base)
    meta = ReportMeta(generated="2026-12-02", version="x")
    md = render_markdown(base, grades, meta)
    assert "| pain | 320 (2 studies; 1 more within a review) | ⊕⊕⊕◯ MODERATE" in md
    assert "1. Gamma 2021: inconsistency (serious): Trials disagreed" in md
    html = render_html(base, grades, meta)
    assert '<table class="sof"><caption>Summary of findings</caption>' in html
    assert "SMD −0.54 (95% CI −0.78 to −0.3)" in html
    [review] = [r for r in claim_reviews(base, grades, site_url="https://x.example.org",
                                         author="t", date="2026-12-02")
                if r["url"].endswith("short-term-pain")]
    assert "Pain: SMD −0.54 (95% CI −0.78 to −0.3)" in review["reviewRating"]["ratingExplanation"]


def test_bundled_effect_claims_have_a_table() -> None:
    kb, _ = load_kb(str(ROOT))
    effect_claims = [c for c in kb.claims if c.kind.is_effect and c.checkable
                     and any(link.stance is not Stance.CONTEXT for link in c.evidence)]
    assert effect_claims
    for claim in effect_claims:
        rows = sof_rows(kb, claim)
        assert rows, claim.id
        for row in rows:  # every number shown comes from a link whose effect names its record
            for f in row.findings:
                if f.numeric:
                    assert f.effect is not None and f.effect.source, (claim.id, f.study)


def test_statement_names_what_the_number_measures(tmp_path) -> None:
    # One link, several outcomes in its text, one number: the unit says which one it measures;
    # a horizon word as the time point sets the horizon.
    text = (KB_SOF / "claims.yaml").read_text(encoding="utf-8").replace(
        "        outcome: Pain\n", "        outcome: pain, disability and range of motion\n").replace(
        "effect: {measure: SMD, value: -0.6, ci_low: -1.0, ci_high: -0.2, direction: lower is better,\n"
        "                 timepoint: 12 weeks,",
        "effect: {measure: SMD, value: -0.6, ci_low: -1.0, ci_high: -0.2, direction: lower is better,\n"
        "                 unit: pain intensity (standardised), timepoint: medium term,")
    kb_dir = tmp_path / "kb"
    kb_dir.mkdir()
    for name in ("article.txt", "references.bib"):
        (kb_dir / name).write_bytes((KB_SOF / name).read_bytes())
    (kb_dir / "claims.yaml").write_text(text, encoding="utf-8")
    kb, report = load_kb(str(kb_dir))
    assert report.valid
    row = next(r for r in sof_rows(kb, kb.claim("short-term-pain"))
               if r.outcome.startswith("pain, disability"))
    assert row.statement == "Needling probably reduces pain intensity in the intermediate term."
