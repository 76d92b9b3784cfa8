"""kb.cli: thin commands over the library; JSON equals the library's data; help everywhere."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BROKEN, KB_MIN, ROOT, make_kb
from kb.cli import build_parser, main
from kb.exports import verdict_records
from kb.grading import grade_all
from kb.load import load_kb


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_every_command_has_help_and_is_in_the_readme() -> None:
    parser = build_parser()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        assert p.description, name
        assert f"kb {name}" in readme, f"'kb {name}' is not documented in the README"


def test_check_json_equals_library_report(capsys, tmp_path: Path) -> None:
    kb_dir = make_kb(tmp_path, claims=BROKEN / "unknown_study.claims.yaml")
    code, out, _ = run(capsys, "check", "--kb", str(kb_dir), "--format", "json")
    assert code == 1
    assert json.loads(out) == load_kb(str(kb_dir))[1].to_dict()


def test_check_text_is_compiler_style(capsys, tmp_path: Path) -> None:
    kb_dir = make_kb(tmp_path, claims=BROKEN / "unknown_study.claims.yaml")
    code, out, _ = run(capsys, "check", "--kb", str(kb_dir))
    assert code == 1
    assert out.splitlines()[0].startswith("claims.yaml:52: error claim-unknown-study:")
    assert "did you mean 'alpha2020trial'?" in out


def test_check_clean_base_exits_zero(capsys) -> None:
    code, out, _ = run(capsys, "check", "--kb", str(KB_MIN))
    assert (code, out.strip()) == (0, "0 errors, 0 warnings")


def test_verdicts_json_is_the_stable_interface(capsys) -> None:
    code, out, _ = run(capsys, "verdicts", "--kb", str(KB_MIN), "--format", "json")
    assert code == 0
    data = json.loads(out)
    kb, report = load_kb(str(KB_MIN))
    assert data == verdict_records(kb, grade_all(kb, report))
    required = {"id", "quote", "statement", "kind", "verdict", "certainty", "lacking_long_term",
                "long_term", "rule", "reason", "override", "evidence"}
    for row in data:
        assert required <= set(row)
        assert isinstance(row["lacking_long_term"], bool)
        assert row["long_term"] in ("lacking", "has-long-term-evidence", "not-applicable")
        assert row["lacking_long_term"] is (row["long_term"] == "lacking")
        for e in row["evidence"]:
            assert set(e) == {"study", "stance", "certainty"}


@pytest.mark.parametrize("fmt", ["table", "csv", "markdown"])
def test_verdicts_other_formats(capsys, fmt: str) -> None:
    code, out, _ = run(capsys, "verdicts", "--kb", str(KB_MIN), "--format", fmt)
    assert code == 0 and "short-term-pain" in out and "supported" in out


def test_impact_overlap_gaps_graph_orphans(capsys, tmp_path: Path) -> None:
    code, out, _ = run(capsys, "impact", "gamma2021review", "--kb", str(KB_MIN), "--format", "json")
    assert code == 0 and json.loads(out)["claims"][0]["verdict_after"] == "limited"
    code, out, err = run(capsys, "impact", "nobody", "--kb", str(KB_MIN))
    assert code == 2 and "no study 'nobody'" in err
    assert run(capsys, "overlap", "--kb", str(KB_MIN))[0] == 0
    code, out, _ = run(capsys, "gaps", "--kb", str(KB_MIN), "--format", "json")
    assert json.loads(out)["short-term-pain"]["short-term"]["studies"] == 2
    target = tmp_path / "g.graphml"
    assert run(capsys, "graph", "--kb", str(KB_MIN), "-o", str(target))[0] == 0
    assert target.read_text(encoding="utf-8").startswith("<?xml")
    code, out, _ = run(capsys, "orphans", "--kb", str(KB_MIN))
    assert json.loads(out)["claims"] == ["long-term-unknown"]


def test_hash_matches_recorded_hash(capsys) -> None:
    code, out, _ = run(capsys, "hash", "--kb", str(KB_MIN))
    assert code == 0 and out.strip() in (KB_MIN / "claims.yaml").read_text(encoding="utf-8")


def test_unloadable_base_refuses_with_a_message(capsys, tmp_path: Path) -> None:
    kb_dir = make_kb(tmp_path, claims=BROKEN / "yaml_syntax.claims.yaml")
    code, _, err = run(capsys, "verdicts", "--kb", str(kb_dir))
    assert code == 1 and "yaml-syntax" in err and "Traceback" not in err


def test_missing_folder(capsys, tmp_path: Path) -> None:
    code, out, _ = run(capsys, "check", "--kb", str(tmp_path / "nope"))
    assert code == 1 and "kb-missing" in out


def test_console_script_runs_and_prints_no_bibtexparser_noise(tmp_path: Path) -> None:
    kb_dir = make_kb(tmp_path, bib=BROKEN / "unclosed_brace.bib")
    proc = subprocess.run([sys.executable, "-m", "kb.cli", "check", "--kb", str(kb_dir)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert "references.bib:1: error bib-syntax" in proc.stdout
    assert proc.stderr == ""
