"""Studies: every reference with its appraisal, the claims citing it, the impact of losing it."""

from __future__ import annotations

import json
from typing import Any
import urllib.parse

import pandas as pd
import streamlit as st

from dashboard import links
from dashboard.data import Loaded, load
from dashboard.ui import (
    claim_list_html,
    download_csv,
    esc,
    filtered,
    html_link,
    html_table,
    md_escape,
    md_link,
    page_of,
    stance_label,
    study_links,
    term_help,
)
from kb.bibliography import to_bibtex
from kb.csl import to_csl_json
from kb.graph import claims_resting_on
from kb.model import Design
from kb.rules import HORIZONS, horizon_of
from kb.tables import NOT_REPORTED, study_label, weeks_text
from kb.text import display, full_citation, safe_url

PAGE_SIZE = 200
# Names of the record sites studies are most often verified at (others show their address).
SITES = {"pubmed.ncbi.nlm.nih.gov": "PubMed", "pmc.ncbi.nlm.nih.gov": "PubMed Central",
         "ncbi.nlm.nih.gov": "NCBI", "search.pedro.org.au": "PEDro", "doi.org": "DOI",
         "semanticscholar.org": "Semantic Scholar", "researchgate.net": "ResearchGate",
         "europepmc.org": "Europe PMC", "cochranelibrary.com": "Cochrane Library"}


def studies_frame(data: Loaded) -> pd.DataFrame:
    kb = data.kb
    columns: dict[str, list[Any]] = {name: [] for name in STUDY_COLUMNS}
    for key, ref in kb.references.items():
        a = kb.studies.get(key)
        links_ = study_links(kb, key)
        weeks = a.follow_up_weeks if a else None
        for name, value in zip(STUDY_COLUMNS, (
                links.url("studies", study=key), key, study_label(kb, key),
                display(ref.fields.get("title", "")), ref.year or "",
                a.design.label if a else "(not appraised)", a.design.value if a else "",
                f"{a.participants:,}" if a and a.participants is not None else NOT_REPORTED,
                weeks_text(weeks) if a and a.follow_up else NOT_REPORTED,
                horizon_of(weeks, kb.settings) or "unknown",
                len(data.citing.get(key, [])), links_["doi"], links_["pubmed"]), strict=True):
            columns[name].append(value)
    # Built column by column, the few-valued columns as categories: a 1000x base's 40,000
    # studies then take a fraction of the memory of a frame of row dicts.
    return pd.DataFrame({name: pd.Categorical(values) if name in FEW_VALUES else values
                         for name, values in columns.items()})


STUDY_COLUMNS = ("page", "key", "study", "title", "year", "design", "design_code",
                 "participants", "follow-up (weeks)", "horizon", "cited by", "DOI", "PubMed")
FEW_VALUES = frozenset({"year", "design", "design_code", "participants", "follow-up (weeks)",
                        "horizon"})


def _site(url: str) -> str:
    host = urllib.parse.urlparse(url).netloc.lower().removeprefix("www.")
    return SITES.get(host, host)


