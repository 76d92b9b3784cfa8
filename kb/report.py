"""Fact-check reports: one self-contained Markdown or HTML document for the whole base.

The HTML report is a single file with inline CSS: no scripts, no external resources, readable
offline and printable. Every value from the knowledge base is escaped.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Mapping
from dataclasses import dataclass

from kb.grading import Grade
from kb.graph import contradiction_index, evidence_gaps
from kb.model import KnowledgeBase, Verdict
from kb.rules import HORIZONS, certainty_label, link_horizon
from kb.text import doi_url, full_citation, pubmed_url, safe_url, short_citation


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
    claim = kb.claim(claim_id)
    if claim is None:
        return []
    out = []
    for e in claim.evidence:
        ref = kb.references.get(e.study)
        a = kb.studies.get(e.study)
        out.append({
            "study": short_citation(ref) if ref else e.study,
            "key": e.study,
            "design": a.design.label if a else "",
            "participants": str(a.participants) if a and a.participants is not None else "",
            "follow-up": e.follow_up or (a.follow_up if a else "") or "",
            "horizon": link_horizon(e, a, kb.settings) or "unknown",
            "stance": e.stance.value,
            "certainty": certainty_label(e, a),
            "note": e.note,
        })
    return out


def _statement(kb: KnowledgeBase, claim_id: str) -> str:
    claim = kb.claim(claim_id)
    return claim.statement if claim else claim_id


def _cited_keys(kb: KnowledgeBase) -> list[str]:
    return list(dict.fromkeys(e.study for c in kb.claims for e in c.evidence))


def _counts(grades: Mapping[str, Grade]) -> list[tuple[Verdict, int]]:
    return [(v, sum(g.verdict is v for g in grades.values())) for v in Verdict
            if any(g.verdict is v for g in grades.values())]


# --- Markdown -----------------------------------------------------------------------------

def _md(text: object) -> str:
    out = str(text).replace("\n", " ")
    for ch in "\\`*_[]<>|":
        out = out.replace(ch, "\\" + ch)
    return out


def render_markdown(kb: KnowledgeBase, grades: Mapping[str, Grade], meta: ReportMeta) -> str:
    art = kb.article
    lines = [f"# Fact-check: {_md(art.title) if art else 'knowledge base'}", ""]
    if art:
        lines.append(f"Source: {_md(art.publisher)}"
                     + (f", <{art.url}>" if safe_url(art.url) else "")
                     + (f" (retrieved {art.retrieved.isoformat()})" if art.retrieved else ""))
    lines += [f"Report generated {meta.generated}; knowledge-base version {meta.version}"
              + (f"; kb {meta.tool_version}" if meta.tool_version else "") + ".", "",
              "## Summary", ""]
    lines += [f"- {v.icon} {v.label}: {n}" for v, n in _counts(grades)]
    lacking = sum(g.lacking_long_term for g in grades.values())
    lines += [f"- ⏳ Lacking long-term trials: {lacking}", "", "## Claims", ""]
    contradicting = contradiction_index(kb)
    for number, (cid, g) in enumerate(grades.items(), start=1):
        claim = kb.claim(cid)
        quote = claim.quote if claim else ""
        lines += [f"### {number}. {_md(claim.statement if claim else cid)}", "",
                  f"> {_md(quote)}", "",
                  f"**Verdict:** {g.verdict.icon} {g.verdict.label}"
                  + (f" ({g.certainty.label} certainty)" if g.certainty else "")
                  + (" · ⏳ lacking long-term trials" if g.lacking_long_term else ""), "",
                  f"{_md(g.statement)} {_md(g.reason)}", ""]
        if g.override:
            lines += [f"**Editor's override:** {g.override.verdict.label}: "
                      f"{_md(g.override.rationale or '')}", ""]
        if others := contradicting.get(cid):
            lines += ["**The article contradicts itself here:** " + "; ".join(
                _md(_statement(kb, o)) for o in others), ""]
        rows = _rows(kb, cid)
        if rows:
            lines += ["| Study | Design | Stance | Certainty | Follow-up | Note |",
                      "|---|---|---|---|---|---|"]
            lines += [f"| {_md(r['study'])} | {_md(r['design'])} | {r['stance']} | "
                      f"{r['certainty']} | {_md(r['follow-up'])} | {_md(r['note'])} |"
                      for r in rows]
            lines.append("")
    lines += ["## Evidence gap map", "",
              "Studies (supporting, refuting or mixed) per follow-up horizon.", "",
              "| Claim | " + " | ".join(HORIZONS) + " | unknown |",
              "|---|" + "---|" * (len(HORIZONS) + 1)]
    for cid, row in evidence_gaps(kb).items():
        lines.append(f"| {cid} | " + " | ".join(
            f"{c.studies} ({c.best.label})" if c.studies else "-"
            for c in row.values()) + " |")
    lines += ["", "## References", ""]
    for key in _cited_keys(kb):
        ref = kb.references.get(key)
        if ref is None:
            continue
        links = " ".join(f"<{u}>" for u in (doi_url(ref.doi), pubmed_url(ref.pmid)) if u)
        lines.append(f"- **{key}**: {_md(full_citation(ref))} {links}".rstrip())
    return "\n".join(lines) + "\n"


# --- HTML ---------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:60rem;margin:2rem auto;
padding:0 1rem;color:#222;line-height:1.5}
h1{font-size:1.8rem}h2{border-bottom:2px solid #ddd;padding-bottom:.2rem;margin-top:2.5rem}
h3{margin-top:2rem}blockquote{border-left:4px solid #bbb;margin:0;padding:.2rem 1rem;color:#444}
table{border-collapse:collapse;width:100%;font-size:.85rem;margin:.6rem 0}
th,td{border:1px solid #ccc;padding:.25rem .4rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}.badge{display:inline-block;padding:.05rem .5rem;border-radius:.6rem;
font-weight:600;border:1px solid rgba(0,0,0,.3)}.meta{color:#666;font-size:.9rem}
.claim{page-break-inside:avoid}@media print{body{margin:0;max-width:none}a{color:#000}}
"""
_COLOURS = {Verdict.SUPPORTED: "#009E73", Verdict.LIMITED: "#E69F00", Verdict.MIXED: "#56B4E9",
            Verdict.CONTRADICTED: "#D55E00", Verdict.NO_EVIDENCE: "#999999",
            Verdict.NOT_CHECKABLE: "#CCCCCC", Verdict.NOT_GRADED: "#CC79A7"}


