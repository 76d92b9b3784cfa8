"""The record store behind the cache: one SQLite file in `.kb-cache/`, read lazily.

A loaded base is kept as many small records (one per claim, appraisal and BibTeX entry,
addressed by the hash of the text it came from) plus one *state* per version of the files,
which lists the records in order and holds the report. A warm load reads one state and
nothing else; a claim, an appraisal or a reference is decoded the first time it is used
(`LazySequence`, `LazyMapping`). Editing one claim adds one record and one state.

Every payload is a pickle signed with the per-user key (HMAC-SHA256): a record that fails
its signature is treated as missing, so a `.kb-cache` copied from elsewhere is never
unpickled. Any SQLite failure (read-only folder, disk full, a locked or corrupt file) makes
the store unavailable, and the loader simply parses the sources: the cache can only make a
load faster, never wrong.

The store also remembers the content hash of each source file with its `stat` signature
(size, mtime, ctime, inode), like git's index, so an unchanged 100 MB file is not hashed on
every load; a file whose modification time is too close to when it was hashed is hashed
again (the "racy git" rule).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import pickle
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar, overload

V = TypeVar("V")

DB_FILE = "store.sqlite"
# The on-disk layout; a different number means an old file, which is recreated.
STORE_VERSION = 5
PAGE_SIZE = 32768
# States kept per knowledge base (the newest ones); records no state refers to are dropped.
KEEP_STATES = 3
# A file modified this close to when it was hashed is hashed again (mtime granularity).
RACY_NS = 2_000_000_000
_BATCH = 500


class StoreError(Exception):
    """The store cannot be used; callers fall back to parsing."""


class Store:
    """A signed, content-addressed record store in one SQLite file. Thread-safe for reads."""

    def __init__(self, folder: str, secret: bytes) -> None:
        self.folder = folder
        self._secret = secret
        self._lock = threading.RLock()
        try:
            os.makedirs(folder, exist_ok=True)
            ignore = os.path.join(folder, ".gitignore")
            if not os.path.exists(ignore):
                with open(ignore, "w", encoding="utf-8") as fh:
                    fh.write("*\n")
            path = os.path.join(folder, DB_FILE)
            self._db = self._connect(path)
            if self._db.execute("PRAGMA user_version").fetchone()[0] != STORE_VERSION:
                # A new or older file: start afresh (its page size can only be set while
                # the file is empty).
                self._db.close()
                for suffix in ("", "-wal", "-shm"):
                    if os.path.exists(path + suffix):
                        os.remove(path + suffix)
                self._db = self._connect(path, new=True)
                self._db.executescript(f"""
                    CREATE TABLE records (id TEXT PRIMARY KEY, blob BLOB NOT NULL) WITHOUT ROWID;
                    CREATE TABLE states (key TEXT PRIMARY KEY, used INTEGER NOT NULL,
                                         blob BLOB NOT NULL);
                    CREATE TABLE stats (path TEXT PRIMARY KEY, sig TEXT NOT NULL,
                                        digest TEXT NOT NULL);
                    PRAGMA user_version = {STORE_VERSION};
                """)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(str(exc)) from exc

    @staticmethod
    def _connect(path: str, new: bool = False) -> sqlite3.Connection:
        db = sqlite3.connect(path, timeout=10, check_same_thread=False, isolation_level=None)
        if new:
            # Records are a few kB each: large pages keep them out of overflow chains (a
            # 1000x base writes about 5x faster than with the default 4 kB).
            db.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA cache_size = -65536")  # 64 MB of pages for batched look-ups
        return db

    def close(self) -> None:
        try:
            self._db.close()
        except sqlite3.Error:
            pass

    # --- signing ------------------------------------------------------------------------

    def _seal(self, value: Any) -> bytes:
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        return hmac.digest(self._secret, payload, "sha256") + payload

    def _open(self, blob: bytes) -> Any:
        mac, payload = blob[:32], blob[32:]
        if not hmac.compare_digest(mac, hmac.digest(self._secret, payload, "sha256")):
            raise KeyError("signature")
        return pickle.loads(payload)

    # --- records ------------------------------------------------------------------------

    def get(self, record_id: str) -> Any:
        """One record's value; KeyError if it is missing or its signature fails."""
        try:
            with self._lock:
                row = self._db.execute("SELECT blob FROM records WHERE id = ?",
                                       (record_id,)).fetchone()
        except sqlite3.Error as exc:
            raise KeyError(record_id) from exc
        if row is None:
            raise KeyError(record_id)
        try:
            return self._open(row[0])
        except KeyError:
            raise
        except Exception as exc:  # a truncated or foreign payload
            raise KeyError(record_id) from exc

    def get_many(self, record_ids: Iterable[str]) -> dict[str, Any]:
        """Values of many records at once (missing or foreign ones are left out)."""
        ids = sorted(set(record_ids))  # in key order: neighbouring pages, fewer reads
        out: dict[str, Any] = {}
        for i in range(0, len(ids), _BATCH):
            chunk = ids[i:i + _BATCH]
            marks = ",".join("?" * len(chunk))
            try:
                with self._lock:
                    rows = self._db.execute(
                        f"SELECT id, blob FROM records WHERE id IN ({marks})", chunk).fetchall()
            except sqlite3.Error:
                continue
            for rid, blob in rows:
                try:
                    out[rid] = self._open(blob)
                except Exception:
                    continue
        return out

    def has(self, record_ids: Iterable[str]) -> set[str]:
        ids = list(dict.fromkeys(record_ids))
        found: set[str] = set()
        for i in range(0, len(ids), _BATCH):
            chunk = ids[i:i + _BATCH]
            marks = ",".join("?" * len(chunk))
            with self._lock:
                found.update(r[0] for r in self._db.execute(
                    f"SELECT id FROM records WHERE id IN ({marks})", chunk))
        return found

    def put_many(self, items: Iterable[tuple[str, Any]], *, skip_existing: bool = True) -> None:
        """Write records (id, value); ids are content hashes, so an existing id is kept."""
        pairs = list(items)
        if skip_existing:
            present = self.has(rid for rid, _ in pairs)
            pairs = [(rid, v) for rid, v in pairs if rid not in present]
        # In key order: appending to the B-tree in order is several times faster than
        # inserting hashes at random places.
        rows = sorted((rid, self._seal(v)) for rid, v in pairs)
        if not rows:
            return
        try:
            with self._lock:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany("INSERT OR REPLACE INTO records VALUES (?, ?)", rows)
                self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise StoreError(str(exc)) from exc

    # --- states -------------------------------------------------------------------------

    def get_state(self, key: str) -> Any:
        try:
            with self._lock:
                row = self._db.execute("SELECT blob FROM states WHERE key = ?",
                                       (key,)).fetchone()
            if row is None:
                return None
            value = self._open(row[0])
        except Exception:
            return None
        try:  # remember it as the latest (for the next edit); a read-only cache is fine
            with self._lock:
                self._db.execute("UPDATE states SET used = ? WHERE key = ?",
                                 (time.time_ns(), key))
        except sqlite3.Error:
            pass
        return value

    def latest_state(self) -> Any:
        """The most recently written or read state (the base as it was last loaded)."""
        try:
            with self._lock:
                row = self._db.execute(
                    "SELECT key FROM states ORDER BY used DESC LIMIT 1").fetchone()
                row = row and self._db.execute("SELECT blob FROM states WHERE key = ?",
                                               (row[0],)).fetchone()
            return None if not row else self._open(row[0])
        except Exception:
            return None

    def put_state(self, key: str, value: Any, records: Iterable[tuple[str, Any]] = (),
                  live: Callable[[Any], Iterable[str]] | None = None) -> None:
        """Write a state (and its new records) and drop the oldest states. With `live` (the
        record ids a state uses), also drop the records no remaining state uses: a full load
        does; an edit, which adds a record or two, does not."""
        self.put_many(records)
        sealed = self._seal(value)  # before locking: pickling may read lazy records
        try:
            with self._lock:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute("INSERT OR REPLACE INTO states VALUES (?, ?, ?)",
                                 (key, time.time_ns(), sealed))
                old = [r[0] for r in self._db.execute(
                    "SELECT key FROM states ORDER BY used DESC LIMIT -1 OFFSET ?",
                    (KEEP_STATES,))]
                if old:
                    self._db.executemany("DELETE FROM states WHERE key = ?",
                                         [(k,) for k in old])
                if live is not None:
                    used: set[str] = set()
                    for (blob,) in self._db.execute("SELECT blob FROM states").fetchall():
                        try:
                            used.update(live(self._open(blob)))
                        except Exception:
                            continue
                    dead = [(rid,) for (rid,) in self._db.execute("SELECT id FROM records")
                            if rid not in used]
                    self._db.executemany("DELETE FROM records WHERE id = ?", dead)
                self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise StoreError(str(exc)) from exc

    def _rollback(self) -> None:
        try:
            with self._lock:
                self._db.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    # --- content hashes of source files ------------------------------------------------

    def file_digest(self, path: str, read: Callable[[str], bytes | None]
                    ) -> tuple[str | None, bytes | None]:
        """(SHA-256 of the file, its bytes if they had to be read). Never stale.

        The digest is reused only while the file's stat signature is unchanged and the file
        was last modified well before it was hashed; otherwise the file is read and hashed.
        """
        try:
            st = os.stat(path)
        except OSError:
            return None, None
        sig = f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}:{st.st_dev}"
        real = os.path.realpath(path)
        try:
            with self._lock:
                row = self._db.execute("SELECT sig, digest FROM stats WHERE path = ?",
                                       (real,)).fetchone()
        except sqlite3.Error:
            row = None
        if row is not None and row[0].rsplit(":", 1)[0] == sig:
            hashed_at = int(row[0].rsplit(":", 1)[1])
            if st.st_mtime_ns < hashed_at - RACY_NS and st.st_ctime_ns < hashed_at - RACY_NS:
                return row[1], None
        now = time.time_ns()
        data = read(path)
        if data is None:
            return None, None
        digest = hashlib.sha256(data).hexdigest()
        try:
            st2 = os.stat(path)
            sig2 = f"{st2.st_size}:{st2.st_mtime_ns}:{st2.st_ctime_ns}:{st2.st_ino}:{st2.st_dev}"
            if sig2 == sig:  # not changed while being read
                with self._lock:
                    self._db.execute("INSERT OR REPLACE INTO stats VALUES (?, ?, ?)",
                                     (real, f"{sig}:{now}", digest))
        except (OSError, sqlite3.Error):
            pass
        return digest, data


