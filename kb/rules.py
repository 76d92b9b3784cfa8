"""The verdict policy: one ordered table of rules, each with its rationale as data.

The first rule whose condition holds decides a claim's verdict. Thresholds are the named
`Settings` fields (see `kb.model.Settings`), which a knowledge base may change under
`settings:` in claims.yaml. Horizons follow the cut-offs commonly used in musculoskeletal
trials and reviews: immediate (within a day), short-term (up to 3 months), intermediate
(3 to 12 months) and long-term (12 months or more).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from kb.model import (
    GRADE_START,
    Appraisal,
    Certainty,
    Claim,
    EvidenceLink,
    GradeStart,
    QualityTool,
    Settings,
    Stance,
    Verdict,
    expected_certainty,
    horizon_word,
)

HORIZONS = ("immediate", "short-term", "intermediate", "long-term")
IMMEDIATE_WEEKS = 1 / 7


def horizon_of(weeks: float | None, settings: Settings) -> str | None:
    """Name the follow-up horizon of a duration in weeks (None when unknown)."""
    if weeks is None:
        return None
    if weeks <= IMMEDIATE_WEEKS:
        return "immediate"
    if weeks <= settings.short_term_weeks:
        return "short-term"
    if weeks < settings.long_term_weeks:
        return "intermediate"
    return "long-term"


def link_horizon(link: EvidenceLink, appraisal: Appraisal | None,
                 settings: Settings) -> str | None:
    """The horizon a link speaks to, from its follow-up (a duration or a horizon word)."""
    if link.follow_up is not None and (word := horizon_word(link.follow_up)):
        return word
    return horizon_of(link_weeks(link, appraisal), settings)


def link_weeks(link: EvidenceLink, appraisal: Appraisal | None) -> float | None:
    """The horizon a link speaks to: its own follow-up, else the study's longest."""
    weeks = link.follow_up_weeks
    if weeks is None and appraisal is not None:
        weeks = appraisal.follow_up_weeks
    return weeks


# --- guided appraisal: the certainty a link starts from --------------------------------------

# The starting level of each design is `kb.model.GRADE_START` (the one table, shared with the
# certainty-consistency check). For a link without a certainty of its own: designs GRADE does
# not rate (opinion, narrative reviews, guidance, laboratory and physiology studies) count as
# very low until appraised; a synthesis rated 'as-rated' starts from its own rating.
NOT_RATED_DEFAULT = Certainty.VERY_LOW
# A synthesis without a usable rating of its own starts here.
UNRATED_SYNTHESIS = Certainty.LOW
# Its own rating, by tool: GRADE certainty as stated; AMSTAR 2 confidence in the review's
# results read as the certainty it can lend (critically low counts as very low).
RATING_CERTAINTY: Mapping[QualityTool, Mapping[str, Certainty]] = {
    QualityTool.GRADE: {"high": Certainty.HIGH, "moderate": Certainty.MODERATE,
                        "low": Certainty.LOW, "very low": Certainty.VERY_LOW},
    QualityTool.AMSTAR2: {"high": Certainty.HIGH, "moderate": Certainty.MODERATE,
                          "low": Certainty.LOW, "critically low": Certainty.VERY_LOW},
}


def starting_certainty(appraisal: Appraisal | None) -> tuple[Certainty, str]:
    """The level a study's evidence starts from, and why (for editors and warnings)."""
    if appraisal is None:
        return NOT_RATED_DEFAULT, "the study has no appraisal, so it counts as very low"
    design = appraisal.design
    start = GRADE_START.get(design, GradeStart.NOT_RATED)
    if start is GradeStart.HIGH:
        return Certainty.HIGH, f"{design.label.lower()}: starts high"
    if start is GradeStart.LOW:
        return Certainty.LOW, f"{design.label.lower()}: starts low"
    if start is GradeStart.NOT_RATED:
        return NOT_RATED_DEFAULT, f"{design.label.lower()}: not rated by GRADE, counts as very low"
    q = appraisal.quality
    rated = RATING_CERTAINTY.get(q.tool, {}).get(q.rating.strip().lower()) if q else None
    if rated is not None and q is not None:
        return rated, f"{design.label.lower()} rated {q.rating} ({q.tool.value})"
    return UNRATED_SYNTHESIS, (f"{design.label.lower()} without a GRADE or AMSTAR 2 rating: "
                               f"starts {UNRATED_SYNTHESIS.label}")


