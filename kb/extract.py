"""Propose claim stubs for an article: segment it into sentences (sentencex), keep those worth
checking, skip those an existing claim already covers, and emit YAML an editor can paste."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import sentencex

from kb.anchors import normalise

# Signals that a sentence asserts something checkable; each is a named reason shown to editors.
SIGNALS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("number", re.compile(r"\d")),
    ("comparison", re.compile(r"\b(more|less|better|worse|than|as effective|just as|"
                              r"superior|inferior|compared|unlike|versus|vs\.?)\b", re.I)),
    ("causal", re.compile(r"\b(cause[sd]?|leads? to|result(s|ed)? in|reduce[sd]?|improve[sd]?|"
                          r"relieve[sd]?|release[sd]?|prevent[sd]?|treat(s|ing|ed)?|helps?|"
                          r"amplif\w+|effective\w*|works?)\b", re.I)),
    ("evidence", re.compile(r"\b(stud(y|ies)|research|evidence|trials?|demonstrated|shown|"
                            r"randomi[sz]ed|review|proven|data)\b", re.I)),
    ("safety", re.compile(r"\b(safe|safety|risk\w*|side effects?|adverse|harm\w*|pain|"
                          r"discomfort|complications?)\b", re.I)),
    ("generalisation", re.compile(r"\b(most|all|always|never|no |every|typically|usually|"
                                  r"often)\b", re.I)),
    ("need", re.compile(r"\bneeds? (to\b|\w+ing\b)|\bneed\b", re.I)),
    ("procedure-step", re.compile(r"\b(will|first|then|before|after)\b", re.I)),
    ("who-does-it", re.compile(r"\b(therapists?|practitioners?|physicians?|doctors?|"
                               r"providers?)\b", re.I)),
)
# Headlines, menus and link text do not end like sentences.
_SENTENCE_END = re.compile(r"[.!?][\"\u201d')\]]*$")
# Sentences shorter than this, or without a verb-like word, are page furniture.
MIN_WORDS = 5
_VERBISH = re.compile(r"\b\w+(s|ed|ing)\b|\b(is|are|was|were|be|can|will|may|do|does|use|need)\b",
                      re.I)


@dataclass(frozen=True)
class Proposal:
    sentence: str
    reasons: tuple[str, ...]
    covered_by: str | None = None


def sentences(text: str) -> list[str]:
    """The article's sentences, whitespace collapsed, blank segments dropped."""
    out = []
    for block in re.split(r"\n\s*\n", text):
        for s in sentencex.segment("en", block):
            s = " ".join(s.split())
            if s:
                out.append(s)
    return out


def reasons_for(sentence: str) -> tuple[str, ...]:
    words = sentence.split()
    if len(words) < MIN_WORDS or not _VERBISH.search(sentence):
        return ()
    if not _SENTENCE_END.search(sentence):
        return ()
    return tuple(name for name, pattern in SIGNALS if pattern.search(sentence))


def propose(text: str, existing_quotes: Iterable[str] = (), *,
            include_covered: bool = False) -> list[Proposal]:
    """Checkworthy sentences; those overlapping an existing claim's quote are marked covered."""
    quotes = [normalise(q) for q in existing_quotes]
    out = []
    for s in sentences(text):
        reasons = reasons_for(s)
        if not reasons:
            continue
        ns = normalise(s)
        covered = next((q for q in quotes if q and (q in ns or ns in q)), None)
        if covered and not include_covered:
            continue
        out.append(Proposal(s, reasons, covered))
    return out


def _slug(sentence: str) -> str:
    words = re.findall(r"[a-z0-9]+", sentence.lower())
    return "-".join(words[:6]) or "claim"


def _yaml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_yaml(proposals: Iterable[Proposal]) -> str:
    """Claim stubs for claims.yaml, to be completed by an editor (statement, kind, evidence)."""
    proposals = list(proposals)
    lines = ["# Proposed claims: check each quote, write the statement, choose the kind,",
             "# then link evidence. Reasons say why the sentence was proposed.",
             "claims:" if proposals else "claims: []  # every checkworthy sentence is covered"]
    taken: set[str] = set()
    for p in proposals:
        slug = base = _slug(p.sentence)
        n = 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        lines += [f"  - id: {slug}  # reasons: {', '.join(p.reasons)}",
                  f"    quote: {_yaml_str(p.sentence)}",
                  "    statement: TODO one plain sentence saying what it asserts",
                  "    kind: TODO  # etiology | mechanism | definition | procedure | safety | "
                  "efficacy | comparative-efficacy | state-of-evidence | practice",
                  "    evidence: []"]
    return "\n".join(lines) + "\n"


def recall(text: str, quotes: Iterable[str]) -> dict[str, object]:
    """How well extraction finds the claims an editor wrote (for `kb extract --measure`)."""
    quotes = list(quotes)
    found = propose(text, include_covered=True)
    norm_found = [normalise(p.sentence) for p in found]
    hit = [q for q in quotes if any(normalise(q) in f or f in normalise(q) for f in norm_found)]
    matched = [p for p, f in zip(found, norm_found, strict=True)
               if any(normalise(q) in f or f in normalise(q) for q in quotes)]
    return {"claims": len(quotes), "proposed": len(found), "claims_found": len(hit),
            "recall": round(len(hit) / len(quotes), 3) if quotes else None,
            "proposals_not_claims": len(found) - len(matched),
            "missed": [q for q in quotes if q not in hit],
            "extra": [p.sentence for p in found if p not in matched]}
