"""A cache of parsed sources beside the knowledge base (`.kb-cache/`), keyed on content.

Never stale: every state is keyed on the SHA-256 of the files it was made from and of the
library's own source code, so a changed file (or a changed `kb`) is always read again (file
hashes are reused only while a file's stat signature is unchanged: see `kb.store`). Safe to
delete at any time. Everything is signed with a per-user key (HMAC), so a `.kb-cache` that
arrives with someone else's folder is ignored rather than unpickled.

Paths, cheapest first:

    nothing changed        -> one state read; records decoded on first use   (`_from_state`)
    one claim edited       -> that claim parsed, validated, checked; patched (`_apply_edit`)
    anything else          -> parse, reusing the cached bibliography and the
                              parsed entries of claims.yaml that did not change (`_parse`)

Each path returns the same base and report as `kb.load.load_kb` (tests/test_incremental.py
compares them after many kinds of edit).
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import hmac
import os
import pickle
import re
import secrets
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from kb.anchors import index_for, prime
from kb.bibliography import Bibliography, parse_bibliography
from kb.checks import CHECKS, CODES, PER_CLAIM
from kb.claims import ClaimsDocument, LineMap, ParseMemo, chunk_hash, parse_claims, parse_entry
from kb.load import (
    BIB_FILE,
    CLAIMS_FILE,
    Progress,
    _quiet,
    assemble,
    load_kb,
    missing_folder,
)
from kb.model import Appraisal, Article, Claim, InvalidClaim, KnowledgeBase, Reference, Settings
from kb.problems import Problem, Report
from kb.sources import decode, gc_paused
from kb.sources import read_bytes as read_source_bytes
from kb.store import (
    LazyMapping,
    LazySequence,
    MapWithOffsets,
    Prefixed,
    Records,
    Store,
    StoreError,
    WithOffsets,
)

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


def read_bytes(path: str) -> bytes | None:
    """A source's bytes, or None when it cannot be read (the full load then says why)."""
    return read_source_bytes(path, path)[0]


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


@dataclass
class _State:
    """One version of the sources, as kept in the store (see `kb.store`)."""

    code: str
    claims_digest: str
    bib_digest: str
    article_rel: str | None
    article_digest: str | None
    report: Report
    # A base whose claims.yaml could not be parsed in entries is kept whole:
    whole: KnowledgeBase | None = None
    # ... otherwise as record ids, in order (see `_from_state`):
    article: Article | None = None
    settings: Settings | None = None
    claim_ids: list[str] = field(default_factory=list)        # valid claims
    claim_line_ids: list[str] = field(default_factory=list)   # every claim entry
    claim_offsets: list[int] = field(default_factory=list)
    claim_positions: tuple[int, ...] = ()
    invalid_claims: tuple[InvalidClaim, ...] = ()
    study_ids: dict[str, str] = field(default_factory=dict)
    study_line_ids: dict[str, str] = field(default_factory=dict)
    study_offsets: dict[str, int] = field(default_factory=dict)
    invalid_studies: frozenset[str] = frozenset()
    ref_keys: list[str] = field(default_factory=list)
    flat_lines: dict[str, int] = field(default_factory=dict)
    has_article_text: bool = False

    def record_ids(self) -> list[str]:
        entries = [*self.claim_line_ids, *self.study_line_ids.values()]
        ids = [*entries, *(_lines_id(i) for i in entries),
               *(_ref_id(self.bib_digest, k) for k in self.ref_keys),
               _rid("L", self.claims_digest), _rid("B", self.bib_digest)]
        if self.article_digest:
            ids += [_rid("A", self.article_digest), _rid("T", self.article_digest)]
        return ids


def load_kb_cached(root: str = ".", *, memo: ParseMemo | None = None,
                   progress: Progress = _quiet) -> tuple[KnowledgeBase, Report]:
    """`load_kb` with the content-keyed cache: same result, less work when files are unchanged.

    Three paths, cheapest first: nothing changed (one state is read; claims, appraisals and
    references are decoded when first used); one claim of claims.yaml changed in place (that
    claim is parsed, validated and checked, everything else is reused); anything else (the
    sources are parsed, reusing what the cache holds of them). `memo` is an in-process
    `ParseMemo` the caller keeps between loads (the dashboard does); without one, the parsed
    entries of claims.yaml are kept on disk instead.

    Examples
    --------
    >>> kb, report = load_kb_cached(".")    # doctest: +SKIP
    """
    with gc_paused():
        return _load_cached(root, memo, progress)


