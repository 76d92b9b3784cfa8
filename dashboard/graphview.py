"""Draw (part of) the evidence graph as a Vega-Lite spec that people can read.

Claims (squares, coloured by verdict) stand in a column on the left, studies (circles,
coloured by kind of design) on the right, each with a short label and its full text on hover;
lines are coloured by stance. Studies are ordered by the claims they bear on, which keeps
lines from crossing, and every node has its own row, so ~100 nodes stay legible.
"""

from __future__ import annotations

from collections.abc import Mapping

import networkx as nx

from dashboard.ui import VERDICT_COLOURS, legend_items
from kb.grading import Grade
from kb.model import Design, KnowledgeBase, Verdict
from kb.tables import short_text, study_label

# Kinds of design in four groups with hues unlike the verdicts' (Paul Tol's muted scheme).
DESIGN_GROUPS = {
    "Review": ("#332288", (Design.UMBRELLA_REVIEW, Design.SYSTEMATIC_REVIEW_META_ANALYSIS,
                           Design.SYSTEMATIC_REVIEW)),
    "Trial": ("#882255", (Design.RCT, Design.CROSSOVER_RCT, Design.CLUSTER_RCT,
                          Design.NON_RANDOMISED_TRIAL)),
    "Observational study": ("#DDCC77", (Design.COHORT, Design.CASE_CONTROL,
                                        Design.CROSS_SECTIONAL, Design.CASE_SERIES,
                                        Design.CASE_REPORT)),
    "Other source": ("#999933", (Design.CRITICALLY_APPRAISED_TOPIC, Design.NARRATIVE_REVIEW,
                                 Design.GUIDELINE, Design.LABORATORY, Design.PHYSIOLOGY,
                                 Design.EXPERT_OPINION)),
}
_GROUP_OF = {d.value: name for name, (_, designs) in DESIGN_GROUPS.items() for d in designs}
UNAPPRAISED = ("Not appraised", "#FFFFFF")
STANCE_COLOURS = {"supports": VERDICT_COLOURS[Verdict.SUPPORTED],
                  "refutes": VERDICT_COLOURS[Verdict.CONTRADICTED],
                  "mixed": VERDICT_COLOURS[Verdict.MIXED],
                  "context": "#BBBBBB"}
STANCE_WORDS = {"supports": "supports", "refutes": "refutes", "mixed": "mixed results",
                "context": "context only"}

# More nodes than this are neither readable nor quick to draw: keep the best connected.
MAX_DRAWN = 300
ROW_PX = 18


def drawable(graph: nx.DiGraph, focus: str | None = None,
             max_nodes: int = MAX_DRAWN) -> nx.DiGraph:
    """The claims and studies of a graph linked by evidence (the article hub and review
    inclusions left out), at most `max_nodes` of them, best connected first."""
    edges = [(a, b) for a, b, d in graph.edges(data=True) if d.get("relation") == "evidence"]
    keep = {n for e in edges for n in e}
    if focus in graph:
        keep.add(focus)
    view = graph.edge_subgraph(edges).copy() if edges else nx.DiGraph()
    for n in keep - set(view):
        view.add_node(n, **graph.nodes[n])
    if view.number_of_nodes() <= max_nodes:
        return view
    ranked = sorted(view.nodes, key=lambda n: (n != focus, -view.degree(n), n))
    return view.subgraph(ranked[:max_nodes]).copy()


def _study_group(design: str) -> tuple[str, str]:
    name = _GROUP_OF.get(design)
    return (name, DESIGN_GROUPS[name][0]) if name else UNAPPRAISED


def layout(kb: KnowledgeBase, grades: Mapping[str, Grade], graph: nx.DiGraph,
           focus: str | None = None) -> tuple[list[dict], list[dict], int]:
    """Node rows, edge rows (two points each) and the number of rows of the drawing."""
    claims = sorted((n for n, d in graph.nodes(data=True) if d.get("kind") == "claim"),
                    key=lambda n: (graph.nodes[n].get("order", 0), n))
    place = {n: i for i, n in enumerate(claims)}
    studies = [n for n, d in graph.nodes(data=True) if d.get("kind") == "study"]

    def centre(node: str) -> float:
        spots = [place[c] for c in graph.predecessors(node) if c in place]
        return sum(spots) / len(spots) if spots else len(claims)

    studies.sort(key=lambda n: (centre(n), graph.nodes[n].get("key", n)))
    rows = max(len(claims), len(studies), 1)

    def spread(i: int, n: int) -> float:  # the shorter column is spread over the height
        return (i + 0.5) * rows / n

    nodes, pos = [], {}
    for i, n in enumerate(claims):
        cid = n.removeprefix("claim:")
        claim = kb.claim(cid)
        g = grades.get(cid)
        verdict = g.verdict if g else Verdict.NOT_GRADED
        text = claim.statement if claim else cid
        pos[n] = (0.0, spread(i, len(claims)))
        nodes.append({"id": n, "kind": "claim", "x": 0.0, "y": pos[n][1],
                      "label": short_text(text, 70), "full": text,
                      "group": f"{verdict.icon} {verdict.label}",
                      "colour": VERDICT_COLOURS[verdict], "focus": n == focus,
                      "about": f"claim id {cid}"})
    for i, n in enumerate(studies):
        key = graph.nodes[n].get("key", n.removeprefix("study:"))
        a = kb.studies.get(key)
        ref = kb.references.get(key)
        group, colour = _study_group(a.design.value if a else "")
        pos[n] = (1.0, spread(i, len(studies)))
        nodes.append({"id": n, "kind": "study", "x": 1.0, "y": pos[n][1],
                      "label": short_text(study_label(kb, key), 40),
                      "full": short_text(ref.fields.get("title", key), 160) if ref else key,
                      "group": a.design.label if a else UNAPPRAISED[0], "colour": colour,
                      "focus": n == focus, "about": f"study key {key}"})
    edges = []
    for i, (a, b, d) in enumerate(graph.edges(data=True)):
        if a in pos and b in pos and d.get("relation") == "evidence":
            stance = d.get("stance", "context")
            for end in (a, b):
                edges.append({"edge": i, "x": pos[end][0], "y": pos[end][1], "stance": stance,
                              "colour": STANCE_COLOURS.get(stance, "#BBBBBB")})
    return nodes, edges, rows


