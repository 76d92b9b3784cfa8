"""Glossary: every term the pages use, in plain words (the entries live in `kb.glossary`)."""

from __future__ import annotations

import streamlit as st

from dashboard.data import load
from dashboard.ui import esc, md_escape
from kb.glossary import GROUPS, entries


def glossary_html(settings) -> str:
    parts = []
    by_group: dict[str, list] = {}
    for e in entries(settings):
        by_group.setdefault(e.group, []).append(e)
    for group, title in GROUPS.items():
        items = "".join(f'<dt id="{esc(e.anchor)}">{esc(e.term)}</dt><dd>{esc(e.text)}</dd>'
                        for e in by_group.get(group, []))
        parts.append(f'<h3 id="{esc(group)}">{esc(title)}</h3><dl class="kb-glossary">{items}</dl>')
    return "".join(parts)


def render() -> None:
    data = load()
    st.title("Glossary")
    st.caption("What the words on these pages mean, in plain language. Underlined terms on "
               "other pages show the same explanation on hover and link here.")
    query = st.text_input("Find a term", key="gl_search", placeholder="e.g. GRADE, PICO, mixed")
    if query:
        found = [e for e in entries(data.kb.settings)
                 if query.lower() in (e.term + " " + e.key + " " + e.text).lower()]
        if not found:
            st.info("No term matches; the full list is below.")
        for e in found:
            st.markdown(f"**{md_escape(e.term)}** ({md_escape(GROUPS[e.group])}): "
                        f"{md_escape(e.text)}")
        st.divider()
    st.html(glossary_html(data.kb.settings))
