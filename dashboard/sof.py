"""Claim page section: the GRADE summary of findings and forest plots (data from kb.sof)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboard.data import Loaded
from dashboard.ui import VERDICT_COLOURS, cite, esc, html_table, md_escape
from kb.model import Claim, Verdict
from kb.sof import POOLING_LABEL, ForestPlot, SofRow, forest_plots, sof_applies, sof_rows

ROW_HEIGHT = 40
MIN_HEIGHT = 110  # a one-study plot still shows its line of no effect and axis
LABEL_LIMIT = 260
OPEN_NOTES = 6  # footnotes shown unfolded up to this many
PAD = 1.15  # room around the intervals and the line of no effect


def sof_frame(rows: list[SofRow]) -> tuple[pd.DataFrame, dict[str, int]]:
    """The table in GRADE's layout, and its footnotes numbered in order of first use."""
    notes: dict[str, int] = {}
    out = []
    for r in rows:
        marks = " ".join(f"[{notes.setdefault(n, len(notes) + 1)}]" for n in r.footnotes)
        out.append({
            "Outcome": r.outcome,
            "№ of participants (studies)": r.participants_text,
            "Certainty": f"{r.certainty_text} {marks}".rstrip(),
            "Effect (95% CI)": r.effect,
            "Follow-up": r.follow_up,
            "What happens": r.statement,
        })
    return pd.DataFrame(out), notes


def forest_chart(plot: ForestPlot) -> alt.LayerChart:
    """One row per study with its interval, the line of no effect, the pooled diamond."""
    data = pd.DataFrame([{"label": r.label, "value": r.value, "low": r.ci_low, "high": r.ci_high,
                          "kind": "study" if r.study else "pooled",
                          "certainty": r.certainty.label if r.certainty else "",
                          "timepoint": r.timepoint or ""} for r in plot.rows])
    order = list(data["label"])
    x_title = plot.measure.value + (f" ({plot.unit})" if plot.unit else "")
    scale = alt.Scale(type="log" if plot.log_scale else "linear", domain=_domain(plot),
                      nice=False)
    x = alt.X("value:Q", title=x_title, scale=scale)
    y = alt.Y("label:N", sort=order, title=None,
              axis=alt.Axis(labelLimit=LABEL_LIMIT, labelOverlap=False))
    tooltip = ["label", "value", "low", "high", "certainty", "timepoint"]
    colour = VERDICT_COLOURS[Verdict.SUPPORTED]
    base = alt.Chart(data)
    whiskers = base.mark_rule(color="#444").encode(x=alt.X("low:Q", scale=scale, title=x_title),
                                                   x2="high:Q", y=y)
    points = base.transform_filter(alt.datum.kind == "study").mark_square(
        size=70, color="#222").encode(x=x, y=y, tooltip=tooltip)
    diamond = base.transform_filter(alt.datum.kind == "pooled").mark_point(
        shape="diamond", size=260, filled=True, color=colour).encode(x=x, y=y, tooltip=tooltip)
    null = alt.Chart(pd.DataFrame([{"x": plot.no_effect}])).mark_rule(
        strokeDash=[6, 3], color="black").encode(x=alt.X("x:Q", scale=scale))
    return alt.layer(whiskers, points, diamond, null).properties(
        height=max(MIN_HEIGHT, ROW_HEIGHT * len(order)))


def _domain(plot: ForestPlot) -> list[float]:
    """The x range: every interval and the line of no effect, with a margin."""
    xs = [plot.no_effect] + [v for r in plot.rows for v in (r.value, r.ci_low, r.ci_high)
                             if v is not None]
    lo, hi = min(xs), max(xs)
    if plot.log_scale:
        return [lo / PAD, hi * PAD]
    margin = (hi - lo) * (PAD - 1) or 1.0
    return [lo - margin, hi + margin]


def render_sof(data: Loaded, claim: Claim) -> None:
    """The claim's summary of findings and its forest plots (effect and safety claims)."""
    if not sof_applies(claim):
        return
    rows = sof_rows(data.kb, claim)
    st.subheader("Summary of findings")
    if not rows:
        st.caption("No linked study reports a finding on this claim.")
        return
    frame, notes = sof_frame(rows)
    # A wrapping table (cards on a phone), so no column hides behind a sideways scroll.
    headers = [(esc(c), c) for c in frame.columns]
    cells = [[esc(str(v)) for v in row] for row in frame.itertuples(index=False)]
    st.html(html_table(headers, cells, widths=[18, 12, 14, 22, 10, 24]))
    st.markdown("\n".join(f"- **{md_escape(r.outcome)}**: {md_escape(r.statement)}"
                           for r in rows))
    if notes:
        # A long list of reasons is folded so the forest plots stay near the table.
        with st.expander(f"Why the certainty was rated down: {len(notes)} "
                         f"reason{'s' * (len(notes) != 1)}", expanded=len(notes) <= OPEN_NOTES):
            for note, number in notes.items():
                st.caption(f"[{number}] {md_escape(note)}")
    st.caption("Certainty: ⊕⊕⊕⊕ high · ⊕⊕⊕◯ moderate · ⊕⊕◯◯ low · ⊕◯◯◯ very low (GRADE). "
               "Effects are the numbers stored with each link, read in the record it names.")
    plots = forest_plots(data.kb, claim)
    for i, plot in enumerate(plots):
        st.markdown(f"**Forest plot: {md_escape(plot.outcome)}, {plot.measure.value}**")
        st.altair_chart(forest_chart(plot), width="stretch", key=f"claim_forest_{i}")
        if plot.pooled is not None:
            left = "; ".join(f"{cite(data.kb, s)} (" + (f"included in {cite(data.kb, r)}" if r
                                                         else "a second effect of the same study")
                             + ")" for s, r in plot.pooled.left_out)
            st.caption(f"{md_escape(POOLING_LABEL)}: {md_escape(plot.pooled.text())}. "
                       f"Dashed line: no effect ({plot.no_effect:g})."
                       + (f" Not pooled: {md_escape(left)}." if left else ""))
        else:
            st.caption(f"Dashed line: no effect ({plot.no_effect:g}). Fewer than two studies "
                       "with an interval: nothing is pooled.")
