"""Evidence gap map: claims x follow-up horizon; a dot's size is the number of studies, its
colour the best certainty. A table rather than a chart, so it stays legible on a phone."""

from __future__ import annotations

import streamlit as st

from dashboard import links
from dashboard.data import load
from dashboard.ui import (
    CERTAINTY_COLOURS,
    LONG_TERM_ICON,
    claim_list_html,
    esc,
    html_link,
    legend_items,
    md_escape,
    term,
    term_html,
)
from kb.exports import gaps_as
from kb.graph import evidence_gaps
from kb.model import Certainty
from kb.rules import HORIZONS

ROWS_PER_PAGE = 80
SHORT = {"immediate": "Immediate", "short-term": "Short", "intermediate": "Interm.",
         "long-term": "Long", "unknown": "Unknown"}


def _dot(studies: int, best: Certainty | None) -> str:
    if not studies:
        return '<span class="kb-gap-none" title="no study">·</span>'
    size = min(34, 14 + 4 * studies)
    colour = CERTAINTY_COLOURS[best.value if best else "none"]
    ink = "#fff" if best in (Certainty.HIGH, Certainty.MODERATE) else "#000"
    label = (f"{studies} {'study' if studies == 1 else 'studies'}, best certainty "
             f"{best.label if best else 'none'}")
    return (f'<span class="kb-gap-dot" title="{esc(label)}" style="width:{size}px;'
            f'height:{size}px;background:{colour};color:{ink}">{studies}</span>')


def gap_table(data, order: list[str], matrix) -> str:
    settings = data.kb.settings
    cols = [*HORIZONS, "unknown"]
    head = "<th>Claim</th>" + "".join(
        f'<th class="kb-gap-h">{term_html("horizon", h, SHORT[h], settings)}</th>' for h in cols)
    body = []

    def statement(cid: str) -> str:
        claim = data.kb.claim(cid)
        return claim.statement if claim else cid

    for cid in order:
        row = matrix[cid]
        g = data.grades[cid]
        claim = (f"{esc(g.verdict.icon)} "
                 + html_link(links.url("claim", claim=cid), statement(cid), f"claim id {cid}"))
        body.append(f'<tr data-row="{esc(cid)}"><td>{claim}</td>'
                    + "".join(f'<td class="kb-gap-c">{_dot(row[h].studies, row[h].best)}</td>'
                              for h in cols) + "</tr>")
    return (f'<table class="kb-gap"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def render() -> None:
    data = load()
    kb = data.kb
    s = kb.settings
    st.title("Evidence gap map")
    st.caption("How long after treatment the supporting, refuting or mixed evidence for each "
               "claim measured its results (context-only links are left out). Each dot "
               "counts the studies; its colour is the best certainty among them.")
    st.markdown(" · ".join(f"**{md_escape(term('horizon', h, s).term)}**: "
                           f"{md_escape(term('horizon', h, s).text)}"
                           for h in (*HORIZONS, "unknown")))
    matrix = data.memo("gap-matrix", lambda: evidence_gaps(kb))
    if not matrix:
        st.info("No claims.")
        return
    order = list(matrix)
    if len(order) > ROWS_PER_PAGE:
        pages = -(-len(order) // ROWS_PER_PAGE)
        page = st.number_input(f"Page (of {pages}; {ROWS_PER_PAGE} claims each)", 1, pages, 1,
                               key="gap_page")
        order = order[(page - 1) * ROWS_PER_PAGE: page * ROWS_PER_PAGE]
    st.markdown(legend_items([(CERTAINTY_COLOURS[c.value], f"{c.label} certainty",
                               term("certainty", c.value, s).text) for c in Certainty],
                             round_=True), unsafe_allow_html=True)
    st.html(gap_table(data, order, matrix))
    lacking = [cid for cid, g in data.grades.items() if g.lacking_long_term]
    if lacking:
        st.warning(f"{LONG_TERM_ICON} {len(lacking)} claims lack long-term trials:", icon=None)
        st.html(claim_list_html(data, lacking[:ROWS_PER_PAGE]))
        if len(lacking) > ROWS_PER_PAGE:
            st.caption(f"… and {len(lacking) - ROWS_PER_PAGE} more (filter the overview by "
                       "“lacking long-term trials” to see them all).")
    st.download_button("Download the gap matrix (CSV)",
                       lambda: gaps_as("csv", matrix).encode("utf-8"),
                       file_name="evidence-gaps.csv", mime="text/csv", key="gap_download")
