"""Propose the claims of an article: lay its lines out into headings and paragraphs, split
paragraphs into sentences (sentencex) and long sentences into clauses, keep the assertions that
carry a claim cue, and emit YAML stubs (or draft claims for `kb new`) anchored to exact words.

What counts as a claim follows the claim-detection literature rather than one article's words:
a check-worthy factual assertion (ClaimBuster; Hassan et al., KDD 2017), typed as quantities,
comparisons, causation and correlation, predictions and the state of evidence (Full Fact's
typology; Konstantinovskiy et al., Digital Threats 2021), with health-specific types (safety,
mechanism, history and trends of use, definitions of a treatment). Not claims, in both: headings,
questions (unless they embed an assertion: "did you know that ..."), instructions to the reader
and sentences about the document itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import sentencex

from kb.anchors import normalise

# Claim cues: each a named type shown to editors as the reason for a proposal, with the claim
# kind it suggests (None: the cue says a claim is there but not what kind).
CUES: tuple[tuple[str, str | None, re.Pattern[str]], ...] = (
    ("safety", "safety", re.compile(
        r"\b(safe\w*|unsafe|risks?|risky|side[- ]effects?|adverse|harm\w*|complications?|"
        r"injur\w*|danger\w*|toxic\w*|infections?|bruis\w*|sore(ness)?|discomfort|"
        r"contraindicat\w*|precautions?)\b", re.I)),
    ("comparison", "comparative-efficacy", re.compile(
        r"\b(than|compared|comparison|versus|vs\.?|unlike|superior|inferior|equivalent|"
        r"as (well|effective|good|safe|much) as|just as|similar to|better|worse|"
        r"other (forms|types|treatments|methods))\b", re.I)),
    ("studies-show", "state-of-evidence", re.compile(
        r"\b(stud(y|ies)|research\w*|reviews?|trials?|evidence|data|surveys?|meta-analys\w*|"
        r"analy[sz]\w*|scientists?|researchers?|authors|experts?|guidelines?|findings?|"
        r"found|show(s|n|ed)?|suggest\w*|demonstrat\w*|prove[dn]?|reported|"
        r"(un)?known|(un)?certain|uncertainty|inconsistent|conflicting|limited)\b", re.I)),
    ("mechanism", "mechanism", re.compile(
        r"\b(caus\w*|leads? to|led to|results? in|resulting|because|due to|by \w+ing|"
        r"through|mechanisms?|triggers?\w*|stimulat\w*|activat\w*|releas\w*|block\w*|"
        r"affect(s|ed|ing)?|influenc\w*|changes? (occur|in)|respon(se|ses|d\w*)|"
        r"nervous system|blood flow|circulation|inflammat\w*|tissues?)\b", re.I)),
    ("effect", "efficacy", re.compile(
        r"\b(help\w*|benefi\w*|effective\w*|efficacy|improv\w*|reduc\w*|reliev\w*|relief|"
        r"prevent\w*|treat\w*|cur(e|es|ed|ing)|heal\w*|eas(e|es|ed|ing)|lower\w*|"
        r"increas\w*|boost\w*|worsen\w*|work(s|ed)?|useful|promot\w*|protect\w*|"
        r"restor\w*|recover\w*|amplif\w*)\b", re.I)),
    ("history-trend", "practice", re.compile(
        r"\b((1[5-9]|20)\d\d(s|'s)?|centur(y|ies)|decades?|ancient|traditional\w*|"
        r"originat\w*|history|historical\w*|dates? back|since|bec(a|o)me|becoming|revived|"
        r"fell|grew|grown|growing|rising|rose|declin\w*|doubled|tripled|popular\w*|"
        r"widely|today|nowadays|over the years|renaissance)\b", re.I)),
    ("procedure", "procedure", re.compile(
        r"\b(will|first|then|next|afterwards?|before|after|during|step)\b", re.I)),
    ("quantity", None, re.compile(
        r"\d|\b(percent|per cent|half|twice|thrice|dozens?|hundreds?|thousands?|millions?|"
        r"billions?|majority|minority|one in|out of)\b", re.I)),
    ("definition", "definition", re.compile(
        r"^(\w+[\s-]){1,6}(is|are) (a|an|the|one of|part of|not)\b|\b(refers? to|means|"
        r"known as|called|involves?|consists? of|defined as|is a technique|is a practice)\b",
        re.I)),
    ("generalisation", None, re.compile(
        r"\b(all|every|always|never|none|no one|most|many|few|often|usually|typically|"
        r"generally|commonly|common|rarely|rare)\b", re.I)),
    ("hedged", None, re.compile(
        r"\b(may|might|can|could|appears? to|seems? to|likely|unlikely|considered)\b", re.I)),
    ("practice", "practice", re.compile(
        r"\b(practitioners?|therapists?|physicians?|doctors?|chiropractors?|providers?|"
        r"clinicians?|professionals?|nurses?|patients|people (use|with|who)|used|performed|"
        r"done by|procedure|sessions?|needs?|should|must)\b", re.I)),
)
CUE_NAMES = tuple(name for name, _, _ in CUES)

# A sentence or clause with fewer words, or without a verb, is a heading or a fragment.
MIN_WORDS = 5
_VERB = re.compile(
    r"\b(is|are|was|were|be|been|being|has|have|had|do|does|did|can|could|may|might|will|"
    r"would|shall|should|must)\b|\b\w{2,}(ed|es|s)\b", re.I)
_FINITE = re.compile(r"\b(is|are|was|were|has|have|had|does|did|can|could|may|might|will|"
                     r"would|should|must)\b|\b\w{3,}ed\b", re.I)
_SENTENCE_END = re.compile(r"[.!?][\"\u201d')\]]*$")
# Instructions to the reader open with a verb in the imperative; web pages' usual ones.
_DIRECTIVE = re.compile(
    r"^(please |do not |don't |never )?(tell|see|ask|talk|call|contact|click|visit|read|learn|"
    r"find|follow|subscribe|sign|book|schedule|consult|check|make sure|try|remember|note|"
    r"keep|avoid|give|get|let|share|download|view|skip|join|register|discover|explore|"
    r"speak|stop|start|choose|consider|be sure)\b", re.I)
# Sentences about the document itself ("This fact sheet provides ...", "Here are 4 things").
_META = re.compile(
    r"\b(this|our|the present) (fact sheet|article|page|post|blog|guide|section|site|website|"
    r"handout|leaflet|brochure|video|newsletter)\b|^(here (are|is)|in this (article|post|"
    r"page|guide)|read on|for more information|learn more|all rights reserved|copyright)\b",
    re.I)
# Questions that embed an assertion: the claim is the clause after "that".
_EMBEDDING_QUESTION = re.compile(
    r"^(did|do|does|have|has) (you|anyone|we) (know|heard|hear|realise|realize|notice)"
    r"(d)?( that)? (?P<claim>.+?)\s*\?$", re.I)
_PRESUPPOSING_QUESTION = re.compile(r"^(why|how come)\b", re.I)
# Openers that connect a sentence to the previous one and are not part of the claim.
_CONNECTIVE = re.compile(
    r"^(however|therefore|thus|hence|in addition|additionally|moreover|furthermore|also|"
    r"instead|still|overall|in fact|indeed|in short|as a result|consequently|importantly),\s+",
    re.I)
# Where a long sentence joins two assertions: a semicolon, or a comma before a conjunction.
_CLAUSE_BREAK = re.compile(r";\s+|,\s+(?=(but|although|though|whereas|yet|while|and)\s)",
                           re.I)
_LIST_MARKER = re.compile(r"^([\u2022\u25aa\u25cf\u2023\u2043\uf0b7*\-]|\(?\d{1,2}[.)])\s+")
# A line ending in a function word or a comma goes on in the next line, whatever its case.
_OPEN_ENDED = re.compile(r"(,|\b(and|or|but|nor|of|to|in|on|at|by|for|from|with|as|the|a|an|"
                         r"that|which|who|is|are|was|were|than|into|its|their|such))$", re.I)
LONG_SENTENCE_WORDS = 18
HEADING_MAX_WORDS = 12


@dataclass(frozen=True)
class Proposal:
    """A stretch of the article proposed as a claim: its exact words and why."""

    sentence: str
    reasons: tuple[str, ...]
    covered_by: str | None = None
    kind: str | None = None
    part: str = "sentence"  # sentence | clause | question


def paragraphs(text: str) -> list[str]:
    """The article's headings and paragraphs, hard-wrapped lines joined.

    A line is a heading (its own paragraph) when it has no sentence punctuation, is short and
    the next line opens with a capital; otherwise a line without a closing full stop wraps on
    to the next one, as in text copied from PDFs and fact sheets.
    """
    out: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        lines = [" ".join(line.split()) for line in block.splitlines()]
        lines = [line for line in lines if line]
        current: list[str] = []
        for i, line in enumerate(lines):
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            current.append(line)
            if _ends_paragraph(line, nxt):
                out.append(" ".join(current))
                current = []
        if current:
            out.append(" ".join(current))
    return out


def _ends_paragraph(line: str, nxt: str) -> bool:
    if not nxt:
        return True
    starts_new = nxt[0].isupper() or nxt[0].isdigit() or bool(_LIST_MARKER.match(nxt))
    if _SENTENCE_END.search(line) or line.endswith(":"):
        return starts_new
    is_heading = (len(line.split()) <= HEADING_MAX_WORDS and not re.search(r"[.!?;]\s", line)
                  and (line[0].isupper() or line[0].isdigit())
                  and not _OPEN_ENDED.search(line))
    return is_heading and starts_new


def sentences(text: str) -> list[str]:
    """The article's sentences, whitespace collapsed, list markers and blank segments dropped."""
    out = []
    for para in paragraphs(text):
        for s in sentencex.segment("en", para):
            s = _LIST_MARKER.sub("", " ".join(s.split()))
            if s:
                out.append(s)
    return out


