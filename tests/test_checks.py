"""kb.checks and kb.problems: cross-file checks, the report, and that every code is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import KB_MIN, ROOT, make_kb
from kb.load import load_kb
from kb.problems import Report, Severity, error, warning


def all_codes() -> set[str]:
    codes = set()
    for path in (ROOT / "kb").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        codes |= set(re.findall(r'\b(?:error|warning)\(\s*"([a-z0-9-]+)"', text, re.S))
    return codes


def test_every_problem_code_is_documented() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    codes = all_codes()
    assert len(codes) > 30
    missing = sorted(c for c in codes if f"`{c}`" not in readme)
    assert not missing, f"document these codes in the README: {missing}"


def test_report_render_and_dict() -> None:
    report = Report.of([warning("study-unused", "claims.yaml", 9, "m", "h", path="studies.x"),
                        error("yaml-syntax", "claims.yaml", 3, "bad", "fix", column=4)])
    assert not report.valid and len(report.errors) == 1
    lines = report.render().splitlines()
    assert lines[0] == "claims.yaml:3:4: error yaml-syntax: bad (hint: fix)"
    assert lines[1] == "claims.yaml:9: warning study-unused: [studies.x] m (hint: h)"
    assert lines[-1] == "1 error, 1 warning"
    assert report.to_dict()["problems"][1]["severity"] == Severity.WARNING.value
    # a problem that stops the whole file is listed first, in JSON as in text
    assert report.codes() == [("yaml-syntax", "claims.yaml", 3), ("study-unused", "claims.yaml", 9)]


def test_article_change_says_which_anchors_hold(tmp_path: Path) -> None:
    kb_dir = make_kb(tmp_path)
    text = (kb_dir / "article.txt").read_text(encoding="utf-8")
    (kb_dir / "article.txt").write_text(text.replace("It helps pain", "It eases pain"),
                                        encoding="utf-8")
    _, report = load_kb(str(kb_dir))
    codes = [p.code for p in report.errors]
    assert codes == ["claim-quote-not-found", "article-changed"]
    changed = report.errors[1].message
    assert "still hold: 2 (very-safe, long-term-unknown)" in changed
    assert "broken: 1 (short-term-pain)" in changed


def test_article_path_may_not_leave_the_folder(tmp_path: Path) -> None:
    text = (KB_MIN / "claims.yaml").read_text(encoding="utf-8").replace(
        "text: article.txt", "text: ../../etc/passwd")
    _, report = load_kb(str(make_kb(tmp_path, claims=text)))
    assert [p.code for p in report.errors] == ["article-path"]


def test_warnings_for_editors(tmp_path: Path) -> None:
    text = (KB_MIN / "claims.yaml").read_text(encoding="utf-8")
    text = text.replace("    not_checkable_reason: A statement about ignorance.\n", "")
    text = text.replace("  - id: very-safe\n", "  - id: very-safe\n    review:\n      status: reviewed\n")
    _, report = load_kb(str(make_kb(tmp_path, claims=text)))
    assert report.valid
    assert {p.code for p in report.warnings} == {"claim-not-checkable-reason", "review-incomplete"}


def _min_claims() -> str:
    return (KB_MIN / "claims.yaml").read_text(encoding="utf-8")


def test_one_pass_lists_schema_quote_link_and_bibliography_problems(tmp_path: Path) -> None:
    text = (_min_claims()
            .replace("retrieved: 2026-11-01", "retrieved: 1 Nov 2026")        # line 6
            .replace("url: https://example.org/needles", "url: example.org/needles")  # line 5
            .replace("Needling is \"very safe\" for most people.",
                     "Needling is safe for everyone.")                        # line 33
            .replace("It helps pain in the short term.", "It cures pain.")    # line 42
            .replace("    kind: efficacy\n", "    kind: efficacyy\n")         # line 44
            .replace("      - study: alpha2020trial\n", "      - study: alpha2020trail\n"))  # 52
    bib = (KB_MIN / "references.bib").read_text(encoding="utf-8").replace(
        "  doi     = {10.1234/rt.2021.2},", "  doi     = {rt.2021.2},")           # line 17
    _, report = load_kb(str(make_kb(tmp_path, claims=text, bib=bib)))
    assert sorted(report.codes()) == sorted([
        ("schema-value", "claims.yaml", 5),
        ("schema-type", "claims.yaml", 6),
        ("claim-quote-not-found", "claims.yaml", 33),
        ("schema-vocabulary", "claims.yaml", 44),
        ("claim-quote-not-found", "claims.yaml", 42),
        ("claim-unknown-study", "claims.yaml", 52),
        ("bib-doi-malformed", "references.bib", 17),
    ])


def test_verified_urls_must_be_linkable(tmp_path: Path) -> None:
    text = _min_claims().replace("      - url: https://example.org/alpha",
                                 "      - url: https://example.org/a b")          # line 15
    _, report = load_kb(str(make_kb(tmp_path, claims=text)))
    assert report.codes() == [("schema-value", "claims.yaml", 15)]


def test_a_duplicate_key_is_reported_once_where_it_is(tmp_path: Path) -> None:
    # An editor pasted a second trial but kept the first one's key; the claims cite the key
    # the new entry was meant to have.
    bib = (KB_MIN / "references.bib").read_text(encoding="utf-8") + (
        "\n@article{alpha2020trial,\n  author = {Alpha, Ann},\n  title = {A second trial},\n"
        "  journal = {Journal of Tests},\n  year = {2020},\n}\n")               # line 28
    text = _min_claims().replace("      - study: alpha2020trial\n",
                                 "      - study: alpha2020trialb\n")
    text = text.replace("  delta2019survey:\n", "  alpha2020trialb:\n    design: rct\n    verified:\n"
                        "      - url: https://example.org/b\n        date: 2026-11-01\n"
                        "  delta2019survey:\n")
    _, report = load_kb(str(make_kb(tmp_path, claims=text, bib=bib)))
    errors = [(p.code, p.file, p.line) for p in report.errors]
    assert errors == [("bib-duplicate-key", "references.bib", 28)]
    assert "alpha2020trialb" in report.errors[0].message


def _line_of(text: str, needle: str, after: str = "") -> int:
    start = text.index(after) if after else 0
    return text[:text.index(needle, start)].count("\n") + 1


def test_certainty_against_design_and_downgrades(tmp_path: Path) -> None:
    text = (KB_MIN / "claims.yaml").read_text(encoding="utf-8")
    # One downgrade fewer: an RCT down one level is moderate, but the link says low.
    text = text.replace("          - {domain: imprecision, level: serious, reason: One small trial.}\n",
                        "")
    _, report = load_kb(str(make_kb(tmp_path, claims=text)))
    line = _line_of(text, "certainty: low", after="study: alpha2020trial")
    assert report.codes() == [("certainty-inconsistent", "claims.yaml", line)]
    problem = report.warnings[0]
    assert problem.path == "claims[1].evidence[1].certainty"
    assert "short-term-pain" in problem.message and "alpha2020trial" in problem.message
    assert "'moderate'" in problem.message


@pytest.mark.parametrize(("design", "downgrades", "upgrades", "certainty", "flagged"), [
    ("rct", [], [], "high", False),
    ("rct", [], [], "low", True),
    ("rct", [("risk-of-bias", "very-serious")], [], "low", False),
    ("rct", [("risk-of-bias", "very-serious"), ("imprecision", "very-serious")], [],
     "very-low", False),  # never below very low
    ("cohort", [], [], "low", False),
    ("cohort", [], [("large-effect", "serious")], "moderate", False),
    ("cohort", [], [], "moderate", True),
    # A review's own rating stands unless the link gives the domains it rated down.
    ("systematic-review", [], [], "very-low", False),
    ("systematic-review", [("inconsistency", "serious")], [], "low", True),
    ("expert-opinion", [], [], "high", False),
])
def test_grade_start_levels(tmp_path: Path, design: str, downgrades: list[tuple[str, str]],
                            upgrades: list[tuple[str, str]], certainty: str,
                            flagged: bool) -> None:
    text = (KB_MIN / "claims.yaml").read_text(encoding="utf-8")
    text = text.replace("design: cross-sectional", f"design: {design}")
    moves = "".join(f"        {kind}:\n" + "".join(
        f"          - {{domain: {d}, level: {lv}, reason: A reason.}}\n" for d, lv in items)
        for kind, items in (("downgrades", downgrades), ("upgrades", upgrades)) if items)
    text = text.replace("        certainty: low\n        note: Few harms were reported.\n",
                        f"        certainty: {certainty}\n        note: Few harms were reported.\n"
                        + moves)
    _, report = load_kb(str(make_kb(tmp_path, claims=text)))
    assert report.valid
    assert [p.path for p in report.warnings if p.code == "certainty-inconsistent"] == (
        ["claims[0].evidence[0].certainty"] if flagged else [])


@pytest.mark.parametrize(("effect", "code"), [
    ("{measure: OR, value: -1.5}", "effect-ratio-not-positive"),
    ("{measure: MD, ci_low: -1, ci_high: 1}", "effect-no-value"),
    ("{measure: MD, value: 3, ci_low: -1, ci_high: 1}", "effect-interval-order"),
    ("{measure: MD, value: -0.5, ci_low: -1}", "effect-interval-incomplete"),
])
def test_effect_numbers_are_checked(tmp_path: Path, effect: str, code: str) -> None:
    text = (KB_MIN / "claims.yaml").read_text(encoding="utf-8")
    text = text.replace("        note: Few harms were reported.\n",
                        f"        note: Few harms were reported.\n        effect: {effect}\n")
    _, report = load_kb(str(make_kb(tmp_path, claims=text)))
    assert report.codes() == [(code, "claims.yaml", _line_of(text, "effect:"))]
    assert all(p.hint for p in report)


def test_effect_fields_load_and_derive_weeks(tmp_path: Path) -> None:
    text = (KB_MIN / "claims.yaml").read_text(encoding="utf-8").replace(
        "        note: One trial favours needling.\n",
        "        note: One trial favours needling.\n        participants: 60\n"
        "        checked: 2026-12-02\n"
        "        effect: {measure: MD, value: -1.2, ci_low: -2.0, ci_high: -0.4, unit: VAS 0-10,"
        " direction: lower is better, timepoint: 3 months, comparator: sham,"
        " source: 'https://example.org/alpha'}\n")
    kb, report = load_kb(str(make_kb(tmp_path, claims=text)))
    assert report.valid and not report.warnings
    link = kb.claims[1].evidence[1]
    assert link.participants == 60 and str(link.checked) == "2026-12-02"
    assert link.effect is not None and link.effect.timepoint_weeks == 13.0
    assert (link.effect.value, link.effect.ci_low, link.effect.ci_high) == (-1.2, -2.0, -0.4)
    assert [d.domain.value for d in link.downgrades] == ["risk-of-bias", "imprecision"]
