"""Overview: the verdicts at a glance, a chart of them and the filterable claims table."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import changes
from dashboard.data import Loaded, fingerprint, kb_dir, load
from dashboard.ui import (
    LONG_TERM_ICON,
    long_term_text,
    VERDICT_COLOURS,
    download_csv,
    filtered,
    md_escape,
    page_link,
    page_of,
)
from kb.model import Certainty, Stance, Verdict
from kb.rules import LONG_TERM_GLOSSARY
from kb.report import ReportMeta, render_html

PAGE_SIZE = 200


def claims_frame(data: Loaded) -> pd.DataFrame:
    kb = data.kb
    claims = {c.id: c for c in kb.claims}
    rows = []
    for cid, g in data.grades.items():
        c = claims.get(cid)
        bad = next((b for b in kb.invalid_claims if b.id == cid), None)
        stances = [e.stance for e in c.evidence] if c else []
        rows.append({
            "claim": page_link("claim", claim=cid),
            "id": cid,
            "verdict": f"{g.verdict.icon} {g.verdict.label}",
            "verdict_code": g.verdict.value,
            "certainty": g.certainty.label if g.certainty else "–",
            "certainty_code": g.certainty.value if g.certainty else "",
            "long-term trials": long_term_text(g),
            "kind": c.kind.value if c else "",
            "statement": c.statement if c else (bad.statement if bad else ""),
            "studies": len({e.study for e in c.evidence}) if c else 0,
            "supporting": sum(s is Stance.SUPPORTS for s in stances),
            "refuting": sum(s is Stance.REFUTES for s in stances),
            "mixed": sum(s is Stance.MIXED for s in stances),
            "override": (f"{g.override.verdict.icon} {g.override.verdict.label}"
                         if g.override else ""),
            "quote": c.quote if c else (bad.quote if bad else ""),
        })
    return pd.DataFrame(rows)


def render() -> None:
    data = load()
    kb = data.kb
    title = kb.article.title if kb.article else "Knowledge base"
    st.title("What does the evidence say?")
    st.caption(f"Fact-check of “{md_escape(title)}”"
               + (f" ({md_escape(kb.article.publisher)})" if kb.article else "")
               + f" · {len(kb.claims)} claims · {len(kb.references)} studies")
    if not data.report.valid:
        st.error(f"The knowledge base has {len(data.report.errors)} errors; some claims are "
                 "not graded. See the Check page.", icon="⚠️")
    df = claims_frame(data)
    if df.empty:
        st.info("No claims to show yet.")
        return

    counts = df["verdict_code"].value_counts()
    shown = [Verdict.SUPPORTED, Verdict.LIMITED, Verdict.MIXED, Verdict.CONTRADICTED,
             Verdict.NO_EVIDENCE, Verdict.NOT_CHECKABLE]
    cols = st.columns(len(shown) + 1)
    for col, v in zip(cols, shown, strict=False):
        col.metric(f"{v.icon} {v.label}", int(counts.get(v.value, 0)))
    lacking = sum(g.lacking_long_term for g in data.grades.values())
    cols[-1].metric(f"{LONG_TERM_ICON} Lacking long-term trials", lacking,
                    help=LONG_TERM_GLOSSARY)

    chart_df = pd.DataFrame({"verdict": [f"{v.icon} {v.label}" for v in Verdict],
                             "code": [v.value for v in Verdict],
                             "claims": [int(counts.get(v.value, 0)) for v in Verdict]})
    chart_df = chart_df[chart_df["claims"] > 0]
    chart = alt.Chart(chart_df).mark_bar().encode(
        x=alt.X("claims:Q", title="Claims"),
        y=alt.Y("verdict:N", sort=[f"{v.icon} {v.label}" for v in Verdict], title=None),
        color=alt.Color("code:N", scale=alt.Scale(domain=[v.value for v in Verdict],
                                                  range=[VERDICT_COLOURS[v] for v in Verdict]),
                        legend=None),
        tooltip=["verdict", "claims"],
    ).properties(height=40 * len(chart_df) + 20)
    st.altair_chart(chart, width="stretch")

    with st.container(border=True):
        f1, f2, f3 = st.columns(3)
        verdicts = f1.multiselect("Verdict", sorted(df["verdict"].unique()), key="ov_verdict")
        kinds = f2.multiselect("Kind", sorted(k for k in df["kind"].unique() if k),
                               key="ov_kind")
        certs = f3.multiselect("Certainty", [c.label for c in Certainty], key="ov_certainty")
        query = st.text_input("Search claims", key="ov_search",
                              placeholder="words from the quote or the statement")
        only_lacking = st.toggle("Only claims lacking long-term trials", key="ov_lacking")
    view = filtered(df, {"verdict": verdicts, "kind": kinds, "certainty": certs}, query,
                    ["quote", "statement", "id"])
    if only_lacking:
        view = view[view["long-term trials"].str.endswith("lacking")]

    st.subheader(f"Claims ({len(view)} of {len(df)})")
    part = page_of(view, PAGE_SIZE, "ov_page")
    st.dataframe(
        part[["claim", "verdict", "certainty", "long-term trials", "kind", "statement", "studies",
              "supporting", "refuting", "mixed", "override"]],
        hide_index=True, width="stretch", key="ov_table",
        column_config={
            "claim": st.column_config.LinkColumn("Claim", display_text=r"claim=(.*)$",
                                                 help="Open the claim's page"),
            "statement": st.column_config.TextColumn("What it asserts", width="large"),
            "studies": st.column_config.NumberColumn("Studies", help="Distinct linked studies"),
        })
    c1, c2 = st.columns(2)
    with c1:
        download_csv(view.drop(columns=["claim", "verdict_code", "certainty_code"]),
                     "Download claims (CSV)", "claims.csv", key="ov_download")
    with c2:
        st.download_button("Download the fact-check report (HTML)", lambda: report_html(data),
                           file_name="fact-check.html", mime="text/html", key="ov_report")
    changes.since_revision_panel(data)


def report_html(data: Loaded) -> str:
    meta = ReportMeta(generated=dt.date.today().isoformat(), version=fingerprint(kb_dir())[:12])
    return render_html(data.kb, data.grades, meta)
