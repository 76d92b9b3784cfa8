"""The dashboard's one cached loader: the knowledge base, its report and grades, keyed on the
files' content so that an edited claims.yaml shows up on the next rerun."""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

import networkx as nx
import streamlit as st

from kb.edit import Proposal, Saved, apply_saved, keep_in_cache
from kb.grading import Grade, grade_all, regrade
from kb.graph import build_graph, updated_graph
from kb.anchors import Span
from kb.cache import load_graded
from kb.library import Entry, Library, find_library
from kb.load import BIB_FILE, CLAIMS_FILE
from kb.model import Claim, KnowledgeBase
from kb.problems import Report
from kb.tables import claim_rows, study_label

T = TypeVar("T")


def library() -> Library | None:
    """The library KB_DIR holds, or None when KB_DIR is one base (single-article use)."""
    return find_library(os.environ.get("KB_DIR", "."))


def selected_base(lib: Library) -> Entry | None:
    """The library's article chosen by ?base=NAME (kept for the session across pages)."""
    entry = lib.entry(st.query_params.get("base") or st.session_state.get("kb_base"))
    if entry is not None:
        st.session_state["kb_base"] = entry.name
    return entry


def kb_dir() -> str:
    root = os.environ.get("KB_DIR", ".")
    lib = find_library(root)
    entry = selected_base(lib) if lib is not None else None
    return entry.path if entry is not None else root


def fingerprint(root: str) -> str:
    """The stat signatures of the files the base is read from (the article text included):
    cheap enough for every rerun; the cache itself compares their content."""
    return _digest(stamps(root))


def stamps(root: str) -> tuple[str, ...]:
    """Each file's stat signature, claims.yaml's first (what `fingerprint` hashes)."""
    names = [CLAIMS_FILE, BIB_FILE]
    names += sorted(n for n in os.listdir(root) if n.endswith(".txt")) if os.path.isdir(root) else []
    parts = []
    for name in names:
        try:
            parts.append(_stamp(name, os.stat(os.path.join(root, name))))
        except OSError:
            parts.append(f"{name}:-")
    return tuple(parts)


def _stamp(name: str, st: os.stat_result) -> str:
    return f"{name}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}"


def _digest(parts: tuple[str, ...]) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Loaded:
    kb: KnowledgeBase
    report: Report
    grades: dict[str, Grade]
    _memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # The files' fingerprint it was loaded for (see `fingerprint`).
    stamp: str = field(default="", compare=False)

    def memo(self, name: str, build: Callable[[], T]) -> T:
        """A view of this base that a page derives (a table, the article's HTML), built once
        per loaded base and kept with it, so no page rebuilds it on every rerun."""
        if name not in self._memo:
            self._memo[name] = build()
        return self._memo[name]

    @cached_property
    def claim_ids(self) -> list[str]:
        return [c.id for c in self.kb.claims]

    @cached_property
    def claim_rows(self) -> list[dict[str, Any]]:
        """The claims table's rows (see `kb.tables.claim_rows`), built once per base."""
        return claim_rows(self.kb, self.grades)

    @cached_property
    def short_statements(self) -> dict[str, str]:
        return {r["id"]: r["short_statement"] for r in self.claim_rows}

    def claim_label(self, claim_id: str) -> str:
        """How a claim is named in pickers and lists: its verdict's icon and its words."""
        return (f"{self.grades[claim_id].verdict.icon} "
                f"{self.short_statements.get(claim_id, claim_id)}")

    def study_label(self, key: str) -> str:
        """How a study is named: 'Author et al. year'."""
        return study_label(self.kb, key)

    @cached_property
    def graph(self) -> nx.DiGraph:
        graph = build_graph(self.kb, self.grades)
        gc.freeze()  # long-lived, like the base: kept out of the collector's scans (_settle)
        return graph

    @cached_property
    def anchors(self) -> dict[str, list[Span]]:
        """Where each claim's quote sits in the article (found once per loaded base)."""
        if self.kb.article_index is None:
            return {}
        return self.kb.article_index.find_many(c.quote for c in self.kb.claims)

    @cached_property
    def citing(self) -> dict[str, list[str]]:
        """Study key -> ids of the claims that cite it."""
        out: dict[str, list[str]] = {}
        for claim in self.kb.claims:
            for key in dict.fromkeys(e.study for e in claim.evidence):
                out.setdefault(key, []).append(claim.id)
        return out

    def after(self, p: Proposal, kb: KnowledgeBase, report: Report, stamp: str) -> Loaded:
        """This base after a saved change (`kb`, `report`: what `kb.edit.apply_saved` worked
        out), with its grades and the views this one built worked out from these rather
        than built again (a page builds the others when it needs them)."""
        grades = regrade(self.grades, kb, report, [p.index])
        new = Loaded(kb, report, grades, stamp=stamp)
        claim, before = p.claim_after, p.claim_before
        assert claim is not None and before is not None
        changed = [cid for cid, g in grades.items() if cid == claim.id or (
            g is not self.grades.get(cid) and g != self.grades.get(cid))]
        built, views = self.__dict__, new.__dict__  # cached properties live there
        views["claim_ids"] = self.claim_ids  # the ids do not change
        if "anchors" in built and before.quote == claim.quote:
            views["anchors"] = built["anchors"]
        if any(self.claim_ids.count(cid) != 1 for cid in changed) or any(
                c.id in changed for c in kb.invalid_claims):
            return new  # a duplicated id (an error): the views are built again when needed
        claims = [kb.claim(cid) for cid in changed]
        if "claim_rows" in built:
            rows = list(self.claim_rows)
            order = list(grades)
            alone = dataclasses.replace(kb, claims=tuple(claims), invalid_claims=())
            fresh = claim_rows(alone, {cid: grades[cid] for cid in changed})
            for row in fresh:
                rows[order.index(row["id"])] = row
            views["claim_rows"] = rows
            if "short_statements" in built:
                views["short_statements"] = {**self.short_statements, **{
                    r["id"]: r["short_statement"] for r in fresh}}
        if "citing" in built:
            views["citing"] = self._citing_after(before, claim)
        if "graph" in built:
            views["graph"] = updated_graph(self.graph, kb, claims, grades)  # type: ignore[arg-type]
        return new

    def _citing_after(self, before: Claim, after: Claim) -> dict[str, list[str]]:
        """Study key -> citing claims, with the edited claim's links changed (a study cited
        for the first time comes last: the mapping's order means nothing)."""
        old = list(dict.fromkeys(e.study for e in before.evidence))
        new = list(dict.fromkeys(e.study for e in after.evidence))
        if old == new:
            return self.citing
        out = dict(self.citing)
        ids = self.claim_ids
        for key in set(old) - set(new):
            rest = [cid for cid in out[key] if cid != after.id]
            if rest:
                out[key] = rest
            else:
                del out[key]
        for key in set(new) - set(old):
            out[key] = sorted([*out.get(key, []), after.id], key=ids.index)
        return out


