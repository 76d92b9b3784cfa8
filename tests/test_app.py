"""The dashboard's wiring (AppTest): every page renders the bundled base, deep links land on
the right page, unknown ids and a broken base give messages instead of tracebacks."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import BROKEN, ROOT, make_kb

APP = str(ROOT / "app.py")


def page_script(page: str) -> None:
    from dashboard import nav

    nav._renderer(page)()


def run_app(monkeypatch: pytest.MonkeyPatch, kb_dir: Path | str = ROOT, **params: str) -> AppTest:
    monkeypatch.setenv("KB_DIR", str(kb_dir))
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def run_page(monkeypatch: pytest.MonkeyPatch, page: str, kb_dir: Path | str = ROOT,
             **params: str) -> AppTest:
    monkeypatch.setenv("KB_DIR", str(kb_dir))
    at = AppTest.from_function(page_script, kwargs={"page": page}, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [str(x.value) for x in (*at.title, *at.subheader, *at.warning, *at.error, *at.info,
                                     *at.success)]
    return "\n".join(parts)


def test_overview_counts_and_table(monkeypatch) -> None:
    from kb.grading import grade_all
    from kb.load import load_kb

    at = run_app(monkeypatch)
    assert at.title[0].value == "What does the evidence say?"
    kb, report = load_kb(str(ROOT))
    grades = grade_all(kb, report)
    metrics = {m.label: m.value for m in at.metric}
    supported = sum(g.verdict.value == "supported" for g in grades.values())
    assert metrics["✅ Supported"] == str(supported)
    lacking = sum(g.lacking_long_term for g in grades.values())
    assert metrics["⏳ Lacking long-term trials"] == str(lacking)
    table = at.dataframe[0].value
    assert len(table) == len(kb.claims)


def test_overview_filters(monkeypatch) -> None:
    at = run_app(monkeypatch)
    at.text_input(key="ov_search").input("lidocaine").run()
    assert list(at.dataframe[0].value["claim"].str.extract(r"claim=(.*)$")[0]) == [
        "as-effective-as-lidocaine"]
    at.text_input(key="ov_search").input("").run()
    at.toggle(key="ov_lacking").set_value(True).run()
    assert all(v.endswith("lacking") for v in at.dataframe[0].value["long-term trials"])


@pytest.mark.parametrize("page", ["overview", "article", "claim", "studies", "graph", "gaps",
                                  "check"])
def test_every_page_renders(monkeypatch, page: str) -> None:
    at = run_page(monkeypatch, page)
    assert at.title


def test_deep_link_to_claim(monkeypatch) -> None:
    at = run_app(monkeypatch, claim="as-effective-as-lidocaine")
    assert at.title[0].value.startswith("Dry needling can be as effective as lidocaine")
    body = texts(at)
    assert "Computed verdict" in body and "Why:" in body
    assert at.selectbox[0].value == "as-effective-as-lidocaine"
    assert not at.dataframe[0].value.empty


def test_deep_link_to_study(monkeypatch) -> None:
    at = run_app(monkeypatch, study="gattie2021dry")
    body = texts(at)
    assert at.title[0].value == "Studies" and "Verified at" in body
    assert "Impact: verdicts without this study" in body


def test_unknown_ids_say_so(monkeypatch) -> None:
    assert "There is no claim with id “nope”" in texts(run_app(monkeypatch, claim="nope"))
    assert "There is no study with key “nope”" in texts(run_app(monkeypatch, study="nope"))
    assert "There is no node “nope”" in texts(run_app(monkeypatch, node="nope"))


def test_broken_base_shows_check_page_and_what_loads(monkeypatch, tmp_path: Path) -> None:
    kb_dir = make_kb(tmp_path, claims=BROKEN / "unknown_study.claims.yaml")
    at = run_app(monkeypatch, kb_dir)
    assert any("problems in the knowledge base" in e.value for e in at.error)
    at = run_page(monkeypatch, "check", kb_dir)
    assert "claim-unknown-study" in at.code[0].value
    at = run_page(monkeypatch, "overview", kb_dir)
    assert "⚠️ Not graded" in list(at.dataframe[0].value["verdict"])


def test_unloadable_base_opens_check(monkeypatch, tmp_path: Path) -> None:
    kb_dir = make_kb(tmp_path, claims=BROKEN / "yaml_syntax.claims.yaml")
    at = run_app(monkeypatch, kb_dir)
    assert at.title[0].value == "Check"
    assert "yaml-syntax" in at.code[0].value


def test_edit_is_seen_on_rerun(monkeypatch, tmp_path: Path) -> None:
    kb_dir = make_kb(tmp_path)
    at = run_page(monkeypatch, "overview", kb_dir)
    assert "Needling is very safe." in list(at.dataframe[0].value["statement"])
    path = kb_dir / "claims.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "statement: Needling is very safe.", "statement: Needling is quite safe."),
        encoding="utf-8")
    at.run()
    assert "Needling is quite safe." in list(at.dataframe[0].value["statement"])


def test_claim_page_summary_of_findings_and_forest_plot(monkeypatch) -> None:
    import json

    from conftest import FIXTURES

    at = run_page(monkeypatch, "claim", FIXTURES / "kb_sof", claim="short-term-pain")
    assert "Summary of findings" in [s.value for s in at.subheader]
    sof = next(d.value for d in at.dataframe if "Outcome" in d.value.columns)
    assert list(sof.columns) == ["Outcome", "№ of participants (studies)", "Certainty",
                                 "Effect (95% CI)", "Follow-up", "What happens"]
    assert sof.iloc[0]["№ of participants (studies)"] == "320 (2 studies; 1 more within a review)"
    assert sof.iloc[0]["Certainty"].startswith("⊕⊕⊕◯ MODERATE [1]")
    assert "Assessors were not blinded" in texts(at)
    assert "not a systematic review" in texts(at)
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    forest = [s for s in specs if "diamond" in json.dumps(s)]
    assert len(forest) == 1
    rows = forest[0]["layer"][0]["encoding"]["y"]["sort"]
    assert rows[:3] == ["gamma2021review", "alpha2020trial", "beta2022trial"]
    assert rows[3].startswith("Pooled, I² ") and rows[3].endswith("(exploratory)")


def test_summary_of_findings_only_for_effect_claims(monkeypatch) -> None:
    from conftest import FIXTURES

    at = run_page(monkeypatch, "claim", FIXTURES / "kb_sof", claim="long-term-unknown")
    assert "Summary of findings" not in [s.value for s in at.subheader]
    at = run_page(monkeypatch, "claim", FIXTURES / "kb_sof", claim="very-safe")
    assert "Summary of findings" in [s.value for s in at.subheader]
    assert not any("diamond" in c.proto.spec for c in at.get("vega_lite_chart"))
