"""kb.load: the pipeline, its progress stages, and bad folders."""

from pathlib import Path

from conftest import KB_MIN, make_kb
from kb.cache import load_kb_cached
from kb.load import load_kb


def test_progress_stages_are_reported() -> None:
    stages: list[str] = []
    load_kb(str(KB_MIN), stages.append)
    assert stages == ["parsing claims.yaml", "parsing references.bib",
                      "checking claims against the bibliography and the article"]


def test_cached_load_reports_progress_too(tmp_path: Path) -> None:
    kb_dir = make_kb(tmp_path)
    stages: list[str] = []
    load_kb_cached(str(kb_dir), progress=stages.append)
    assert "parsing references.bib" in stages
    stages.clear()
    load_kb_cached(str(kb_dir), progress=stages.append)
    assert stages == []  # nothing changed: nothing to parse or check


def test_not_a_folder(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    _, report = load_kb(str(tmp_path / "file"))
    assert [p.code for p in report.errors] == ["kb-missing"]
