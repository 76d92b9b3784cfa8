"""Graph: one claim (or study) and the studies (or claims) linked to it by default; the whole
network on demand. Choosing a node opens its page."""

from __future__ import annotations

import streamlit as st

from dashboard import links
from dashboard.data import load
from dashboard.graphview import MAX_DRAWN, drawable, graph_spec, legend_html, picked_node
from dashboard.ui import md_escape
from kb.exports import graph_as
from kb.graph import claim_node, neighbourhood

WHOLE = "(the whole network)"
ALL = "all"  # ?node=all: the whole network


def render() -> None:
    data = load()
    kb = data.kb
    graph = data.graph
    st.title("Evidence graph")
    st.caption("Which studies bear on which claims. Hover over a name for its full text; "
               "click a square or circle to open its page.")
    wanted = st.query_params.get("node")
    if wanted == ALL:
        wanted = WHOLE
    elif wanted and wanted not in graph:
        st.error(f"There is no node “{md_escape(wanted)}” in the graph.", icon="❓")
        links.link("graph", "Open the graph of the first claim")
        return
    claims = [claim_node(c.id) for c in kb.claims if claim_node(c.id) in graph]
    options = [WHOLE, *claims]
    if wanted and wanted not in options:
        options.insert(1, wanted)
    if not claims and not wanted:
        st.info("No claims to draw.")
        return
    focus = st.selectbox(
        "Show", options, index=options.index(wanted) if wanted else 1,
        key=f"gr_focus_{wanted or ''}", format_func=lambda n: _name(data, n),
        help="One claim with its studies, or the whole network of claims and studies.")
    if focus == WHOLE:
        shown, focus_node = data.memo("graph-whole", lambda: drawable(graph)), None
        if st.query_params.get("node") != ALL:
            st.query_params["node"] = ALL
    else:
        wider = st.toggle("Also show the other claims these studies bear on", key="gr_wider")
        shown, focus_node = neighbourhood(graph, focus, 2 if wider else 1), focus
        if focus != st.query_params.get("node"):
            st.query_params["node"] = focus
    drawn = shown if focus == WHOLE else drawable(shown, focus_node)
    nodes, edges = data.memo("graph-size", lambda: evidence_size(graph))
    st.caption(f"Showing {drawn.number_of_nodes()} of {nodes} claims and "
               f"studies, {drawn.number_of_edges()} of {edges} links"
               + (f" (the {MAX_DRAWN} best-connected; choose one claim to see the rest)."
                  if drawn.number_of_nodes() >= MAX_DRAWN else "."))
    event = st.vega_lite_chart(graph_spec(kb, data.grades, drawn, focus=focus_node,
                                          selectable=True),
                               width="stretch", on_select="rerun", key="gr_chart")
    st.markdown(legend_html(data.grades), unsafe_allow_html=True)
    picked = picked_node(event)
    if picked and picked != focus_node:
        _open(picked)
    c3, c4 = st.columns(2)
    c3.download_button("Download GraphML (Gephi, Cytoscape)", lambda: graph_as("graphml", graph),
                       file_name="evidence-graph.graphml", mime="application/xml",
                       key="gr_graphml")
    c4.download_button("Download node-link JSON", lambda: graph_as("json", graph),
                       file_name="evidence-graph.json", mime="application/json", key="gr_json")


def evidence_size(graph) -> tuple[int, int]:
    """Claims and studies joined by evidence, and the evidence links."""
    edges = [(a, b) for a, b, d in graph.edges(data=True) if d.get("relation") == "evidence"]
    return len({n for e in edges for n in e}), len(edges)


def _name(data, node: str) -> str:
    if node == WHOLE:
        return WHOLE
    kind, _, ident = node.partition(":")
    if kind == "claim":
        return f"Claim: {data.claim_label(ident)}"
    if kind == "study":
        return f"Study: {data.study_label(ident)}"
    return node


def _open(node: str) -> None:
    kind, _, ident = node.partition(":")
    if kind == "claim":
        links.switch("claim", claim=ident)
    elif kind == "study":
        links.switch("studies", study=ident)
