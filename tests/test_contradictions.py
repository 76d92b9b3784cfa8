"""Internal contradictions: `contradicts:` between two claims of one article, candidate pairs
from the graph (a study supports one claim and refutes the other), and where they are shown."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from conftest import ROOT, make_kb
from kb.cli import main
from kb.grading import grade_all
from kb.graph import contradicting, contradictions
from kb.load import load_kb
from kb.report import ReportMeta, render_html, render_markdown


def with_contradiction(tmp_path):
    """The minimal base where 'very-safe' is declared to contradict 'short-term-pain', and a
    study supports 'short-term-pain' while refuting 'long-term-unknown'."""
    base = make_kb(tmp_path)
    text = (base / "claims.yaml").read_text(encoding="utf-8")
    text = text.replace("    statement: Needling is very safe.\n",
                        "    statement: Needling is very safe.\n"
                        "    contradicts: [short-term-pain]\n")
    text = text.replace(
        "    statement: The long-term effect is unknown.\n    kind: state-of-evidence\n",
        "    statement: The long-term effect is unknown.\n    kind: state-of-evidence\n"
        "    evidence:\n      - study: alpha2020trial\n        stance: refutes\n"
        "        certainty: low\n        note: A trial followed patients.\n")
    (base / "claims.yaml").write_text(text, encoding="utf-8")
    return base


def test_declared_and_candidate_pairs(tmp_path) -> None:
    kb, report = load_kb(str(with_contradiction(tmp_path)))
    assert report.valid, report.render()
    found = contradictions(kb)
    assert [(c.claim, c.other, c.declared) for c in found] == [
        ("very-safe", "short-term-pain", True),
        ("short-term-pain", "long-term-unknown", False)]
    assert found[1].studies == ("alpha2020trial",)
    assert contradicting(kb, "short-term-pain") == ("very-safe",)  # either direction
    assert contradicting(kb, "long-term-unknown") == ()


def test_cli_lists_them(tmp_path, capsys) -> None:
    base = with_contradiction(tmp_path)
    assert main(["contradictions", "--kb", str(base), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data[0] == {"claim": "very-safe", "other": "short-term-pain", "declared": True,
                       "studies": []}
    assert main(["contradictions", "--kb", str(base)]) == 0
    assert "candidate" in capsys.readouterr().out


def test_report_shows_them(tmp_path) -> None:
    kb, report = load_kb(str(with_contradiction(tmp_path)))
    grades = grade_all(kb, report)
    meta = ReportMeta(generated="2026-12-02", version="v")
    md = render_markdown(kb, grades, meta)
    assert "**The article contradicts itself here:** Needling reduces pain" in md
    html = render_html(kb, grades, meta)
    assert 'contradicts itself here:</strong> <a href="#very-safe">' in html


def page_script() -> None:
    from dashboard import claim

    claim.render()


def test_claim_page_shows_them(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("KB_DIR", str(with_contradiction(tmp_path)))
    at = AppTest.from_function(page_script, default_timeout=60)
    at.query_params["claim"] = "short-term-pain"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    [warning] = [w for w in at.warning if "contradicts itself" in w.value]
    assert "Needling is very safe" in warning.value and "claim=very-safe" in warning.value


def test_bundled_base_has_candidates() -> None:
    kb, _ = load_kb(str(ROOT))
    assert all(not c.declared and c.studies for c in contradictions(kb))
