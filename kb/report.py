"""Fact-check reports: one self-contained Markdown or HTML document for the whole base.

Rendered from Jinja2 templates (kb/templates/): the HTML report is a single file with inline
CSS, no scripts and no external resources, readable offline and printable, autoescaped; the
Markdown template escapes every value for Markdown the same way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jinja2

from kb.grading import Grade
from kb.graph import contradiction_index, evidence_gaps
from kb.model import KnowledgeBase, Verdict
from kb.rules import HORIZONS, certainty_label
from kb.sof import POOLING_LABEL, sof_applies, sof_rows
from kb.tables import evidence_rows
from kb.text import doi_url, full_citation, pubmed_url, safe_url


@dataclass(frozen=True)
class ReportMeta:
    generated: str          # ISO date the report was made (the CLI passes today's date)
    version: str            # content version of the base, see `base_version`
    tool_version: str = ""


def base_version(*contents: bytes) -> str:
    """A short, stable fingerprint of the files a report was made from."""
    digest = hashlib.sha256()
    for c in contents:
        digest.update(hashlib.sha256(c).digest())
    return digest.hexdigest()[:12]


def _rows(kb: KnowledgeBase, claim_id: str) -> list[dict[str, str]]:
    """The report's evidence table: the shared row builder (`kb.tables.evidence_rows`) as text."""
    claim = kb.claim(claim_id)
    if claim is None:
        return []
    out = []
    for e, row in zip(claim.evidence, evidence_rows(kb, claim)):
        out.append({
            "study": row["study"],
            "key": row["key"],
            "design": row["design"] or "",
            "participants": "" if row["participants"] is None else str(row["participants"]),
            "follow-up": row["follow_up"] or "",
            "horizon": row["horizon"],
            "stance": row["stance"],
            "certainty": certainty_label(e, kb.studies.get(e.study)),
            "note": row["note"],
        })
    return out


def _statement(kb: KnowledgeBase, claim_id: str) -> str:
    claim = kb.claim(claim_id)
    return claim.statement if claim else claim_id


def _long_term(g: Grade) -> str:
    return ("⏳ " if g.lacking_long_term else "") + g.long_term.label


def _cited_keys(kb: KnowledgeBase) -> list[str]:
    return list(dict.fromkeys(e.study for c in kb.claims for e in c.evidence))


def _counts(grades: Mapping[str, Grade]) -> list[tuple[Verdict, int]]:
    return [(v, sum(g.verdict is v for g in grades.values())) for v in Verdict
            if any(g.verdict is v for g in grades.values())]


def _context(kb: KnowledgeBase, grades: Mapping[str, Grade], meta: ReportMeta) -> dict[str, Any]:
    """What both templates show, as plain values."""
    art = kb.article
    contradicting = contradiction_index(kb)
    claims = []
    for number, (cid, g) in enumerate(grades.items(), start=1):
        claim = kb.claim(cid)
        claims.append({"number": number, "id": cid, "grade": g, "rows": _rows(kb, cid),
                       "statement": claim.statement if claim else cid,
                       "quote": claim.quote if claim else "",
                       "contradicts": [(o, _statement(kb, o)) for o in contradicting.get(cid, ())],
                       "long_term": _long_term(g), "sof": _sof(kb, cid)})
    references = []
    for key in _cited_keys(kb):
        ref = kb.references.get(key)
        if ref is not None:
            links = [(u, label) for u, label in ((doi_url(ref.doi), "DOI"),
                                                 (pubmed_url(ref.pmid), "PubMed")) if u]
            references.append({"key": key, "citation": full_citation(ref), "links": links})
    return {
        "art": art, "art_url": safe_url(art.url) if art else None, "meta": meta,
        "title": f"Fact-check: {art.title}" if art else "Fact-check",
        "counts": _counts(grades), "lacking": sum(g.lacking_long_term for g in grades.values()),
        "claims": claims, "horizons": (*HORIZONS, "unknown"), "gaps": evidence_gaps(kb),
        "references": references, "colours": _COLOURS,
    }


_COLOURS = {Verdict.SUPPORTED: "#009E73", Verdict.LIMITED: "#E69F00", Verdict.MIXED: "#56B4E9",
            Verdict.CONTRADICTED: "#D55E00", Verdict.NO_EVIDENCE: "#999999",
            Verdict.NOT_CHECKABLE: "#CCCCCC", Verdict.NOT_GRADED: "#CC79A7"}


class _Verbatim(str):
    """A value the Markdown template writes as it is (an address inside <...>)."""


def _md(value: object) -> object:
    """Escape a value for Markdown: the Markdown template's counterpart of autoescaping."""
    if isinstance(value, _Verbatim):
        return value
    out = str("" if value is None else value).replace("\n", " ")
    for ch in "\\`*_[]<>|":
        out = out.replace(ch, "\\" + ch)
    return out


def _environment(markdown: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("kb", "templates"), autoescape=not markdown,
        finalize=_md if markdown else None, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters["verbatim"] = _Verbatim
    return env


def render_markdown(kb: KnowledgeBase, grades: Mapping[str, Grade], meta: ReportMeta) -> str:
    """The report as Markdown (every value from the base escaped)."""
    template = _environment(markdown=True).get_template("report.md.jinja")
    return template.render(_context(kb, grades, meta))


def render_html(kb: KnowledgeBase, grades: Mapping[str, Grade], meta: ReportMeta) -> str:
    """The report as one self-contained HTML file (autoescaped, no scripts)."""
    template = _environment(markdown=False).get_template("report.html.jinja")
    return template.render(_context(kb, grades, meta))


# --- Summary of findings (GRADE SoF table per effect claim; data from kb.sof) -------------

def _sof(kb: KnowledgeBase, claim_id: str) -> dict[str, Any] | None:
    """The claim's summary of findings for the templates (None for non-effect claims):
    rows of display text, each with the numbers of its footnotes, and the footnotes."""
    claim = kb.claim(claim_id)
    if claim is None or not sof_applies(claim):
        return None
    rows = sof_rows(kb, claim)
    if not rows:
        return None
    notes: dict[str, int] = {}
    shown = [{"outcome": r.outcome, "participants": r.participants_text,
              "certainty": r.certainty_text, "effect": r.effect, "follow_up": r.follow_up,
              "statement": r.statement,
              "marks": [notes.setdefault(n, len(notes) + 1) for n in r.footnotes]}
             for r in rows]
    return {"rows": shown, "notes": [(i, n) for n, i in notes.items()],
            "pooled": POOLING_LABEL if any(r.pooled for r in rows) else None}
