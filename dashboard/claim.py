"""Claim: quote, statement, verdict and its reasons, the evidence table and charts."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import editor, nav
from dashboard.data import Loaded, load
from dashboard.graphview import graph_spec
from dashboard.sof import render_sof
from dashboard.ui import (
    VERDICT_COLOURS,
    badge_html,
    cite,
    download_csv,
    md_escape,
    page_link,
    show_long_term,
    study_links,
    text_table,
)
from kb.graph import claim_node, contradicting, neighbourhood, review_overlap
from kb.model import Claim
from kb.rules import RULES, certainty_label, link_horizon, link_weeks

NEIGHBOURS = 80


def evidence_frame(data: Loaded, claim: Claim) -> pd.DataFrame:
    kb = data.kb
    rows = []
    for e in claim.evidence:
        a = kb.studies.get(e.study)
        links = study_links(kb, e.study)
        weeks = link_weeks(e, a)
        rows.append({
            "study": cite(kb, e.study),
            "key": e.study,
            "design": a.design.label if a else "",
            "participants": a.participants if a and a.participants is not None else None,
            "follow-up": e.follow_up or (a.follow_up if a else None) or "",
            "horizon": link_horizon(e, a, kb.settings) or "unknown",
            "weeks": weeks,
            "stance": e.stance.value,
            "certainty": certainty_label(e, a),
            "outcome": e.outcome or "",
            "locator": e.locator or "",
            "note": e.note,
            "DOI": links["doi"],
            "PubMed": links["pubmed"],
        })
    return pd.DataFrame(rows)


def follow_up_spec(fu: pd.DataFrame, long_term_weeks: float) -> dict[str, object]:
    """Bars of each study's follow-up against the long-term line, as a Vega-Lite spec."""
    cols = fu[["study", "weeks", "stance", "design", "follow-up", "certainty"]].astype(object)
    rows = cols.where(cols.notna(), None).to_dict("records")  # JSON has no NaN
    stances = ["supports", "refutes", "mixed", "context"]
    colours = [VERDICT_COLOURS[v] for v in ("supported", "contradicted", "mixed", "no-evidence")]
    x = {"field": "weeks", "type": "quantitative", "title": "Follow-up (weeks)"}
    line = [{"weeks": long_term_weeks, "text": "long-term"}]
    return {"height": 28 * len(rows) + 40, "layer": [
        {"data": {"values": rows}, "mark": "bar", "encoding": {
            "x": x, "y": {"field": "study", "type": "nominal", "sort": "-x", "title": None},
            "color": {"field": "stance", "type": "nominal",
                      "scale": {"domain": stances, "range": colours}},
            "tooltip": [{"field": f, "type": "nominal"}
                        for f in ("study", "design", "follow-up", "stance", "certainty")]}},
        {"data": {"values": line}, "mark": {"type": "rule", "strokeDash": [6, 3],
                                            "color": "black"}, "encoding": {"x": x}},
        {"data": {"values": line}, "mark": {"type": "text", "align": "left", "dx": 4, "dy": -6,
                                            "baseline": "bottom"},
         "encoding": {"x": x, "text": {"field": "text", "type": "nominal"}}},
    ]}


def _choose_claim(data: Loaded) -> Claim | None:
    kb = data.kb
    ids = data.claim_ids
    wanted = st.query_params.get("claim")
    if wanted and wanted not in ids:
        bad = next((b for b in kb.invalid_claims if b.id == wanted), None)
        if bad:
            st.error(f"Claim “{md_escape(wanted)}” has validation errors and is not graded: "
                     f"{md_escape(bad.reason)}")
        else:
            st.warning(f"There is no claim with id “{md_escape(wanted)}”. Choose one below.", icon="❓")
        wanted = None
    if not ids:
        st.info("No claims to show.")
        return None
    index = ids.index(wanted) if wanted else 0
    chosen = st.selectbox("Claim", ids, index=index, key=f"claim_pick_{wanted or ''}",
                          format_func=data.claim_label)
    if chosen != st.query_params.get("claim"):
        st.query_params["claim"] = chosen
    return kb.claim(chosen)


def _statement_of(kb, claim_id: str) -> str:
    other = kb.claim(claim_id)
    return other.statement if other else claim_id


