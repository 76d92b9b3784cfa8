"""Graph: the network of claims and studies; focus a node to see its neighbourhood."""

from __future__ import annotations

import streamlit as st

from dashboard import nav
from dashboard.data import load
from dashboard.graphview import MAX_DRAWN, drawable, graph_chart
from dashboard.ui import md_escape
from kb.exports import graph_as
from kb.graph import neighbourhood

# Past this many nodes a whole-graph drawing is unreadable (and slow): show a neighbourhood.
FULL_GRAPH_LIMIT = 300


def render() -> None:
    data = load()
    graph = data.graph
    st.title("Evidence graph")
    st.caption("Claims are coloured by verdict, studies by design and sized by how many claims "
               "cite them. Click a node to select it, then open its page.")
    nodes = sorted(graph.nodes)
    wanted = st.query_params.get("node")
    options = ["(whole graph)"] + nodes
    if wanted and wanted not in graph:
        st.warning(f"There is no node “{md_escape(wanted)}” in the graph.", icon="❓")
        wanted = None
    default = options.index(wanted) if wanted else (
        0 if graph.number_of_nodes() <= FULL_GRAPH_LIMIT else 1)
    c1, c2 = st.columns([3, 1])
    focus = c1.selectbox("Focus", options, index=default, key="gr_focus")
    depth = c2.slider("Depth", 1, 3, 1, key="gr_depth")
    if focus == "(whole graph)":
        shown, focus_node = graph, None
    else:
        shown, focus_node = neighbourhood(graph, focus, depth), focus
    drawn = drawable(shown, focus_node)
    st.caption(f"Showing {drawn.number_of_nodes()} of {graph.number_of_nodes()} nodes and "
               f"{drawn.number_of_edges()} of {graph.number_of_edges()} links"
               + (f" (the {MAX_DRAWN} best-connected of this view; narrow the focus or depth "
                  "to see the rest)." if drawn is not shown else "."))
    event = st.altair_chart(graph_chart(shown, focus=focus_node, height=560, selectable=True),
                            width="stretch", on_select="rerun", key="gr_chart")
    picked = None
    if event and event.selection and event.selection.get("node"):
        picked = event.selection["node"][0].get("id")
    picked = picked or focus_node
    if picked:
        kind, _, ident = picked.partition(":")
        if kind == "claim":
            nav.link("claim", f"Open claim “{md_escape(ident)}”", claim=ident)
        elif kind == "study":
            nav.link("studies", f"Open study “{md_escape(ident)}”", study=ident)
    c3, c4 = st.columns(2)
    c3.download_button("Download GraphML (Gephi, Cytoscape)", lambda: graph_as("graphml", graph),
                       file_name="evidence-graph.graphml", mime="application/xml",
                       key="gr_graphml")
    c4.download_button("Download node-link JSON", lambda: graph_as("json", graph),
                       file_name="evidence-graph.json", mime="application/json", key="gr_json")
