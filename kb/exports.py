"""Render verdicts, impact, overlap, gaps and the graph as JSON, CSV, Markdown, text or GraphML.

The JSON of `verdict_records` is a stable interface for other tools (see the README).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from typing import TYPE_CHECKING

from kb.grading import Grade
from kb.model import KnowledgeBase, LongTerm
from kb.rules import HORIZONS
from kb.tables import claim_rows

if TYPE_CHECKING:  # networkx and numpy (kb.sof) load only for the exports that use them
    import networkx as nx

    from kb.graph import Contradiction, GapCell, ImpactRow, Overlap


# The stable `kb verdicts --format json` fields, in order.
RECORD_KEYS = ("id", "quote", "statement", "kind", "verdict", "certainty", "lacking_long_term",
               "long_term", "rule", "reason", "plain_language", "override", "evidence")


def verdict_records(kb: KnowledgeBase, grades: Mapping[str, Grade]) -> list[dict[str, Any]]:
    """One plain dict per claim, in file order: the stable `kb verdicts --format json` shape."""
    return [{k: row[k] for k in RECORD_KEYS} for row in claim_rows(kb, grades)]


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _markdown(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def esc(v: object) -> str:
        return "" if v is None else str(v).replace("|", "\\|").replace("\n", " ")
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(esc(v) for v in r) + " |" for r in rows]
    return "\n".join(out)


def _csv(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(headers)
    w.writerows(rows)
    return buf.getvalue()


def verdicts_as(fmt: str, kb: KnowledgeBase, grades: Mapping[str, Grade]) -> str:
    records = verdict_records(kb, grades)
    if fmt == "json":
        return json.dumps(records, indent=2, ensure_ascii=False)
    headers = ["id", "verdict", "certainty", "long-term trials", "override", "rule", "reason"]
    rows = [[r["id"], r["verdict"], r["certainty"] or "-",
             LongTerm(r["long_term"]).label,
             r["override"]["verdict"] if r["override"] else "", r["rule"], r["reason"]]
            for r in records]
    if fmt == "csv":
        return _csv(headers + ["statement", "quote"],
                    [row + [r["statement"], r["quote"]] for row, r in zip(rows, records,
                                                                          strict=True)])
    if fmt == "markdown":
        return _markdown(headers, rows)
    short = [row[:6] for row in rows]
    return _table(headers[:6], short)


def sof_as(fmt: str, records: Sequence[Mapping[str, Any]]) -> str:
    """`kb sof`: one row per link with a finding (JSON keeps downgrades as objects)."""
    from kb.sof import SOF_FIELDS

    if fmt == "json":
        return json.dumps(list(records), indent=2, ensure_ascii=False)

    def flat(items: Any) -> str:
        return "; ".join(f"{d['domain']} ({d['level']}): {d['reason']}" for d in items)
    rows = [[*(r[f] for f in SOF_FIELDS if f not in ("downgrades", "upgrades")),
             flat(r["downgrades"]), flat(r["upgrades"])] for r in records]
    headers = [f for f in SOF_FIELDS if f not in ("downgrades", "upgrades")]
    headers += ["downgrades", "upgrades"]
    if fmt == "csv":
        return _csv(headers, rows)
    if not records:
        return "No link with a finding."
    short = ["claim", "study", "outcome", "participants", "measure", "value", "ci_low",
             "ci_high", "certainty", "follow_up_weeks"]
    return _table(short, [[r[f] for f in short] for r in records])


def impact_as(fmt: str, key: str, rows: Sequence[ImpactRow]) -> str:
    data = [{"claim": r.claim_id, "stance": r.stance, "certainty": r.certainty,
             "verdict_before": r.verdict_before.value, "verdict_after": r.verdict_after.value,
             "certainty_before": r.certainty_before.value if r.certainty_before else None,
             "certainty_after": r.certainty_after.value if r.certainty_after else None,
             "changed": r.changed} for r in rows]
    if fmt == "json":
        return json.dumps({"study": key, "claims": data}, indent=2)
    if not data:
        return f"No claim cites '{key}'."
    head = f"Without '{key}', {sum(d['changed'] for d in data)} of {len(data)} claims change:\n"
    return head + _table(list(data[0]), [list(d.values()) for d in data])


def overlap_as(fmt: str, rows: Sequence[Overlap]) -> str:
    data = [{"claim": o.claim_id, "reviews": list(o.reviews), "primary_studies": o.primary_studies,
             "inclusions": o.inclusions, "cca": o.cca, "level": o.level,
             "shared": [{"reviews": list(k), "studies": list(v)} for k, v in o.shared.items()]}
            for o in rows]
    if fmt == "json":
        return json.dumps(data, indent=2)
    if not data:
        return "No claim cites two or more reviews with recorded included studies."
    return _table(["claim", "reviews", "r", "N", "CCA", "overlap", "shared"],
                  [[d["claim"], ", ".join(d["reviews"]), d["primary_studies"], d["inclusions"],
                    f"{d['cca']:.1%}", d["level"],
                    "; ".join(f"{'+'.join(s['reviews'])}: {', '.join(s['studies'])}"
                              for s in d["shared"])] for d in data])


def contradictions_as(fmt: str, rows: Sequence[Contradiction]) -> str:
    data = [{"claim": c.claim, "other": c.other, "declared": c.declared,
             "studies": list(c.studies)} for c in rows]
    if fmt == "json":
        return json.dumps(data, indent=2)
    if not data:
        return "No declared contradictions, and no study supports one claim and refutes another."
    return _table(["claim", "other", "declared", "studies supporting one, refuting the other"],
                  [[d["claim"], d["other"], "yes" if d["declared"] else "candidate",
                    ", ".join(d["studies"])] for d in data])


def gaps_as(fmt: str, matrix: Mapping[str, Mapping[str, GapCell]]) -> str:
    cols = [*HORIZONS, "unknown"]
    if fmt == "json":
        return json.dumps({cid: {h: {"studies": c.studies,
                                     "best_certainty": c.best.value if c.best else None}
                                 for h, c in row.items()} for cid, row in matrix.items()},
                          indent=2)
    rows = [[cid, *(f"{row[h].studies} ({row[h].best.value})" if row[h].studies else "-"
                    for h in cols)] for cid, row in matrix.items()]
    if fmt == "csv":
        return _csv(["claim", *cols], [[cid, *(row[h].studies for h in cols)]
                                       for cid, row in matrix.items()])
    return _table(["claim", *cols], rows)


def graph_as(fmt: str, graph: nx.DiGraph) -> str:
    import networkx as nx

    if fmt == "json":
        return json.dumps(nx.node_link_data(graph, edges="links"), indent=2, ensure_ascii=False)
    buf = io.BytesIO()
    nx.write_graphml(graph, buf, encoding="utf-8", prettyprint=True)
    return buf.getvalue().decode("utf-8")
