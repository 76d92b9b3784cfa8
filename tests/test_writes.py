"""kb.writes: every write atomic, locked read-modify-writes, no write through a planted link.

Real processes, real links and real kills: two `kb import` runs at once, `kill -9` at random
moments, symbolic links planted where a careless writer would follow them.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import KB_MIN, ROOT, copy_bundled, make_kb
from kb.bibliography import load_bibliography
from kb.cli import main
from kb.writes import Conflict, WriteRefused, atomic_write, digest, update

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def bundled_copy(tmp_path: Path) -> Path:
    return copy_bundled(tmp_path / "base")


def ris_records(group: str, n: int) -> str:
    """n distinct journal articles (own title, DOI and PMID) as a RIS export."""
    out = []
    for i in range(n):
        out.append(textwrap.dedent(f"""\
            TY  - JOUR
            AU  - Writer{group}, Alex
            TI  - Synthetic {group} record {i} on needling outcomes
            JO  - Journal of Tests
            PY  - 2020
            DO  - 10.5555/{group}.{i}
            AN  - {900000 + i if group == 'a' else 800000 + i}
            ER  - 
            """))
    return "\n".join(out)


def kb_process(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "kb.cli", *args], env=ENV, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_two_concurrent_imports_lose_nothing(tmp_path: Path) -> None:
    (tmp_path / "a.ris").write_text(ris_records("a", 300), encoding="utf-8")
    (tmp_path / "b.ris").write_text(ris_records("b", 300), encoding="utf-8")
    start = len(load_bibliography(str(ROOT / "references.bib")).references)
    assert start == 61
    for rnd in range(4):
        base = bundled_copy(tmp_path / f"round{rnd}")
        procs = [kb_process("import", str(tmp_path / f"{g}.ris"), "--kb", str(base),
                            "--no-cache") for g in "ab"]
        results = [p.communicate(timeout=240) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], results
        bib = load_bibliography(str(base / "references.bib"))
        assert len(bib.references) == start + 600
        assert bib.entry_count == start + 600  # no entry hidden behind a duplicate key
        assert [p for p in bib.problems if p.code == "bib-duplicate-key"] == []
        titles = {r.fields.get("title", "") for r in bib.references.values()}
        assert {f"Synthetic {g} record {i} on needling outcomes"
                for g in "ab" for i in range(300)} <= titles


def test_planted_link_at_the_old_temp_name_redirects_nothing(tmp_path: Path) -> None:
    work = tmp_path / "out"
    work.mkdir()
    victim = tmp_path / "victim"
    victim.write_text("precious\n", encoding="utf-8")
    (work / "rep.md.tmp").symlink_to("../victim")
    rc = subprocess.run([sys.executable, "-m", "kb.cli", "report", "--kb", str(KB_MIN),
                         "--no-cache", "-o", "rep.md"], cwd=work, env=ENV,
                        capture_output=True, text=True, check=False)
    assert rc.returncode == 0, rc.stderr
    assert victim.read_text(encoding="utf-8") == "precious\n"
    rep = work / "rep.md"
    assert not rep.is_symlink() and rep.read_text(encoding="utf-8").startswith("#")
    assert os.readlink(work / "rep.md.tmp") == "../victim"


def test_import_through_a_symlinked_bibliography_updates_its_target(tmp_path: Path) -> None:
    kb_dir = make_kb(tmp_path)
    export = tmp_path / "zotero" / "library.bib"
    export.parent.mkdir()
    shutil.move(kb_dir / "references.bib", export)
    (kb_dir / "references.bib").symlink_to(export)
    before = export.read_bytes()
    ris = tmp_path / "one.ris"
    ris.write_text(ris_records("c", 1), encoding="utf-8")
    assert main(["import", str(ris), "--kb", str(kb_dir), "--no-cache"]) == 0
    assert (kb_dir / "references.bib").is_symlink()
    assert os.readlink(kb_dir / "references.bib") == str(export)
    after = export.read_bytes()
    assert after.startswith(before) and b"Synthetic c record 0" in after
    assert [p.name for p in kb_dir.iterdir() if p.name.endswith(".tmp")] == []


def test_a_dangling_link_is_refused_with_a_message(tmp_path: Path, capsys) -> None:
    kb_dir = make_kb(tmp_path)
    (kb_dir / "references.bib").unlink()
    (kb_dir / "references.bib").symlink_to(tmp_path / "gone.bib")
    ris = tmp_path / "one.ris"
    ris.write_text(ris_records("d", 1), encoding="utf-8")
    assert main(["import", str(ris), "--kb", str(kb_dir), "--no-cache"]) == 1
    err = capsys.readouterr().err
    assert "symbolic link" in err and "nothing was written" in err
    assert (kb_dir / "references.bib").is_symlink() and not (tmp_path / "gone.bib").exists()


def test_output_to_a_folder_or_device_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WriteRefused, match="not a regular file"):
        atomic_write(str(tmp_path), "x")
    with pytest.raises(WriteRefused, match="not a regular file"):
        atomic_write("/dev/null", "x")
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(WriteRefused, match="loop"):
        atomic_write(str(loop), "x")


def test_a_new_file_gets_ordinary_permissions_and_an_old_one_keeps_its_own(
        tmp_path: Path) -> None:
    new = tmp_path / "new.txt"
    atomic_write(str(new), "a")
    assert new.stat().st_mode & 0o777 == 0o666 & ~_umask()
    old = tmp_path / "old.txt"
    old.write_text("a")
    old.chmod(0o640)
    atomic_write(str(old), "b")
    assert old.stat().st_mode & 0o777 == 0o640 and old.read_text() == "b"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_update_refuses_a_file_that_changed_since_it_was_read(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"one\n")
    seen = digest(path.read_bytes())
    path.write_bytes(b"two\n")  # someone else saved in between
    with pytest.raises(Conflict) as info:
        update(str(path), lambda old: old + b"three\n", expected=seen)
    assert info.value.current == b"two\n" and "changed since it was read" in str(info.value)
    assert path.read_bytes() == b"two\n"
    update(str(path), lambda old: old + b"three\n", expected=digest(b"two\n"))
    assert path.read_bytes() == b"two\nthree\n"


WRITER = """
import sys
from kb.writes import atomic_write
path, a, b = sys.argv[1], open(sys.argv[2], "rb").read(), open(sys.argv[3], "rb").read()
print("ready", flush=True)
i = 0
while True:
    atomic_write(path, a if i % 2 else b)
    i += 1
