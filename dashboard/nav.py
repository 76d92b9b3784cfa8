"""The dashboard's pages, in one table, so the router and the pages' links agree."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st


@dataclass(frozen=True)
class Spec:
    name: str
    title: str
    icon: str


SPECS = (
    Spec("overview", "Overview", "📊"),
    Spec("article", "Article", "📰"),
    Spec("claim", "Claim", "🔎"),
    Spec("studies", "Studies", "📚"),
    Spec("graph", "Graph", "🕸️"),
    Spec("gaps", "Evidence gap map", "🧭"),
    Spec("check", "Check", "🩺"),
    Spec("changes", "Changes", "📝"),
)


def _renderer(name: str) -> Callable[[], None]:
    from dashboard import article, changes, check, claim, gaps, graph, overview, studies

    return {"overview": overview.render, "article": article.render, "claim": claim.render,
            "studies": studies.render, "graph": graph.render, "gaps": gaps.render,
            "check": check.render, "changes": changes.render}[name]


def page(name: str, *, default: bool = False) -> st.Page:
    spec = next(s for s in SPECS if s.name == name)
    return st.Page(_renderer(name), title=spec.title, icon=spec.icon, url_path=name,
                   default=default)


def link(name: str, label: str, **query: str) -> None:
    """A same-tab link to a page with query parameters (deep links survive a reload)."""
    st.page_link(page(name), label=label, query_params=query or None)