def reasons_for(text: str) -> tuple[str, ...]:
    """The claim cues in a sentence or clause; () when it is not an assertion worth checking."""
    if len(text.split()) < MIN_WORDS or not _VERB.search(text):
        return ()
    if _DIRECTIVE.match(text) or _META.search(text):
        return ()
    return tuple(name for name, _, pattern in CUES if pattern.search(text))


# Which cue's kind wins when a claim carries several: the more specific claim types first.
KIND_PRIORITY = ("safety", "comparison", "studies-show", "effect", "definition", "mechanism",
                 "history-trend", "procedure", "practice")


def kind_for(reasons: Iterable[str]) -> str:
    """The claim kind the most specific cue suggests (an editor checks it)."""
    found = set(reasons)
    kinds = {name: kind for name, kind, _ in CUES}
    for name in KIND_PRIORITY:
        if name in found and kinds[name] is not None:
            return kinds[name]  # type: ignore[return-value]
    return "practice"


def claims_in(sentence: str) -> Iterator[tuple[str, tuple[str, ...], str]]:
    """The claims of one sentence: (exact words, cues, part), clause by clause when long."""
    if sentence.endswith("?"):
        yield from _question_claims(sentence)
        return
    if not _SENTENCE_END.search(sentence):
        return  # headlines, menus and link text do not end like sentences
    body = _CONNECTIVE.sub("", sentence)
    clauses = _clauses(body) if len(body.split()) >= LONG_SENTENCE_WORDS else [body]
    kept = [(c, r) for c in clauses if (r := reasons_for(c))]
    if len(clauses) > 1 and len(kept) == 1 and kept[0][0] != body:
        yield kept[0][0], kept[0][1], "clause"
    elif len(kept) > 1:
        for clause, reasons in kept:
            yield clause, reasons, "clause"
    elif reasons := reasons_for(body):
        yield body, reasons, "sentence"


