"""Row builders for the claims table and a claim's evidence table: plain dicts, built once here
and used by the CLI's exports, the dashboard's pages and the reports.

Rows hold words for readers (short statements, "Author et al. year", follow-up in weeks) next
to the ids and codes that tools and links need.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from kb.grading import Grade
from kb.model import Claim, EvidenceLink, InvalidClaim, KnowledgeBase, Stance
from kb.rules import link_certainty, link_horizon, link_weeks
from kb.text import doi_url, pubmed_url, short_citation

_STANCES = tuple(Stance)

NOT_REPORTED = "not reported"
SHORT_STATEMENT = 60


def short_text(text: str, limit: int = SHORT_STATEMENT) -> str:
    """The text cut at a word boundary to at most `limit` characters, with an ellipsis.

    >>> short_text("Dry needling added to physical therapy works better than physical therapy alone.", 40)
    'Dry needling added to physical therapy…'
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    if " " in cut:
        cut = cut[:cut.rfind(" ")]
    return cut.rstrip(" ,;:.-") + "…"


def study_label(kb: KnowledgeBase, key: str) -> str:
    """How readers see a study: 'Gattie et al. 2021' (the key when it is not in the .bib)."""
    ref = kb.references.get(key)
    return short_citation(ref) if ref else key


def weeks_text(weeks: float | None) -> str:
    """A follow-up in one unit (weeks), 'immediate' for none at all.

    >>> weeks_text(4.333), weeks_text(0.0), weeks_text(52.0), weeks_text(None)
    ('4.3 weeks', 'immediate', '52 weeks', 'not reported')
    """
    if weeks is None:
        return NOT_REPORTED
    if weeks == 0:
        return "immediate"
    value = f"{weeks:.1f}".rstrip("0").rstrip(".")
    return f"{value} {'week' if value == '1' else 'weeks'}"


def claim_rows(kb: KnowledgeBase, grades: Mapping[str, Grade]) -> list[dict[str, Any]]:
    """One row per graded claim, in file order (linear in the size of the base).

    Keys: the stable `kb verdicts --format json` fields (see `kb.exports.RECORD_KEYS`) and,
    for tables, `short_statement`, `studies` (distinct linked studies) and the link counts
    `supports`, `refutes`, `mixed` and `context`.
    """
    claims = {c.id: c for c in kb.claims}
    invalid = {c.id: c for c in kb.invalid_claims}
    rows = []
    for claim_id, g in grades.items():
        c = claims.get(claim_id)
        quote, statement = _texts(c, invalid.get(claim_id))
        links = c.evidence if c else []
        counts = dict.fromkeys(_STANCES, 0)
        for link in links:
            counts[link.stance] += 1
        rows.append({
            "id": claim_id,
            "quote": quote,
            "statement": statement,
            "kind": c.kind.value if c else None,
            "verdict": g.verdict.value,
            "certainty": g.certainty.value if g.certainty else None,
            "lacking_long_term": g.lacking_long_term,
            "long_term": g.long_term.value,
            "rule": g.rule,
            "reason": g.reason,
            "plain_language": g.statement,
            "override": _override(g),
            "evidence": [{"study": e.study, "stance": e.stance.value,
                          "certainty": _certainty_value(kb, e)} for e in links],
            "short_statement": short_text(statement) if statement else claim_id,
            "studies": len({e.study for e in links}),
            **{s.value: n for s, n in counts.items()},
        })
    return rows


def _texts(claim: Claim | None, bad: InvalidClaim | None) -> tuple[str, str]:
    """Quote and statement of a claim, or of an entry that failed validation."""
    source = claim or bad
    return (source.quote, source.statement) if source else ("", "")


def _override(g: Grade) -> dict[str, Any] | None:
    if g.override is None:
        return None
    return {"verdict": g.override.verdict.value, "rationale": g.override.rationale}


def _certainty_value(kb: KnowledgeBase, link: EvidenceLink) -> str | None:
    """The link's certainty as graded: the editor's, else its design's default (None for
    context links without one)."""
    certainty = link_certainty(link, kb.studies.get(link.study))
    return certainty.value if certainty else None


def evidence_rows(kb: KnowledgeBase, claim: Claim) -> list[dict[str, Any]]:
    """One row per evidence link of a claim, in file order.

    `follow_up` is what the file says (a duration or a horizon word), `weeks` the number the
    rules use and `follow_up_text` that number in weeks for readers; `certainty` is the one
    graded (the design's default when the editor gave none, see `certainty_default`); blanks
    are None, shown as `NOT_REPORTED`.
    """
    rows = []
    for e in claim.evidence:
        ref = kb.references.get(e.study)
        a = kb.studies.get(e.study)
        weeks = link_weeks(e, a)
        given = e.follow_up or (a.follow_up if a else None)
        horizon = link_horizon(e, a, kb.settings)
        if weeks is not None:
            shown = weeks_text(weeks)
        elif horizon:
            shown = f"{horizon} (no time point)"
        else:
            shown = NOT_REPORTED
        rows.append({
            "key": e.study,
            "study": study_label(kb, e.study),
            "title": ref.fields.get("title", "") if ref else "",
            "design": a.design.label if a else None,
            "design_code": a.design.value if a else None,
            "participants": a.participants if a else None,
            "follow_up": given,
            "weeks": weeks,
            "follow_up_text": shown,
            "horizon": horizon or "unknown",
            "stance": e.stance.value,
            "certainty": _certainty_value(kb, e),
            "certainty_default": e.certainty is None,  # filled in from the design
            "outcome": e.outcome,
            "locator": e.locator,
            "note": e.note,
            "doi": doi_url(ref.doi) if ref else None,
            "pubmed": pubmed_url(ref.pmid) if ref else None,
        })
    return rows


def split_on_keys(text: str, keys: Iterable[str]) -> list[tuple[str, str | None]]:
    """The text in pieces, each study key found in it as its own piece (for links).

    >>> split_on_keys("Supported by a2020 and b2021.", ["a2020", "b2021"])
    [('Supported by ', None), ('a2020', 'a2020'), (' and ', None), ('b2021', 'b2021'), ('.', None)]
    """
    wanted = sorted(set(keys), key=len, reverse=True)
    if not wanted:
        return [(text, None)]
    pattern = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, wanted)) + r")(?![\w-])")
    out: list[tuple[str, str | None]] = []
    pos = 0
    for m in pattern.finditer(text):
        if m.start() > pos:
            out.append((text[pos:m.start()], None))
        out.append((m.group(1), m.group(1)))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:], None))
    return out