def default_certainty(link: EvidenceLink, appraisal: Appraisal | None) -> tuple[Certainty, str]:
    """The certainty a link gets when the editor gives none: GRADE's arithmetic when the link
    lists its domains (`kb.model.expected_certainty`: the design's start minus `downgrades`
    plus `upgrades`), else the study's starting level."""
    steps = [f"-{d.level.steps} {d.domain.value}" for d in link.downgrades]
    steps += [f"+{u.level.steps} {u.domain.value}" for u in link.upgrades]
    expected = expected_certainty(appraisal.design, link) if appraisal is not None else None
    if expected is not None and appraisal is not None:
        rated_low = GRADE_START.get(appraisal.design) is GradeStart.LOW
        why = f"{appraisal.design.label.lower()}: starts {'low' if rated_low else 'high'}"
        return expected, f"{why}, {', '.join(steps) or 'no downgrades'}: {expected.label}"
    start, why = starting_certainty(appraisal)
    if steps:  # a design GRADE does not rate: its domains cannot lower it further
        why += f" ({', '.join(steps)} not applied)"
    return start, f"{why}: {start.label}"


def link_certainty(link: EvidenceLink, appraisal: Appraisal | None) -> Certainty | None:
    """The certainty a link counts with: the editor's, else the default (None for a context
    link without one: context never counts towards a verdict)."""
    if link.certainty is not None:
        return link.certainty
    if link.stance is Stance.CONTEXT:
        return None
    return default_certainty(link, appraisal)[0]


def certainty_label(link: EvidenceLink, appraisal: Appraisal | None) -> str:
    """The certainty as shown to readers: the word, marked when it is the design's default."""
    certainty = link_certainty(link, appraisal)
    if certainty is None:
        return "–"
    return certainty.label + (" (default)" if link.certainty is None else "")


def with_certainty(link: EvidenceLink, appraisal: Appraisal | None) -> EvidenceLink:
    """The link as graded: with its default certainty filled in when the editor gave none."""
    if link.certainty is not None or link.stance is Stance.CONTEXT:
        return link
    return link.model_copy(update={"certainty": default_certainty(link, appraisal)[0]})


@dataclass(frozen=True)
class Side:
    """The links of one stance: distinct studies and the best certainty among them."""

    links: tuple[EvidenceLink, ...] = ()

    # Cached: the rules ask for these repeatedly while grading thousands of claims.
    @cached_property
    def studies(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(link.study for link in self.links))

    @cached_property
    def best(self) -> Certainty | None:
        return max((link.certainty for link in self.links if link.certainty is not None),
                   key=lambda c: c.rank, default=None)

    @cached_property
    def rank(self) -> int:
        return self.best.rank if self.best else 0

    def strongest(self) -> tuple[EvidenceLink, ...]:
        """The links at this side's best certainty, which drive a verdict."""
        return tuple(link for link in self.links if link.certainty == self.best)

    def at_least(self, certainty: Certainty) -> tuple[str, ...]:
        return tuple(dict.fromkeys(
            link.study for link in self.links
            if link.certainty is not None and link.certainty.rank >= certainty.rank))


