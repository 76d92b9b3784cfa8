"""The cache of loaded bases: one file per knowledge-base folder, kept outside that folder.

    files unchanged                -> the base read back from the cache file
    claims.yaml changed, the rest  -> the blocks of claims.yaml whose text changed are parsed
    unchanged                         (`kb.claims.claim_blocks`), the cached entries and
                                      bibliography reused, the checks run again
    anything else                  -> parsed afresh

Every path gives what `kb.load.load_kb` gives (tests/test_cache.py compares them). The cache
file holds plain data serialized with msgspec (MessagePack; claims and appraisals as
pydantic's JSON), so reading one runs no code and needs no key. It lives in `KB_CACHE_DIR`,
else the user's cache folder (platformdirs), never in the base folder unless asked. It is
keyed on the library's source and the SHA-256 of every source file; a file's hash is reused
while its stat signature (size, mtime, ctime, inode, device) is unchanged and it was last
modified well before it was hashed. A cache that cannot be read, decoded or written is
ignored: the base is loaded from the files.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec
import platformdirs
from pydantic import TypeAdapter

from kb.bibliography import Bibliography, parse_bibliography
from kb.claims import ClaimsDocument, LineMap, parse_claims, reusable_entries
from kb.load import (
    BIB_FILE,
    CLAIMS_FILE,
    Progress,
    _quiet,
    article_path,
    assemble,
    build_kb,
    load_kb,
)
from kb.model import Appraisal, Article, Claim, InvalidClaim, KnowledgeBase, Reference, Settings
from kb.problems import Problem, Report, Severity
from kb.sources import MAX_FILE_BYTES, decode, read_text

# A file modified this close before it was hashed may change again within the same mtime
# tick, so its signature is not trusted (git's "racy clean" rule).
RACY_NS = 2_000_000_000
_CLAIMS = TypeAdapter(list[Claim])
_STUDIES = TypeAdapter(dict[str, Appraisal])


def cache_dir() -> str:
    """Where cache files go: `KB_CACHE_DIR`, else the user's cache folder."""
    return os.environ.get("KB_CACHE_DIR") or platformdirs.user_cache_dir("kb", appauthor=False)


def cache_file(root: str) -> str:
    """The cache file of the knowledge base in folder `root` (one per folder)."""
    name = hashlib.sha256(os.path.realpath(root).encode()).hexdigest()[:24]
    return os.path.join(cache_dir(), f"base-{name}.msgpack")


def code_version() -> str:
    """Hash of the library's source: another `kb` never reads this one's cache."""
    digest = hashlib.sha256(msgspec.__version__.encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:24]


# --- what a cache file holds ---------------------------------------------------------------

class Source(msgspec.Struct, array_like=True, frozen=True):
    """A source file's content hash and the stat signature it was taken under."""

    sig: tuple[int, int, int, int, int] | None
    digest: str
    hashed_ns: int


class _Doc(msgspec.Struct, array_like=True):
    article: bytes | None
    settings: bytes
    claims: bytes
    claim_positions: list[int]
    invalid_claims: list[tuple[int, str, str, str, str]]
    studies: bytes
    invalid_studies: list[str]
    lines: dict[str, int]
    claim_lines: list[tuple[dict[str, int], int]] | None
    study_lines: dict[str, tuple[dict[str, int], int]] | None
    block_hashes: dict[str, str]


class _Bib(msgspec.Struct, array_like=True):
    references: list[tuple[str, str, dict[str, str], int]]
    entry_count: int
    problems: list[tuple[str, str, str, int | None, int | None, str, str, str]]


class _Entry(msgspec.Struct, array_like=True):
    code: str
    claims: Source
    bib: Source
    article_rel: str | None
    article: Source | None
    doc: _Doc
    bibliography: _Bib
    problems: list[tuple[str, str, str, int | None, int | None, str, str, str]]


def _problems_out(problems: Any) -> list[Any]:
    return [(p.code, p.severity.value, p.file, p.line, p.column, p.path, p.message, p.hint)
            for p in problems]


def _problems_in(rows: list[Any]) -> list[Problem]:
    return [Problem(c, Severity(s), f, ln, col, path, msg, hint)
            for c, s, f, ln, col, path, msg, hint in rows]


