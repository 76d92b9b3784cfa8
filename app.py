"""Streamlit dashboard: `streamlit run app.py` (KB_DIR selects the knowledge-base folder).

The router and frame only: pages live in dashboard/, all logic in kb/.
"""

from __future__ import annotations

import logging

import streamlit as st

from dashboard import library, nav
from dashboard.data import load
from dashboard.ui import inject_css, md_escape

# bibtexparser logs each failed block; the Check page shows them with their lines.
logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)

st.set_page_config(page_title="Evidence review", page_icon="🔎", layout="wide")
inject_css()
if library.gate():  # KB_DIR is a library and no article is chosen: the library page only
    st.stop()

data = load()
pages = {s.name: nav.page(s.name, default=(s.name == "overview")) for s in nav.SPECS}
with st.sidebar:
    if data.kb.article:
        st.caption(f"Reviewing: {md_escape(data.kb.article.title)}")
    if not data.report.valid:
        st.error(f"{len(data.report.errors)} problems in the knowledge base", icon="⚠️")
        nav.link("check", "See the Check page")
current = st.navigation(list(pages.values()))
if current.url_path == pages["overview"].url_path:
    # Deep links pasted as ?claim=ID, ?study=KEY or ?node=ID open the page they name.
    params = st.query_params.to_dict()
    for param, target in (("claim", "claim"), ("study", "studies"), ("node", "graph")):
        if param in params:
            st.switch_page(pages[target], query_params=params)
    if not data.report.valid and not data.kb.claims:
        st.switch_page(pages["check"])  # nothing loaded: the problems are the only useful page
current.run()
