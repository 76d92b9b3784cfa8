"""Grade claims: pure functions from a claim's evidence to an explained verdict.

Deterministic (no I/O, clock or randomness): the same knowledge base always grades the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from kb.model import (
    Appraisal,
    Certainty,
    Claim,
    EvidenceLink,
    InvalidClaim,
    KnowledgeBase,
    LongTerm,
    Override,
    Settings,
    Verdict,
    horizon_word,
)
from kb.problems import Report
from kb.rules import (
    RULES,
    Evidence,
    LiteratureFacts,
    Rule,
    about_long_term_evidence,
    decide,
    link_weeks,
    literature_facts,
    long_term_applies,
    weeks_text,
)


@dataclass(frozen=True)
class Grade:
    """A claim's computed verdict with everything needed to explain it."""

    claim_id: str
    verdict: Verdict
    certainty: Certainty | None
    long_term: LongTerm
    rule: str
    reason: str
    statement: str
    drivers: tuple[EvidenceLink, ...] = ()
    override: Override | None = None
    # Weeks of follow-up the deciding (supporting) evidence covers, where it is known.
    covers_weeks: float | None = None

    @property
    def lacking_long_term(self) -> bool:
        """The two-valued flag of earlier versions: True exactly when `long_term` is lacking."""
        return self.long_term is LongTerm.LACKING

    @property
    def shown_verdict(self) -> Verdict:
        """What an editor's override says, else the computed verdict (both are displayed)."""
        return self.override.verdict if self.override else self.verdict


def grade(claim: Claim, studies: Mapping[str, Appraisal] | None = None,
          settings: Settings | None = None, rules: tuple[Rule, ...] = RULES,
          facts: LiteratureFacts | None = None) -> Grade:
    """Grade one claim.

    `facts` (from `kb.rules.literature_facts` over the whole base) is what state-of-evidence
    claims about long-term evidence are graded from; without it they see only their own links
    and the appraisals in `studies`.

    Examples
    --------
    >>> from kb.model import Claim
    >>> g = grade(Claim(id="c", quote="q", statement="s", kind="efficacy"))
    >>> g.verdict.value, g.rule
    ('no-evidence', 'R2-no-evidence')
    """
    settings = settings or Settings()
    evidence = Evidence.of(claim, studies or {}, settings, facts)
    rule = decide(evidence, rules)
    certainty = None if rule.statement is not None else _certainty(rule.verdict, evidence)
    long_term = long_term_flag(claim, rule, evidence)
    drivers = tuple(rule.drivers(evidence))
    covers = _covers_weeks(evidence, studies or {}, rule, certainty)
    statement = rule.statement or plain_statement(rule.verdict, certainty)
    if covers is not None:
        statement = _with_time_frame(statement, covers[0], long_term, settings)
    return Grade(
        claim_id=claim.id,
        verdict=rule.verdict,
        certainty=certainty,
        long_term=long_term,
        rule=rule.id,
        reason=_reason(rule, evidence, drivers, long_term, covers),
        statement=statement,
        drivers=drivers,
        override=claim.review.override,
        covers_weeks=covers[0] if covers else None,
    )


def long_term_flag(claim: Claim, rule: Rule, e: Evidence) -> LongTerm:
    """The three-valued long-term flag (which claims it applies to: `kb.rules.LONG_TERM_SCOPE`).

    State-of-evidence claims about long-term evidence: lacking unless the base holds long-term
    support (rule S1). Effect and long-term safety claims: lacking when graded supported,
    limited or mixed without a supporting trial or systematic review at the long-term horizon,
    or graded contradicted or no-evidence without any trial or review there.
    """
    if not long_term_applies(claim) or rule.verdict in (Verdict.NOT_CHECKABLE,
                                                         Verdict.NOT_GRADED):
        return LongTerm.NOT_APPLICABLE
    if about_long_term_evidence(claim):
        return (LongTerm.HAS_LONG_TERM_EVIDENCE if rule.verdict is Verdict.CONTRADICTED
                else LongTerm.LACKING)
    if rule.verdict in (Verdict.SUPPORTED, Verdict.LIMITED, Verdict.MIXED):
        has = bool(e.long_term_support)
    else:
        has = bool(e.long_term_any)
    return LongTerm.HAS_LONG_TERM_EVIDENCE if has else LongTerm.LACKING