def _detail(data: Loaded, key: str) -> bool:
    """The study's page; False when there is no such study (nothing else is shown then)."""
    kb = data.kb
    ref = kb.references.get(key)
    a = kb.studies.get(key)
    if ref is None:
        st.title("Study not found")
        st.error(f"There is no study with key “{md_escape(key)}”. The link may be mistyped, "
                 "or the study was removed from the bibliography.", icon="❓")
        links.link("studies", "See every study")
        return False
    st.title(md_escape(study_label(kb, key)))
    st.markdown(md_escape(full_citation(ref)))
    st.caption(f"Study key: {md_escape(key)}")
    urls = study_links(kb, key)
    cols = st.columns(3)
    for col, (name, url) in zip(cols, (("DOI", urls["doi"]), ("PubMed", urls["pubmed"]),
                                       ("Web page", urls["url"])), strict=True):
        if url:
            col.link_button(name, url, width="stretch")
    if a:
        quality = None
        if a.quality:
            quality = f"{a.quality.tool.value}: {a.quality.rating}" + (
                f" (rated by {a.quality.source})" if a.quality.source else "")
        facts = [("Design", a.design.label, term_help("design", a.design.value, kb.settings)),
                 ("Participants", f"{a.participants:,}" if a.participants is not None else None,
                  term_help("term", "participants", kb.settings)),
                 ("Studies included", a.studies_included, None),
                 ("Population", a.population, None), ("Intervention", a.intervention, None),
                 ("Comparator", a.comparator, None),
                 ("Longest follow-up", (f"{weeks_text(a.follow_up_weeks)} ({a.follow_up})"
                                        if a.follow_up_weeks is not None else a.follow_up),
                  term_help("term", "follow-up", kb.settings)),
                 ("Quality", quality, term_help("tool", a.quality.tool.value, kb.settings)
                  if a.quality else None)]
        for name, value, tip in facts:
            if value not in (None, ""):
                st.markdown(f"**{name}:** {md_escape(value)}", help=tip)
        if a.summary:
            st.markdown(f"**Summary (reviewers' words):** {md_escape(a.summary)}")
        if a.caveat:
            st.caption(f"Caveat: {md_escape(a.caveat)}")
        if a.includes:
            st.markdown("**Included studies in this bibliography:** "
                        + ", ".join(f"[{md_escape(study_label(kb, k))}]"
                                    f"({links.url('studies', study=k)})" for k in a.includes))
        st.markdown("**Verified at**", help="Where the reviewers read this study's record, "
                    "when, and which details they checked there.")
        for v in a.verified:
            what = (f": checked {md_escape(', '.join(v.fields))}" if v.fields else "")
            st.markdown(f"- {md_link(v.url, _site(v.url))}, read {v.date.isoformat()}{what}"
                        + (f" ({md_escape(v.note)})" if v.note else ""))
    st.subheader("Claims that cite it")
    citing = data.citing.get(key, [])
    if not citing:
        st.caption("No claim cites this study.")
    else:
        st.html(claim_list_html(data, citing))
    st.subheader("Impact: verdicts without this study",
                 help="What each claim's verdict would be if this study were retracted.")
    rows = claims_resting_on(kb, key, data.report, data.grades)
    if rows:
        st.html(html_table(
            [("Claim", "Claim"), ("Stance", "Stance"), ("Verdict now", "Verdict now"),
             ("Without it", "Without it"), ("Changes", "Changes")],
            [[html_link(links.url("claim", claim=r.claim_id), data.short_statements.get(
                r.claim_id, r.claim_id)), esc(stance_label(r.stance)),
              f"{esc(r.verdict_before.icon)} {esc(r.verdict_before.label)}",
              f"{esc(r.verdict_after.icon)} {esc(r.verdict_after.label)}",
              "yes" if r.changed else "no"] for r in rows],
            row_ids=[r.claim_id for r in rows]))
    return True


def render() -> None:
    data = load()
    kb = data.kb
    key = st.query_params.get("study")
    if key:
        if not _detail(data, key):
            return
        st.divider()
        st.header("All studies")
    else:
        st.title("Studies")
    df = data.memo("studies-frame", lambda: studies_frame(data))
    if df.empty:
        st.info("The bibliography is empty.")
        return
    with st.container(border=True):
        c1, c2, c3 = st.columns(3)
        designs = c1.multiselect("Design", [d.label for d in Design if d.label in set(df["design"])],
                                 key="st_design")
        horizons = c2.multiselect("Follow-up horizon", [h for h in (*HORIZONS, "unknown")
                                                        if h in set(df["horizon"])],
                                  key="st_horizon",
                                  help="\n".join(f"- {term_help('horizon', h, kb.settings)}"
                                                 for h in (*HORIZONS, "unknown")))
        query = c3.text_input("Search", key="st_search", placeholder="author, title or key")
    view = filtered(df, {"design": designs, "horizon": horizons}, query,
                    ["study", "title", "key"])
    st.caption(f"{len(view)} of {len(df)} studies. Open a study with its “open” link; select "
               "rows to copy their BibTeX.")
    part = page_of(view, PAGE_SIZE, "st_page")
    event = st.dataframe(
        part[["study", "title", "design", "participants", "follow-up (weeks)", "cited by",
              "page", "DOI", "PubMed"]],
        hide_index=True, width="stretch", key="st_table",
        height=min(len(part), 25) * 35 + 40,  # up to 25 rows without an inner scroll bar
        on_select="rerun", selection_mode="multi-row",
        column_config={
            "study": st.column_config.TextColumn("Study", pinned=True),
            "title": st.column_config.TextColumn("Title", width="large"),
            "participants": st.column_config.TextColumn("n", help="Participants"),
            "design": st.column_config.TextColumn("Design"),
            "follow-up (weeks)": st.column_config.TextColumn("Follow-up"),
            "cited by": st.column_config.NumberColumn("Cited by", help="Claims citing it"),
            "page": st.column_config.LinkColumn("Page", display_text="open ›"),
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
        if len(chosen) == 1 and not key:
            links.link("studies", f"Open {md_escape(study_label(kb, chosen[0]))}",
                       study=chosen[0])