# --- lazy collections -----------------------------------------------------------------------


class Records:
    """Records of one loaded state, decoded once each and then kept (shared by its views)."""

    def __init__(self, store: Store,
                 decode: Callable[[str, Any], Any] = lambda record_id, value: value) -> None:
        self.store = store
        self._decode = decode  # turns a stored value (plain data) into what callers use
        self._memo: dict[str, Any] = {}

    def get(self, record_id: str) -> Any:
        try:
            return self._memo[record_id]
        except KeyError:
            value = self._memo[record_id] = self._decode(record_id, self.store.get(record_id))
            return value

    def remember(self, record_id: str, value: Any) -> None:
        """A decoded value known without reading it (a record this process just made)."""
        self._memo[record_id] = value

    def get_many(self, record_ids: Iterable[str]) -> dict[str, Any]:
        ids = list(record_ids)
        missing = [r for r in ids if r not in self._memo]
        if missing:
            got = self.store.get_many(missing)
            lost = [r for r in missing if r not in got]
            if lost:
                raise KeyError(f"cache record {lost[0]} disappeared; load the base again")
            decode = self._decode
            self._memo.update((r, decode(r, v)) for r, v in got.items())
        return {r: self._memo[r] for r in ids}


class LazyMapping(Mapping[str, V], Generic[V]):
    """A read-only mapping whose values are store records (key -> record id), decoded on
    first use; `values()` and `items()` fetch in batches."""

    def __init__(self, records: Records, ids: Mapping[str, str]) -> None:
        self._records = records
        self._ids = ids

    def __getitem__(self, key: str) -> V:
        return self._records.get(self._ids[key])

    def __contains__(self, key: object) -> bool:
        return key in self._ids

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def prefetch(self, keys: Iterable[str]) -> None:
        """Decode these keys' records in batches now (keys not in the mapping are skipped)."""
        self._records.get_many(self._ids[k] for k in dict.fromkeys(keys) if k in self._ids)

    def materialize(self) -> dict[str, V]:
        got = self._records.get_many(self._ids.values())
        return {k: got[rid] for k, rid in self._ids.items()}

    def values(self):  # type: ignore[override]
        return self.materialize().values()

    def items(self):  # type: ignore[override]
        return self.materialize().items()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self.items()) == dict(other.items())

    def __repr__(self) -> str:
        return f"LazyMapping({len(self)} records)"

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (self.materialize(),))