def graph_spec(kb: KnowledgeBase, grades: Mapping[str, Grade], graph: nx.DiGraph,
               focus: str | None = None, selectable: bool = False) -> dict[str, object]:
    """A plain Vega-Lite spec of the drawing (cheap to build, no Altair objects)."""
    nodes, edges, rows = layout(kb, grades, graph, focus)
    # Few nodes get roomier rows; many keep 18 px each so every label has its own line.
    height = int(rows * max(ROW_PX, min(40, 320 / rows)) + 20)
    # Labels take a quarter of the width on each side; the links run in the middle half.
    x = {"field": "x", "type": "quantitative", "axis": None,
         "scale": {"domain": [-0.5, 1.5], "nice": False, "zero": False}}
    y = {"field": "y", "type": "quantitative", "axis": None,
         "scale": {"domain": [0, rows], "reverse": True, "nice": False, "zero": False}}
    colour = {"field": "colour", "type": "nominal", "scale": None, "legend": None}
    tooltip = [{"field": "label", "title": "name"}, {"field": "group", "title": "what"},
               {"field": "full", "title": "text"}, {"field": "about", "title": "id"}]
    point = {"type": "point", "filled": True, "opacity": 1, "stroke": "#222", "strokeWidth": 0.8,
             "cursor": "pointer" if selectable else "default"}
    node_layer: dict[str, object] = {
        "data": {"values": nodes},
        "mark": point,
        "encoding": {
            "x": x, "y": y, "color": colour, "fill": colour,
            "shape": {"field": "kind", "type": "nominal", "legend": None,
                      "scale": {"domain": ["claim", "study"], "range": ["square", "circle"]}},
            "size": {"condition": {"test": "datum.focus", "value": 260}, "value": 130},
            "strokeWidth": {"condition": {"test": "datum.focus", "value": 3}, "value": 0.8},
            "tooltip": tooltip,
        }}
    if selectable:
        node_layer["params"] = [{"name": "node", "select": {"type": "point", "fields": ["id"],
                                                            "on": "click"}}]
    text = {"type": "text", "fontSize": 11, "baseline": "middle",
            "limit": {"expr": "width * 0.24"}}
    return {
        "height": height,
        "config": {"view": {"stroke": None}},
        "layer": [
            {"data": {"values": edges},
             "mark": {"type": "line", "opacity": 0.55, "strokeWidth": 1.4},
             "encoding": {"x": x, "y": y, "detail": {"field": "edge", "type": "nominal"},
                          "color": colour}},
            node_layer,
            {"data": {"values": [n for n in nodes if n["kind"] == "claim"]},
             "mark": {**text, "align": "right", "dx": -9},
             "encoding": {"x": x, "y": y, "text": {"field": "label"}, "tooltip": tooltip,
                          "fontWeight": {"condition": {"test": "datum.focus",
                                                       "value": "bold"}, "value": "normal"}}},
            {"data": {"values": [n for n in nodes if n["kind"] == "study"]},
             "mark": {**text, "align": "left", "dx": 9},
             "encoding": {"x": x, "y": y, "text": {"field": "label"}, "tooltip": tooltip,
                          "fontWeight": {"condition": {"test": "datum.focus",
                                                       "value": "bold"}, "value": "normal"}}},
        ]}


def legend_html(grades: Mapping[str, Grade]) -> str:
    """The legend in plain words, below the chart (it wraps on a phone)."""
    verdicts = {g.verdict for g in grades.values()}
    claim_items = [(VERDICT_COLOURS[v], f"{v.icon} {v.label}", "Claim (square) with this verdict")
                   for v in Verdict if v in verdicts]
    study_items = [(colour, name, "Study (circle): " + ", ".join(d.label for d in designs))
                   for name, (colour, designs) in DESIGN_GROUPS.items()]
    line_items = [(STANCE_COLOURS[s], f"study {w}", "Line from a claim to a study")
                  for s, w in STANCE_WORDS.items()]
    return ("<div class='kb-small'>Claims (squares), by verdict</div>" + legend_items(claim_items)
            + "<div class='kb-small'>Studies (circles), by design</div>"
            + legend_items(study_items, round_=True)
            + "<div class='kb-small'>Lines: how the study bears on the claim</div>"
            + legend_items(line_items))


def picked_node(event: object) -> str | None:
    """The node id a click on a selectable drawing chose, if any."""
    selection = getattr(event, "selection", None) or {}
    chosen = selection.get("node") if hasattr(selection, "get") else None
    if chosen:
        first = chosen[0]
        return first.get("id") if hasattr(first, "get") else None
    return None
