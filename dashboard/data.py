"""The dashboard's one cached loader: the knowledge base, its report and grades, keyed on the
files' content so that an edited claims.yaml shows up on the next rerun."""

from __future__ import annotations

import gc
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

import networkx as nx
import streamlit as st

from kb.grading import Grade, grade_all
from kb.graph import build_graph
from kb.anchors import Span
from kb.cache import load_graded
from kb.library import Entry, Library, find_library
from kb.load import BIB_FILE, CLAIMS_FILE
from kb.model import KnowledgeBase
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
    names = [CLAIMS_FILE, BIB_FILE]
    names += sorted(n for n in os.listdir(root) if n.endswith(".txt")) if os.path.isdir(root) else []
    parts = []
    for name in names:
        try:
            st = os.stat(os.path.join(root, name))
            parts.append(f"{name}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}")
        except OSError:
            parts.append(f"{name}:-")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Loaded:
    kb: KnowledgeBase
    report: Report
    grades: dict[str, Grade]
    _memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

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


@st.cache_resource(max_entries=4, show_spinner="Loading the knowledge base…")
def _load(root: str, content_hash: str) -> Loaded:
    data = Loaded(*load_graded(root))
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
