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
from collections.abc import Callable, Mapping
from typing import BinaryIO

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
from kb.grading import Grade, grade_all
from kb.model import (
    Appraisal,
    Article,
    Certainty,
    Claim,
    EvidenceLink,
    InvalidClaim,
    KnowledgeBase,
    LongTerm,
    Reference,
    Settings,
    Verdict,
)
from kb.problems import Problem, Report
from kb.rules import with_certainty
from kb.sources import decode, read_bytes, read_text

# A file modified this close before it was hashed may change again within the same mtime
# tick, so its signature is not trusted (git's "racy clean" rule).
RACY_NS = 2_000_000_000
_CLAIMS = TypeAdapter(tuple[Claim, ...])
_CLAIM = TypeAdapter(Claim)
_STUDIES = TypeAdapter(dict[str, Appraisal])
_ARTICLE = TypeAdapter(Article)
_SETTINGS = TypeAdapter(Settings)


def cache_dir() -> str:
    """Where cache files go: `KB_CACHE_DIR`, else the user's cache folder."""
    return os.environ.get("KB_CACHE_DIR") or platformdirs.user_cache_dir("kb", appauthor=False)


def cache_file(root: str, kind: str = "base") -> str:
    """The cache file of the knowledge base in folder `root` (one per folder and kind:
    'base', or 'grades' for what `load_graded` keeps)."""
    name = hashlib.sha256(os.path.realpath(root).encode()).hexdigest()[:24]
    return os.path.join(cache_dir(), f"{kind}-{name}.msgpack")


def code_version() -> str:
    """Hash of the library's source: another `kb` never reads this one's cache."""
    digest = hashlib.sha256(msgspec.__version__.encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:24]


# --- what a cache file holds ---------------------------------------------------------------
#
# A cache file is a sequence of sections, each an 8-byte length and its bytes, written and
# read one at a time (so the whole file never exists twice in memory): the header, then the
# parts of the base in `_SECTIONS` order. Claims and appraisals are pydantic's JSON (pydantic
# validates JSON in Rust, faster than from Python objects); the rest is MessagePack.

class Source(msgspec.Struct, array_like=True, frozen=True):
    """A source file's content hash and the stat signature it was taken under."""

    sig: tuple[int, int, int, int, int] | None
    digest: str
    hashed_ns: int


class Header(msgspec.Struct, array_like=True, frozen=True):
    """What a cache file was made from."""

    code: str
    claims: Source
    bib: Source
    article_rel: str | None
    article: Source | None


class _Doc(msgspec.Struct, array_like=True):
    article: bytes | None
    article_path: str | None
    settings: bytes
    claim_positions: list[int]
    invalid_claims: list[InvalidClaim]
    invalid_studies: list[str]
    block_hashes: dict[str, str]


class _Lines(msgspec.Struct, array_like=True):
    flat: dict[str, int]
    claims: list[tuple[dict[str, int], int]] | None  # None: not parsed in blocks
    studies: dict[str, tuple[dict[str, int], int]] | None


class _Bib(msgspec.Struct, array_like=True):
    references: list[tuple[str, str, dict[str, str], int]]
    entry_count: int
    problems: list[Problem]


# The article (path and hash) quotes were counted in, and the counts.
Counted = tuple[str | None, Source | None, dict[str, int]]

_SECTIONS = ("doc", "claims", "studies", "lines", "bib", "problems", "quotes")


def _sections_out(doc: ClaimsDocument, bib: Bibliography, report: Report,
                  quote_counts: dict[str, int]) -> dict[str, Callable[[], bytes]]:
    """How to write each section (called one at a time, in `_SECTIONS` order)."""
    lines = doc.lines
    encode = msgspec.msgpack.encode
    return {
        "doc": lambda: encode(_Doc(
            _ARTICLE.dump_json(doc.article, exclude_defaults=True) if doc.article else None,
            doc.article_path, _SETTINGS.dump_json(doc.settings, exclude_defaults=True),
            list(doc.claim_positions), list(doc.invalid_claims), sorted(doc.invalid_studies),
            doc.block_hashes)),
        "claims": lambda: _CLAIMS.dump_json(tuple(doc.claims), exclude_defaults=True),
        "studies": lambda: _STUDIES.dump_json(doc.studies, exclude_defaults=True),
        "lines": lambda: _lines_out(lines),
        "bib": lambda: encode(_Bib(
            [(r.key, r.entry_type, r.fields if type(r.fields) is dict else dict(r.fields), r.line)
             for r in bib.references.values()],
            bib.entry_count, list(bib.problems))),
        "problems": lambda: encode(list(report)),
        "quotes": lambda: encode(quote_counts),
    }