def open_store(root: str) -> Store | None:
    """The knowledge base's store, or None when there is no key or no writable folder."""
    secret = _signing_key()
    if secret is None:
        return None
    try:
        return Store(os.path.join(root, CACHE_DIR), secret)
    except StoreError:
        return None


def _load_cached(root: str, memo: ParseMemo | None,
                 progress: Progress) -> tuple[KnowledgeBase, Report]:
    if not os.path.isdir(root):
        return KnowledgeBase(root=root), Report.of([missing_folder(root)])
    store = open_store(root)
    if store is None:
        return _parse(root, None, memo, progress)
    claims_path, bib_path = os.path.join(root, CLAIMS_FILE), os.path.join(root, BIB_FILE)
    claims_digest, claims_raw = store.file_digest(claims_path, read_bytes)
    bib_digest, bib_raw = store.file_digest(bib_path, read_bytes)
    if claims_digest is None or bib_digest is None:
        return load_kb(root, progress)  # a missing or unreadable file: report it the usual way
    key = _digest_key(claims_digest, bib_digest)
    state = store.get_state(key)
    if state is not None and _article_digest(store, root, state.article_rel) == \
            state.article_digest:
        found = _from_state(store, root, state)
        if found is not None:
            return found
    previous = store.latest_state()
    if (previous is not None and previous.whole is None and previous.code == code_version()
            and previous.bib_digest == bib_digest
            and _article_digest(store, root, previous.article_rel) == previous.article_digest):
        raw = claims_raw if claims_raw is not None else read_bytes(claims_path)
        if raw is not None:
            edited = _apply_edit(store, root, previous, raw, claims_digest, key, progress)
            if edited is not None:
                return edited
    return _parse(root, store, memo, progress, claims_raw, bib_raw,
                  (key, claims_digest, bib_digest))


def _digest_key(claims_digest: str, bib_digest: str) -> str:
    return hashlib.sha256(f"{code_version()}:{claims_digest}:{bib_digest}".encode()
                          ).hexdigest()[:32]


def _article_digest(store: Store, root: str, rel: str | None) -> str | None:
    if rel is None or os.path.isabs(rel):
        return None
    return store.file_digest(os.path.join(root, rel), read_bytes)[0]


# --- nothing changed: a state, read lazily -------------------------------------------------


def _from_state(store: Store, root: str, state: _State,
                records: Records | None = None) -> tuple[KnowledgeBase, Report] | None:
    if state.whole is not None:
        return _rooted(state.whole, root), state.report
    records = records or Records(store, _decode)
    article_text = None
    if state.has_article_text:
        try:
            article_text = records.get(_rid("T", state.article_digest or ""))
        except KeyError:
            return None
    lines = LineMap()
    lines.flat = dict(state.flat_lines)
    lines.claims = WithOffsets(LazySequence(records, [_lines_id(i) for i in
                                                      state.claim_line_ids]),
                               state.claim_offsets)  # type: ignore[assignment]
    lines.studies = MapWithOffsets(LazyMapping(records, {k: _lines_id(i) for k, i in
                                                         state.study_line_ids.items()}),
                                   state.study_offsets)  # type: ignore[assignment]
    kb = KnowledgeBase(
        root=root,
        article=state.article,
        article_text=article_text,
        settings=state.settings or Settings(),
        references=LazyMapping(records, Prefixed(_ref_id(state.bib_digest, ""),
                                                 state.ref_keys)),
        studies=LazyMapping(records, state.study_ids),
        claims=LazySequence(records, state.claim_ids),  # type: ignore[arg-type]
        invalid_claims=state.invalid_claims,
        claim_positions=state.claim_positions,
        lines=lines,
        invalid_studies=state.invalid_studies,
    )
    return kb, state.report


# --- one claim edited in place --------------------------------------------------------------

# Problems whose message names another entry's line or lists many claims: after an edit
# they are recomputed by a full load rather than patched.
_UNPATCHABLE = frozenset({"claim-duplicate-id", "yaml-duplicate-key", "too-many-problems",
                          "article-changed"})
_CLAIM_PATH = re.compile(r"claims\[(\d+)\]")