"""


def test_a_writer_killed_at_random_moments_leaves_the_old_or_the_new_file(
        tmp_path: Path) -> None:
    rng = random.Random(20261202)
    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    a.write_bytes(b"A" * 3_000_000 + b"\n")
    b.write_bytes(b"B" * 2_000_001 + b"\n")
    target = tmp_path / "data" / "target.txt"
    target.parent.mkdir()
    target.write_bytes(a.read_bytes())
    wanted = {a.read_bytes(), b.read_bytes()}
    for _ in range(12):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(target), str(a), str(b)],
                                env=ENV, stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.25))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert target.read_bytes() in wanted
        for stray in target.parent.glob(".target.txt.*.tmp"):
            stray.unlink()  # what a kill can leave: a temp file, never a damaged target


def test_an_import_killed_at_random_moments_leaves_a_whole_bibliography(
        tmp_path: Path) -> None:
    rng = random.Random(7)
    ris = tmp_path / "many.ris"
    ris.write_text(ris_records("k", 300), encoding="utf-8")
    original = (ROOT / "references.bib").read_bytes()
    for i in range(6):
        base = bundled_copy(tmp_path / f"kill{i}")
        proc = kb_process("import", str(ris), "--kb", str(base), "--no-cache")
        time.sleep(rng.uniform(0.2, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        after = (base / "references.bib").read_bytes()
        assert after == original or after.startswith(original)
        bib = load_bibliography(str(base / "references.bib"))
        assert not bib.problems or all(not p.is_error for p in bib.problems)
        assert len(bib.references) in (61, 361)