def _lines_out(lines: Mapping[str, int]) -> bytes:
    if isinstance(lines, LineMap):
        return msgspec.msgpack.encode(_Lines(dict(lines.flat), lines.claims, lines.studies))
    return msgspec.msgpack.encode(_Lines(dict(lines), None, None))


def _doc_in(parts: dict[str, memoryview]) -> ClaimsDocument:
    meta = msgspec.msgpack.decode(parts["doc"], type=_Doc)
    doc = ClaimsDocument(
        article=_ARTICLE.validate_json(meta.article) if meta.article else None,
        article_path=meta.article_path,
        settings=_SETTINGS.validate_json(meta.settings),
        studies=_STUDIES.validate_json(bytes(parts["studies"])),
        claims=list(_CLAIMS.validate_json(bytes(parts["claims"]))),
        invalid_claims=meta.invalid_claims,
        claim_positions=meta.claim_positions,
        invalid_studies=set(meta.invalid_studies),
        block_hashes=meta.block_hashes,
    )
    stored = msgspec.msgpack.decode(parts["lines"], type=_Lines)
    if stored.claims is None or stored.studies is None:
        doc.lines = stored.flat
    else:
        lines = LineMap()
        lines.flat, lines.claims, lines.studies = stored.flat, stored.claims, stored.studies
        doc.lines = lines
    return doc


def _bib_in(parts: dict[str, memoryview]) -> Bibliography:
    data = msgspec.msgpack.decode(parts["bib"], type=_Bib)
    refs = {row[0]: Reference(*row) for row in data.references}
    return Bibliography(refs, data.entry_count, data.problems)


def _quotes_in(parts: dict[str, memoryview]) -> dict[str, int]:
    return msgspec.msgpack.decode(parts["quotes"], type=dict[str, int])


def _report_in(parts: dict[str, memoryview]) -> Report:
    # Settled when it was made (ordered and capped: see `kb.problems.settle`).
    return Report(tuple(msgspec.msgpack.decode(parts["problems"], type=list[Problem])))


# --- source files --------------------------------------------------------------------------

