"""The verdict policy: one ordered table of rules, each with its rationale as data.

The first rule whose condition holds decides a claim's verdict. Thresholds are the named
`Settings` fields (see `kb.model.Settings`), which a knowledge base may change under
`settings:` in claims.yaml. Horizons follow the cut-offs commonly used in musculoskeletal
trials and reviews: immediate (within a day), short-term (up to 3 months), intermediate
(3 to 12 months) and long-term (12 months or more).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from kb.model import (
    GRADE_START,
    Appraisal,
    Certainty,
    Claim,
    ClaimKind,
    Design,
    EvidenceLink,
    GradeStart,
    Horizon,
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


def weeks_text(weeks: float) -> str:
    """A follow-up for readers: 'immediately after treatment', '3 days', '12 weeks'."""
    if weeks == 0:
        return "immediately after treatment"
    if weeks < 1:
        days = round(weeks * 7)
        return f"{days} day{'s' * (days != 1)}"
    shown = f"{round(weeks, 1):g}"
    return f"{shown} week{'s' * (shown != '1')}"


# --- the long-term flag: the one place that says which claims it applies to ---------------

@dataclass(frozen=True)
class LongTermScope:
    """A claim kind the long-term flag applies to, and when."""

    kind: ClaimKind
    only_long_term_horizon: bool  # applies only to claims with `horizon: long-term`
    why: str


LONG_TERM_SCOPE: tuple[LongTermScope, ...] = (
    LongTermScope(ClaimKind.EFFICACY, False,
                  "an effect shown only in the short term may not last"),
    LongTermScope(ClaimKind.COMPARATIVE_EFFICACY, False,
                  "a comparison shown only in the short term may not hold later"),
    LongTermScope(ClaimKind.SAFETY, True,
                  "harms over time need long follow-up; a sensation during a session does not"),
    LongTermScope(ClaimKind.STATE_OF_EVIDENCE, True,
                  "a claim that long-term evidence is lacking is checked against the base"),
)
LONG_TERM_GLOSSARY = (
    "Long-term flag: 'lacking' when no supporting trial or systematic review follows patients "
    "for `long_term_weeks` (52) weeks or more; 'has long-term evidence' when one does; 'n/a' "
    "when the flag does not apply: it applies to efficacy and comparative-efficacy claims, to "
    "safety claims about harms over time (`horizon: long-term`) and to state-of-evidence "
    "claims about long-term evidence (`horizon: long-term`), and not to mechanism, "
    "definition, procedure, etiology or practice claims, nor to claims that are not checkable "
    "or not graded.")
# The claims whose long-term trials a state-of-evidence claim speaks about.
EFFECT_KINDS = (ClaimKind.EFFICACY, ClaimKind.COMPARATIVE_EFFICACY)


def long_term_applies(claim: Claim) -> bool:
    """Whether the long-term flag means anything for this claim (see `LONG_TERM_SCOPE`)."""
    if not claim.checkable:
        return False
    scope = next((s for s in LONG_TERM_SCOPE if s.kind is claim.kind), None)
    return scope is not None and (not scope.only_long_term_horizon
                                  or claim.horizon is Horizon.LONG_TERM)


def about_long_term_evidence(claim: Claim) -> bool:
    """A state-of-evidence claim that long-term evidence is lacking (graded from the base)."""
    return claim.kind is ClaimKind.STATE_OF_EVIDENCE and claim.horizon is Horizon.LONG_TERM


def is_review(design: Design) -> bool:
    """Reviews whose report of the literature a state-of-evidence claim can lean on."""
    return design.is_review or design is Design.NARRATIVE_REVIEW


@dataclass(frozen=True)
class LiteratureFacts:
    """What the base shows about its own trials' follow-up (for state-of-evidence claims).

    `trials`: appraised studies with a trial design; `long_term`: those whose longest
    follow-up reaches `long_term_weeks`; `long_term_supporting`: those of them that support an
    efficacy or comparative-efficacy claim at the long-term horizon.
    """

    trials: tuple[str, ...] = ()
    long_term: tuple[str, ...] = ()
    long_term_supporting: tuple[str, ...] = ()


def literature_facts(claims: Iterable[Claim], studies: Mapping[str, Appraisal],
                     settings: Settings, *, without: str | None = None) -> LiteratureFacts:
    """Count the base's trials and their long-term support (`without`: as if one study left)."""
    trials = tuple(k for k, a in studies.items() if a.design.is_trial and k != without)
    long_term = tuple(k for k in trials if (w := studies[k].follow_up_weeks) is not None
                      and w >= settings.long_term_weeks)
    lt = set(long_term)
    supporting = tuple(dict.fromkeys(
        link.study for c in claims if c.kind in EFFECT_KINDS and c.checkable
        for link in c.evidence if link.stance is Stance.SUPPORTS and link.study in lt
        and link_horizon(link, studies.get(link.study), settings) == "long-term"))
    return LiteratureFacts(trials, long_term, supporting)


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
    return dataclasses.replace(link, certainty=default_certainty(link, appraisal)[0])


@dataclass(frozen=True)
class Side:
    """The links of one stance: distinct studies and the best certainty among them."""

    links: tuple[EvidenceLink, ...] = ()
    studies: tuple[str, ...] = ()
    best: Certainty | None = None
    rank: int = 0

    @classmethod
    def of(cls, links: tuple[EvidenceLink, ...]) -> Side:
        if not links:
            return _NO_LINKS
        best = max((link.certainty for link in links if link.certainty is not None),
                   key=_RANK.__getitem__, default=None)
        return cls(links, tuple(dict.fromkeys(link.study for link in links)), best,
                   _RANK[best] if best is not None else 0)

    def strongest(self) -> tuple[EvidenceLink, ...]:
        """The links at this side's best certainty, which drive a verdict."""
        return tuple(link for link in self.links if link.certainty == self.best)

    def at_least(self, certainty: Certainty) -> tuple[str, ...]:
        return tuple(dict.fromkeys(
            link.study for link in self.links
            if link.certainty is not None and link.certainty.rank >= certainty.rank))


