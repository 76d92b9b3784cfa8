"""Draw (part of) the evidence graph as an Altair chart: a fixed-seed layout, nodes coloured
by verdict (claims) or design (studies), sized by use, with a selection to follow."""

from __future__ import annotations

import altair as alt
import networkx as nx
import pandas as pd

from dashboard.ui import VERDICT_COLOURS
from kb.model import Verdict

DESIGN_COLOURS = {
    "umbrella-review": "#332288", "systematic-review-meta-analysis": "#4B3FA0",
    "systematic-review": "#6A5ACD", "rct": "#117733", "non-randomised-trial": "#44AA99",
    "cohort": "#88CCEE", "case-control": "#88CCEE", "cross-sectional": "#DDCC77",
    "case-series": "#CC6677", "case-report": "#AA4499", "narrative-review": "#882255",
    "guideline": "#661100", "laboratory": "#999933", "expert-opinion": "#888888", "": "#BBBBBB",
}


# More nodes than this are neither readable nor quick to lay out: keep the best connected.
MAX_DRAWN = 300


def drawable(graph: nx.DiGraph, focus: str | None = None,
             max_nodes: int = MAX_DRAWN) -> nx.DiGraph:
    """The graph itself, or its `max_nodes` best-connected nodes (the focus always kept)."""
    if graph.number_of_nodes() <= max_nodes:
        return graph
    ranked = sorted(graph.nodes, key=lambda n: (n != focus, -graph.degree(n), n))
    return graph.subgraph(ranked[:max_nodes])


def layout_frames(graph: nx.DiGraph, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Node and edge tables with positions (deterministic for a given graph)."""
    if graph.number_of_nodes() == 0:
        return pd.DataFrame(columns=["id", "x", "y"]), pd.DataFrame(columns=["x", "y", "edge"])
    pos = nx.spring_layout(graph, seed=seed, k=1.2 / max(1, graph.number_of_nodes()) ** 0.5)
    nodes = []
    for node, data in graph.nodes(data=True):
        kind = data.get("kind", "")
        if kind == "claim":
            group = f"claim: {data.get('verdict') or 'ungraded'}"
            colour = VERDICT_COLOURS.get(Verdict(data["verdict"]), "#999") if data.get(
                "verdict") else "#999999"
            label = data.get("label", node)
        elif kind == "study":
            group = f"study: {data.get('design') or 'unappraised'}"
            colour = DESIGN_COLOURS.get(data.get("design", ""), "#BBBBBB")
            label = data.get("label", node)
        else:
            group, colour, label = "article", "#000000", "Article"
        nodes.append({"id": node, "kind": kind, "group": group, "colour": colour,
                      "label": label, "title": data.get("statement") or data.get("title") or "",
                      "uses": int(data.get("uses", 0) or 0) + 1,
                      "x": float(pos[node][0]), "y": float(pos[node][1])})
    edges = []
    for i, (a, b, data) in enumerate(graph.edges(data=True)):
        for end in (a, b):
            edges.append({"edge": i, "x": float(pos[end][0]), "y": float(pos[end][1]),
                          "relation": data.get("relation", ""), "stance": data.get("stance", "")})
    return pd.DataFrame(nodes), pd.DataFrame(edges)


def graph_chart(graph: nx.DiGraph, focus: str | None = None, height: int = 420,
                selectable: bool = False, max_nodes: int = MAX_DRAWN) -> alt.LayerChart:
    nodes, edges = layout_frames(drawable(graph, focus, max_nodes))
    if nodes.empty:
        return alt.layer(alt.Chart(pd.DataFrame({"x": [], "y": []})).mark_point())
    nodes["focus"] = nodes["id"] == focus
    domain = sorted(nodes["group"].unique())
    colours = [nodes.loc[nodes["group"] == g, "colour"].iloc[0] for g in domain]
    axis = alt.Axis(labels=False, ticks=False, grid=False, title=None, domain=False)
    lines = alt.Chart(edges).mark_line(opacity=0.35, color="#777").encode(
        x=alt.X("x:Q", axis=axis), y=alt.Y("y:Q", axis=axis), detail="edge:N")
    pick = alt.selection_point(name="node", fields=["id"], on="click")
    points = alt.Chart(nodes).mark_circle(stroke="black").encode(
        x=alt.X("x:Q", axis=axis), y=alt.Y("y:Q", axis=axis),
        size=alt.Size("uses:Q", scale=alt.Scale(range=[60, 900]), legend=None),
        color=alt.Color("group:N", scale=alt.Scale(domain=domain, range=colours),
                        legend=alt.Legend(title="Claims by verdict · studies by design",
                                          orient="bottom", columns=3, titleLimit=0,
                                          labelLimit=0)),
        strokeWidth=alt.condition("datum.focus", alt.value(3), alt.value(0.5)),
        tooltip=["label:N", "group:N", "title:N"],
    )
    if selectable:
        points = points.add_params(pick)
    labels = alt.Chart(nodes[nodes["kind"] == "claim"]).mark_text(
        dy=-10, fontSize=10, color="#333").encode(x="x:Q", y="y:Q", text="label:N")
    return alt.layer(lines, points, labels).properties(height=height)


def graph_spec(graph: nx.DiGraph, focus: str | None = None, height: int = 420,
               max_nodes: int = MAX_DRAWN) -> dict[str, object]:
    """The same drawing as `graph_chart`, as a plain Vega-Lite spec for `st.vega_lite_chart`.

    For pages that need no click selection: building a spec costs a millisecond, where
    Altair's validated objects cost tens (the claim page's budget is 200 ms at 1000x).
    """
    nodes, edges = layout_frames(drawable(graph, focus, max_nodes))
    if nodes.empty:
        return {"height": height, "data": {"values": []}, "mark": "point"}
    node_rows = [{**row, "focus": row["id"] == focus} for row in nodes.to_dict("records")]
    domain = sorted(nodes["group"].unique())
    colours = [nodes.loc[nodes["group"] == g, "colour"].iloc[0] for g in domain]
    axis = {"labels": False, "ticks": False, "grid": False, "title": None, "domain": False}
    x = {"field": "x", "type": "quantitative", "axis": axis}
    y = {"field": "y", "type": "quantitative", "axis": axis}
    return {"height": height, "layer": [
        {"data": {"values": edges.to_dict("records")},
         "mark": {"type": "line", "opacity": 0.35, "color": "#777"},
         "encoding": {"x": x, "y": y, "detail": {"field": "edge", "type": "nominal"}}},
        {"data": {"values": node_rows},
         "mark": {"type": "circle", "stroke": "black"},
         "encoding": {
             "x": x, "y": y,
             "size": {"field": "uses", "type": "quantitative", "scale": {"range": [60, 900]},
                      "legend": None},
             "color": {"field": "group", "type": "nominal",
                       "scale": {"domain": domain, "range": colours},
                       "legend": {"title": "Claims by verdict · studies by design",
                                  "orient": "bottom", "columns": 3, "titleLimit": 0,
                                  "labelLimit": 0}},
             "strokeWidth": {"condition": {"test": "datum.focus", "value": 3}, "value": 0.5},
             "tooltip": [{"field": f, "type": "nominal"} for f in ("label", "group", "title")],
         }},
        {"data": {"values": [r for r in node_rows if r["kind"] == "claim"]},
         "mark": {"type": "text", "dy": -10, "fontSize": 10, "color": "#333"},
         "encoding": {"x": x, "y": y, "text": {"field": "label", "type": "nominal"}}},
    ]}