def _apply_edit(store: Store, root: str, prev: _State, raw: bytes, claims_digest: str,
                key: str, progress: Progress = _quiet) -> tuple[KnowledgeBase, Report] | None:
    """The base after one claim entry of claims.yaml changed, or None to load in full.

    The file's layout from the previous load says where each entry and the text between
    entries was; all of them but one must be unchanged (compared by hash, from the start and
    from the end, a group of entries at a time), and the changed one must still be one valid
    claim with the same id and cited studies. Then only that claim is parsed, validated and
    checked; its problems replace its old ones and the lines of everything after it move by
    the lines it gained or lost.
    """
    if any(p.code in _UNPATCHABLE for p in prev.report) or raw.startswith(b"\xef\xbb\xbf"):
        return None
    records = Records(store, _decode)
    try:
        layout, groups, indent, old_newlines = records.get(_rid("L", prev.claims_digest))
    except KeyError:
        return None
    n = len(layout)
    delta = len(raw) - (layout[-1][2] if layout else 0)
    k, m = _changed_entry(layout, groups, raw, delta)
    if k >= n or m != k or layout[k][0] != "claim":
        return None
    _, a, b, line, _ = layout[k]
    try:
        region = raw[a:b + delta].decode("utf-8")
    except UnicodeDecodeError:
        return None
    item = indent + "- "
    if (not region.startswith(item) or ("\n" + item) in region or "\t" in region
            or "\x00" in region or "\n---" in region or "\n..." in region
            or re.search(r"\n[^ \r\n#-]" if indent == "" else r"\n[^ \r\n#]", region)
            or (b + delta < len(raw) and not region.endswith("\n"))):
        return None
    parsed = parse_entry("claim", region, CLAIMS_FILE)
    if parsed is None:
        return None
    try:
        claim = Claim.model_validate(parsed[0])
    except ValidationError:
        return None
    rel = parsed[1]
    index = sum(1 for entry in layout[:k] if entry[0] == "claim")
    if index not in prev.claim_positions or index >= len(prev.claim_line_ids):
        return None
    try:
        old_claim = records.get(prev.claim_line_ids[index])
    except KeyError:
        return None
    if (old_claim is None or old_claim.id != claim.id
            or {e.study for e in old_claim.evidence} != {e.study for e in claim.evidence}
            or old_claim.contradicts != claim.contradicts):
        return None

    progress(f"{CLAIMS_FILE}: claim '{claim.id}' changed; checking it again")
    # The new state: one record replaced, everything after the entry shifted.
    old_lines = (layout[k + 1][3] if k + 1 < n else old_newlines) - line
    shift = region.count("\n") - old_lines
    end_line = line + old_lines  # 0-based first line after the old entry
    new_key = chunk_hash("claim", raw[a:b + delta])
    rid = _rid("c", new_key)
    new_layout = [*layout[:k], ("claim", a, b + delta, line, new_key),
                  *((kd, x + delta, y + delta, ln + shift, h)
                    for kd, x, y, ln, h in layout[k + 1:])]
    valid_at = prev.claim_positions.index(index)
    state = dataclasses.replace(
        prev, claims_digest=claims_digest,
        claim_ids=[*prev.claim_ids[:valid_at], rid, *prev.claim_ids[valid_at + 1:]],
        claim_line_ids=[*prev.claim_line_ids[:index], rid, *prev.claim_line_ids[index + 1:]],
        claim_offsets=[o + shift if o >= end_line else o for o in prev.claim_offsets],
        study_offsets={s: o + shift if o >= end_line else o
                       for s, o in prev.study_offsets.items()},
        flat_lines={p: n + shift if n > end_line else n for p, n in prev.flat_lines.items()},
    )
    records.remember(rid, claim)
    records.remember(_lines_id(rid), rel)
    loaded = _from_state(store, root, state, records)
    if loaded is None:
        return None
    kb = loaded[0]

    # Its problems: the per-claim checks on this claim alone, merged where a full load
    # would have found them.
    if kb.article_text is not None and prev.article_digest:
        try:
            prime(kb.article_text, records.get(_rid("A", prev.article_digest)))
        except KeyError:
            pass
    alone = dataclasses.replace(kb, claims=(claim,), claim_positions=(index,), invalid_claims=())
    fresh = [p for check in PER_CLAIM for p in check(alone)]
    kept = []
    for p in prev.report:
        if _claim_of(p) == index:
            continue
        if p.file == CLAIMS_FILE and p.line is not None and p.line > end_line:
            p = dataclasses.replace(p, line=p.line + shift)
        kept.append(p)
    rank = {code: i for i, check in enumerate(CHECKS) for code in CODES[check]}

    def order(p: Problem) -> tuple[int, int]:
        if p.code not in rank:
            return (-1, 0)
        claim_at = _claim_of(p)
        return (rank[p.code], -1 if claim_at is None else claim_at)

    merged = list(kept)
    for p in fresh:
        merged.insert(bisect.bisect_right([order(q) for q in merged], order(p)), p)
    report = Report.of(merged)
    state = dataclasses.replace(state, report=report)
    try:
        g = k // GROUP
        new_groups = list(groups)
        new_groups[g] = _group_hashes(new_layout[g * GROUP:(g + 1) * GROUP], raw)[0]
        store.put_state(key, state, [*_encode_entry(rid, claim, rel),
                                     (_rid("L", claims_digest), (new_layout, new_groups, indent,
                                                            old_newlines + shift))])
    except StoreError:
        pass
    return kb, report


