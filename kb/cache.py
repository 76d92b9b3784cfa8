"""A cache of parsed sources beside the knowledge base (`.kb-cache/`), keyed on content.

Never stale: every entry is keyed on the SHA-256 of the bytes it was made from and of the
library's own source code, so a changed file (or a changed `kb`) is always parsed again.
Safe to delete at any time. Each entry is signed with a per-user key (HMAC), so a `.kb-cache`
that arrives with someone else's folder is ignored rather than unpickled.

Levels, cheapest first: the whole loaded base (nothing changed), then the bibliography alone
(only claims.yaml changed, the usual edit), then a full parse.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os
import pickle
import secrets
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from kb.bibliography import Bibliography, parse_bibliography
from kb.claims import ClaimsDocument, ParseMemo, parse_claims
from kb.load import (
    BIB_FILE,
    CLAIMS_FILE,
    Progress,
    _quiet,
    assemble,
    missing_folder,
)
from kb.model import KnowledgeBase
from kb.problems import Report
from kb.sources import MAX_FILE_BYTES, decode, gc_paused

CACHE_DIR = ".kb-cache"
# Entries of older versions are removed when a new one is written.
KEEP_PER_KIND = 2


@lru_cache(maxsize=1)
def code_version() -> str:
    """Hash of the library's source, so a code change never reads an old pickle."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _key_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kb" / "cache-signing-key"


@lru_cache(maxsize=1)
def _signing_key() -> bytes | None:
    path = _key_file()
    try:
        return path.read_bytes()
    except OSError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
        return key
    except FileExistsError:
        return path.read_bytes()
    except OSError:
        return None  # nowhere to keep a key: run without the cache


def _read_bytes(path: str) -> bytes | None:
    try:
        if os.path.getsize(path) > MAX_FILE_BYTES:
            return None
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return None


def _digest(*parts: bytes | None) -> str:
    digest = hashlib.sha256(code_version().encode())
    for part in parts:
        digest.update(b"\0" if part is None else hashlib.sha256(part).digest())
    return digest.hexdigest()[:32]


def _get(root: str, kind: str, key: str) -> Any:
    secret = _signing_key()
    if secret is None:
        return None
    try:
        blob = (Path(root) / CACHE_DIR / f"{kind}-{key}.pickle").read_bytes()
    except OSError:
        return None
    mac, payload = blob[:32], blob[32:]
    if not hmac.compare_digest(mac, hmac.new(secret, payload, hashlib.sha256).digest()):
        return None
    try:
        return pickle.loads(payload)
    except Exception:  # a truncated or foreign entry is just a miss
        return None


def _put(root: str, kind: str, key: str, value: Any) -> None:
    secret = _signing_key()
    if secret is None:
        return
    folder = Path(root) / CACHE_DIR
    try:
        folder.mkdir(exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n", encoding="utf-8")
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        blob = hmac.new(secret, payload, hashlib.sha256).digest() + payload
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{kind}-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
        target = folder / f"{kind}-{key}.pickle"
        os.replace(tmp, target)
        old = sorted(folder.glob(f"{kind}-*.pickle"), key=lambda p: p.stat().st_mtime)
        for stale in old[:-KEEP_PER_KIND]:
            stale.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only folder just means no cache


def load_kb_cached(root: str = ".", *, memo: ParseMemo | None = None,
                   progress: Progress = _quiet) -> tuple[KnowledgeBase, Report]:
    """`load_kb` with the content-keyed cache: same result, less work when files are unchanged.

    `memo` is an in-process `ParseMemo` the caller keeps between loads (the dashboard does);
    without one, the parsed entries of claims.yaml are kept on disk instead.

    Examples
    --------
    >>> kb, report = load_kb_cached(".")    # doctest: +SKIP
    """
    with gc_paused():
        return _load_cached(root, memo, progress)


def _load_cached(root: str, memo: ParseMemo | None,
                 progress: Progress) -> tuple[KnowledgeBase, Report]:
    if not os.path.isdir(root):
        return KnowledgeBase(root=root), Report.of([missing_folder(root)])
    claims_raw = _read_bytes(os.path.join(root, CLAIMS_FILE))
    bib_raw = _read_bytes(os.path.join(root, BIB_FILE))
    if claims_raw is None or bib_raw is None:
        from kb.load import load_kb  # a missing or unreadable file: report it the usual way

        return load_kb(root, progress)
    whole_key = _digest(claims_raw, bib_raw)
    hit = _get(root, "kb", whole_key)
    if hit is not None:
        article_rel, article_hash, kb, report = hit
        if _article_hash(root, article_rel) == article_hash:
            return _rooted(kb, root), report
    bib_key = _digest(bib_raw)
    bib = _get(root, "bib", bib_key)
    if bib is None:
        progress(f"parsing {BIB_FILE}")
        bib = _parse_bib(bib_raw)
        _put(root, "bib", bib_key, bib)
    own_memo = memo is None
    if memo is None:
        memo = _get(root, "memo", code_version()) or ParseMemo()
    before = set(memo.parsed)
    progress(f"parsing {CLAIMS_FILE}")
    doc = _parse_claims(claims_raw, memo)
    if own_memo and set(memo.parsed) != before:
        _put(root, "memo", code_version(), memo)
    kb, report = assemble(root, doc, bib, progress)
    article_rel = kb.article.text if kb.article else None
    _put(root, "kb", whole_key, (article_rel, _article_hash(root, article_rel), kb, report))
    return kb, report


def _article_hash(root: str, rel: str | None) -> str | None:
    if rel is None:
        return None
    data = _read_bytes(os.path.join(root, rel))
    return None if data is None else hashlib.sha256(data).hexdigest()


def _rooted(kb: KnowledgeBase, root: str) -> KnowledgeBase:
    if kb.root == root:
        return kb
    return dataclasses.replace(kb, root=root)


def _parse_bib(raw: bytes) -> Bibliography:
    text, problems = decode(raw, BIB_FILE)
    if text is None:
        return Bibliography(problems=problems)
    return parse_bibliography(text, BIB_FILE)


def _parse_claims(raw: bytes, memo: ParseMemo) -> ClaimsDocument:
    text, problems = decode(raw, CLAIMS_FILE)
    if text is None:
        doc = ClaimsDocument()
        doc.problems.extend(problems)
        return doc
    return parse_claims(text, CLAIMS_FILE, memo)