def _e(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _a(url: str | None, label: str) -> str:
    return f'<a href="{_e(url)}">{_e(label)}</a>' if url else ""


def _badge(v: Verdict) -> str:
    return f'<span class="badge" style="background:{_COLOURS[v]}">{_e(v.icon)} {_e(v.label)}</span>'


def render_html(kb: KnowledgeBase, grades: Mapping[str, Grade], meta: ReportMeta) -> str:
    art = kb.article
    title = f"Fact-check: {art.title}" if art else "Fact-check"
    out = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
           f"<h1>{_e(title)}</h1>"]
    if art:
        source = _e(art.publisher)
        if url := safe_url(art.url):
            source += " · " + _a(url, url)
        out.append(f'<p class="meta">Source: {source}</p>')
    out.append(f'<p class="meta">Report generated {_e(meta.generated)}; knowledge-base version '
               f"{_e(meta.version)}{_e('; kb ' + meta.tool_version) if meta.tool_version else ''}"
               ".</p>")
    out.append("<h2>Summary</h2><ul>")
    out += [f"<li>{_badge(v)} {n}</li>" for v, n in _counts(grades)]
    lacking = sum(g.lacking_long_term for g in grades.values())
    out.append(f"<li>⏳ Lacking long-term trials: {lacking}</li></ul><h2>Claims</h2>")
    contradicting = contradiction_index(kb)
    for number, (cid, g) in enumerate(grades.items(), start=1):
        claim = kb.claim(cid)
        out.append(f'<section class="claim" id="{_e(cid)}">')
        out.append(f"<h3>{number}. {_e(claim.statement if claim else cid)}</h3>")
        out.append(f"<blockquote>{_e(claim.quote if claim else '')}</blockquote>")
        cert = f" ({_e(g.certainty.label)} certainty)" if g.certainty else ""
        lt = " · ⏳ lacking long-term trials" if g.lacking_long_term else ""
        out.append(f"<p><strong>Verdict:</strong> {_badge(g.verdict)}{cert}{lt}</p>")
        out.append(f"<p>{_e(g.statement)} {_e(g.reason)}</p>")
        if g.override:
            out.append(f"<p><strong>Editor's override:</strong> {_badge(g.override.verdict)} "
                       f"{_e(g.override.rationale or '')}</p>")
        if others := contradicting.get(cid):
            out.append("<p><strong>The article contradicts itself here:</strong> " + "; ".join(
                f'<a href="#{_e(o)}">{_e(_statement(kb, o))}</a>' for o in others) + "</p>")
        rows = _rows(kb, cid)
        if rows:
            out.append("<table><thead><tr><th>Study</th><th>Design</th><th>n</th>"
                       "<th>Stance</th><th>Certainty</th><th>Follow-up</th><th>Note</th>"
                       "</tr></thead><tbody>")
            for r in rows:
                out.append(f'<tr><td><a href="#ref-{_e(r["key"])}">{_e(r["study"])}</a></td>'
                           f"<td>{_e(r['design'])}</td><td>{_e(r['participants'])}</td>"
                           f"<td>{_e(r['stance'])}</td><td>{_e(r['certainty'])}</td>"
                           f"<td>{_e(r['follow-up'])}</td><td>{_e(r['note'])}</td></tr>")
            out.append("</tbody></table>")
        out.append("</section>")
    out.append("<h2>Evidence gap map</h2><p>Studies (supporting, refuting or mixed) per "
               "follow-up horizon, with the best certainty.</p><table><thead><tr><th>Claim</th>"
               + "".join(f"<th>{h}</th>" for h in (*HORIZONS, "unknown")) + "</tr></thead><tbody>")
    for cid, row in evidence_gaps(kb).items():
        out.append(f"<tr><td>{_e(cid)}</td>" + "".join(
            f"<td>{c.studies} ({_e(c.best.label)})</td>" if c.studies else "<td>–</td>"
            for c in row.values()) + "</tr>")
    out.append("</tbody></table><h2>References</h2><ol>")
    for key in _cited_keys(kb):
        ref = kb.references.get(key)
        if ref is None:
            continue
        links = " ".join(x for x in (_a(doi_url(ref.doi), "DOI"), _a(pubmed_url(ref.pmid),
                                                                       "PubMed")) if x)
        out.append(f'<li id="ref-{_e(key)}">{_e(full_citation(ref))} {links}</li>')
    out.append("</ol></body></html>")
    return "\n".join(out) + "\n"