def not_graded(claim_id: str, why: str, override: Override | None = None) -> Grade:
    return Grade(claim_id, Verdict.NOT_GRADED, None, LongTerm.NOT_APPLICABLE, "not-graded",
                 f"Not graded: the claim has validation errors ({why}). Fix them with 'kb check'.",
                 "This claim has not been graded.", (), override)


def _covers_weeks(e: Evidence, studies: Mapping[str, Appraisal], rule: Rule,
                  certainty: Certainty | None) -> tuple[float, int] | None:
    """How far the supporting evidence reaches, for verdicts that carry their time frame:
    effect claims whose support is consistent (supported or limited) at low certainty or
    better. Returns the furthest known follow-up in weeks and how many supporting links
    record none (None when no supporting link records one)."""
    if (rule.statement is not None or not long_term_applies(e.claim)
            or rule.verdict not in (Verdict.SUPPORTED, Verdict.LIMITED)
            or certainty is None or certainty.rank < Certainty.LOW.rank):
        return None
    weeks, unknown = [], 0
    for link in e.supports.links:
        w = link_weeks(link, studies.get(link.study))
        if w is None and link.follow_up is not None:
            w = _word_weeks(horizon_word(link.follow_up), e.settings)
        if w is None:
            unknown += 1
        else:
            weeks.append(w)
    return (max(weeks), unknown) if weeks else None


def _word_weeks(word: str | None, settings: Settings) -> float | None:
    """The furthest a horizon word reaches, in weeks ('short-term': up to short_term_weeks)."""
    return {"immediate": 0.0, "short-term": settings.short_term_weeks,
            "long-term": settings.long_term_weeks}.get(word or "")


def _time_frame(weeks: float) -> str:
    return "immediately after treatment" if weeks == 0 else f"for up to {weeks_text(weeks)}"


def _with_time_frame(statement: str, weeks: float, long_term: LongTerm,
                     settings: Settings) -> str:
    """'This may be true; the evidence is limited.' -> 'This may be true for up to 12 weeks;
    the evidence is limited. There is no evidence beyond.'"""
    cut = min((i for i in (statement.find(";"), statement.find(","), len(statement) - 1)
               if i >= 0), default=len(statement))
    text = f"{statement[:cut]} {_time_frame(weeks)}{statement[cut:]}"
    if weeks < settings.long_term_weeks and long_term is LongTerm.LACKING:
        text += " There is no evidence beyond."
    return text


def grade_all(kb: KnowledgeBase, report: Report | None = None) -> dict[str, Grade]:
    """Grade every claim in file order; claims with errors get a 'not graded' state."""
    facts = _base_facts(kb)
    broken = _broken(kb, report)
    grades: dict[str, Grade] = {}
    for idx, claim, bad in _in_file_order(kb):
        if bad is not None:
            grades.setdefault(bad.id, not_graded(bad.id, bad.reason))
        elif claim is not None:
            grades.setdefault(claim.id, _grade_at(idx, claim, kb, broken, facts))
    return grades


def regrade(grades: Mapping[str, Grade], kb: KnowledgeBase, report: Report | None,
            positions: Iterable[int]) -> dict[str, Grade]:
    """`grade_all(kb, report)`, worked out from `grades`: the grades of a base that differed
    from `kb` only in the valid claims at `positions` (with the same ids).

    Those claims are graded again, and so are the state-of-evidence claims about long-term
    evidence, which are graded from the whole base's facts (an edited claim's links can
    change them); every other grade is taken from `grades`, in its order.
    """
    at = set(positions)
    facts = _base_facts(kb)
    broken = _broken(kb, report)
    out = dict(grades)
    first: set[str] = set()
    for idx, claim, bad in _in_file_order(kb):
        name = bad.id if bad is not None else claim.id  # type: ignore[union-attr]
        if name in first:
            continue  # with a duplicated id (an error) the first claim's grade stands
        first.add(name)
        if claim is not None and (idx in at or (facts is not None
                                                and about_long_term_evidence(claim))):
            out[name] = _grade_at(idx, claim, kb, broken, facts)
    return out


def _base_facts(kb: KnowledgeBase) -> LiteratureFacts | None:
    """The facts state-of-evidence claims are graded from, when the base has such claims."""
    if not any(about_long_term_evidence(c) for c in kb.claims):
        return None
    return literature_facts(kb.claims, kb.studies, kb.settings)


def _broken(kb: KnowledgeBase, report: Report | None) -> dict[int, list[str]]:
    """Position -> the codes of the errors reported about the claim there."""
    broken: dict[int, list[str]] = {}
    for problem in (report.errors if report else ()):
        if problem.file == kb.claims_file and problem.path.startswith("claims["):
            idx = int(problem.path[len("claims["):problem.path.index("]")])
            broken.setdefault(idx, []).append(problem.code)
    return broken


