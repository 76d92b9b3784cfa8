"""kb.cache: the cached load equals the plain load, and is never stale."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import ROOT, make_kb
from kb.cache import CACHE_DIR, load_kb_cached
from kb.grading import grade_all
from kb.load import load_kb


@pytest.fixture(autouse=True)
def private_key_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    from kb import cache
    cache._signing_key.cache_clear()


def same(a, b) -> bool:
    (kb1, r1), (kb2, r2) = a, b
    return (kb1.claims == kb2.claims and dict(kb1.references) == dict(kb2.references)
            and dict(kb1.studies) == dict(kb2.studies) and r1 == r2)


def test_cached_load_equals_plain_load(tmp_path: Path) -> None:
    kb_dir = tmp_path / "bundled"
    kb_dir.mkdir()
    for name in ("claims.yaml", "references.bib", "dry-needling-article.txt"):
        shutil.copy(ROOT / name, kb_dir / name)
    plain = load_kb(str(kb_dir))
    first = load_kb_cached(str(kb_dir))
    assert (kb_dir / CACHE_DIR).is_dir()
    second = load_kb_cached(str(kb_dir))
    assert same(plain, first) and same(plain, second)
    assert grade_all(*second) == grade_all(*plain)


def test_edits_are_always_seen(tmp_path: Path) -> None:
    kb_dir = make_kb(tmp_path)
    load_kb_cached(str(kb_dir))
    claims = kb_dir / "claims.yaml"
    claims.write_text(claims.read_text(encoding="utf-8").replace(
        "Needling is very safe.", "Needling is safe enough."), encoding="utf-8")
    kb, _ = load_kb_cached(str(kb_dir))
    assert kb.claims[0].statement == "Needling is safe enough."
    bib = kb_dir / "references.bib"
    bib.write_text(bib.read_text(encoding="utf-8").replace("A survey of needling harms",
                                                           "A survey of harms"), encoding="utf-8")
    kb, _ = load_kb_cached(str(kb_dir))
    assert kb.references["delta2019survey"].fields["title"] == "A survey of harms"
    article = kb_dir / "article.txt"
    article.write_text(article.read_text(encoding="utf-8") + "More text.\n", encoding="utf-8")
    _, report = load_kb_cached(str(kb_dir))
    assert [p.code for p in report.errors] == ["article-changed"]


def test_foreign_cache_entries_are_ignored(tmp_path: Path, monkeypatch) -> None:
    kb_dir = make_kb(tmp_path)
    load_kb_cached(str(kb_dir))
    for entry in (kb_dir / CACHE_DIR).glob("*.pickle"):
        entry.write_bytes(b"\0" * 32 + b"cos\nsystem\n(S'echo pwned'\ntR.")
    assert same(load_kb_cached(str(kb_dir)), load_kb(str(kb_dir)))


def test_deleting_the_cache_is_safe(tmp_path: Path) -> None:
    kb_dir = make_kb(tmp_path)
    load_kb_cached(str(kb_dir))
    shutil.rmtree(kb_dir / CACHE_DIR)
    assert same(load_kb_cached(str(kb_dir)), load_kb(str(kb_dir)))


def test_read_only_folder_still_loads(tmp_path: Path, monkeypatch) -> None:
    kb_dir = make_kb(tmp_path)
    from kb import cache
    monkeypatch.setattr(cache, "CACHE_DIR", "no/such/dir/x")
    assert same(load_kb_cached(str(kb_dir)), load_kb(str(kb_dir)))


def test_broken_files_report_like_plain_load(tmp_path: Path) -> None:
    from conftest import BROKEN
    kb_dir = make_kb(tmp_path, claims=BROKEN / "yaml_syntax.claims.yaml")
    assert load_kb_cached(str(kb_dir))[1] == load_kb(str(kb_dir))[1]
    assert load_kb_cached(str(tmp_path / "missing"))[1].codes() == [
        ("kb-missing", str(tmp_path / "missing"), None)]


def test_a_new_kb_version_never_mixes_with_old_records(tmp_path: Path, monkeypatch) -> None:
    """Records written by another version of `kb` are not read: a changed claims file under
    new code parses afresh rather than pairing old bibliography records with new ids."""
    kb_dir = make_kb(tmp_path)
    load_kb_cached(str(kb_dir))
    from kb import cache
    monkeypatch.setattr(cache, "code_version", lambda: "another-kb-version")
    claims = kb_dir / "claims.yaml"
    claims.write_text(claims.read_text(encoding="utf-8").replace(
        "Needling is very safe.", "Needling is safe enough."), encoding="utf-8")
    assert same(load_kb_cached(str(kb_dir)), load_kb(str(kb_dir)))


def test_lost_bibliography_records_are_parsed_again(tmp_path: Path) -> None:
    import sqlite3

    from kb.store import DB_FILE
    kb_dir = make_kb(tmp_path)
    load_kb_cached(str(kb_dir))
    db = sqlite3.connect(kb_dir / CACHE_DIR / DB_FILE)
    db.execute("DELETE FROM records WHERE id LIKE 'r%'")
    db.commit()
    db.close()
    claims = kb_dir / "claims.yaml"
    claims.write_text(claims.read_text(encoding="utf-8") + "\n# a comment at the end\n",
                      encoding="utf-8")
    assert same(load_kb_cached(str(kb_dir)), load_kb(str(kb_dir)))
