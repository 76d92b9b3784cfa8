"""kb.cache: the cached load equals the plain load, is never stale, lives outside the base
folder, and a cache that cannot be used is ignored rather than an error."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import platformdirs
import pytest

from conftest import BROKEN, ROOT, copy_bundled, make_kb
from kb import cache
from kb.cache import cache_dir, cache_file, load_kb_cached
from kb.grading import grade_all
from kb.load import load_kb


def same(a, b) -> bool:
    (kb1, r1), (kb2, r2) = a, b
    return (kb1.claims == kb2.claims and dict(kb1.references) == dict(kb2.references)
            and dict(kb1.studies) == dict(kb2.studies) and r1 == r2
            and dict(kb1.lines) == dict(kb2.lines) and kb1.article == kb2.article
            and kb1.settings == kb2.settings and kb1.article_text == kb2.article_text
            and kb1.invalid_claims == kb2.invalid_claims
            and kb1.claim_positions == kb2.claim_positions
            and kb1.invalid_studies == kb2.invalid_studies)


def load(kb_dir: Path) -> tuple[tuple, list[str]]:
    said: list[str] = []
    return load_kb_cached(str(kb_dir), progress=said.append), said


def files(folder: Path) -> set[Path]:
    return set(folder.rglob("*"))


def test_cached_load_equals_plain_load(tmp_path: Path, private_cache_dir: Path) -> None:
    kb_dir = copy_bundled(tmp_path / "bundled")
    before = files(kb_dir)
    plain = load_kb(str(kb_dir))
    first, said = load(kb_dir)
    assert "parsing claims.yaml" in said
    assert Path(cache_file(str(kb_dir))).parent == private_cache_dir
    assert Path(cache_file(str(kb_dir))).is_file()
    second, said = load(kb_dir)
    assert said == []  # read back from the cache: nothing parsed or checked
    assert same(plain, first) and same(plain, second)
    assert grade_all(*second) == grade_all(*plain)
    assert files(kb_dir) == before  # nothing written into the base folder


def test_a_loaded_base_is_plain_immutable_data(kb_dir: Path) -> None:
    load(kb_dir)
    (kb, _), _ = load(kb_dir)
    assert type(kb.claims) is tuple and type(kb.references) is dict
    assert type(kb.studies) is dict
    with pytest.raises(Exception):
        kb.claims[0].statement = "changed"  # type: ignore[misc]


def test_edits_are_always_seen(kb_dir: Path) -> None:
    load(kb_dir)
    claims = kb_dir / "claims.yaml"
    claims.write_text(claims.read_text(encoding="utf-8").replace(
        "Needling is very safe.", "Needling is safe enough."), encoding="utf-8")
    (kb, _), _ = load(kb_dir)
    assert kb.claims[0].statement == "Needling is safe enough."
    bib = kb_dir / "references.bib"
    bib.write_text(bib.read_text(encoding="utf-8").replace("A survey of needling harms",
                                                           "A survey of harms"), encoding="utf-8")
    (kb, _), _ = load(kb_dir)
    assert kb.references["delta2019survey"].fields["title"] == "A survey of harms"
    article = kb_dir / "article.txt"
    article.write_text(article.read_text(encoding="utf-8") + "More text.\n", encoding="utf-8")
    (_, report), _ = load(kb_dir)
    assert [p.code for p in report.errors] == ["article-changed"]
    article.unlink()
    loaded, _ = load(kb_dir)
    assert same(loaded, load_kb(str(kb_dir)))
    assert "file-missing" in [p.code for p in loaded[1].errors]


def test_a_touched_but_unchanged_file_is_still_a_hit(kb_dir: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "RACY_NS", 0)
    load(kb_dir)
    os.utime(kb_dir / "references.bib")
    loaded, said = load(kb_dir)
    assert said == [] and same(loaded, load_kb(str(kb_dir)))


@pytest.mark.parametrize("garbage", [
    b"", b"\x00" * 64, b"not msgpack at all",
    b"cos\nsystem\n(S'echo pwned'\ntR.",  # a pickle payload: never run, just not ours
    "truncate", "damage the middle", "damage each section",
])
def test_a_corrupted_cache_file_is_ignored_and_rebuilt(kb_dir: Path, garbage) -> None:
    load(kb_dir)
    entry = Path(cache_file(str(kb_dir)))
    raw = entry.read_bytes()
    if garbage == "truncate":
        garbage = raw[:len(raw) // 2]
    elif garbage == "damage the middle":  # same length: the framing holds, the data does not
        mid = len(raw) // 2
        garbage = raw[:mid - 200] + b"\xc1" * 400 + raw[mid + 200:]
    elif garbage == "damage each section":
        out, at = bytearray(raw), 0
        while at < len(raw):
            size = int.from_bytes(raw[at:at + 8], "little")
            out[at + 8:at + 8 + min(size, 16)] = b"\xc1" * min(size, 16)
            at += 8 + size
        garbage = bytes(out)
    entry.write_bytes(garbage)
    loaded, said = load(kb_dir)
    assert "parsing claims.yaml" in said
    assert same(loaded, load_kb(str(kb_dir)))
    assert load(kb_dir)[1] == []  # rebuilt: the next load reads it back


def test_deleting_the_cache_is_safe(kb_dir: Path, private_cache_dir: Path) -> None:
    load(kb_dir)
    shutil.rmtree(private_cache_dir)
    assert same(load(kb_dir)[0], load_kb(str(kb_dir)))


def test_a_cache_folder_that_is_a_file_is_ignored(kb_dir: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("KB_CACHE_DIR", str(blocker))
    assert same(load(kb_dir)[0], load_kb(str(kb_dir)))
    assert same(load(kb_dir)[0], load_kb(str(kb_dir)))


def test_an_unreadable_cache_entry_is_ignored(kb_dir: Path) -> None:
    os.makedirs(cache_file(str(kb_dir)))  # a folder where the file should be: open() fails
    assert same(load(kb_dir)[0], load_kb(str(kb_dir)))


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root reads and writes folders whatever their mode")
def test_an_unreadable_cache_folder_is_ignored(kb_dir: Path, private_cache_dir: Path) -> None:
    load(kb_dir)
    private_cache_dir.chmod(0)
    try:
        assert same(load(kb_dir)[0], load_kb(str(kb_dir)))
    finally:
        private_cache_dir.chmod(stat.S_IRWXU)


def test_an_unreadable_cache_folder_never_stops_a_command(kb_dir: Path, tmp_path: Path) -> None:
    """The CLI with a cache folder it can neither read nor write (a file in its way, and,
    when not root, a folder without permissions) still answers."""
    blocker = tmp_path / "blocker"
    blocker.write_text("x", encoding="utf-8")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0)
    for folder in (blocker / "sub", locked):
        env = {**os.environ, "KB_CACHE_DIR": str(folder)}
        done = subprocess.run([sys.executable, "-m", "kb.cli", "verdicts", "--kb", str(kb_dir)],
                              capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "very-safe" in done.stdout and "Traceback" not in done.stderr
    locked.chmod(stat.S_IRWXU)


def test_cache_dir_is_the_users_cache_unless_kb_cache_dir_says(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KB_CACHE_DIR", str(tmp_path / "here"))
    assert cache_dir() == str(tmp_path / "here")
    assert cache_file(str(tmp_path)).startswith(str(tmp_path / "here") + os.sep)
    monkeypatch.delenv("KB_CACHE_DIR")
    assert cache_dir() == platformdirs.user_cache_dir("kb", appauthor=False)


def test_two_folders_have_two_cache_files(tmp_path: Path) -> None:
    a, b = make_kb(tmp_path / "a"), make_kb(tmp_path / "b")
    assert cache_file(str(a)) != cache_file(str(b))
    load(a)
    (b / "claims.yaml").write_text((b / "claims.yaml").read_text(encoding="utf-8").replace(
        "Needling is very safe.", "Other."), encoding="utf-8")
    assert same(load(b)[0], load_kb(str(b))) and same(load(a)[0], load_kb(str(a)))


@pytest.mark.parametrize("broken", ["bad_vocabulary", "unknown_study", "unknown_field"])
def test_a_base_with_errors_reads_back_the_same(tmp_path: Path, broken: str) -> None:
    """Invalid claims (with their links), invalid appraisals and the report survive the cache."""
    kb_dir = make_kb(tmp_path, claims=BROKEN / f"{broken}.claims.yaml")
    first, _ = load(kb_dir)
    again, said = load(kb_dir)
    assert said == [] and same(first, load_kb(str(kb_dir))) and same(again, first)


def test_broken_files_report_like_plain_load(tmp_path: Path) -> None:
    kb_dir = make_kb(tmp_path, claims=BROKEN / "yaml_syntax.claims.yaml")
    assert load_kb_cached(str(kb_dir))[1] == load_kb(str(kb_dir))[1]
    assert load_kb_cached(str(kb_dir))[1] == load_kb(str(kb_dir))[1]
    assert load_kb_cached(str(tmp_path / "missing"))[1].codes() == [
        ("kb-missing", str(tmp_path / "missing"), None)]


def test_a_new_kb_version_never_reads_an_old_cache(kb_dir: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    load(kb_dir)
    monkeypatch.setattr(cache, "code_version", lambda: "another-kb-version")
    loaded, said = load(kb_dir)
    assert "parsing references.bib" in said
    assert same(loaded, load_kb(str(kb_dir)))


def test_a_same_size_edit_with_the_old_mtime_is_seen(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "RACY_NS", 0)  # no waiting out the racy window here
    path = tmp_path / "claims.yaml"
    path.write_bytes(b"aaaa")
    old = os.stat(path)
    os.utime(path, ns=(old.st_atime_ns - 10**10, old.st_mtime_ns - 10**10))
    first, raw = cache._source(str(path), None)
    again, reread = cache._source(str(path), first)
    assert raw == b"aaaa" and again == first and reread is None  # reused, not read
    before = os.stat(path)
    path.write_bytes(b"bbbb")  # same size; the old mtime put back, as some tools do
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    changed, data = cache._source(str(path), first)
    assert changed.digest != first.digest and data == b"bbbb"  # ctime moved: read again


def test_a_file_hashed_right_after_a_change_is_hashed_again(tmp_path: Path) -> None:
    path = tmp_path / "claims.yaml"
    path.write_bytes(b"fresh")
    first, _ = cache._source(str(path), None)
    _, raw = cache._source(str(path), first)
    assert raw == b"fresh"  # modified within the racy window: not trusted from stat


def test_no_cache_reads_and_writes_no_cache(kb_dir: Path, private_cache_dir: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from kb.cli import main

    assert main(["verdicts", "--kb", str(kb_dir), "--no-cache"]) == 0
    assert not private_cache_dir.exists()
    assert "very-safe" in capsys.readouterr().out


def test_reading_a_read_only_base_writes_nothing_there(tmp_path: Path) -> None:
    """`kb` on a reviewer's read-only copy: check, verdicts and report print to stdout and
    leave the folder exactly as it was (the cache lives elsewhere)."""
    kb_dir = copy_bundled(tmp_path / "read-only")
    for p in kb_dir.iterdir():
        p.chmod(0o444)
    kb_dir.chmod(0o555)
    before = {p: p.stat().st_mtime_ns for p in files(kb_dir)}
    try:
        for argv in (["check"], ["verdicts"], ["report"], ["verdicts", "--format", "json"]):
            done = subprocess.run([sys.executable, "-m", "kb.cli", *argv, "--kb", str(kb_dir)],
                                  capture_output=True, text=True, cwd=ROOT, timeout=120)
            assert done.returncode == 0, (argv, done.stderr)
            assert done.stdout.strip()
        assert {p: p.stat().st_mtime_ns for p in files(kb_dir)} == before
    finally:
        kb_dir.chmod(0o755)


def test_quote_counts_are_reused_only_for_the_same_article(tmp_path: Path) -> None:
    """An edit of claims.yaml reuses the quote counts of the article they were counted in;
    a changed article, or claims pointing at another text, gets its quotes counted again."""
    kb_dir = copy_bundled(tmp_path / "bundled")
    (kb, _), _ = load(kb_dir)
    assert kb.article_index is not None
    counted = Path(cache_file(str(kb_dir))).read_bytes()
    claims = kb_dir / "claims.yaml"
    text = claims.read_text(encoding="utf-8")
    quote = kb.claims[0].quote
    # An edit of a statement: the counts come from the cache and the result is the plain one.
    claims.write_text(text.replace(kb.claims[0].statement, "Edited statement.", 1),
                      encoding="utf-8")
    loaded, said = load(kb_dir)
    assert any("parsed again" in s for s in said)
    assert same(loaded, load_kb(str(kb_dir)))
    assert loaded[0].quote_counts and loaded[0].quote_counts[quote] == 1
    assert Path(cache_file(str(kb_dir))).read_bytes() != counted
    # The article changes (the first quote's words go) while claims.yaml is edited too.
    article = kb_dir / "dry-needling-article.txt"
    words = " ".join(quote.split()[:4])
    article.write_text(article.read_text(encoding="utf-8").replace(words, "Other words"),
                       encoding="utf-8")
    claims.write_text(text.replace(kb.claims[0].statement, "Edited again.", 1),
                      encoding="utf-8")
    loaded, _ = load(kb_dir)
    assert same(loaded, load_kb(str(kb_dir)))
    assert "claim-quote-not-found" in [p.code for p in loaded[1].errors]
    # Claims pointing at another file with other text: counted in that text.
    other = kb_dir / "other.txt"
    other.write_text("Nothing the claims quote.\n", encoding="utf-8")
    claims.write_text(text.replace("text: dry-needling-article.txt", "text: other.txt", 1),
                      encoding="utf-8")
    loaded, _ = load(kb_dir)
    assert same(loaded, load_kb(str(kb_dir)))
    assert sum(p.code == "claim-quote-not-found" for p in loaded[1].errors) == len(kb.claims)


@pytest.mark.parametrize("broken", ["", "default certainty", "bad_vocabulary",
                                    "unknown_study", "duplicate_claim_id", "article_changed"])
def test_grades_read_back_equal_fresh_grades(tmp_path: Path, broken: str) -> None:
    """`load_graded` keeps the grades of what it loaded; read back, they equal grading the
    base again (verdicts, reasons, driving links with their default certainty, overrides),
    and a changed file is graded afresh."""
    if broken in ("", "default certainty"):
        kb_dir = copy_bundled(tmp_path / "bundled")
        if broken:  # links graded with their design's default: drivers are graded copies
            claims = kb_dir / "claims.yaml"
            text = claims.read_text(encoding="utf-8")
            claims.write_text(re.sub(r"\n    certainty: [a-z-]+", "", text), encoding="utf-8")
    else:
        kb_dir = make_kb(tmp_path, claims=BROKEN / f"{broken}.claims.yaml")
    first = cache.load_graded(str(kb_dir))
    assert Path(cache.grades_file(str(kb_dir))).is_file()
    kb, report, grades = cache.load_graded(str(kb_dir))
    assert grades == first[2] == grade_all(kb, report)
    assert [g.drivers for g in grades.values()] == [
        g.drivers for g in grade_all(kb, report).values()]
    claims = kb_dir / "claims.yaml"
    claims.write_text(claims.read_text(encoding="utf-8") + "\n# touched\n", encoding="utf-8")
    kb, report, grades = cache.load_graded(str(kb_dir))
    assert grades == grade_all(kb, report)


def test_grades_that_do_not_fit_are_graded_again(tmp_path: Path) -> None:
    kb_dir = copy_bundled(tmp_path / "bundled")
    kb, report, _ = cache.load_graded(str(kb_dir))
    Path(cache.grades_file(str(kb_dir))).write_bytes(b"\x92\xa1x\x90")  # another key, none
    assert cache.load_graded(str(kb_dir))[2] == grade_all(kb, report)
    Path(cache.grades_file(str(kb_dir))).write_bytes(b"garbage")
    assert cache.load_graded(str(kb_dir))[2] == grade_all(kb, report)