@dataclass(frozen=True)
class Evidence:
    """What the rules look at for one claim."""

    claim: Claim
    settings: Settings
    supports: Side = Side()
    refutes: Side = Side()
    mixed: Side = Side()
    context: Side = Side()
    long_term_support: tuple[str, ...] = ()

    @classmethod
    def of(cls, claim: Claim, studies: Mapping[str, Appraisal] | None,
           settings: Settings) -> Evidence:
        studies = studies or {}
        by: dict[Stance, list[EvidenceLink]] = {s: [] for s in Stance}
        for link in claim.evidence:
            by[link.stance].append(with_certainty(link, studies.get(link.study)))
        long_term = tuple(dict.fromkeys(
            link.study for link in by[Stance.SUPPORTS]
            if (a := studies.get(link.study)) is not None and a.design.is_systematic_or_trial
            and link_horizon(link, a, settings) == "long-term"))
        return cls(claim, settings, Side(tuple(by[Stance.SUPPORTS])),
                   Side(tuple(by[Stance.REFUTES])), Side(tuple(by[Stance.MIXED])),
                   Side(tuple(by[Stance.CONTEXT])), long_term)

    @property
    def substantive(self) -> bool:
        return bool(self.supports.links or self.refutes.links or self.mixed.links)


@dataclass(frozen=True)
class Rule:
    """One row of the policy: when it fires, what it decides, and why that is the policy."""

    id: str
    verdict: Verdict
    when: Callable[[Evidence], bool]
    rationale: str
    drivers: Callable[[Evidence], tuple[EvidenceLink, ...]] = field(default=lambda e: ())


def _contradicted(e: Evidence) -> bool:
    return bool(e.refutes.links) and e.refutes.rank > max(e.supports.rank, e.mixed.rank)


def _mixed(e: Evidence) -> bool:
    margin = e.settings.mixed_margin
    refute_close = bool(e.refutes.links) and e.refutes.rank >= e.supports.rank - margin
    mixed_strong = bool(e.mixed.links) and e.mixed.rank > e.supports.rank
    return refute_close or mixed_strong


def _supported(e: Evidence) -> bool:
    s = e.settings
    strong = e.supports.at_least(s.supported_min_certainty)
    enough = e.supports.at_least(Certainty.LOW)
    return bool(strong) and len(enough) >= s.supported_min_studies


RULES: tuple[Rule, ...] = (
    Rule("R1-not-checkable", Verdict.NOT_CHECKABLE, lambda e: not e.claim.checkable,
         "The editor marked the claim as not checkable (an opinion, a vague or purely "
         "procedural description); it is shown with the editor's reason and not graded."),
    Rule("R2-no-evidence", Verdict.NO_EVIDENCE, lambda e: not e.substantive,
         "No linked study supports, refutes or gives mixed results on the claim (context-only "
         "links do not count): the claim is unsupported, not refuted.",
         lambda e: e.context.links),
    Rule("R3-contradicted", Verdict.CONTRADICTED, _contradicted,
         "The strongest evidence refutes the claim: the best refuting link has higher GRADE "
         "certainty than every supporting link and every link with mixed results.",
         lambda e: e.refutes.strongest()),
    Rule("R4-mixed", Verdict.MIXED, _mixed,
         "Refuting evidence comes within `mixed_margin` GRADE levels of the best support, or "
         "studies with mixed results outrank the support: the evidence is inconsistent.",
         lambda e: e.supports.strongest() + e.refutes.strongest() + e.mixed.strongest()),
    Rule("R5-supported", Verdict.SUPPORTED, _supported,
         "Supporting evidence reaches `supported_min_certainty` and comes from at least "
         "`supported_min_studies` distinct studies, with no comparable refuting evidence.",
         lambda e: e.supports.strongest()),
    Rule("R6-limited", Verdict.LIMITED, lambda e: bool(e.supports.links),
         "Some evidence supports the claim, but it is too uncertain or too thin to call it "
         "supported (below the certainty or study-count threshold).",
         lambda e: e.supports.strongest()),
)


def decide(evidence: Evidence, rules: tuple[Rule, ...] = RULES) -> Rule:
    """The first rule that fires. R6's fallback means every graded claim gets one."""
    for rule in rules:
        if rule.when(evidence):
            return rule
    raise AssertionError("the rule table has no rule for this evidence")  # pragma: no cover
