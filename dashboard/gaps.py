"""Evidence gap map: claims x follow-up horizon, bubble size = studies, colour = certainty."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboard.data import load
from dashboard.ui import CERTAINTY_COLOURS, download_csv
from kb.graph import evidence_gaps
from kb.rules import HORIZONS

# Past this many claims a single chart is unreadable; it is shown page by page.
CHART_CLAIMS = 80


def render() -> None:
    data = load()
    kb = data.kb
    st.title("Evidence gap map")
    st.caption(f"Which follow-up horizons the supporting, refuting or mixed evidence reaches. "
               f"Short-term: up to {kb.settings.short_term_weeks:g} weeks; long-term: "
               f"{kb.settings.long_term_weeks:g} weeks or more. Context-only links are left out.")
    matrix = evidence_gaps(kb)
    cols = [*HORIZONS, "unknown"]
    rows = []
    for cid, row in matrix.items():
        g = data.grades[cid]
        for h in cols:
            cell = row[h]
            rows.append({"claim": cid, "verdict": f"{g.verdict.icon} {g.verdict.label}",
                         "horizon": h, "studies": cell.studies,
                         "best certainty": cell.best.value if cell.best else "none"})
    df = pd.DataFrame(rows)
    if df.empty:
        st.info("No claims.")
        return
    order = list(matrix)
    if len(order) > CHART_CLAIMS:
        pages = -(-len(order) // CHART_CLAIMS)
        page = st.number_input(f"Chart page (of {pages}; {CHART_CLAIMS} claims each)", 1, pages,
                               1, key="gap_page")
        order = order[(page - 1) * CHART_CLAIMS: page * CHART_CLAIMS]
        df = df[df["claim"].isin(order)]
    present = df[df["studies"] > 0]
    base = alt.Chart(df).mark_rect(fill="#f6f6f6", stroke="#ddd").encode(
        x=alt.X("horizon:N", sort=cols, title="Follow-up horizon"),
        y=alt.Y("claim:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)))
    bubbles = alt.Chart(present).mark_circle(stroke="black", strokeWidth=0.5).encode(
        x=alt.X("horizon:N", sort=cols), y=alt.Y("claim:N", sort=order),
        size=alt.Size("studies:Q", scale=alt.Scale(range=[40, 900]), title="Studies"),
        color=alt.Color("best certainty:N", title="Best certainty",
                        scale=alt.Scale(domain=list(CERTAINTY_COLOURS),
                                        range=list(CERTAINTY_COLOURS.values()))),
        tooltip=["claim", "verdict", "horizon", "studies", "best certainty"])
    st.altair_chart((base + bubbles).properties(height=26 * len(order) + 60),
                    width="stretch")
    lacking = [cid for cid, g in data.grades.items() if g.lacking_long_term]
    if lacking:
        st.warning(f"⏳ {len(lacking)} claims lack long-term trials: "
                   + ", ".join(lacking))
    table = pd.DataFrame.from_dict(
        {cid: {h: row[h].studies for h in cols} for cid, row in matrix.items()}, orient="index")
    st.dataframe(table, width="stretch", key="gap_table")
    download_csv(table.reset_index(), "Download the gap matrix (CSV)", "evidence-gaps.csv",
                 key="gap_download")