def _signature(path: str) -> tuple[int, int, int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def _read(path: str) -> bytes | None:
    """A source's bytes, or None when it cannot be read (the full load then says why)."""
    return read_bytes(path, path)[0]


def _source(path: str, known: Source | None) -> tuple[Source | None, bytes | None]:
    """The file's hash (reused from `known` while its signature holds) and, when it had to
    be read, its bytes; (None, None) when it cannot be read."""
    sig = _signature(path)
    if known is not None and known.sig == sig and _trusted(known):
        return known, None
    hashed_ns = time.time_ns()
    raw = _read(path)
    if raw is None:
        return None, None
    return Source(sig, hashlib.sha256(raw).hexdigest(), hashed_ns), raw


def _trusted(source: Source) -> bool:
    """Whether the file was last modified well before it was hashed (its signature can stand
    for its content from then on)."""
    return source.sig is not None and source.hashed_ns - source.sig[1] > RACY_NS


# --- the cache file ------------------------------------------------------------------------

def _read_entry(path: str) -> tuple[Header, dict[str, memoryview]] | None:
    """The header and sections of a cache file, or None when there is no usable one."""
    try:
        with open(path, "rb") as fh:
            data = memoryview(fh.read())
    except OSError:  # missing or unreadable
        return None
    chunks, at = [], 0
    while at + 8 <= len(data):
        size = int.from_bytes(data[at:at + 8], "little")
        chunks.append(data[at + 8:at + 8 + size])
        at += 8 + size
    if at != len(data) or len(chunks) != 1 + len(_SECTIONS):
        return None  # truncated, or not a cache file of this shape
    try:
        header = msgspec.msgpack.decode(chunks[0], type=Header)
    except msgspec.DecodeError:
        return None
    if header.code != code_version():
        return None
    return header, dict(zip(_SECTIONS, chunks[1:], strict=True))


def _write_entry(path: str, header: Header,
                 sections: Mapping[str, Callable[[], bytes] | memoryview]) -> None:
    """Write a cache file atomically, one section at a time; any failure leaves no file."""
    def write(fh: BinaryIO) -> None:
        for name in ("header", *_SECTIONS):
            part = msgspec.msgpack.encode(header) if name == "header" else sections[name]
            blob = part() if callable(part) else part
            fh.write(len(blob).to_bytes(8, "little"))
            fh.write(blob)
            del blob
    _write_file(path, write)


def _write_file(path: str, write: Callable[[BinaryIO], object]) -> None:
    """Write a file of the cache atomically; any failure leaves no file. (A cache file is
    ours, not the user's: no fsync, no lock; a torn one fails to decode and is ignored.)"""
    tmp = None
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".kb-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    except OSError:  # a read-only or full cache folder: the next load parses again
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


# --- keeping a base worked out elsewhere ---------------------------------------------------

def store_edited(root: str, before: str, kb: KnowledgeBase, report: Report, *,
                 written: os.stat_result, digest: str, position: int, block: str) -> bool:
    """Keep `kb` and `report`, the base in `root` after one claim's entry in claims.yaml was
    rewritten (and worked out in memory: `kb.edit.apply_saved`), as the cache entry of the
    files now there, made from the entry of the file before the edit (hash `before`): the
    next load then reads it back instead of parsing the entry and checking the whole base.

    `written`: claims.yaml's status as written, `digest` its hash; `position`: the claim's
    place in the file; `block`: the hash of its entry's block (`kb.claims.block_hash`).
    Keeps nothing (False) unless the stored entry is the one of the file before the edit
    and the files are still those the edit left (a later writer wins).
    """
    where = cache_file(root)
    stored = _read_entry(where)
    if stored is None or stored[0].claims.digest != before:
        return False
    header, parts = stored
    sig = (written.st_size, written.st_mtime_ns, written.st_ctime_ns, written.st_ino,
           written.st_dev)
    bib, _ = _source(os.path.join(root, BIB_FILE), header.bib)
    if _signature(os.path.join(root, CLAIMS_FILE)) != sig or bib is None \
            or bib.digest != header.bib.digest or not _same_article(root, header):
        return False
    try:
        sections = _edited_sections(parts, kb, report, position, block)
    except (ValueError, IndexError):  # an entry that does not decode, or another base's
        return False
    # Hashed by whoever wrote it, as it was written: trusted once the next load hashed it.
    claims = Source(sig, digest, written.st_mtime_ns)
    _write_entry(where, msgspec.structs.replace(header, claims=claims, bib=bib), sections)
    return True


def _edited_sections(parts: dict[str, memoryview], kb: KnowledgeBase, report: Report,
                     position: int, block: str) -> dict[str, Callable[[], bytes] | memoryview]:
    """A cache entry's sections with the claim at `position` (and the lines and problems)
    those of `kb` and `report`; the appraisals and the bibliography as they are."""
    meta = msgspec.msgpack.decode(parts["doc"], type=_Doc)
    claims = msgspec.json.decode(parts["claims"], type=list[msgspec.Raw])
    at = meta.claim_positions.index(position)
    if len(claims) != len(kb.claims) or kb.claim_positions[at] != position:
        raise ValueError("the stored entry is not of this base")
    key = f"claims[{position}]"
    if key in meta.block_hashes:
        meta.block_hashes[key] = block
    claims[at] = msgspec.Raw(_CLAIM.dump_json(kb.claims[at], exclude_defaults=True))
    encode = msgspec.msgpack.encode
    return {
        "doc": lambda: encode(meta),
        "claims": lambda: b"[" + b",".join(claims) + b"]",
        "studies": parts["studies"],
        "lines": lambda: _lines_out(kb.lines),
        "bib": parts["bib"],
        "problems": lambda: encode(list(report)),
        # Counts hold for the same article text; the edited claim's new quote is counted
        # when the base is next checked.
        "quotes": parts["quotes"],
    }


# --- loading -------------------------------------------------------------------------------

def load_kb_cached(root: str = ".", progress: Progress = _quiet
                   ) -> tuple[KnowledgeBase, Report]:
    """`load_kb` through the cache: the same base and report, less work when little changed.

    Examples
    --------
    >>> kb, report = load_kb_cached(".")    # doctest: +SKIP
    """
    kb, report, _ = _load(root, progress)
    return kb, report


def load_graded(root: str = ".", progress: Progress = _quiet
                ) -> tuple[KnowledgeBase, Report, dict[str, Grade]]:
    """`load_kb_cached` and `kb.grading.grade_all`: the grades of files graded before are
    read back (a small file beside the cache file, keyed on the same content)."""
    kb, report, key = _load(root, progress)
    grades = _grades_in(key, kb) if key is not None else None
    if grades is None:
        grades = grade_all(kb, report)
        if key is not None:
            _write_grades(root, key, kb, grades)
    return kb, report, grades


Loaded = tuple[KnowledgeBase, Report, "str | None"]  # the key: what the base was loaded from


def _key(header: Header) -> str:
    article = header.article.digest if header.article is not None else "-"
    return ":".join((header.code, header.claims.digest, header.bib.digest, article,
                     header.article_rel or "-"))


def _load(root: str, progress: Progress) -> Loaded:
    if not os.path.isdir(root):
        return (*load_kb(root, progress), None)
    where = cache_file(root)
    stored = _read_entry(where)
    entry = stored[0] if stored else None
    claims, claims_raw = _source(os.path.join(root, CLAIMS_FILE), entry and entry.claims)
    bib, bib_raw = _source(os.path.join(root, BIB_FILE), entry and entry.bib)
    if claims is None or bib is None:
        return (*load_kb(root, progress), None)  # a missing or unreadable file: as usual
    # Held here only until parsed: the parsers take them out, so they are freed early.
    raws = {CLAIMS_FILE: claims_raw, BIB_FILE: bib_raw}
    del claims_raw, bib_raw
    if stored is not None and bib.digest == stored[0].bib.digest:
        try:
            same_article = _same_article(root, stored[0])
            if claims.digest == stored[0].claims.digest and same_article:
                return _warm(root, where, stored, claims, bib)
            counted = (stored[0].article_rel, stored[0].article, _quotes_in(stored[1])) \
                if same_article else None
            return _edited(root, where, stored[1], claims, raws, bib, progress, counted)
        except ValueError:  # a cache that no longer decodes (pydantic's and msgspec's errors)
            pass
    return _fresh(root, where, claims, bib, raws, progress)


def _same_article(root: str, entry: Header) -> bool:
    path = article_path(root, entry.article_rel) if entry.article_rel is not None else None
    if path is None or entry.article is None:
        return path is None or _signature(path) is None  # still none, or still missing
    now, _ = _source(path, entry.article)
    return now is not None and now.digest == entry.article.digest


def _warm(root: str, where: str, stored: tuple[Header, dict[str, memoryview]],
          claims: Source, bib: Source) -> Loaded:
    header, parts = stored
    text = None
    if header.article is not None and header.article_rel is not None:
        text, problems = read_text(os.path.join(root, header.article_rel), header.article_rel)
        if problems:
            raise ValueError("the article text changed while it was read")
    kb = build_kb(root, _doc_in(parts), _bib_in(parts), text, _quotes_in(parts))
    report = _report_in(parts)
    if (claims != header.claims or bib != header.bib) and _trusted(claims) and _trusted(bib):
        # Touched, not changed: keep the new signatures, so the next load need not hash.
        _write_entry(where, msgspec.structs.replace(header, claims=claims, bib=bib), parts)
    return kb, report, _key(header)


def _raw(root: str, name: str, source: Source, raws: dict[str, bytes | None]) -> bytes | None:
    """The bytes hashed into `source` (read again if they were not kept), or None when the
    file changed meanwhile or cannot be read."""
    raw = raws.pop(name, None)
    if raw is None:
        raw = _read(os.path.join(root, name))
        if raw is None or hashlib.sha256(raw).hexdigest() != source.digest:
            return None
    return raw


def _edited(root: str, where: str, parts: dict[str, memoryview], claims: Source,
            raws: dict[str, bytes | None], bib: Source, progress: Progress,
            counted: Counted | None) -> Loaded:
    """claims.yaml changed: parse the entries whose text changed, reuse the rest; quotes
    are not counted again in an article whose text is the one they were counted in."""
    previous = _doc_in(parts)
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
    # Sections that did not change are written back as they were read.
    same = {"bib": parts["bib"]}
    if list(doc.studies) == list(previous.studies) and all(
            a is previous.studies[k] for k, a in doc.studies.items()):
        same["studies"] = parts["studies"]
    return _finish(root, where, doc, _bib_in(parts), claims, bib, progress, counted, same)


def _fresh(root: str, where: str, claims: Source, bib: Source,
           raws: dict[str, bytes | None], progress: Progress) -> Loaded:
    claims_raw = _raw(root, CLAIMS_FILE, claims, raws)
    bib_raw = _raw(root, BIB_FILE, bib, raws)
    if claims_raw is None or bib_raw is None:
        return (*load_kb(root, progress), None)  # changed while being read: keep nothing
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
            bib: Source, progress: Progress, counted: Counted | None = None,
            same: dict[str, memoryview] | None = None) -> Loaded:
    """Check the parsed sources and keep the result, unless a file changed meanwhile."""
    rel = doc.article_path
    path = article_path(root, rel) if rel is not None else None
    article = _source(path, None)[0] if path is not None else None
    # Quotes counted in an earlier load hold for the same article file with the same hash.
    quote_counts = counted[2] if counted is not None and article is not None and \
        counted[1] is not None and (counted[0], counted[1].digest) == (rel, article.digest) \
        else None
    kb, report = assemble(root, doc, parsed, progress, quote_counts)
    stable = all(s is None or _signature(p) == s.sig for p, s in (
        (os.path.join(root, CLAIMS_FILE), claims), (os.path.join(root, BIB_FILE), bib),
        (path or "", article)))
    if stable and (article is None) == (kb.article_text is None):
        header = Header(code_version(), claims, bib, rel, article)
        _write_entry(where, header,
                     {**_sections_out(doc, parsed, report, _counts(kb)), **(same or {})})
        return kb, report, _key(header)
    return kb, report, None


