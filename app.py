"""Streamlit dashboard: `streamlit run app.py` (KB_DIR selects the knowledge-base folder).

The router and frame only: the page table below builds every `st.Page` once per run and hands
them to `dashboard.links`; pages live in dashboard/, all logic in kb/.
"""

from __future__ import annotations

import logging

import streamlit as st

from dashboard import (
    article,
    changes,
    check,
    claim,
    gaps,
    glossary,
    graph,
    library,
    links,
    overview,
    studies,
)
from dashboard.data import load
from dashboard.ui import inject_css, md_escape

# bibtexparser logs each failed block; the Check page shows them with their lines.
logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)

# One row per page: URL name, title, icon, module with `render()`. A new page is one more row.
PAGES = (
    ("overview", "Overview", "📊", overview),
    ("article", "Article", "📰", article),
    ("claim", "Claim", "🔎", claim),
    ("studies", "Studies", "📚", studies),
    ("graph", "Graph", "🕸️", graph),
    ("gaps", "Evidence gap map", "🧭", gaps),
    ("glossary", "Glossary", "📖", glossary),
    ("check", "Check", "🩺", check),
    ("changes", "Changes", "📝", changes),
)
# Deep links pasted on the home page as ?claim=ID, ?study=KEY or ?node=ID open their page.
DEEP_LINKS = (("claim", "claim"), ("study", "studies"), ("node", "graph"))

st.set_page_config(page_title="Evidence review", page_icon="🔎", layout="wide")
inject_css()
if library.gate():  # KB_DIR is a library and no article is chosen: the library page only
    st.stop()

pages = {name: st.Page(module.render, title=title, icon=icon, url_path=name,
                       default=(name == "overview"))
         for name, title, icon, module in PAGES}
links.register(pages)
data = load()
with st.sidebar:
    if data.kb.article:
        st.caption(f"Reviewing: {md_escape(data.kb.article.title)}")
    if not data.report.valid:
        st.error(f"{len(data.report.errors)} problems in the knowledge base", icon="⚠️")
        links.link("check", "See the Check page")
current = st.navigation(list(pages.values()))
if current.url_path == pages["overview"].url_path:
    params = st.query_params.to_dict()
    for param, target in DEEP_LINKS:
        if param in params:
            st.switch_page(pages[target], query_params=params)
    if not data.report.valid and not data.kb.claims:
        st.switch_page(pages["check"])  # nothing loaded: the problems are the only useful page
current.run()
