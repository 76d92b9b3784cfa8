"""kb.graph: the evidence graph and the editors' queries on it."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest

from conftest import KB_MIN, make_kb
from kb.exports import graph_as
from kb.grading import grade_all
from kb.graph import (
    build_graph,
    claims_resting_on,
    evidence_for,
    evidence_gaps,
    neighbourhood,
    orphans,
    review_overlap,
)
from kb.load import load_kb
from kb.model import Certainty, Verdict


@pytest.fixture(scope="module")
def base():
    return load_kb(str(KB_MIN))


def test_graph_nodes_and_edges(base) -> None:
    kb, report = base
    g = build_graph(kb, grade_all(kb, report))
    kinds = {d["kind"] for _, d in g.nodes(data=True)}
    assert kinds == {"article", "claim", "study"}
    assert g.nodes["claim:short-term-pain"]["verdict"] == "supported"
    assert g.nodes["claim:short-term-pain"]["bipartite"] == 0
    assert g.nodes["study:alpha2020trial"]["bipartite"] == 1
    edge = g.edges["claim:short-term-pain", "study:gamma2021review"]
    assert (edge["relation"], edge["stance"], edge["certainty"], edge["horizon"]) == (
        "evidence", "supports", "moderate", "short-term")
    assert g.edges["study:gamma2021review", "study:alpha2020trial"]["relation"] == "includes"
    assert g.edges["article:tiny-needles", "claim:very-safe"]["relation"] == "makes"


def test_evidence_for_groups_by_stance_strongest_first(base) -> None:
    g = build_graph(base[0])
    ev = evidence_for(g, "short-term-pain")
    assert [r["study"] for r in ev["supports"]] == ["gamma2021review", "alpha2020trial"]
    assert ev["refutes"] == [] and evidence_for(g, "nope")["supports"] == []


def test_impact_of_removing_a_study(base) -> None:
    kb, report = base
    rows = claims_resting_on(kb, "gamma2021review", report)
    assert len(rows) == 1
    row = rows[0]
    assert (row.verdict_before, row.verdict_after) == (Verdict.SUPPORTED, Verdict.LIMITED)
    assert row.changed
    assert claims_resting_on(kb, "unknown-key", report) == []


def _overlap_kb(tmp_path: Path) -> Path:
    bib = (KB_MIN / "references.bib").read_text(encoding="utf-8") + "".join(
        f"\n@article{{{k},\n  author = {{Zed, Z}},\n  title = {{{k}}},\n  journal = {{J}},\n"
        f"  year = {{2020}},\n}}\n" for k in ("beta2020trial", "omega2020trial", "review2b"))
    claims = (KB_MIN / "claims.yaml").read_text(encoding="utf-8")
    claims = claims.replace("includes: [alpha2020trial]", "includes: [alpha2020trial, beta2020trial]")
    claims = claims.replace("studies:\n", """studies:
  review2b:
    design: systematic-review
    includes: [beta2020trial, omega2020trial]
    verified: [{url: "https://example.org/r", date: 2026-11-01}]
  beta2020trial:
    design: rct
    verified: [{url: "https://example.org/b", date: 2026-11-01}]
  omega2020trial:
    design: rct
    verified: [{url: "https://example.org/o", date: 2026-11-01}]
""", 1)
    claims = claims.replace("        note: Pooled trials favour needling.\n",
                            "        note: Pooled trials favour needling.\n"
                            "      - study: review2b\n        stance: supports\n"
                            "        certainty: low\n        note: Another review.\n")
    return make_kb(tmp_path, claims=claims, bib=bib)


def test_overlap_and_corrected_covered_area(tmp_path: Path) -> None:
    kb, report = load_kb(str(_overlap_kb(tmp_path)))
    assert report.valid, report.render()
    [ov] = review_overlap(build_graph(kb))
    # Reviews {alpha, beta} and {beta, omega}: N = 4, r = 3, c = 2 -> CCA = 1/3.
    assert (ov.claim_id, ov.inclusions, ov.primary_studies) == ("short-term-pain", 4, 3)
    assert ov.cca == pytest.approx(1 / 3, abs=1e-4)
    assert ov.shared == {("gamma2021review", "review2b"): ("beta2020trial",)}
    assert ov.level == "very high"


def test_evidence_gap_matrix(base) -> None:
    gaps = evidence_gaps(base[0])
    row = gaps["short-term-pain"]
    assert row["short-term"].studies == 2 and row["short-term"].best is Certainty.MODERATE
    assert row["long-term"].studies == 0 and row["long-term"].best is None
    assert gaps["very-safe"]["unknown"].studies == 1


def test_orphans(base) -> None:
    assert orphans(build_graph(base[0])) == {"studies": [], "claims": ["long-term-unknown"]}


def test_neighbourhood(base) -> None:
    g = build_graph(base[0])
    sub = neighbourhood(g, "claim:very-safe", depth=1)
    assert set(sub) == {"claim:very-safe", "study:delta2019survey", "article:tiny-needles"}
    assert len(neighbourhood(g, "claim:none")) == 0


def test_neighbourhood_does_not_walk_through_the_article(base) -> None:
    g = build_graph(base[0])
    kind = nx.get_node_attributes(g, "kind")
    article = next(n for n, k in kind.items() if k == "article")
    claims = {n for n, k in kind.items() if k == "claim"}
    start = "claim:very-safe"
    cited = [s for s in g.successors(start) if kind[s] == "study"]
    citing = {c for s in cited for c in g.predecessors(s) if kind[c] == "claim"}
    sub = neighbourhood(g, start, depth=2)
    assert article in sub  # shown, not walked through
    assert {n for n in sub if n in claims} == {start} | citing
    assert claims <= set(neighbourhood(g, article, depth=1))  # from the article: every claim


def test_exports_round_trip(base, tmp_path: Path) -> None:
    kb, report = base
    g = build_graph(kb, grade_all(kb, report))
    path = tmp_path / "g.graphml"
    path.write_text(graph_as("graphml", g), encoding="utf-8")
    back = nx.read_graphml(path)
    assert set(back.nodes) == set(g.nodes) and back.number_of_edges() == g.number_of_edges()
    data = json.loads(graph_as("json", g))
    assert nx.node_link_graph(data, edges="links").number_of_edges() == g.number_of_edges()


def test_build_graph_does_not_need_grades(base) -> None:
    g = build_graph(base[0])
    assert g.nodes["claim:very-safe"]["verdict"] == ""