def _question_claims(sentence: str) -> Iterator[tuple[str, tuple[str, ...], str]]:
    """The claim a question asserts: what it embeds ('Did you know that ...?'), or the
    question itself when it presupposes a claim."""
    if m := _EMBEDDING_QUESTION.match(sentence):
        claim = m["claim"]
        if reasons := reasons_for(claim):
            yield claim, (*reasons, "question"), "question"
    elif _PRESUPPOSING_QUESTION.match(sentence) and (reasons := reasons_for(sentence)):
        yield sentence, (*reasons, "question"), "question"


def _clauses(sentence: str) -> list[str]:
    """Split where both sides are assertions of their own (each with a finite verb)."""
    parts: list[str] = []
    start = 0
    for m in _CLAUSE_BREAK.finditer(sentence):
        left, right = sentence[start:m.start()], sentence[m.end():]
        conj = m.group(1)
        right_clause = re.sub(rf"^{conj}\s+", "", right, flags=re.I) if conj else right
        if (len(left.split()) >= MIN_WORDS and len(right_clause.split()) >= MIN_WORDS
                and _FINITE.search(left) and _FINITE.search(right_clause.split(",")[0]
                                                          if conj == "and" else right_clause)):
            parts.append(left)
            start = m.end() + (len(conj) + 1 if conj else 0)
    parts.append(sentence[start:])
    clauses = [p.strip().rstrip(".!;") if i < len(parts) - 1 else p.strip()
               for i, p in enumerate(parts)]
    if len(clauses) > 1:
        clauses[-1] = clauses[-1].rstrip(".!")
    return [c for c in clauses if c]


