"""Links without `certainty` (a context link, and a supporting link graded with its design's
default) go through every command, export, report and dashboard page without a crash, and
are shown with the certainty they are graded with."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from conftest import make_kb
from kb.cli import main


@pytest.fixture
def base(tmp_path):
    base = make_kb(tmp_path)
    text = (base / "claims.yaml").read_text(encoding="utf-8")
    text = text.replace("        certainty: low\n        outcome: pain\n", "        outcome: pain\n")
    text = text.replace(
        "    statement: Needling is very safe.\n    kind: safety\n    evidence:\n",
        "    statement: Needling is very safe.\n    kind: safety\n    evidence:\n"
        "      - study: gamma2021review\n        stance: context\n"
        "        note: Background on who was treated.\n")
    (base / "claims.yaml").write_text(text, encoding="utf-8")
    return base


COMMANDS = [["verdicts", "--format", "json"], ["verdicts"], ["graph", "--format", "json"],
            ["graph"], ["gaps"], ["impact", "alpha2020trial"], ["overlap"], ["orphans"],
            ["contradictions"], ["report", "--format", "html", "--date", "2026-12-02"],
            ["report", "--date", "2026-12-02"], ["export", "csl"],
            ["export", "claimreview", "--site-url", "https://x.example.org"]]


@pytest.mark.parametrize("argv", COMMANDS, ids=[" ".join(a[:2]) for a in COMMANDS])
def test_every_command_runs(base, capsys, argv) -> None:
    assert main([*argv[:1], "--kb", str(base), *argv[1:]]) == 0
    assert capsys.readouterr().out


def test_check_passes_and_verdicts_use_the_default(base, capsys) -> None:
    assert main(["check", str(base)]) == 0
    out = capsys.readouterr().out
    assert "link-certainty-default" in out and "gamma2021review" not in out.split(
        "link-certainty-default")[1].split("\n")[0]
    assert main(["verdicts", "--kb", str(base), "--format", "json"]) == 0
    claims = {c["id"]: c for c in json.loads(capsys.readouterr().out)}
    links = {e["study"]: e["certainty"] for e in claims["short-term-pain"]["evidence"]}
    assert links["alpha2020trial"] == "low"  # an RCT starts high; two serious downgrades
    assert {e["study"]: e["certainty"] for e in claims["very-safe"]["evidence"]}[
        "gamma2021review"] is None


def page_script(page: str) -> None:
    import importlib

    importlib.import_module(f"dashboard.{page}").render()


@pytest.mark.parametrize("page, params", [
    ("overview", {}), ("article", {}), ("claim", {"claim": "short-term-pain"}),
    ("claim", {"claim": "very-safe"}), ("studies", {"study": "alpha2020trial"}),
    ("graph", {}), ("gaps", {}), ("check", {})])
def test_every_page_renders(base, monkeypatch, page, params) -> None:
    monkeypatch.setenv("KB_DIR", str(base))
    at = AppTest.from_function(page_script, kwargs={"page": page}, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