def _in_file_order(kb: KnowledgeBase) -> Iterator[tuple[int, Claim | None,
                                                         InvalidClaim | None]]:
    """(position, valid claim or None, invalid claim or None) of every claim in file order."""
    if not kb.invalid_claims:
        for idx, claim in kb.claims_with_index():
            yield idx, claim, None
        return
    invalid = {c.index: c for c in kb.invalid_claims}
    positions = dict(kb.claims_with_index())
    for idx in sorted(positions.keys() | invalid.keys()):
        if idx in invalid:
            yield idx, None, invalid[idx]
        else:
            yield idx, positions[idx], None


def _grade_at(idx: int, claim: Claim, kb: KnowledgeBase, broken: Mapping[int, list[str]],
              facts: LiteratureFacts | None) -> Grade:
    if idx in broken:
        return not_graded(claim.id, ", ".join(sorted(set(broken[idx]))), claim.review.override)
    return grade(claim, kb.studies, kb.settings, facts=facts)


def _certainty(verdict: Verdict, e: Evidence) -> Certainty | None:
    if verdict in (Verdict.SUPPORTED, Verdict.LIMITED):
        return e.supports.best
    if verdict is Verdict.CONTRADICTED:
        return e.refutes.best
    if verdict is Verdict.MIXED:
        # GRADE rates down one level for inconsistency.
        best = max(e.supports.rank, e.refutes.rank, e.mixed.rank)
        return Certainty.from_rank(best - 1)
    return None


_STATEMENTS = {
    (Verdict.SUPPORTED, Certainty.HIGH): "The evidence shows this is true.",
    (Verdict.SUPPORTED, Certainty.MODERATE): "This is probably true.",
    (Verdict.LIMITED, Certainty.HIGH): "High-certainty evidence supports this, but from too few studies to settle it.",
    (Verdict.LIMITED, Certainty.MODERATE): "This is probably true, but the support is thin.",
    (Verdict.LIMITED, Certainty.LOW): "This may be true; the evidence is limited.",
    (Verdict.LIMITED, Certainty.VERY_LOW): "The evidence is very uncertain about this.",
    (Verdict.CONTRADICTED, Certainty.HIGH): "The evidence shows this is not true.",
    (Verdict.CONTRADICTED, Certainty.MODERATE): "This is probably not true.",
    (Verdict.CONTRADICTED, Certainty.LOW): "This may not be true.",
    (Verdict.CONTRADICTED, Certainty.VERY_LOW): "The evidence is very uncertain, and what there is goes against this.",
}


def plain_statement(verdict: Verdict, certainty: Certainty | None) -> str:
    """GRADE-style informative statement ('probably', 'may', 'very uncertain')."""
    if verdict is Verdict.MIXED:
        word = {Certainty.HIGH: "", Certainty.MODERATE: "probably ",
                Certainty.LOW: "may ", Certainty.VERY_LOW: ""}
        if certainty in (None, Certainty.VERY_LOW):
            return "Studies disagree and the evidence is very uncertain."
        if certainty is Certainty.LOW:
            return "Studies disagree: this may or may not be true."
        return f"Studies disagree: this is {word[certainty]}true only in part."
    if verdict is Verdict.NO_EVIDENCE:
        return "No study in this knowledge base bears on this claim."
    if verdict is Verdict.NOT_CHECKABLE:
        return "This statement cannot be checked against evidence."
    if verdict is Verdict.NOT_GRADED:
        return "This claim has not been graded."
    assert certainty is not None
    return _STATEMENTS.get((verdict, certainty), "The evidence is very uncertain about this.")


def _names(links: tuple[EvidenceLink, ...]) -> str:
    # Every key is named (no "and 7 more"): readers follow each one to its study.
    return ", ".join(dict.fromkeys(link.study for link in links))


def _verb(n: int, verb: str) -> str:
    return verb + "s" if n == 1 else verb


def _studies(n: int) -> str:
    return f"{n} {'study' if n == 1 else 'studies'}"


