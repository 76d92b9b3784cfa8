"""kb.sources: hostile files become located problems, never exceptions."""

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

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


# Device files and FIFOs: a located problem at once, never a hang or an unbounded read.
# Run in a child process under a timeout and a memory ceiling: without the fix /dev/zero
# eats memory until the machine swaps, and a FIFO blocks forever.
def _bounded(argv: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, preexec_fn=limit,
                          **kwargs)


_READ = ("import json, sys\nfrom kb.sources import read_text\n"
         "text, problems = read_text(sys.argv[1], 'claims.yaml')\n"
         "print(json.dumps([text, [(p.code, p.file, p.hint) for p in problems]]))")


@pytest.mark.parametrize("target", ["/dev/zero", None], ids=["dev-zero", "fifo"])
def test_device_or_fifo_is_refused_quickly(tmp_path: Path, target: str | None) -> None:
    path = tmp_path / "claims.yaml"
    if target is None:
        os.mkfifo(path)
    else:
        path.symlink_to(target)
    done = _bounded([sys.executable, "-c", _READ, str(path)])
    text, problems = json.loads(done.stdout)
    assert text is None
    assert [(code, file) for code, file, _ in problems] == [("file-unreadable", "claims.yaml")]
    assert problems[0][2]


def test_symlink_to_a_regular_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "real.bib").write_text("@misc{a, title={A}}\n", encoding="utf-8")
    (tmp_path / "link.bib").symlink_to(tmp_path / "real.bib")
    assert read_text(str(tmp_path / "link.bib"), "link.bib")[0] == "@misc{a, title={A}}\n"


def test_size_limit_is_enforced_while_reading() -> None:
    # A /proc file is regular but reports size 0: the limit must hold for what is read.
    from kb.sources import read_bytes

    raw, problems = read_bytes("/proc/self/maps", "references.bib", max_bytes=100)
    assert raw is None and [p.code for p in problems] == ["file-too-large"]
    raw, problems = read_bytes("/dev/urandom", "references.bib", max_bytes=1024)
    assert raw is None and [p.code for p in problems] == ["file-unreadable"]


def _kb_with(tmp_path: Path, name: str, target: str | None) -> Path:
    from conftest import make_kb

    kb_dir = make_kb(tmp_path)
    (kb_dir / name).unlink()
    if target is None:
        os.mkfifo(kb_dir / name)
    else:
        (kb_dir / name).symlink_to(target)
    return kb_dir


# (A link from the article to /dev/zero leaves the folder: article-path says so first.)
SOURCES = [("claims.yaml", "/dev/zero"), ("references.bib", "/dev/urandom"),
           ("claims.yaml", None), ("references.bib", None), ("article.txt", None)]


@pytest.mark.parametrize(("name", "target"), SOURCES,
                         ids=[f"{n}-{t or 'fifo'}" for n, t in SOURCES])
@pytest.mark.parametrize("cache", [False, True], ids=["no-cache", "cache"])
def test_kb_check_on_a_device_or_fifo_source(tmp_path: Path, name: str, target: str | None,
                                             cache: bool) -> None:
    kb_dir = _kb_with(tmp_path, name, target)
    argv = [sys.executable, "-m", "kb.cli", "check", "--kb", str(kb_dir), "--format", "json"]
    env = {**os.environ, "KB_CACHE_DIR": str(tmp_path / "cache")}
    done = _bounded(argv + ([] if cache else ["--no-cache"]), env=env)
    assert done.returncode == 1, done.stderr
    problems = json.loads(done.stdout)["problems"]
    assert (problems[0]["code"], problems[0]["file"]) == ("file-unreadable", name)


@pytest.mark.parametrize("target", ["/dev/zero", None], ids=["dev-zero", "fifo"])
def test_kb_import_of_a_device_or_fifo(tmp_path: Path, target: str | None) -> None:
    from conftest import make_kb

    kb_dir = make_kb(tmp_path)
    incoming = tmp_path / "incoming.ris"
    if target is None:
        os.mkfifo(incoming)
    else:
        incoming.symlink_to(target)
    before = (kb_dir / "references.bib").read_bytes()
    done = _bounded([sys.executable, "-m", "kb.cli", "import", str(incoming), "--kb",
                     str(kb_dir), "--no-cache"])
    assert done.returncode == 1
    assert "incoming.ris: error file-unreadable" in done.stdout + done.stderr
    assert (kb_dir / "references.bib").read_bytes() == before