def propose(text: str, existing_quotes: Iterable[str] = (), *,
            include_covered: bool = False) -> list[Proposal]:
    """The article's claims, in order; those an existing claim's quote overlaps are marked
    covered (and left out unless `include_covered`)."""
    quotes = [normalise(q) for q in existing_quotes]
    out = []
    seen: set[str] = set()
    for s in sentences(text):
        for words, reasons, part in claims_in(s):
            key = normalise(words)
            if key in seen:
                continue
            seen.add(key)
            covered = next((q for q in quotes if q and (q in key or key in q)), None)
            if covered and not include_covered:
                continue
            out.append(Proposal(words, reasons, covered, kind_for(reasons), part))
    return out


def slug(text: str, taken: set[str]) -> str:
    """A claim id from the first words, unique among `taken` (which it extends)."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    base = "-".join(words[:6])[:60].strip("-") or "claim"
    if not base[0].isalnum():
        base = "claim-" + base
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    taken.add(candidate)
    return candidate


def yaml_str(text: str) -> str:
    """A double-quoted YAML scalar (safe for any text: control characters and line breaks
    escaped, so the value reads back exactly)."""
    out = []
    for ch in text:
        if ch in '\\"':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ch in "\x7f\x85\u2028\u2029\ufeff":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


KIND_CHOICES = ("etiology | mechanism | definition | procedure | safety | efficacy | "
                "comparative-efficacy | state-of-evidence | practice")


def to_yaml(proposals: Iterable[Proposal], taken: Iterable[str] = ()) -> str:
    """Claim stubs for claims.yaml, to be completed by an editor (statement, kind, evidence)."""
    proposals = list(proposals)
    lines = ["# Proposed claims: check each quote, write the statement, choose the kind,",
             "# then link evidence. Reasons say why the words were proposed.",
             "claims:" if proposals else "claims: []  # every checkworthy sentence is covered"]
    ids = set(taken)
    for p in proposals:
        lines += [f"  - id: {slug(p.sentence, ids)}  # {p.part}; reasons: {', '.join(p.reasons)}",
                  f"    quote: {yaml_str(p.sentence)}",
                  "    statement: TODO one plain sentence saying what it asserts",
                  f"    kind: TODO  # suggested: {p.kind}; {KIND_CHOICES}",
                  "    evidence: []"]
    return "\n".join(lines) + "\n"


def draft_claims_yaml(proposals: Iterable[Proposal], indent: str = "  ") -> list[str]:
    """Valid draft claim entries (statement = the quoted words; kind = the suggested one)."""
    lines: list[str] = []
    ids: set[str] = set()
    for p in proposals:
        lines += [f"{indent}- id: {slug(p.sentence, ids)}",
                  f"{indent}  quote: {yaml_str(p.sentence)}",
                  f"{indent}  statement: {yaml_str(p.sentence)}  # TODO say it plainly",
                  f"{indent}  kind: {p.kind or 'practice'}  # suggested from: "
                  f"{', '.join(p.reasons)}",
                  f"{indent}  evidence: []",
                  f"{indent}  review: {{status: draft}}"]
    return lines


def _matches(a: str, b: str) -> bool:
    return bool(a) and bool(b) and (a in b or b in a)


def _bare(text: str) -> str:
    return text.rstrip(".!?;:, ")


def recall(text: str, quotes: Iterable[str]) -> dict[str, object]:
    """How well extraction finds the claims an editor marked (for `kb extract --measure`).

    A claim is found when a proposal's words contain its quote or lie within it; a proposal
    is right when it matches some claim. Recall = claims found / claims; precision = right
    proposals / proposals. `claims_exact` counts claims whose words a proposal gives exactly
    (ignoring closing punctuation): the clause-level figure.
    """
    quotes = list(quotes)
    found = propose(text, include_covered=True)
    norm_quotes = [normalise(q) for q in quotes]
    norm_found = [normalise(p.sentence) for p in found]
    hit = [q for q, nq in zip(quotes, norm_quotes, strict=True) if _any_match(nq, norm_found)]
    matched = [p for p, f in zip(found, norm_found, strict=True)
               if any(_matches(nq, f) for nq in norm_quotes)]
    exact = [q for q in norm_quotes if any(_bare(q) == _bare(f) for f in norm_found)]
    return {"claims": len(quotes), "proposed": len(found), "claims_found": len(hit),
            "claims_exact": len(exact),
            "recall": _share(len(hit), len(quotes)),
            "precision": _share(len(matched), len(found)),
            "proposals_not_claims": len(found) - len(matched),
            "missed": [q for q in quotes if q not in hit],
            "extra": [p.sentence for p in found if p not in matched]}


def _any_match(quote: str, proposals: list[str]) -> bool:
    return any(_matches(quote, f) for f in proposals)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None