def _doc_out(doc: ClaimsDocument) -> _Doc:
    lines = doc.lines
    split = isinstance(lines, LineMap)
    return _Doc(
        article=doc.article.model_dump_json(exclude_unset=True).encode() if doc.article else None,
        settings=doc.settings.model_dump_json(exclude_unset=True).encode(),
        claims=_CLAIMS.dump_json(doc.claims, exclude_unset=True),
        claim_positions=list(doc.claim_positions),
        invalid_claims=[(c.index, c.id, c.quote, c.statement, c.reason)
                        for c in doc.invalid_claims],
        studies=_STUDIES.dump_json(doc.studies, exclude_unset=True),
        invalid_studies=sorted(doc.invalid_studies),
        lines=dict(lines.flat) if split else dict(lines),  # type: ignore[attr-defined]
        claim_lines=lines.claims if split else None,  # type: ignore[attr-defined]
        study_lines=lines.studies if split else None,  # type: ignore[attr-defined]
        block_hashes=doc.block_hashes,
    )


def _doc_in(data: _Doc) -> ClaimsDocument:
    doc = ClaimsDocument(
        article=Article.model_validate_json(data.article) if data.article else None,
        settings=Settings.model_validate_json(data.settings),
        studies=_STUDIES.validate_json(data.studies),
        claims=_CLAIMS.validate_json(data.claims),
        invalid_claims=[InvalidClaim(*c) for c in data.invalid_claims],
        claim_positions=data.claim_positions,
        invalid_studies=set(data.invalid_studies),
        block_hashes=data.block_hashes,
    )
    if data.claim_lines is None or data.study_lines is None:
        doc.lines = data.lines
    else:
        lines = LineMap()
        lines.flat, lines.claims, lines.studies = data.lines, data.claim_lines, data.study_lines
        doc.lines = lines
    return doc


def _bib_out(bib: Bibliography) -> _Bib:
    refs = [(r.key, r.entry_type, dict(r.fields), r.line) for r in bib.references.values()]
    return _Bib(refs, bib.entry_count, _problems_out(bib.problems))


def _bib_in(data: _Bib) -> Bibliography:
    refs = {row[0]: Reference(*row) for row in data.references}
    return Bibliography(refs, data.entry_count, _problems_in(data.problems))


# --- source files --------------------------------------------------------------------------