def _counts(kb: KnowledgeBase) -> dict[str, int]:
    """The quote counts the checks made, for the claims the base holds now."""
    if kb.article_index is None:
        return {}
    quotes = {c.quote for c in kb.claims} | {c.quote for c in kb.invalid_claims}
    return {q: n for q, n in kb.article_index.counted().items() if q in quotes}


# --- grades ----------------------------------------------------------------------------------
#
# Grading is pure, so the grades of a base loaded from the same content by the same code are
# the same: `load_graded` keeps them in a small file of their own. A grade is stored as its
# words and the positions of its driving links in the claim's evidence (the links themselves
# are the claim's, with the default certainty filled in as grading does).

class _Grade(msgspec.Struct, array_like=True, frozen=True):
    claim_id: str
    verdict: str
    certainty: str | None
    long_term: str
    rule: str
    reason: str
    statement: str
    drivers: tuple[int, ...]
    covers_weeks: float | None


class _Grades(msgspec.Struct, array_like=True, frozen=True):
    key: str
    grades: list[_Grade]


def grades_file(root: str) -> str:
    return cache_file(root, "grades")


def _write_grades(root: str, key: str, kb: KnowledgeBase, grades: Mapping[str, Grade]) -> None:
    claims = {c.id: c for c in reversed(kb.claims)}  # the first of duplicated ids, as graded
    out = []
    for g in grades.values():
        claim = claims.get(g.claim_id)
        drivers = _positions(claim, g.drivers, kb) if claim is not None else ()
        if drivers is None:
            return  # a driver that is not one of the claim's links: do not keep these
        out.append(_Grade(g.claim_id, g.verdict.value, g.certainty and g.certainty.value,
                          g.long_term.value, g.rule, g.reason, g.statement, drivers,
                          g.covers_weeks))
    blob = msgspec.msgpack.encode(_Grades(key, out))
    _write_file(grades_file(root), lambda fh: fh.write(blob))