# Entries per group: a group's bytes are hashed as one, so finding the changed entry of a
# large file costs a few hundred hashes rather than one per entry.
GROUP = 256


def _group_hashes(layout: list[tuple[str, int, int, int, str]], raw: bytes) -> list[str]:
    return [hashlib.sha1(raw[layout[g][1]:layout[min(g + GROUP, len(layout)) - 1][2]]
                         ).hexdigest() for g in range(0, len(layout), GROUP)]


def _entry_same(entry: tuple[str, int, int, int, str], raw: bytes, delta: int) -> bool:
    kind, x, y, _, h = entry
    return 0 <= x + delta and y + delta <= len(raw) and \
        chunk_hash(kind, raw[x + delta:y + delta]) == h


def _group_same(layout: list[tuple[str, int, int, int, str]], groups: list[str], g: int,
                raw: bytes, delta: int) -> bool:
    a = layout[g * GROUP][1] + delta
    b = layout[min((g + 1) * GROUP, len(layout)) - 1][2] + delta
    return 0 <= a and b <= len(raw) and hashlib.sha1(raw[a:b]).hexdigest() == groups[g]


def _changed_entry(layout: list[tuple[str, int, int, int, str]], groups: list[str],
                   raw: bytes, delta: int) -> tuple[int, int]:
    """(k, m): the first entry that changed counting from the start, and from the end
    (with the entries after it moved by `delta` bytes). One entry changed: k == m."""
    n = len(layout)
    k = n
    for g in range(len(groups)):
        if not _group_same(layout, groups, g, raw, 0):
            k = next((i for i in range(g * GROUP, min((g + 1) * GROUP, n))
                      if not _entry_same(layout[i], raw, 0)), n)
            break
    if k == n:
        return k, k
    m = k
    for g in range(len(groups) - 1, -1, -1):
        lo, hi = g * GROUP, min((g + 1) * GROUP, n) - 1
        if hi <= k:
            break
        if lo > k and _group_same(layout, groups, g, raw, delta):
            continue
        m = next((i for i in range(hi, max(lo, k + 1) - 1, -1)
                  if not _entry_same(layout[i], raw, delta)), k)
        break
    return k, m


def _claim_of(p: Problem) -> int | None:
    if p.file != CLAIMS_FILE or not p.path:
        return None
    m = _CLAIM_PATH.match(p.path)
    return int(m.group(1)) if m else None


# --- anything else: parse, reusing what the store holds ------------------------------------


def _parse(root: str, store: Store | None, memo: ParseMemo | None, progress: Progress,
           claims_raw: bytes | None = None, bib_raw: bytes | None = None,
           keys: tuple[str, str, str] | None = None) -> tuple[KnowledgeBase, Report]:
    claims_path, bib_path = os.path.join(root, CLAIMS_FILE), os.path.join(root, BIB_FILE)
    read_here = claims_raw is None or bib_raw is None
    if claims_raw is None:
        claims_raw = read_bytes(claims_path)
    if bib_raw is None:
        bib_raw = read_bytes(bib_path)
    if claims_raw is None or bib_raw is None:
        return load_kb(root, progress)
    if read_here and keys is not None and (
            hashlib.sha256(claims_raw).hexdigest() != keys[1]
            or hashlib.sha256(bib_raw).hexdigest() != keys[2]):
        keys = None  # a file changed since its hash was taken: load it, but do not keep it
    bib: Bibliography | None = None
    records = Records(store, _decode) if store is not None else None
    bib_digest = keys[2] if keys else ""
    if records is not None:
        try:
            ref_keys, bib_problems, count = records.get(_rid("B", bib_digest))
            refs = LazyMapping(records, {k: _ref_id(bib_digest, k) for k in ref_keys})
            refs.materialize()  # the checks read them all anyway; a lost record shows here
            bib = Bibliography(refs, count, bib_problems)  # type: ignore[arg-type]
        except KeyError:
            bib = None
    new_bib = bib is None
    if bib is None:
        progress(f"parsing {BIB_FILE}")
        bib = _parse_bib(bib_raw)
    own_memo = memo is None
    if memo is None:
        memo = (_get(root, "memo", code_version()) if store is not None else None) or ParseMemo()
    before = set(memo.parsed)
    progress(f"parsing {CLAIMS_FILE}")
    doc = _parse_claims(claims_raw, memo)
    if own_memo and store is not None and set(memo.parsed) != before:
        _put(root, "memo", code_version(), memo)
    kb, report = assemble(root, doc, bib, progress)
    if store is None or keys is None:
        return kb, report
    try:
        _save(store, root, kb, report, doc, bib, keys, new_bib, claims_raw)
    except (StoreError, KeyError, OSError):
        pass
    return kb, report