class LazySequence(Sequence[V], Generic[V]):
    """A read-only sequence of store records (by id), decoded on first use."""

    def __init__(self, records: Records, ids: Sequence[str]) -> None:
        self._records = records
        self._ids = ids

    @overload
    def __getitem__(self, index: int) -> V: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[V, ...]: ...

    def __getitem__(self, index: int | slice) -> V | tuple[V, ...]:
        if isinstance(index, slice):
            ids = self._ids[index]
            got = self._records.get_many(ids)
            return tuple(got[r] for r in ids)
        return self._records.get(self._ids[index])

    def __iter__(self) -> Iterator[V]:
        got = self._records.get_many(self._ids)
        return iter([got[r] for r in self._ids])

    def __len__(self) -> int:
        return len(self._ids)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    def __repr__(self) -> str:
        return f"LazySequence({len(self)} records)"

    def __reduce__(self) -> tuple[Any, ...]:
        return (tuple, (tuple(self),))


class Prefixed(Mapping[str, str]):
    """Key -> record id as prefix + key, for many keys without building the strings."""

    def __init__(self, prefix: str, keys: Sequence[str]) -> None:
        self._prefix, self._keys = prefix, keys

    @property
    def _set(self) -> frozenset[str]:
        value = self.__dict__.get("_keyset")
        if value is None:
            value = self.__dict__["_keyset"] = frozenset(self._keys)
        return value

    def __getitem__(self, key: str) -> str:
        if key not in self._set:
            raise KeyError(key)
        return self._prefix + key

    def __contains__(self, key: object) -> bool:
        return key in self._set

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def values(self):  # type: ignore[override]
        return [self._prefix + k for k in self._keys]

    def items(self):  # type: ignore[override]
        return [(k, self._prefix + k) for k in self._keys]


class WithOffsets(Sequence[tuple[Any, int]]):
    """(relative line map, first line) per entry, as `kb.claims.LineMap` keeps them."""

    def __init__(self, rels: Sequence[Any], offsets: Sequence[int]) -> None:
        self._rels, self._offsets = rels, offsets

    def __getitem__(self, index):  # type: ignore[override]
        return self._rels[index], self._offsets[index]

    def __len__(self) -> int:
        return len(self._offsets)

    def __iter__(self) -> Iterator[tuple[Any, int]]:
        return iter(zip(self._rels, self._offsets, strict=True))


class MapWithOffsets(Mapping[str, tuple[Any, int]]):
    def __init__(self, rels: Mapping[str, Any], offsets: Mapping[str, int]) -> None:
        self._rels, self._offsets = rels, offsets

    def __getitem__(self, key: str) -> tuple[Any, int]:
        return self._rels[key], self._offsets[key]

    def __contains__(self, key: object) -> bool:
        return key in self._offsets

    def __iter__(self) -> Iterator[str]:
        return iter(self._offsets)

    def __len__(self) -> int:
        return len(self._offsets)