def _positions(claim: Claim, drivers: tuple[EvidenceLink, ...],
               kb: KnowledgeBase) -> tuple[int, ...] | None:
    graded = [with_certainty(e, kb.studies.get(e.study)) for e in claim.evidence]
    out = []
    for d in drivers:
        at = next((j for j, e in enumerate(graded) if e is d), None)
        if at is None:
            at = next((j for j, e in enumerate(graded) if e == d), None)
        if at is None:
            return None
        out.append(at)
    return tuple(out)


def _grades_in(key: str, kb: KnowledgeBase) -> dict[str, Grade] | None:
    """The grades kept for `key`, or None when there are none (or they do not fit `kb`)."""
    try:
        with open(grades_file(kb.root), "rb") as fh:
            stored = msgspec.msgpack.decode(fh.read(), type=_Grades)
    except (OSError, msgspec.DecodeError):
        return None
    if stored.key != key:
        return None
    claims = {c.id: c for c in reversed(kb.claims)}
    grades: dict[str, Grade] = {}
    try:
        for g in stored.grades:
            claim = claims.get(g.claim_id)
            links = claim.evidence if claim is not None else ()
            drivers = tuple(with_certainty(links[j], kb.studies.get(links[j].study))
                            for j in g.drivers)
            grades[g.claim_id] = Grade(
                g.claim_id, Verdict(g.verdict), g.certainty and Certainty(g.certainty),
                LongTerm(g.long_term), g.rule, g.reason, g.statement, drivers,
                claim.review.override if claim is not None else None, g.covers_weeks)
    except (IndexError, ValueError):
        return None
    return grades