# Records hold plain data, not pickled models: pydantic validates a dict (in Rust) about five
# times faster than it unpickles a model, and gives an equal model (tests/test_cache.py).
# An entry's line map is a record of its own: grading, the common reader, never decodes it.
def _encode_entry(rid: str, model: Claim | Appraisal | None,
                  rel: dict[str, int]) -> list[tuple[str, Any]]:
    data = None if model is None else model.model_dump(exclude_unset=True)
    return [(rid, data), (_lines_id(rid), rel)]


def _lines_id(record_id: str) -> str:
    return "l" + record_id[1:]


_ENTRY_MODELS: dict[str, type[Claim] | type[Appraisal]] = {"c": Claim, "s": Appraisal}


def _decode(record_id: str, value: Any) -> Any:
    model = _ENTRY_MODELS.get(record_id[:1])
    if model is not None:
        return None if value is None else model.model_validate(value)
    if record_id[:1] == "r":
        return Reference(*value)
    return value


def _rid(kind: str, content_key: str) -> str:
    """A record's id: its kind, the code version (records are shaped by this code, so
    another `kb` never reads them, and records made together always match) and the hash of
    what it came from. Every record id is made here."""
    return f"{kind}{code_version()[:8]}{content_key}"


def _ref_id(bib_digest: str, key: str) -> str:
    return _rid("r", f"{bib_digest[:24]}:{key}")


def _save(store: Store, root: str, kb: KnowledgeBase, report: Report, doc: ClaimsDocument,
          bib: Bibliography, keys: tuple[str, str, str], new_bib: bool,
          claims_raw: bytes) -> None:
    """Keep a parsed base as records and a state (`claims_raw`: the bytes parsed, whose
    hash is in `keys`)."""
    key, claims_digest, bib_digest = keys
    article_rel = doc.article_path
    article_digest = _article_digest(store, root, article_rel) if kb.article_text else None
    state = _State(code_version(), claims_digest, bib_digest, article_rel, article_digest,
                   report)
    items: list[tuple[str, Any]] = []
    if new_bib:
        items.append((_rid("B", bib_digest), (list(bib.references), bib.problems,
                                              bib.entry_count)))
        items += [(_ref_id(bib_digest, k), (ref.key, ref.entry_type, dict(ref.fields), ref.line))
                  for k, ref in bib.references.items()]
    state.ref_keys = list(bib.references)
    lines = doc.lines
    if doc.layout is None or not isinstance(lines, LineMap):
        state.whole = kb
        store.put_state(key, state, items, _State.record_ids)
        return
    by_position = dict(zip(kb.claim_positions, kb.claims, strict=True))
    for pos, (rel, offset) in enumerate(lines.claims):
        rid = _rid("c", doc.chunk_keys[f"claims[{pos}]"])
        items += _encode_entry(rid, by_position.get(pos), rel)
        state.claim_line_ids.append(rid)
        state.claim_offsets.append(offset)
        if pos in by_position:
            state.claim_ids.append(rid)
    for name, (rel, offset) in lines.studies.items():
        rid = _rid("s", doc.chunk_keys[f"studies.{name}"])
        items += _encode_entry(rid, kb.studies.get(name), rel)
        state.study_line_ids[name] = rid
        state.study_offsets[name] = offset
        if name in kb.studies:
            state.study_ids[name] = rid
    state.article, state.settings = kb.article, kb.settings
    state.claim_positions, state.invalid_claims = kb.claim_positions, kb.invalid_claims
    state.invalid_studies, state.flat_lines = kb.invalid_studies, dict(lines.flat)
    if doc.layout and not claims_raw.startswith(b"\xef\xbb\xbf"):
        items.append((_rid("L", claims_digest), (doc.layout, _group_hashes(doc.layout, claims_raw),
                                            *doc.layout_info)))
    if kb.article_text is not None and article_digest:
        state.has_article_text = True
        items.append((_rid("T", article_digest), kb.article_text))
        items.append((_rid("A", article_digest), index_for(kb.article_text)._norm_text))
    store.put_state(key, state, items, _State.record_ids)


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