_NO_LINKS = Side()
_RANK = {c: c.rank for c in Certainty}
_STANCES = tuple(Stance)


@dataclass(frozen=True)
class Evidence:
    """What the rules look at for one claim."""

    claim: Claim
    settings: Settings
    supports: Side = _NO_LINKS
    refutes: Side = _NO_LINKS
    mixed: Side = _NO_LINKS
    context: Side = _NO_LINKS
    long_term_support: tuple[str, ...] = ()
    long_term_any: tuple[str, ...] = ()  # trials or reviews at the long-term horizon, any stance
    # State-of-evidence claims about long-term evidence only (see `about_long_term_evidence`):
    facts: LiteratureFacts | None = None
    reviews_scarce: tuple[EvidenceLink, ...] = ()  # reviews linked in support: data are scarce
    reviews_against: tuple[EvidenceLink, ...] = ()  # reviews linked as refuting

    @classmethod
    def of(cls, claim: Claim, studies: Mapping[str, Appraisal] | None,
           settings: Settings, facts: LiteratureFacts | None = None) -> Evidence:
        """What the rules see; `facts` (the whole base's, from `literature_facts`) is used by
        state-of-evidence claims, which otherwise see only their own links."""
        studies = studies or {}
        by: dict[Stance, list[EvidenceLink]] = {s: [] for s in _STANCES}
        for link in claim.evidence:
            by[link.stance].append(with_certainty(link, studies.get(link.study)))
        # Trials and systematic reviews at the long-term horizon, supporting ones first.
        at_long_term = [
            link for st in (Stance.SUPPORTS, Stance.REFUTES, Stance.MIXED) for link in by[st]
            if (a := studies.get(link.study)) is not None and a.design.is_systematic_or_trial
            and link_horizon(link, a, settings) == "long-term"]
        long_term = tuple(dict.fromkeys(
            link.study for link in at_long_term if link.stance is Stance.SUPPORTS))
        extra: dict[str, object] = {
            "long_term_any": tuple(dict.fromkeys(link.study for link in at_long_term))}
        if about_long_term_evidence(claim):
            def reviews(stance: Stance) -> tuple[EvidenceLink, ...]:
                return tuple(link for link in by[stance]
                             if (a := studies.get(link.study)) is not None and is_review(a.design))
            extra |= {"facts": facts or literature_facts([claim], studies, settings),
                      "reviews_scarce": reviews(Stance.SUPPORTS),
                      "reviews_against": reviews(Stance.REFUTES)}
        return cls(claim, settings, Side.of(tuple(by[Stance.SUPPORTS])),
                   Side.of(tuple(by[Stance.REFUTES])), Side.of(tuple(by[Stance.MIXED])),
                   Side.of(tuple(by[Stance.CONTEXT])), long_term, **extra)  # type: ignore[arg-type]

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
    # Rules that grade from the base's counts rather than GRADE certainty carry their own
    # plain-language statement; their verdicts have no certainty.
    statement: str | None = None


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


def _state(e: Evidence) -> bool:
    return e.facts is not None


def _long_term_found(e: Evidence) -> bool:
    return e.facts is not None and bool(e.facts.long_term_supporting or e.reviews_against)


def _trials_without_long_term_support(e: Evidence) -> bool:
    return e.facts is not None and bool(e.facts.trials)


RULES: tuple[Rule, ...] = (
    Rule("R1-not-checkable", Verdict.NOT_CHECKABLE, lambda e: not e.claim.checkable,
         "The editor marked the claim as not checkable (an opinion, a vague or purely "
         "procedural description); it is shown with the editor's reason and not graded."),
    # State-of-evidence claims that long-term evidence is lacking (`horizon: long-term`) are
    # graded from the base itself: its trials, their follow-up, and the reviews linked to the
    # claim (in support: they report scarce long-term data; refuting: they report it exists).
    Rule("S1-long-term-support-found", Verdict.CONTRADICTED, _long_term_found,
         "The claim says long-term evidence is lacking, but the base holds a trial that "
         "followed patients for `long_term_weeks` or more and supports an efficacy or "
         "comparative-efficacy claim at that horizon, or a linked review reports long-term "
         "evidence (refutes the claim).",
         lambda e: e.reviews_against,
         "The evidence in this knowledge base goes against this: it holds long-term evidence "
         "of an effect."),
    Rule("S2-long-term-support-lacking", Verdict.SUPPORTED, _trials_without_long_term_support,
         "The claim says long-term evidence is lacking, and the base agrees: it holds trials, "
         "and none that followed patients for `long_term_weeks` or more supports an effect at "
         "that horizon.",
         lambda e: e.reviews_scarce,
         "The trials in this knowledge base bear this out: none shows a long-term effect."),
    Rule("S3-reviews-only", Verdict.LIMITED, lambda e: _state(e) and bool(e.reviews_scarce),
         "The claim says long-term evidence is lacking; the base holds no trials to check it "
         "against, only reviews that report scarce long-term data.",
         lambda e: e.reviews_scarce,
         "Reviews report scarce long-term data, but this knowledge base holds no trials to "
         "check it against."),
    Rule("S4-base-silent", Verdict.NO_EVIDENCE, _state,
         "The claim says long-term evidence is lacking; the base holds neither trials nor "
         "reviews that speak to it, so it cannot tell.",
         lambda e: (), "This knowledge base holds no trials or reviews to check this against."),
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