def render() -> None:
    data = load()
    kb = data.kb
    claim = _choose_claim(data)
    if claim is None:
        return
    g = data.grades[claim.id]
    st.title(md_escape(claim.statement))
    st.markdown(f"> “{md_escape(claim.quote)}”")
    st.caption(f"Kind: {claim.kind.value} · id: {claim.id} · review: {claim.review.status.value}"
               + (f" by {md_escape(claim.review.reviewer)}" if claim.review.reviewer else "")
               + (f" on {claim.review.date.isoformat()}" if claim.review.date else ""))

    left, right = st.columns([3, 2])
    with left:
        st.markdown("**Computed verdict**")
        st.markdown(badge_html(g.verdict), unsafe_allow_html=True)
        st.markdown(f"### {g.verdict.icon} {g.verdict.label}"
                    + (f" · {g.certainty.label} certainty" if g.certainty else ""))
        st.markdown(f"**{md_escape(g.statement)}**")
        show_long_term(g, kb.settings.long_term_weeks)
        st.markdown(f"**Why:** {md_escape(g.reason)}")
        rule = next((r for r in RULES if r.id == g.rule), None)
        if rule:
            with st.expander(f"Rule {rule.id}"):
                st.write(rule.rationale)
    with right:
        st.markdown("**Editor's override**")
        if g.override:
            st.markdown(badge_html(g.override.verdict), unsafe_allow_html=True)
            st.markdown(f"{g.override.verdict.icon} {g.override.verdict.label}: "
                        f"{md_escape(g.override.rationale or '')}")
        else:
            st.caption("None: the computed verdict stands.")
        if claim.pico:
            st.markdown("**PICO**")
            text_table({k.capitalize(): v for k, v in claim.pico.model_dump().items()})
        if not claim.checkable:
            st.info(f"Not checkable: {md_escape(claim.not_checkable_reason or 'no reason given')}")
        if others := contradicting(kb, claim.id):
            links = [f"[{md_escape(_statement_of(kb, o))}]({page_link('claim', claim=o)})"
                     for o in others]
            st.warning("**The article contradicts itself:** this claim is at odds with "
                       + "; ".join(links), icon="↔️")

    editor.render(data, claim)
    render_sof(data, claim)
    st.subheader("Evidence")
    df = evidence_frame(data, claim)
    if df.empty:
        st.info("No study is linked to this claim.")
        return
    st.dataframe(
        df.drop(columns=["key", "weeks"]), hide_index=True, width="stretch",
        key="claim_evidence",
        column_config={
            "DOI": st.column_config.LinkColumn("DOI", display_text="doi"),
            "PubMed": st.column_config.LinkColumn("PubMed", display_text="PubMed"),
            "note": st.column_config.TextColumn("Note", width="large"),
        })
    download_csv(df, "Download this evidence table (CSV)", f"{claim.id}-evidence.csv",
                 key="claim_download")
    with st.expander("Open a study's page"):
        for key in dict.fromkeys(df["key"]):
            nav.link("studies", md_escape(cite(kb, key)), study=key)

    st.subheader("Follow-up against the long-term horizon")
    fu = df.dropna(subset=["weeks"])
    if fu.empty:
        st.caption("No linked study records its follow-up.")
    else:
        fu = fu.drop_duplicates("key")
        st.vega_lite_chart(follow_up_spec(fu, kb.settings.long_term_weeks), width="stretch")

    overlaps = review_overlap(data.graph, [claim.id])
    st.subheader("Overlap between the reviews used")
    if not overlaps:
        st.caption("Fewer than two cited reviews list included studies that are in the "
                   "bibliography, so overlap cannot be assessed here.")
    for o in overlaps:
        st.markdown(f"Corrected covered area **{o.cca:.1%}** ({o.level} overlap): "
                    f"{o.inclusions} inclusions of {o.primary_studies} distinct primary studies "
                    f"across {len(o.reviews)} reviews.")
        if o.shared:
            st.dataframe(pd.DataFrame([{"reviews": " + ".join(k), "shared studies": ", ".join(v)}
                                       for k, v in o.shared.items()]), hide_index=True)

    st.subheader("Neighbourhood in the evidence graph")
    sub = neighbourhood(data.graph, claim_node(claim.id), depth=2)
    st.caption("The claim, its studies, and the other claims that cite them"
               + (f" (the {NEIGHBOURS} best-connected of {sub.number_of_nodes()} nodes)."
                  if sub.number_of_nodes() > NEIGHBOURS else "."))
    st.vega_lite_chart(graph_spec(sub, focus=claim_node(claim.id), max_nodes=NEIGHBOURS),
                       width="stretch")
