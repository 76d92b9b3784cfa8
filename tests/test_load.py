"""kb.load: the pipeline, its progress stages, and bad folders."""

from pathlib import Path

import pytest

from conftest import KB_MIN, make_kb
from kb.problems import MAX_PROBLEMS
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


# A file that cannot be read explains every problem that follows from it: it comes first,
# and its consequences are summed up in one line instead of one error per key.
def _unreadable_bib(kb_dir: Path, how: str) -> None:
    bib = kb_dir / "references.bib"
    if how == "latin-1":
        bib.write_bytes(bib.read_text(encoding="utf-8").replace("Ann", "Ánn").encode("latin-1"))
    elif how == "empty":
        bib.write_bytes(b"")
    elif how == "binary":
        bib.write_bytes(b"\x00\x01\x02" * 100)
    else:
        bib.unlink()
        bib.mkdir()


@pytest.mark.parametrize("how", ["latin-1", "empty", "binary", "folder"])
@pytest.mark.parametrize("cached", [False, True], ids=["no-cache", "cache"])
def test_unreadable_bibliography_comes_first_and_explains_the_rest(
        tmp_path: Path, monkeypatch, how: str, cached: bool) -> None:
    kb_dir = make_kb(tmp_path)
    _unreadable_bib(kb_dir, how)
    _, report = (load_kb_cached if cached else load_kb)(str(kb_dir))
    code = {"latin-1": "file-encoding", "empty": "file-empty", "binary": "file-encoding",
            "folder": "file-unreadable"}[how]
    line = {"latin-1": 2, "empty": 1, "binary": 1, "folder": None}[how]
    assert report.codes() == [(code, "references.bib", line),
                              ("checks-skipped", "claims.yaml", None)]
    assert "7 links and appraisals" in report.problems[1].message
    assert report.render().splitlines()[0].startswith(f"references.bib")


def test_every_kind_of_problem_stops_at_the_cap(tmp_path: Path) -> None:
    text = (KB_MIN / "claims.yaml").read_text(encoding="utf-8")
    head, claims = text.split("claims:\n")
    first = claims.split("  - id: short-term-pain")[0]
    kb_dir = make_kb(tmp_path, claims=head + "claims:\n" + first * 3000)
    _, report = load_kb(str(kb_dir))
    assert len(report) == MAX_PROBLEMS + 1
    assert report.problems[-1].code == "too-many-problems"
    assert {p.code for p in report.problems[:-1]} == {"claim-duplicate-id"}
    assert report.problems[0].line == 41  # the first duplicate, in file order


def test_file_level_problems_are_listed_before_the_rest(tmp_path: Path) -> None:
    text = (KB_MIN / "claims.yaml").read_text(encoding="utf-8")
    kb_dir = make_kb(tmp_path, claims=text.replace("    participants: 60\n",
                                                   "    participants: 60\n    size: 3\n"))
    _unreadable_bib(kb_dir, "latin-1")
    _, report = load_kb(str(kb_dir))
    assert report.codes() == [("file-encoding", "references.bib", 2),
                              ("schema-unknown-field", "claims.yaml", 13),
                              ("checks-skipped", "claims.yaml", None)]
    assert [line.split(":")[0] for line in report.render().splitlines()[:3]] == [
        "references.bib", "claims.yaml", "claims.yaml"]
