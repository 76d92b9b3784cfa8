"""Links between pages. The router (`app.py`) registers the `st.Page` objects it built for
this run; pages link by page name and never import each other or the router."""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Mapping

import streamlit as st

# The session key under which the library keeps the chosen article (dashboard.library).
BASE_KEY = "kb_base"
# Each script run has its own thread, so one session's pages never reach another's.
_run = threading.local()


def register(pages: Mapping[str, st.Page]) -> None:
    _run.pages = dict(pages)


def _page(name: str) -> st.Page | None:
    return getattr(_run, "pages", {}).get(name)


def url(page: str, **params: str) -> str:
    """Relative URL of a page with query parameters (for HTML, tables and charts).

    In a library, the chosen article (`?base=`) goes along: such a link opens a new session.
    """
    base = st.session_state.get(BASE_KEY)
    if base and "base" not in params:
        params = {**params, "base": base}
    query = urllib.parse.urlencode(params)
    return f"./{page}" + (f"?{query}" if query else "")


def link(page: str, label: str, help: str | None = None, **params: str) -> None:
    """A same-tab link to a page (query parameters survive a reload and can be shared)."""
    target = _page(page)
    if target is None:  # a page rendered on its own (tests): a plain relative link
        st.markdown(f"[{label}]({url(page, **params)})", help=help)
        return
    st.page_link(target, label=label, help=help, query_params=params or None)


def switch(page: str, **params: str) -> None:
    """Open another page now (a selected graph node, a deep link)."""
    target = _page(page)
    if target is not None:
        st.switch_page(target, query_params=params or None)
