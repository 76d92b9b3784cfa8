"""Streamlit dashboard: `streamlit run app.py` (KB_DIR selects the knowledge-base folder).

The router and frame only: pages live in dashboard/, all logic in kb/.
"""

from __future__ import annotations

import logging

import streamlit as st

from dashboard import nav
from dashboard.data import load
from dashboard.ui import inject_css

# bibtexparser logs each failed block; the Check page shows them with their lines.
logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)

st.set_page_config(page_title="Evidence review", page_icon="🔎", layout="wide")
inject_css()

data = load()
params = st.query_params
if "claim" in params:
    start = "claim"
elif "study" in params:
    start = "studies"
elif "node" in params:
    start = "graph"
elif not data.report.valid and not data.kb.claims:
    start = "check"  # nothing loaded: the problems are the only useful page
else:
    start = "overview"

pages = [nav.page(s.name, default=(s.name == start)) for s in nav.SPECS]
with st.sidebar:
    if data.kb.article:
        st.caption(f"Reviewing: {data.kb.article.title}")
    if not data.report.valid:
        st.error(f"{len(data.report.errors)} problems in the knowledge base", icon="⚠️")
        nav.link("check", "See the Check page")
st.navigation(pages).run()