def _state_reason(e: Evidence) -> str:
    """'Of 25 trials in the base, 4 followed patients for 52 weeks or more, and none of those
    supports the effect; 3 reviews report scarce long-term data.'"""
    f = e.facts
    assert f is not None
    weeks = f"{e.settings.long_term_weeks:g} weeks or more"
    n, m, k = len(f.trials), len(f.long_term), len(e.reviews_scarce)
    if not n:
        text = "The base holds no trials"
    else:
        text = (f"Of {n} trial{'s' * (n != 1)} in the base, {m} followed patients for {weeks} "
                f"({_keys(f.long_term)})" if m else f"Of {n} trial{'s' * (n != 1)} in the base, none followed patients "
                          f"for {weeks}")
        if m:
            s = len(f.long_term_supporting)
            text += (", and none of those supports the effect" if not s else
                     f", and {s} of those support{'s' * (s == 1)} the effect "
                     f"({_keys(f.long_term_supporting)})")
    text += f"; {k} review{'s' * (k != 1)} report{'s' * (k == 1)} scarce long-term data"
    if k:
        text += f" ({_names(e.reviews_scarce)})"
    if e.reviews_against:
        text += (f"; {len(e.reviews_against)} report{'s' * (len(e.reviews_against) == 1)} "
                 f"long-term evidence ({_names(e.reviews_against)})")
    return text + "."


def _keys(keys: tuple[str, ...]) -> str:
    return ", ".join(keys[:4]) + (f" and {len(keys) - 4} more" if len(keys) > 4 else "")


def _reason(rule: Rule, e: Evidence, drivers: tuple[EvidenceLink, ...], long_term: LongTerm,
            covers: tuple[float, int] | None = None) -> str:
    if rule.statement is not None and e.facts is not None:
        parts = [_state_reason(e)]
    elif rule.verdict is Verdict.NOT_CHECKABLE:
        parts = ["Marked not checkable by the editor"
                 + (f": {e.claim.not_checkable_reason}" if e.claim.not_checkable_reason else ".")]
    elif rule.verdict is Verdict.NO_EVIDENCE:
        parts = ["No linked study supports, refutes or gives mixed results on this claim"
                 + (f" ({len(e.context.studies)} give context only)." if e.context.links
                    else ".")]
    else:
        parts = [_tallies(e), _weighed(rule, e, drivers)]
    return f"{rule.id}: " + " ".join(p for p in (*parts, *_time_parts(rule, e, long_term, covers))
                                      if p)


def _tallies(e: Evidence) -> str:
    """'3 studies support it (best: low); 1 study refutes it (best: low).'"""
    tallies = [f"{_studies(len(side.studies))} {_verb(len(side.studies), verb)} {what} "
               f"(best: {side.best.label})"  # type: ignore[union-attr]
               for side, verb, what in ((e.supports, "support", "it"),
                                        (e.refutes, "refute", "it"),
                                        (e.mixed, "give", "mixed results"))
               if side.links]
    return "; ".join(tallies) + "."


def _weighed(rule: Rule, e: Evidence, drivers: tuple[EvidenceLink, ...]) -> str:
    best = e.supports.best.label if e.supports.best else ""
    if rule.verdict is Verdict.CONTRADICTED:
        return f"The strongest evidence refutes it: {_names(drivers)}."
    if rule.verdict is Verdict.MIXED:
        return f"The evidence is inconsistent; weighed: {_names(drivers)}."
    if rule.verdict is Verdict.SUPPORTED:
        return f"Supported at {best} certainty by {_names(drivers)}."
    if rule.verdict is Verdict.LIMITED:
        st = e.settings
        return (f"Best support is {best} ({_names(drivers)}); 'supported' needs "
                f"{st.supported_min_certainty.label} certainty from at least "
                f"{_studies(st.supported_min_studies)}.")
    return ""


def _time_parts(rule: Rule, e: Evidence, long_term: LongTerm,
                covers: tuple[float, int] | None) -> list[str]:
    """How far the supporting evidence reaches, and whether long-term trials are lacking."""
    parts = []
    if covers is not None:
        weeks, unknown = covers
        parts.append(f"The supporting evidence covers follow-up {_time_frame(weeks)}"
                     + (f" ({unknown} supporting link{'s' * (unknown != 1)} "
                        f"record{'s' * (unknown == 1)} no follow-up)." if unknown else "."))
    if long_term is LongTerm.LACKING and e.facts is None:
        which = ("supporting trial or review" if rule.verdict in (
            Verdict.SUPPORTED, Verdict.LIMITED, Verdict.MIXED) else "trial or review")
        parts.append(f"No {which} follows patients for {e.settings.long_term_weeks:g} weeks "
                     f"or more: long-term trials are lacking.")
    return parts
