"""Grade claims: pure functions from a claim's evidence to an explained verdict.

Deterministic (no I/O, clock or randomness): the same knowledge base always grades the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kb.model import (
    Appraisal,
    Certainty,
    Claim,
    EvidenceLink,
    KnowledgeBase,
    Override,
    Settings,
    Verdict,
)
from kb.problems import Report
from kb.rules import RULES, Evidence, Rule, decide


@dataclass(frozen=True)
class Grade:
    """A claim's computed verdict with everything needed to explain it."""

    claim_id: str
    verdict: Verdict
    certainty: Certainty | None
    lacking_long_term: bool
    rule: str
    reason: str
    statement: str
    drivers: tuple[EvidenceLink, ...] = ()
    override: Override | None = None

    @property
    def shown_verdict(self) -> Verdict:
        """What an editor's override says, else the computed verdict (both are displayed)."""
        return self.override.verdict if self.override else self.verdict


def grade(claim: Claim, studies: Mapping[str, Appraisal] | None = None,
          settings: Settings | None = None, rules: tuple[Rule, ...] = RULES) -> Grade:
    """Grade one claim.

    Examples
    --------
    >>> from kb.model import Claim
    >>> g = grade(Claim(id="c", quote="q", statement="s", kind="efficacy"))
    >>> g.verdict.value, g.rule
    ('no-evidence', 'R2-no-evidence')
    """
    settings = settings or Settings()
    evidence = Evidence.of(claim, studies or {}, settings)
    rule = decide(evidence, rules)
    certainty = _certainty(rule.verdict, evidence)
    lacking = (claim.checkable and claim.kind.is_effect
               and rule.verdict in (Verdict.SUPPORTED, Verdict.LIMITED, Verdict.MIXED)
               and not evidence.long_term_support)
    drivers = tuple(rule.drivers(evidence))
    return Grade(
        claim_id=claim.id,
        verdict=rule.verdict,
        certainty=certainty,
        lacking_long_term=lacking,
        rule=rule.id,
        reason=_reason(rule, evidence, drivers, lacking),
        statement=plain_statement(rule.verdict, certainty),
        drivers=drivers,
        override=claim.review.override,
    )


def not_graded(claim_id: str, why: str, override: Override | None = None) -> Grade:
    return Grade(claim_id, Verdict.NOT_GRADED, None, False, "not-graded",
                 f"Not graded: the claim has validation errors ({why}). Fix them with 'kb check'.",
                 "This claim has not been graded.", (), override)


def grade_all(kb: KnowledgeBase, report: Report | None = None) -> dict[str, Grade]:
    """Grade every claim in file order; claims with errors get a 'not graded' state."""
    broken: dict[int, list[str]] = {}
    for problem in (report.errors if report else ()):
        if problem.file == kb.claims_file and problem.path.startswith("claims["):
            idx = int(problem.path[len("claims["):problem.path.index("]")])
            broken.setdefault(idx, []).append(problem.code)
    grades: dict[str, Grade] = {}
    invalid = {c.index: c for c in kb.invalid_claims}
    positions = dict(kb.claims_with_index())
    for idx in sorted(positions.keys() | invalid.keys()):
        if idx in invalid:
            bad = invalid[idx]
            grades.setdefault(bad.id, not_graded(bad.id, bad.reason))
            continue
        claim = positions[idx]
        if idx in broken:
            grades.setdefault(claim.id, not_graded(claim.id, ", ".join(sorted(set(broken[idx]))),
                                                   claim.review.override))
        else:
            grades.setdefault(claim.id, grade(claim, kb.studies, kb.settings))
    return grades


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


def _reason(rule: Rule, e: Evidence, drivers: tuple[EvidenceLink, ...], lacking: bool) -> str:
    s, r, m = e.supports, e.refutes, e.mixed
    parts: list[str] = []
    if rule.verdict is Verdict.NOT_CHECKABLE:
        parts.append("Marked not checkable by the editor"
                     + (f": {e.claim.not_checkable_reason}" if e.claim.not_checkable_reason else "."))
    elif rule.verdict is Verdict.NO_EVIDENCE:
        parts.append("No linked study supports, refutes or gives mixed results on this claim"
                     + (f" ({len(e.context.studies)} give context only)." if e.context.links
                        else "."))
    else:
        tallies = []
        if s.links:
            tallies.append(f"{_studies(len(s.studies))} {_verb(len(s.studies), 'support')} it "
                           f"(best: {s.best.label})")  # type: ignore[union-attr]
        if r.links:
            tallies.append(f"{_studies(len(r.studies))} {_verb(len(r.studies), 'refute')} it "
                           f"(best: {r.best.label})")  # type: ignore[union-attr]
        if m.links:
            tallies.append(f"{_studies(len(m.studies))} {_verb(len(m.studies), 'give')} mixed "
                           f"results (best: {m.best.label})")  # type: ignore[union-attr]
        parts.append("; ".join(tallies) + ".")
        if rule.verdict is Verdict.CONTRADICTED:
            parts.append(f"The strongest evidence refutes it: {_names(drivers)}.")
        elif rule.verdict is Verdict.MIXED:
            parts.append(f"The evidence is inconsistent; weighed: {_names(drivers)}.")
        elif rule.verdict is Verdict.SUPPORTED:
            parts.append(f"Supported at {s.best.label} certainty by {_names(drivers)}.")  # type: ignore[union-attr]
        elif rule.verdict is Verdict.LIMITED:
            st = e.settings
            need = (f"'supported' needs {st.supported_min_certainty.label} certainty from at least "
                    f"{_studies(st.supported_min_studies)}")
            parts.append(f"Best support is {s.best.label} ({_names(drivers)}); {need}.")  # type: ignore[union-attr]
    if lacking:
        parts.append(f"No supporting trial or review follows patients for "
                     f"{e.settings.long_term_weeks:g} weeks or more: long-term trials are lacking.")
    return f"{rule.id}: " + " ".join(parts)
