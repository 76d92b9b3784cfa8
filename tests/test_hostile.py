"""Hostile input end to end: whatever the files hold, loading reports problems and returns."""

from pathlib import Path

from conftest import make_kb
from kb.load import load_kb


def test_fifty_megabyte_claims_file(tmp_path: Path) -> None:
    junk = "claims:\n" + ("  - garbage line that is not a claim\n" * 1_400_000)
    assert len(junk) > 50_000_000
    kb_dir = make_kb(tmp_path, claims=junk)
    kb, report = load_kb(str(kb_dir))
    assert not report.valid
    assert {p.code for p in report.errors} >= {"schema-missing", "too-many-problems"}


def test_fifty_megabyte_garbage_bib(tmp_path: Path) -> None:
    junk = ("@article{x" + "{" * 10 + " not bibtex at all\n") * 1_000 + "z" * 50_000_000
    kb_dir = make_kb(tmp_path, bib=junk)
    kb, report = load_kb(str(kb_dir))
    assert not report.valid and all(p.file for p in report)


def test_script_and_markup_are_data(tmp_path: Path) -> None:
    text = (Path(__file__).parent / "fixtures" / "kb_min" / "claims.yaml").read_text()
    text = text.replace("statement: Needling is very safe.",
                        "statement: \"<script>alert(1)</script><img src=x onerror=alert(2)>\"")
    kb, report = load_kb(str(make_kb(tmp_path, claims=text)))
    assert report.valid
    assert kb.claims[0].statement.startswith("<script>")
