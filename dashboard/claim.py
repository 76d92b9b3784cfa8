"""Claim: quote, statement, verdict and its reasons, the evidence table and charts.

`render()` is a list of sections, each a function of (data, claim): a new section (a summary
of findings, an editor) is one more line there.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import editor, links
from dashboard.data import Loaded, load
from dashboard.graphview import graph_spec, legend_html, picked_node, drawable
from dashboard.sof import render_sof
from dashboard.ui import (
    VERDICT_COLOURS,
    badge_html,
    download_csv,
    esc,
    html_link,
    html_table,
    kind_label,
    linked_text,
    md_escape,
    show_long_term,
    stance_label,
    term,
    term_help,
    term_html,
)
from kb.glossary import terms_in
from kb.graph import claim_node, contradicting, neighbourhood, review_overlap
from kb.model import Certainty, Claim, as_data
from kb.rules import RULES
from kb.tables import NOT_REPORTED, evidence_rows

NEIGHBOURS = 80
STANCES = ["supports", "refutes", "mixed", "context"]


def evidence_frame(data: Loaded, claim: Claim) -> pd.DataFrame:
    """The evidence table as a frame (rows from `kb.tables.evidence_rows`)."""
    return pd.DataFrame(evidence_rows(data.kb, claim))


def evidence_table(rows: list[dict], settings) -> str:
    """Study, design, n, follow-up (weeks), stance, certainty and outcome: what fits a screen."""
    headers = [("Study", "Study"), ("Design", "Design"),
               (term_html("term", "participants", "n", settings), "n"),
               (term_html("term", "follow-up", "Follow-up", settings), "Follow-up"),
               (term_html("term", "stance", "Stance", settings), "Stance"),
               (term_html("term", "certainty", "Certainty", settings), "Certainty"),
               (term_html("term", "outcome", "Outcome", settings), "Outcome")]
    cells = []
    for r in rows:
        design = (term_html("design", r["design_code"], r["design"], settings)
                  if r["design_code"] else NOT_REPORTED)
        n = f"{r['participants']:,}" if r["participants"] is not None else NOT_REPORTED
        horizon = term_html("horizon", r["horizon"], r["horizon"], settings)
        stance = (f'<span class="kb-stance"><span class="kb-swatch kb-round" '
                  f'style="background:{STANCE_COLOUR[r["stance"]]}"></span>'
                  + term_html("stance", r["stance"], stance_label(r["stance"]), settings)
                  + "</span>")
        cells.append([
            html_link(links.url("studies", study=r["key"]), r["study"], r["title"]),
            design, esc(n),
            esc(r["follow_up_text"]) + (f"<br><small>{horizon}</small>" if r["weeks"] is not None
                                        else ""), stance,
            certainty_html(r, settings),
            esc(r["outcome"] or NOT_REPORTED)])
    return html_table(headers, cells, numeric=frozenset({2}), row_ids=[r["key"] for r in rows],
                      widths=[19, 15, 7, 12, 10, 10, 27])


def certainty_html(row: dict, settings) -> str:
    """The link's certainty, explained on hover; marked when it is the design's default."""
    if row["certainty"] is None:
        return NOT_REPORTED
    label = Certainty(row["certainty"]).label
    out = term_html("certainty", row["certainty"], label, settings)
    if row["certainty_default"]:
        out += ("<br><small title=\"No certainty was given for this link: this is the GRADE "
                "starting level of the study's design, less any downgrades recorded.\">"
                "(default)</small>")
    return out


STANCE_COLOUR = {"supports": VERDICT_COLOURS["supported"],
                 "refutes": VERDICT_COLOURS["contradicted"],
                 "mixed": VERDICT_COLOURS["mixed"], "context": "#BBBBBB"}


def follow_up_spec(rows: list[dict], long_term_weeks: float) -> dict[str, object]:
    """Each study's follow-up as a bar with a dot at its end (so 'immediate' shows), on an
    axis fitted to the data; the long-term line only when it is in reach."""
    values = [{"study": r["study"], "weeks": r["weeks"], "stance": stance_label(r["stance"]),
               "design": r["design"] or NOT_REPORTED, "follow-up": r["follow_up_text"],
               "certainty": Certainty(r["certainty"]).label if r["certainty"] else NOT_REPORTED}
              for r in rows]
    top = max(r["weeks"] for r in rows)
    reach = long_term_weeks <= top * 1.5
    domain_max = max(top, long_term_weeks if reach else 0, 1) * 1.08
    x = {"field": "weeks", "type": "quantitative", "title": "Follow-up (weeks)",
         "scale": {"domain": [0, domain_max], "nice": False}}
    y = {"field": "study", "type": "nominal", "title": None,
         "sort": {"field": "weeks", "op": "max", "order": "descending"},
         "axis": {"labelLimit": 180}}
    colour = {"field": "stance", "type": "nominal", "title": "Stance",
              "scale": {"domain": [stance_label(s) for s in STANCES],
                        "range": [STANCE_COLOUR[s] for s in STANCES]},
              "legend": {"orient": "bottom", "direction": "horizontal", "columns": 2}}
    tooltip = [{"field": f, "type": "nominal"}
               for f in ("study", "design", "follow-up", "stance", "certainty")]
    layers: list[dict[str, object]] = [
        {"mark": {"type": "bar", "height": 14},
         "encoding": {"x": x, "y": y, "color": colour, "tooltip": tooltip}},
        {"mark": {"type": "point", "filled": True, "size": 60, "stroke": "#222"},
         "encoding": {"x": x, "y": y, "color": colour, "tooltip": tooltip}},
    ]
    spec: dict[str, object] = {"height": {"step": 28}, "data": {"values": values},
                               "layer": layers}
    if reach:
        line = {"values": [{"weeks": long_term_weeks, "text": "long-term"}]}
        lx = {"field": "weeks", "type": "quantitative"}
        layers += [
            {"data": line, "mark": {"type": "rule", "strokeDash": [6, 3], "color": "black"},
             "encoding": {"x": lx}},
            {"data": line, "mark": {"type": "text", "align": "right", "dx": -4, "dy": -4,
                                    "baseline": "bottom", "y": 0},
             "encoding": {"x": lx, "text": {"field": "text"}}},
        ]
    return spec


def _choose_claim(data: Loaded) -> Claim | None:
    kb = data.kb
    ids = data.claim_ids
    wanted = st.query_params.get("claim")
    if wanted and wanted not in ids:
        st.title("Claim not found")
        bad = next((b for b in kb.invalid_claims if b.id == wanted), None)
        if bad:
            st.error(f"Claim “{md_escape(wanted)}” has validation errors and is not graded: "
                     f"{md_escape(bad.reason)}")
            links.link("check", "See the Check page")
        else:
            st.error(f"There is no claim with id “{md_escape(wanted)}”. The link may be "
                     "mistyped, or the claim was renamed or removed.", icon="❓")
        links.link("overview", "Choose a claim from the overview")
        return None
    if not ids:
        st.info("No claims to show.")
        return None
    index = ids.index(wanted) if wanted else 0
    chosen = st.selectbox("Claim", ids, index=index, key=f"claim_pick_{wanted or ''}",
                          format_func=data.claim_label,
                          help="Every claim of the article, in reading order.")
    if chosen != st.query_params.get("claim"):
        st.query_params["claim"] = chosen
    return kb.claim(chosen)


def _statement_of(kb, claim_id: str) -> str:
    other = kb.claim(claim_id)
    return other.statement if other else claim_id


def header(data: Loaded, claim: Claim) -> None:
    st.title(md_escape(claim.statement))
    st.markdown(f"> “{md_escape(claim.quote)}”")
    review = claim.review
    st.caption(f"{md_escape(kind_label(claim.kind.value))} · review: {review.status.value}"
               + (f" by {md_escape(review.reviewer)}" if review.reviewer else "")
               + (f" on {review.date.isoformat()}" if review.date else "")
               + f" · claim id: {md_escape(claim.id)}",
               help=term_help("kind", claim.kind.value, data.kb.settings))
    words = terms_in(claim.statement, claim.quote, settings=data.kb.settings)
    if words:
        st.html('<div class="kb-small">Words explained: ' + ", ".join(
            term_html(e.group, e.key, e.term, data.kb.settings) for e in words) + "</div>")


def verdict(data: Loaded, claim: Claim) -> None:
    kb = data.kb
    g = data.grades[claim.id]
    left, right = st.columns([3, 2])
    with left:
        st.markdown("**Computed verdict**",
                    help=term_help("term", "verdict", kb.settings))
        st.markdown(badge_html(g.verdict), unsafe_allow_html=True)
        st.markdown(f"### {g.verdict.icon} {g.verdict.label}"
                    + (f" · {g.certainty.label} certainty" if g.certainty else ""),
                    help=term_help("verdict", g.verdict.value, kb.settings)
                    + ("\n\n" + term_help("certainty", g.certainty.value, kb.settings)
                       if g.certainty else ""))
        st.markdown(f"**{md_escape(g.statement)}**")
        show_long_term(g, kb.settings.long_term_weeks)
        keys = [e.study for e in claim.evidence]
        reason = g.reason.removeprefix(f"{g.rule}: ")
        st.markdown(f"**Why:** {linked_text(data, reason, keys, markdown=True)}")
        rule = next((r for r in RULES if r.id == g.rule), None)
        meaning = term("rule", g.rule, kb.settings)
        with st.expander(f"Rule {meaning.term}: {meaning.text}" if meaning.text
                         else f"Rule {g.rule}"):
            if rule:
                st.write(rule.rationale)
            links.link("glossary", "All rules and terms in the glossary")
    with right:
        st.markdown("**Editor's override**", help=term_help("term", "override", kb.settings))
        if g.override:
            st.markdown(badge_html(g.override.verdict), unsafe_allow_html=True)
            st.markdown(f"{g.override.verdict.icon} {g.override.verdict.label}: "
                        f"{md_escape(g.override.rationale or '')}")
        else:
            st.caption("None: the computed verdict stands.")
        if claim.pico:
            st.markdown("**PICO**", help=term_help("term", "pico", kb.settings))
            names = {"population": "Population (who)", "intervention": "Intervention (what)",
                     "comparator": "Comparator (against what)", "outcome": "Outcome (measured)"}
            st.markdown("\n".join(f"- **{names[k]}:** {md_escape(v)}"
                                  for k, v in as_data(claim.pico).items() if v))
        if not claim.checkable:
            st.info(f"Not checkable: {md_escape(claim.not_checkable_reason or 'no reason given')}")
        if others := contradicting(kb, claim.id):
            named = [f"[{md_escape(_statement_of(kb, o))}]({links.url('claim', claim=o)})"
                     for o in others]
            st.warning("**The article contradicts itself:** this claim is at odds with "
                       + "; ".join(named), icon="↔️")


def evidence(data: Loaded, claim: Claim) -> None:
    kb = data.kb
    st.subheader("Evidence")
    rows = evidence_rows(kb, claim)
    if not rows:
        st.info("No study is linked to this claim.")
        return
    st.html(evidence_table(rows, kb.settings))
    with st.expander("Notes, where in each paper, DOI and PubMed"):
        for r in rows:
            where = f" · {term_html('term', 'locator', 'where', kb.settings)}: {esc(r['locator'])}" \
                if r["locator"] else ""
            doi = f" · {html_link(r['doi'], 'DOI')}" if r["doi"] else ""
            pubmed = f" · {html_link(r['pubmed'], 'PubMed')}" if r["pubmed"] else ""
            st.markdown(f"<p><strong>{html_link(links.url('studies', study=r['key']), r['study'])}"
                        f"</strong> ({esc(stance_label(r['stance']))}){where}{doi}{pubmed}"
                        f"<br>{esc(r['note'])}</p>", unsafe_allow_html=True)
    download_csv(pd.DataFrame(rows), "Download this evidence table (CSV)",
                 f"{claim.id}-evidence.csv", key="claim_download")


def follow_up(data: Loaded, claim: Claim) -> None:
    kb = data.kb
    st.subheader("How long the studies followed patients",
                 help=term_help("term", "follow-up", kb.settings) + "\n\n"
                 + term_help("horizon", "long-term", kb.settings))
    seen: dict[str, dict] = {}
    for r in evidence_rows(kb, claim):
        if r["weeks"] is not None and r["key"] not in seen:
            seen[r["key"]] = r
    missing = len({e.study for e in claim.evidence}) - len(seen)
    if not seen:
        st.caption("No linked study records its follow-up.")
        return
    st.vega_lite_chart(follow_up_spec(list(seen.values()), kb.settings.long_term_weeks),
                       width="stretch")
    top = max(r["weeks"] for r in seen.values())
    notes = []
    if top < kb.settings.long_term_weeks:
        notes.append(f"None reaches the long-term horizon ({kb.settings.long_term_weeks:g} "
                     "weeks).")
    if missing:
        notes.append(f"{missing} linked {'study does' if missing == 1 else 'studies do'} not "
                     "report a follow-up time and are not drawn.")
    if notes:
        st.caption(" ".join(notes))


def overlap(data: Loaded, claim: Claim) -> None:
    kb = data.kb
    overlaps = review_overlap(data.graph, [claim.id])
    st.subheader("Overlap between the reviews used",
                 help=term_help("term", "overlap", kb.settings) + "\n\n"
                 + term_help("term", "cca", kb.settings))
    if not overlaps:
        st.caption("Fewer than two cited reviews list included studies that are in the "
                   "bibliography, so overlap cannot be assessed here.")
    for o in overlaps:
        st.markdown(f"Corrected covered area **{o.cca:.1%}** ({o.level} overlap): "
                    f"{o.inclusions} inclusions of {o.primary_studies} distinct primary studies "
                    f"across {len(o.reviews)} reviews.",
                    help=term_help("term", "cca", kb.settings))
        for (a, b), shared in o.shared.items():
            st.markdown(f"- {md_escape(data.study_label(a))} and {md_escape(data.study_label(b))}"
                        f" share: " + ", ".join(md_escape(data.study_label(k)) for k in shared))


def neighbours(data: Loaded, claim: Claim) -> None:
    st.subheader("This claim and its studies")
    node = claim_node(claim.id)
    sub = drawable(neighbourhood(data.graph, node, depth=1), node, NEIGHBOURS)
    st.caption("Click a study to open its page; hover for its title. "
               "The Graph page shows other claims that cite the same studies.")
    event = st.vega_lite_chart(graph_spec(data.kb, data.grades, sub, focus=node,
                                          selectable=True),
                               width="stretch", on_select="rerun", key="claim_graph")
    st.markdown(legend_html(data.grades), unsafe_allow_html=True)
    picked = picked_node(event)
    if picked and picked != node:
        kind, _, ident = picked.partition(":")
        links.switch("studies" if kind == "study" else "claim",
                     **({"study": ident} if kind == "study" else {"claim": ident}))


def render() -> None:
    data = load()
    claim = _choose_claim(data)
    if claim is None:
        return
    header(data, claim)
    verdict(data, claim)
    editor.render(data, claim)  # edit mode: nothing unless editing is enabled
    render_sof(data, claim)  # effect and safety claims: GRADE summary of findings
    evidence(data, claim)
    follow_up(data, claim)
    overlap(data, claim)
    neighbours(data, claim)