def _signature(path: str) -> tuple[int, int, int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError:
        return None
    return raw if len(raw) <= MAX_FILE_BYTES else None


def _source(path: str, known: Source | None) -> tuple[Source | None, bytes | None]:
    """The file's hash (reused from `known` while its signature holds) and, when it had to
    be read, its bytes; (None, None) when it cannot be read."""
    sig = _signature(path)
    if (sig is not None and known is not None and known.sig == sig
            and known.hashed_ns - sig[1] > RACY_NS):
        return known, None
    hashed_ns = time.time_ns()
    raw = _read(path)
    if raw is None:
        return None, None
    return Source(sig, hashlib.sha256(raw).hexdigest(), hashed_ns), raw


# --- the cache file ------------------------------------------------------------------------

def _read_entry(path: str) -> _Entry | None:
    try:
        with open(path, "rb") as fh:
            entry = msgspec.msgpack.decode(fh.read(), type=_Entry)
    except (OSError, msgspec.DecodeError):  # missing, unreadable, corrupt or of another shape
        return None
    return entry if entry.code == code_version() else None


def _write_entry(path: str, entry: _Entry) -> None:
    tmp = None
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".base-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(msgspec.msgpack.encode(entry))
        os.replace(tmp, path)
    except OSError:  # a read-only or full cache folder: the next load parses again
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


# --- loading -------------------------------------------------------------------------------

def load_kb_cached(root: str = ".", progress: Progress = _quiet
                   ) -> tuple[KnowledgeBase, Report]:
    """`load_kb` through the cache: the same base and report, less work when little changed.

    Examples
    --------
    >>> kb, report = load_kb_cached(".")    # doctest: +SKIP
    """
    if not os.path.isdir(root):
        return load_kb(root, progress)
    where = cache_file(root)
    entry = _read_entry(where)
    claims, claims_raw = _source(os.path.join(root, CLAIMS_FILE), entry and entry.claims)
    bib, bib_raw = _source(os.path.join(root, BIB_FILE), entry and entry.bib)
    if claims is None or bib is None:
        return load_kb(root, progress)  # a missing or unreadable file: reported as usual
    # Held here only until parsed: the parsers take them out, so they are freed early.
    raws = {CLAIMS_FILE: claims_raw, BIB_FILE: bib_raw}
    del claims_raw, bib_raw
    if entry is not None and bib.digest == entry.bib.digest:
        try:
            if claims.digest == entry.claims.digest and _same_article(root, entry):
                return _warm(root, where, entry, claims, bib)
            return _edited(root, where, entry, claims, raws, bib, progress)
        except ValueError:  # a cache that no longer decodes (pydantic's and msgspec's errors)
            pass
    return _fresh(root, where, claims, bib, raws, progress)


def _same_article(root: str, entry: _Entry) -> bool:
    path = article_path(root, entry.article_rel) if entry.article_rel is not None else None
    if path is None or entry.article is None:
        return path is None or _signature(path) is None  # still none, or still missing
    now, _ = _source(path, entry.article)
    return now is not None and now.digest == entry.article.digest


def _warm(root: str, where: str, entry: _Entry, claims: Source,
          bib: Source) -> tuple[KnowledgeBase, Report]:
    doc = _doc_in(entry.doc)
    text = None
    if entry.article is not None and entry.article_rel is not None:
        text, problems = read_text(os.path.join(root, entry.article_rel), entry.article_rel)
        if problems:
            raise ValueError("the article text changed while it was read")
    kb = build_kb(root, doc, _bib_in(entry.bibliography), text)
    if claims != entry.claims or bib != entry.bib:  # touched, not changed: keep the new stat
        _write_entry(where, msgspec.structs.replace(entry, claims=claims, bib=bib))
    return kb, Report.of(_problems_in(entry.problems))


def _raw(root: str, name: str, source: Source, raws: dict[str, bytes | None]) -> bytes | None:
    """The bytes hashed into `source` (read again if they were not kept), or None when the
    file changed meanwhile or cannot be read."""
    raw = raws.pop(name, None)
    if raw is None:
        raw = _read(os.path.join(root, name))
        if raw is None or hashlib.sha256(raw).hexdigest() != source.digest:
            return None
    return raw


def _edited(root: str, where: str, entry: _Entry, claims: Source,
            raws: dict[str, bytes | None], bib: Source,
            progress: Progress) -> tuple[KnowledgeBase, Report]:
    previous = _doc_in(entry.doc)
    raw = _raw(root, CLAIMS_FILE, claims, raws)
    if raw is None:
        raise ValueError("claims.yaml changed while it was read")
    text, problems = decode(raw, CLAIMS_FILE)
    del raw
    if text is None:
        doc = ClaimsDocument(problems=problems)
    else:
        doc = parse_claims(text, CLAIMS_FILE, reuse=reusable_entries(previous))
        changed = len(doc.block_hashes) - doc.reused
        progress(f"{CLAIMS_FILE}: {changed} changed entr{'y' if changed == 1 else 'ies'} "
                 "parsed again")
    return _finish(root, where, doc, _bib_in(entry.bibliography), claims, bib, progress)


def _fresh(root: str, where: str, claims: Source, bib: Source,
           raws: dict[str, bytes | None], progress: Progress) -> tuple[KnowledgeBase, Report]:
    claims_raw = _raw(root, CLAIMS_FILE, claims, raws)
    bib_raw = _raw(root, BIB_FILE, bib, raws)
    if claims_raw is None or bib_raw is None:
        return load_kb(root, progress)  # changed while being read: load, keep nothing
    progress(f"parsing {CLAIMS_FILE}")
    text, problems = decode(claims_raw, CLAIMS_FILE)
    del claims_raw
    doc = parse_claims(text, CLAIMS_FILE) if text is not None else ClaimsDocument(
        problems=problems)
    progress(f"parsing {BIB_FILE}")
    text, problems = decode(bib_raw, BIB_FILE)
    del bib_raw
    parsed = parse_bibliography(text, BIB_FILE) if text is not None else Bibliography(
        problems=problems)
    del text
    return _finish(root, where, doc, parsed, claims, bib, progress)


def _finish(root: str, where: str, doc: ClaimsDocument, parsed: Bibliography, claims: Source,
            bib: Source, progress: Progress) -> tuple[KnowledgeBase, Report]:
    """Check the parsed sources and keep the result, unless a file changed meanwhile."""
    rel = doc.article.text if doc.article else None
    path = article_path(root, rel) if rel is not None else None
    article = _source(path, None)[0] if path is not None else None
    kb, report = assemble(root, doc, parsed, progress)
    stable = all(s is None or _signature(p) == s.sig for p, s in (
        (os.path.join(root, CLAIMS_FILE), claims), (os.path.join(root, BIB_FILE), bib),
        (path or "", article)))
    if stable and (article is None) == (kb.article_text is None):
        _write_entry(where, _Entry(code_version(), claims, bib, rel, article, _doc_out(doc),
                                   _bib_out(parsed), _problems_out(report)))
    return kb, report
