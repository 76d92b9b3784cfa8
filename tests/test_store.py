"""kb.store: signed records, lazy views, and source hashes that are never stale."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT
from kb.anchors import ArticleIndex
from kb.store import DB_FILE, LazyMapping, LazySequence, Records, Store

SECRET = b"k" * 32


def test_records_round_trip_and_lazy_views(tmp_path: Path) -> None:
    store = Store(str(tmp_path), SECRET)
    store.put_many([("a", "x"), ("b", "y"), ("c", "z"), ("n1", 1), ("n2", 2)])
    records = Records(store)
    seq = LazySequence(records, ["c", "a"])
    assert list(seq) == ["z", "x"] and seq[1] == "x" and seq[-1] == "x" and len(seq) == 2
    assert seq == ("z", "x") and seq[0:1] == ("z",)
    mapping = LazyMapping(records, {"k1": "n1", "k2": "n2"})
    assert "k1" in mapping and "nope" not in mapping
    assert dict(mapping.items()) == {"k1": 1, "k2": 2}
    with pytest.raises(KeyError):
        mapping["nope"]


def test_a_foreign_or_tampered_record_is_never_unpickled(tmp_path: Path) -> None:
    store = Store(str(tmp_path), SECRET)
    store.put_many([("a", "fine")])
    db = sqlite3.connect(tmp_path / DB_FILE)
    evil = b"\0" * 32 + b"cos\nsystem\n(S'touch " + str(tmp_path / "pwned").encode() + b"'\ntR."
    db.execute("UPDATE records SET blob = ? WHERE id = 'a'", (evil,))
    db.commit()
    with pytest.raises(KeyError):
        store.get("a")
    assert store.get_many(["a"]) == {}
    assert not (tmp_path / "pwned").exists()
    other = Store(str(tmp_path), b"another user's key 0123456789ab")
    store.put_many([("b", "mine")])
    with pytest.raises(KeyError):
        other.get("b")


def test_file_digest_sees_a_same_size_edit_with_the_old_mtime(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kb.store
    monkeypatch.setattr(kb.store, "RACY_NS", 0)  # no waiting out the racy window here
    store = Store(str(tmp_path / "cache"), SECRET)
    path = tmp_path / "claims.yaml"
    path.write_bytes(b"aaaa")
    old = os.stat(path)
    os.utime(path, ns=(old.st_atime_ns - 10**10, old.st_mtime_ns - 10**10))
    reads: list[str] = []

    def read(p: str) -> bytes:
        reads.append(p)
        return Path(p).read_bytes()

    first, _ = store.file_digest(str(path), read)
    again, data = store.file_digest(str(path), read)
    assert first == again and data is None and len(reads) == 1  # reused, not re-read
    stat = os.stat(path)
    path.write_bytes(b"bbbb")  # same size; put the old mtime back, as some tools do
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    changed, data = store.file_digest(str(path), read)
    assert changed != first and data == b"bbbb"  # ctime moved, so it was read again


def test_a_file_hashed_right_after_a_change_is_hashed_again(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "cache"), SECRET)
    path = tmp_path / "claims.yaml"
    path.write_bytes(b"fresh")
    count = []
    read = lambda p: count.append(1) or Path(p).read_bytes()  # noqa: E731
    store.file_digest(str(path), read)
    store.file_digest(str(path), read)
    assert len(count) == 2  # modified within the racy window: not trusted from stat


def test_an_unusable_folder_raises_store_error(tmp_path: Path) -> None:
    from kb.store import StoreError

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError):
        Store(str(blocker / "cache"), SECRET)


ARTICLE = (ROOT / "dry-needling-article.txt").read_text(encoding="utf-8")
INDEX = ArticleIndex(ARTICLE)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, len(ARTICLE) - 1), st.integers(1, 120))
def test_counting_a_quote_agrees_with_find_many(start: int, length: int) -> None:
    quote = ARTICLE[start:start + length]
    assert INDEX.count(quote) == len(INDEX.find_many([quote])[quote])
