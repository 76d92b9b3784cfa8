"""kb.sources: hostile files become located problems, never exceptions."""

from pathlib import Path

from kb.sources import read_text


def test_missing_file(tmp_path: Path) -> None:
    text, problems = read_text(str(tmp_path / "x.yaml"), "x.yaml")
    assert text is None and [p.code for p in problems] == ["file-missing"]


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "x.bib"
    path.write_bytes(b"@article{a,\n title={\x00\x01}}")
    _, problems = read_text(str(path), "x.bib")
    assert [(p.code, p.line) for p in problems] == [("file-encoding", 2)]


def test_bom_is_removed(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes("\ufeffa: 1\n".encode())
    assert read_text(str(path), "x.yaml")[0] == "a: 1\n"


def test_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.bib"
    path.write_bytes(b"%" * 2048)
    _, problems = read_text(str(path), "big.bib", max_bytes=1024)
    assert [p.code for p in problems] == ["file-too-large"]


def test_folder_instead_of_file(tmp_path: Path) -> None:
    _, problems = read_text(str(tmp_path), "claims.yaml")
    assert [p.code for p in problems] == ["file-unreadable"]
