"""The evidence graph (networkx) and the queries editors ask of it.

Conventions: a `DiGraph` whose node ids are ``"article:ID"``, ``"claim:ID"`` and
``"study:KEY"``; every node has ``kind`` ('article' | 'claim' | 'study') and claims and
studies carry networkx's two-mode attribute ``bipartite`` (0 = claim, 1 = study). Edges have
``relation``: 'makes' (article -> claim), 'evidence' (claim -> study, with stance, certainty,
outcome, follow_up, follow_up_weeks, horizon) and 'includes' (review -> included study).
Query functions take a graph or knowledge base and return plain data without mutating it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
import dataclasses
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import networkx as nx

from kb.grading import Grade, grade, grade_all
from kb.model import Appraisal, Certainty, Claim, KnowledgeBase, Reference, Stance, Verdict
from kb.problems import Report
from kb.rules import (
    HORIZONS,
    about_long_term_evidence,
    link_certainty,
    link_horizon,
    link_weeks,
    literature_facts,
)


def _value(certainty: Certainty | None) -> str:
    return certainty.value if certainty else ""


def claim_node(claim_id: str) -> str:
    return f"claim:{claim_id}"


def study_node(key: str) -> str:
    return f"study:{key}"


def build_graph(kb: KnowledgeBase, grades: Mapping[str, Grade] | None = None) -> nx.DiGraph:
    """One graph of the article, its claims and the studies bearing on them.

    Examples
    --------
    >>> from kb.model import KnowledgeBase
    >>> g = build_graph(KnowledgeBase(root="."))
    >>> g.number_of_nodes()
    0
    """
    g = nx.DiGraph()
    art = f"article:{kb.article.id}" if kb.article else None
    if kb.article and art:
        g.add_node(art, kind="article", label=kb.article.title, publisher=kb.article.publisher,
                   url=kb.article.url or "")
    for key, ref in kb.references.items():
        g.add_node(study_node(key), **_study_attrs(key, ref, kb.studies.get(key)))
    for key, a in kb.studies.items():
        if study_node(key) not in g:
            g.add_node(study_node(key), kind="study", bipartite=1, key=key, label=key,
                       design=a.design.value)
        for inc in a.includes:
            g.add_edge(study_node(key), study_node(inc), relation="includes")
    for order, claim in enumerate(kb.claims):
        _add_claim(g, kb, claim, order, grades.get(claim.id) if grades else None, art)
    for node, data in g.nodes(data=True):
        if data.get("kind") == "study":
            data["uses"] = sum(1 for _, _, d in g.in_edges(node, data=True)
                               if d.get("relation") == "evidence")
    return g


def updated_graph(g: nx.DiGraph, kb: KnowledgeBase, claims: Iterable[Claim],
                  grades: Mapping[str, Grade] | None = None) -> nx.DiGraph:
    """`build_graph(kb, grades)`, worked out from `g`: the graph of a base that differed from
    `kb` only in these claims (the same ids, in the same places) and their grades.

    A new graph, in the same order (nodes, each node's edges either way) as built, that
    shares the data of every node and edge it does not change with `g` (graphs are not
    changed once built: the query functions only read them). Built whole when a claim's
    links were to a key that is neither referenced nor appraised (an error).
    """
    node, succ, pred = dict(g._node), dict(g._succ), dict(g._pred)
    art = f"article:{kb.article.id}" if kb.article else None
    touched: set[str] = set()
    for claim in claims:
        cn = claim_node(claim.id)
        alone = nx.DiGraph()
        _add_claim(alone, kb, claim, g._node[cn]["order"],
                   grades.get(claim.id) if grades else None, art)
        node[cn] = alone._node[cn]
        succ[cn] = dict(alone._succ[cn])
        for study in {*g._succ[cn], *succ[cn]}:
            if node.get(study, {}).get("kind") != "study":
                return build_graph(kb, grades)
            pred[study] = _preds(pred[study], node, cn, succ[cn].get(study))
            touched.add(study)
    for study in touched:
        uses = sum(1 for d in pred[study].values() if d.get("relation") == "evidence")
        node[study] = {**node[study], "uses": uses}
    out = nx.DiGraph()
    out.graph.update(g.graph)
    out._node = node
    out._adj = succ  # networkx keeps _succ the same mapping (and resets its views)
    out._pred = pred
    return out


def _preds(before: Mapping[str, dict], nodes: Mapping[str, dict], cn: str,
           edge: dict | None) -> dict[str, dict]:
    """A study's predecessors with the claim `cn`'s edge to it (or none) put where building
    puts it: after the reviews that include the study, among the claims in their order."""
    out = [(u, d) for u, d in before.items() if u != cn]
    if edge is not None:
        order = nodes[cn]["order"]
        at = next((n for n, (u, _) in enumerate(out) if nodes[u].get("kind") == "claim"
                   and nodes[u]["order"] > order), len(out))
        out.insert(at, (cn, edge))
    return dict(out)


def _study_attrs(key: str, ref: Reference, a: Appraisal | None) -> dict[str, object]:
    """A referenced study's node attributes (-1 where a number is not known)."""
    participants = a.participants if a and a.participants is not None else -1
    weeks = a.follow_up_weeks if a and a.follow_up_weeks is not None else -1.0
    return {"kind": "study", "bipartite": 1, "key": key,
            "label": _short_label(ref.fields.get("author", ""), ref.year, key),
            "title": ref.fields.get("title", ""), "year": ref.year or "",
            "design": a.design.value if a else "", "doi": ref.doi or "",
            "participants": participants, "follow_up_weeks": weeks}


def _add_claim(g: nx.DiGraph, kb: KnowledgeBase, claim: Claim, order: int,
               grade: Grade | None, art: str | None) -> None:
    cn = claim_node(claim.id)
    g.add_node(cn, kind="claim", bipartite=0, label=claim.id, order=order,
               statement=claim.statement, claim_kind=claim.kind.value,
               verdict=grade.verdict.value if grade else "",
               certainty=grade.certainty.value if grade and grade.certainty else "")
    if art:
        g.add_edge(art, cn, relation="makes")
    for link in claim.evidence:
        study = kb.studies.get(link.study)
        weeks = link_weeks(link, study)
        g.add_edge(cn, study_node(link.study), relation="evidence",
                   stance=link.stance.value, certainty=_value(link_certainty(link, study)),
                   outcome=link.outcome or "", follow_up=link.follow_up or "",
                   follow_up_weeks=weeks if weeks is not None else -1.0,
                   horizon=link_horizon(link, study, kb.settings) or "unknown")


def _short_label(author: str, year: str | None, key: str) -> str:
    first = author.split(" and ")[0].split(",")[0].strip(" {}") if author else ""
    if not first:
        return key
    more = " et al." if " and " in author else ""
    return f"{first}{more} {year or ''}".strip()


def evidence_for(graph: nx.DiGraph, claim_id: str) -> dict[str, list[dict[str, Any]]]:
    """A claim's evidence grouped by stance, strongest certainty first within each group."""
    out: dict[str, list[dict[str, Any]]] = {s.value: [] for s in Stance}
    node = claim_node(claim_id)
    if node not in graph:
        return out
    for _, target, data in graph.out_edges(node, data=True):
        if data.get("relation") != "evidence":
            continue
        study = graph.nodes[target]
        out[data["stance"]].append({"study": study.get("key", target), "design": study.get("design", ""),
                                    **{k: v for k, v in data.items() if k != "relation"}})
    for rows in out.values():
        rows.sort(key=lambda r: (-Certainty(r["certainty"]).rank, r["study"]))
    return out


@dataclass(frozen=True)
class ImpactRow:
    claim_id: str
    stance: str
    certainty: str
    verdict_before: Verdict
    verdict_after: Verdict
    certainty_before: Certainty | None
    certainty_after: Certainty | None

    @property
    def changed(self) -> bool:
        return (self.verdict_before, self.certainty_before) != (self.verdict_after,
                                                                  self.certainty_after)


def without_study(claim: Claim, key: str) -> Claim:
    return dataclasses.replace(claim, evidence=tuple(e for e in claim.evidence if e.study != key))


def claims_resting_on(kb: KnowledgeBase, key: str, report: Report | None = None,
                      grades: Mapping[str, Grade] | None = None) -> list[ImpactRow]:
    """Which claims cite a study, and their verdicts with and without it (a retraction drill).

    Pass `grades` when they are already computed to avoid grading every claim again.
    """
    grades = grades if grades is not None else grade_all(kb, report)
    # Claims that long-term evidence is lacking rest on every trial of the base (rules S1-S4).
    counted = (key in kb.studies and kb.studies[key].design.is_trial
               and any(about_long_term_evidence(c) for c in kb.claims))
    facts = literature_facts(kb.claims, kb.studies, kb.settings, without=key) if counted else None
    rows = []
    for claim in kb.claims:
        links = [e for e in claim.evidence if e.study == key]
        from_base = counted and about_long_term_evidence(claim)
        if not links and not from_base:
            continue
        before = grades[claim.id]
        after = grade(without_study(claim, key), kb.studies, kb.settings, facts=facts)
        if before.verdict is Verdict.NOT_GRADED:
            after = before
        stance, certainty = ((links[0].stance.value,
                              _value(link_certainty(links[0], kb.studies.get(key))))
                             if links else ("counted in the base", ""))
        rows.append(ImpactRow(claim.id, stance, certainty,
                              before.verdict, after.verdict, before.certainty, after.certainty))
    return rows


@dataclass(frozen=True)
class Overlap:
    """Primary-study overlap among the reviews cited for one claim."""

    claim_id: str
    reviews: tuple[str, ...]
    primary_studies: int          # r: distinct included studies
    inclusions: int               # N: included studies summed over reviews
    cca: float                    # corrected covered area, (N - r) / (r (c - 1))
    shared: dict[tuple[str, str], tuple[str, ...]]

    @property
    def level(self) -> str:
        """Pieper et al.'s reading of CCA: slight < 5%, moderate < 10%, high < 15%, else very high."""
        pct = self.cca * 100
        return ("slight" if pct < 5 else "moderate" if pct < 10 else "high" if pct < 15
                else "very high")


def review_overlap(graph: nx.DiGraph, claim_ids: Iterable[str] | None = None) -> list[Overlap]:
    """For each claim citing two or more reviews, the primary studies they share.

    Only included studies that are themselves in the bibliography are known, so the CCA is
    computed over that subset. `claim_ids` limits the work to those claims.
    """
    nodes = (graph.nodes(data=True) if claim_ids is None else
             ((claim_node(c), graph.nodes[claim_node(c)]) for c in claim_ids
              if claim_node(c) in graph))
    out = []
    for node, data in nodes:
        if data.get("kind") != "claim":
            continue
        reviews = sorted({t for _, t, d in graph.out_edges(node, data=True)
                          if d.get("relation") == "evidence" and _includes(graph, t)})
        if len(reviews) >= 2:
            out.append(_overlap(data["label"], {r: _includes(graph, r) for r in reviews}))
    return out


def _includes(graph: nx.DiGraph, node: str) -> set[str]:
    """The study nodes a review's node includes (empty for a primary study)."""
    return {t for _, t, d in graph.out_edges(node, data=True) if d.get("relation") == "includes"}


def _overlap(claim_id: str, inc: dict[str, set[str]]) -> Overlap:
    """The overlap of two or more reviews, given the studies each includes."""
    reviews = sorted(inc)
    r_count = len(set().union(*inc.values()))
    n_count = sum(len(s) for s in inc.values())
    c = len(reviews)
    cca = (n_count - r_count) / (r_count * (c - 1)) if r_count and c > 1 else 0.0
    shared = {(a.removeprefix("study:"), b.removeprefix("study:")):
              tuple(sorted(x.removeprefix("study:") for x in inc[a] & inc[b]))
              for a, b in combinations(reviews, 2) if inc[a] & inc[b]}
    return Overlap(claim_id, tuple(r.removeprefix("study:") for r in reviews),
                   r_count, n_count, round(cca, 4), shared)


@dataclass(frozen=True)
class GapCell:
    studies: int
    best: Certainty | None


def evidence_gaps(kb: KnowledgeBase) -> dict[str, dict[str, GapCell]]:
    """Claims x follow-up horizon: how many studies speak to each, and at what best certainty.

    Only links that support, refute or give mixed results count; 'unknown' collects links
    whose follow-up is not recorded.
    """
    matrix: dict[str, dict[str, GapCell]] = {}
    for claim in kb.claims:
        cells: dict[str, tuple[set[str], int]] = {h: (set(), 0) for h in (*HORIZONS, "unknown")}
        for link in claim.evidence:
            if link.stance is Stance.CONTEXT:
                continue
            h = link_horizon(link, kb.studies.get(link.study), kb.settings) or "unknown"
            keys, best = cells[h]
            keys.add(link.study)
            certainty = link_certainty(link, kb.studies.get(link.study))
            cells[h] = (keys, max(best, certainty.rank if certainty else 0))
        matrix[claim.id] = {h: GapCell(len(k), Certainty.from_rank(b) if b else None)
                            for h, (k, b) in cells.items()}
    return matrix


def orphans(graph: nx.DiGraph) -> dict[str, list[str]]:
    """Studies that nothing cites or includes, and claims with no evidence links."""
    studies = sorted(data.get("key", n) for n, data in graph.nodes(data=True)
                     if data.get("kind") == "study" and graph.in_degree(n) == 0)
    claims = sorted(data["label"] for n, data in graph.nodes(data=True)
                    if data.get("kind") == "claim"
                    and not any(d.get("relation") == "evidence"
                                for _, _, d in graph.out_edges(n, data=True)))
    return {"studies": studies, "claims": claims}


def neighbourhood(graph: nx.DiGraph, node: str, depth: int = 1,
                  hubs: frozenset[str] = frozenset({"article"})) -> nx.DiGraph:
    """The subgraph within `depth` steps of a node, edges taken in either direction.

    Nodes of a `hubs` kind (the article, which makes every claim) are shown but not walked
    through, unless the walk starts there: otherwise every claim would be two steps from
    every other, and a claim's neighbourhood in a large base would be the whole base.
    """
    if node not in graph:
        return nx.DiGraph()
    seen = {node}
    frontier = [node]
    for _ in range(depth):
        nxt = []
        for current in frontier:
            if current != node and graph.nodes[current].get("kind") in hubs:
                continue
            for other in (*graph.successors(current), *graph.predecessors(current)):
                if other not in seen:
                    seen.add(other)
                    nxt.append(other)
        frontier = nxt
    return graph.subgraph(seen).copy()


@dataclass(frozen=True)
class Contradiction:
    """Two claims of one article that may assert opposite things.

    `declared`: an editor linked them (`contradicts:`); otherwise a candidate, because the
    same studies support one and refute the other (`studies`).
    """

    claim: str
    other: str
    studies: tuple[str, ...] = ()
    declared: bool = False


def contradicting(kb: KnowledgeBase, claim_id: str) -> tuple[str, ...]:
    """The claims an editor linked to `claim_id` as contradicting it, in either direction."""
    return contradiction_index(kb).get(claim_id, ())


def contradiction_index(kb: KnowledgeBase) -> dict[str, tuple[str, ...]]:
    """Claim id -> the claims declared to contradict it, either way (one pass over claims)."""
    out: dict[str, list[str]] = {}
    for c in kb.claims:
        for other in c.contradicts:
            if other != c.id:
                out.setdefault(c.id, []).append(other)
                out.setdefault(other, []).append(c.id)
    return {k: tuple(dict.fromkeys(v)) for k, v in out.items()}


def contradictions(kb: KnowledgeBase) -> list[Contradiction]:
    """Declared contradictions, then candidate pairs: claims for which at least one study
    supports one and refutes the other (most shared studies first)."""
    declared: dict[frozenset[str], Contradiction] = {}
    for c in kb.claims:
        for other in c.contradicts:
            if other != c.id and kb.claim(other) is not None:
                declared.setdefault(frozenset((c.id, other)), Contradiction(c.id, other,
                                                                           declared=True))
    order = {c.id: i for i, c in enumerate(kb.claims)}
    shared = _opposed_pairs(kb, order)
    found = [replace_studies(declared[frozenset(p)], s) if frozenset(p) in declared
             else Contradiction(p[0], p[1], tuple(dict.fromkeys(s)))
             for p, s in shared.items()]
    seen = {frozenset((x.claim, x.other)) for x in found}
    found += [d for key, d in declared.items() if key not in seen]
    return sorted(found, key=lambda x: (not x.declared, -len(x.studies),
                                        order.get(x.claim, 0), order.get(x.other, 0)))


def _opposed_pairs(kb: KnowledgeBase, order: Mapping[str, int]
                   ) -> dict[tuple[str, str], list[str]]:
    """(claim, claim) in file order -> the studies supporting one and refuting the other."""
    stance: dict[str, dict[str, set[Stance]]] = {}
    for c in kb.claims:
        for link in c.evidence:
            stance.setdefault(link.study, {}).setdefault(c.id, set()).add(link.stance)
    shared: dict[tuple[str, str], list[str]] = {}
    for study, by_claim in stance.items():
        backs = [cid for cid, s in by_claim.items() if Stance.SUPPORTS in s]
        against = [cid for cid, s in by_claim.items() if Stance.REFUTES in s]
        for a, b in ((a, b) for a in backs for b in against if a != b):
            pair = (a, b) if order[a] < order[b] else (b, a)
            shared.setdefault(pair, []).append(study)
    return shared


def replace_studies(c: Contradiction, studies: Iterable[str]) -> Contradiction:
    return Contradiction(c.claim, c.other, tuple(dict.fromkeys(studies)), c.declared)
