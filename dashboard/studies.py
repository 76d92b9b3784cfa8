"""Studies: every reference with its appraisal, the claims citing it, the impact of losing it."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from dashboard import nav
from dashboard.data import Loaded, load
from dashboard.ui import (
    cite,
    download_csv,
    filtered,
    md_escape,
    md_link,
    page_of,
    study_links,
    text_table,
)
from kb.bibliography import to_bibtex
from kb.csl import to_csl_json
from kb.graph import claims_resting_on
from kb.model import Design
from kb.rules import horizon_of
from kb.text import display, full_citation, safe_url

PAGE_SIZE = 200


def studies_frame(data: Loaded) -> pd.DataFrame:
    kb = data.kb
    rows = []
    for key, ref in kb.references.items():
        a = kb.studies.get(key)
        links = study_links(kb, key)
        weeks = a.follow_up_weeks if a else None
        rows.append({
            "page": nav_url(key),
            "key": key,
            "study": cite(kb, key),
            "title": display(ref.fields.get("title", "")),
            "year": ref.year or "",
            "design": a.design.label if a else "(not appraised)",
            "design_code": a.design.value if a else "",
            "participants": a.participants if a and a.participants is not None else None,
            "follow-up": (a.follow_up if a else None) or "",
            "horizon": horizon_of(weeks, kb.settings) or "unknown",
            "cited by": len(data.citing.get(key, [])),
            "DOI": links["doi"],
            "PubMed": links["pubmed"],
        })
    return pd.DataFrame(rows)


def nav_url(key: str) -> str:
    from dashboard.ui import page_link
    return page_link("studies", study=key)


def _detail(data: Loaded, key: str) -> None:
    kb = data.kb
    ref = kb.references.get(key)
    a = kb.studies.get(key)
    if ref is None:
        st.warning(f"There is no study with key “{md_escape(key)}”.", icon="❓")
        return
    st.subheader(md_escape(cite(kb, key)))
    st.markdown(md_escape(full_citation(ref)))
    links = study_links(kb, key)
    cols = st.columns(3)
    for col, (name, url) in zip(cols, (("DOI", links["doi"]), ("PubMed", links["pubmed"]),
                                       ("Web page", links["url"])), strict=True):
        if url:
            col.link_button(name, url)
    if a:
        facts = {"Design": a.design.label, "Participants": a.participants,
                 "Studies included": a.studies_included, "Population": a.population,
                 "Intervention": a.intervention, "Comparator": a.comparator,
                 "Longest follow-up": a.follow_up,
                 "Quality": f"{a.quality.tool.value}: {a.quality.rating}" if a.quality else None}
        text_table(facts)
        if a.summary:
            st.markdown(f"**Summary (reviewers' words):** {md_escape(a.summary)}")
        if a.caveat:
            st.caption(f"Caveat: {md_escape(a.caveat)}")
        if a.includes:
            st.markdown("**Included studies in this bibliography:** "
                        + ", ".join(md_escape(cite(kb, k)) for k in a.includes))
        st.markdown("**Verified at**")
        for v in a.verified:
            st.markdown(f"- {md_link(v.url)} "
                        + md_escape(f"({v.date.isoformat()}; {', '.join(v.fields) or 'record'})"))
    st.markdown("**Claims that cite it**")
    citing = data.citing.get(key, [])
    if not citing:
        st.caption("No claim cites this study.")
    for cid in citing:
        g = data.grades[cid]
        nav.link("claim", f"{g.verdict.icon} {md_escape(cid)}", claim=cid)
    st.markdown("**Impact: verdicts without this study** (as if it were retracted)")
    rows = claims_resting_on(kb, key, data.report, data.grades)
    if rows:
        st.dataframe(pd.DataFrame([{
            "claim": r.claim_id, "stance": r.stance,
            "verdict now": f"{r.verdict_before.icon} {r.verdict_before.label}",
            "without it": f"{r.verdict_after.icon} {r.verdict_after.label}",
            "changes": "yes" if r.changed else "no"} for r in rows]), hide_index=True,
            key="study_impact")


def render() -> None:
    data = load()
    kb = data.kb
    st.title("Studies")
    df = studies_frame(data)
    if df.empty:
        st.info("The bibliography is empty.")
        return
    with st.container(border=True):
        c1, c2, c3 = st.columns(3)
        designs = c1.multiselect("Design", [d.label for d in Design if d.label in set(df["design"])],
                                 key="st_design")
        horizons = c2.multiselect("Follow-up horizon", sorted(df["horizon"].unique()),
                                  key="st_horizon")
        query = c3.text_input("Search", key="st_search", placeholder="author, title or key")
    view = filtered(df, {"design": designs, "horizon": horizons}, query,
                    ["study", "title", "key"])
    st.caption(f"{len(view)} of {len(df)} studies. Select rows to copy their BibTeX.")
    part = page_of(view, PAGE_SIZE, "st_page")
    event = st.dataframe(
        part[["page", "study", "title", "year", "design", "participants", "follow-up",
              "cited by", "DOI", "PubMed"]],
        hide_index=True, width="stretch", key="st_table",
        on_select="rerun", selection_mode="multi-row",
        column_config={
            "page": st.column_config.LinkColumn("Key", display_text=r"study=(.*)$"),
            "title": st.column_config.TextColumn("Title", width="large"),
            "DOI": st.column_config.LinkColumn("DOI", display_text="doi"),
            "PubMed": st.column_config.LinkColumn("PubMed", display_text="PubMed"),
        })
    chosen = [part.iloc[i]["key"] for i in event.selection.rows] if event else []
    d1, d2 = st.columns(2)
    with d1:
        download_csv(view.drop(columns=["page", "design_code"]), "Download studies (CSV)",
                     "studies.csv", key="st_download")
    with d2:
        keys = list(view["key"])
        st.download_button(
            "Download CSL-JSON (Zotero)",
            lambda: json.dumps(to_csl_json([kb.references[k] for k in keys]), indent=2,
                               ensure_ascii=False),
            file_name="references.csl.json", mime="application/json", key="st_csl")
    if chosen:
        st.markdown(f"**BibTeX of the {len(chosen)} selected**")
        st.code(to_bibtex([kb.references[k] for k in chosen]), language="latex")

    key = st.query_params.get("study") or (chosen[0] if len(chosen) == 1 else None)
    if key:
        st.divider()
        _detail(data, key)
    else:
        st.caption("Open a study with its key link, or select one row, to see its appraisal.")