# The base an editor's save left, worked out in memory (see `after_save`), by folder: the
# next load for the files' new fingerprint takes it instead of reading them.
_HANDED: dict[str, tuple[str, Loaded]] = {}
_HANDED_LOCK = threading.Lock()


def after_save(data: Loaded, saved: Saved, before: tuple[str, ...]) -> bool:
    """After an editor saved a change made on `data` (`before`: the files' `stamps` taken just
    before the save), hand the base as saved to the next load, worked out in memory, so the
    page shows it without reading the files again. Only when that is exact: `data` is what
    the files held before the save, the file written is the one now there, the other files
    are unchanged, and `kb.edit.apply_saved` can work the change out. Returns whether the
    base was handed over (else the next load reads the files)."""
    p = saved.proposal
    root = p.base.root
    if not p.changed or saved.stat is None or data.kb is not p.base.kb \
            or _digest(before) != data.stamp:
        return False
    now = stamps(root)
    if now[0] != _stamp(CLAIMS_FILE, saved.stat) or now[1:] != before[1:]:
        return False
    got = apply_saved(saved)
    if got is None:
        return False
    handed = data.after(p, *got, stamp=_digest(now))
    with _HANDED_LOCK:
        _HANDED[root] = (handed.stamp, handed)
    # The disk cache, for the next process: once this page has been shown again.
    keeper = threading.Timer(CACHE_DELAY_S, _keep_in_cache, (saved, *got))
    keeper.daemon = True
    keeper.start()
    return True


# Seconds after a save before its base is written to the disk cache (about a second of work
# at 1000x, kept off the rerun that shows the change).
CACHE_DELAY_S = 2.0
_CACHE_LOCK = threading.Lock()


def _keep_in_cache(saved: Saved, kb: KnowledgeBase, report: Report) -> None:
    with _CACHE_LOCK:  # one at a time: each starts from the entry the one before left
        keep_in_cache(saved, kb, report)


def _handed(root: str, content_hash: str) -> Loaded | None:
    with _HANDED_LOCK:
        stamp, data = _HANDED.get(root, ("", None))
        if data is None or stamp != content_hash:
            return None
        del _HANDED[root]
        return data


@st.cache_resource(max_entries=4, show_spinner="Loading the knowledge base…")
def _load(root: str, content_hash: str) -> Loaded:
    handed = _handed(root, content_hash)
    if handed is not None:
        return handed  # (its new objects are few: no need to settle the collector again)
    data = Loaded(*load_graded(root), stamp=content_hash)
    # What every page needs is built once per base, here, not by the first page that asks;
    # the graph (claim and graph pages) is built by the first page that needs it, once.
    for part in ("claim_rows", "short_statements", "citing"):
        getattr(data, part)
    _settle()
    return data


def _settle() -> None:
    """Keep the loaded bases out of the garbage collector's scans.

    A large base is millions of long-lived objects; every full collection walked all of them
    and stalled the server for seconds at random moments (pages took 4-6 s at 1000x while
    their scripts ran in under 0.5 s). Frozen objects are skipped by the collector and still
    freed by reference counting; unfreezing first lets a replaced base's cycles go.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def load() -> Loaded:
    return load_base(kb_dir())


def load_base(root: str) -> Loaded:
    """The base in folder `root`, loaded once per content (the library page loads each)."""
    return _load(root, fingerprint(root))
