"""Summary of findings (GRADE SoF): a claim's findings by outcome, with participants, effect,
certainty and its reasons, follow-up, the informative statement, and an exploratory pooling.

Pure: plain data in, plain data out. Links are grouped under one outcome when their `outcome`
text is the same (case and spacing aside). Pooling is an exploratory random-effects
(DerSimonian-Laird) combination of the numbers stored in the base, not a systematic review.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from kb.model import (
    Appraisal,
    Certainty,
    Claim,
    Design,
    Downgrade,
    Effect,
    EffectMeasure,
    EvidenceLink,
    KnowledgeBase,
    Settings,
    Stance,
    Upgrade,
    horizon_word,
    parse_duration,
)
from kb.rules import HORIZONS, default_certainty, horizon_of, link_weeks, weeks_text
from kb.tables import study_label

# GRADE's certainty symbols, as GRADEpro prints them.
CERTAINTY_SYMBOLS: Mapping[Certainty, str] = {
    Certainty.HIGH: "⊕⊕⊕⊕", Certainty.MODERATE: "⊕⊕⊕◯",
    Certainty.LOW: "⊕⊕◯◯", Certainty.VERY_LOW: "⊕◯◯◯",
}
NOT_REPORTED = "not reported in the stored record"
NO_OUTCOME = "outcome not stated"
# A 95% interval spans 2 x 1.96 standard errors (normal approximation).
Z95 = 1.96
POOLING_LABEL = ("Exploratory random-effects pooling (DerSimonian-Laird) of the numbers stored "
                 "in this knowledge base, not a systematic review")
# Cohen's conventions for a standardised mean difference: below 0.5 is small ("slightly").
SMD_SMALL = 0.5
FINDING_STANCES = (Stance.SUPPORTS, Stance.REFUTES, Stance.MIXED)
_HORIZON_PHRASES = {"immediate": "immediately after treatment", "short-term": "in the short term",
                    "intermediate": "in the intermediate term", "long-term": "in the long term"}
# Subjects of informative statements: the PICO intervention when it is this short.
MAX_SUBJECT_CHARS = 40


@dataclass(frozen=True)
class Number:
    """A numeric effect of a link (the parts of `Effect` that pooling and plots use)."""

    measure: EffectMeasure
    value: float
    ci_low: float | None
    ci_high: float | None
    unit: str | None
    timepoint: str | None

    @property
    def has_interval(self) -> bool:
        return self.ci_low is not None and self.ci_high is not None and self.ci_high > self.ci_low


@dataclass(frozen=True)
class Finding:
    """One link with a finding (a stance on the claim, or a stored effect)."""

    claim_id: str
    study: str
    design: Design | None
    stance: Stance
    outcome: str
    participants: int | None
    certainty: Certainty  # the link's, or the design's default when it gives none
    certainty_default: bool
    effect: Effect | None
    downgrades: tuple[Downgrade, ...]
    upgrades: tuple[Upgrade, ...]
    follow_up: str | None
    follow_up_weeks: float | None
    locator: str | None

    @property
    def number(self) -> Number | None:
        e = self.effect
        if e is None or e.measure is EffectMeasure.NARRATIVE or e.value is None:
            return None
        return Number(e.measure, e.value, e.ci_low, e.ci_high, e.unit, e.timepoint)

    @property
    def numeric(self) -> bool:
        return self.number is not None

    @property
    def poolable(self) -> bool:
        n = self.number
        return n is not None and n.has_interval


def sof_applies(claim: Claim) -> bool:
    """Summaries of findings are for claims about effects or harms."""
    return claim.kind.is_effect


def findings(kb: KnowledgeBase, claim: Claim) -> list[Finding]:
    """The links of a claim that carry a finding, in file order."""
    return [_finding(claim.id, link, kb.studies.get(link.study)) for link in claim.evidence
            if link.stance in FINDING_STANCES or link.effect is not None]


def _finding(claim_id: str, link: EvidenceLink, appraisal: Appraisal | None) -> Finding:
    return Finding(
        claim_id=claim_id, study=link.study, design=appraisal.design if appraisal else None,
        stance=link.stance, outcome=" ".join((link.outcome or "").split()),
        participants=link.participants,
        certainty=link.certainty or default_certainty(link, appraisal)[0],
        certainty_default=link.certainty is None, effect=link.effect,
        downgrades=tuple(link.downgrades), upgrades=tuple(link.upgrades),
        follow_up=link.follow_up or (appraisal.follow_up if appraisal else None),
        follow_up_weeks=link_weeks(link, appraisal), locator=link.locator)


def outcome_key(outcome: str) -> str:
    return " ".join(outcome.lower().split()) or NO_OUTCOME


# --- effects as text ------------------------------------------------------------------------

def number(x: float) -> str:
    """A number as records print it: up to 2 decimals, a true minus sign."""
    text = f"{x:.2f}".rstrip("0").rstrip(".") if abs(x) < 100 else f"{x:.0f}"
    return text.replace("-", "−")


def interval_text(measure: EffectMeasure, value: float, low: float | None,
                  high: float | None) -> str:
    """'SMD −0.5 (95% CI −0.8 to −0.2)'."""
    text = f"{measure.value} {number(value)}"
    if low is not None and high is not None:
        text += f" (95% CI {number(low)} to {number(high)})"
    return text


def effect_text(effect: Effect | None) -> str:
    """An effect with its interval, unit, direction and time point, or 'not reported'."""
    if effect is None:
        return NOT_REPORTED
    if effect.measure is EffectMeasure.NARRATIVE or effect.value is None:
        return effect.text or NOT_REPORTED
    text = interval_text(effect.measure, effect.value, effect.ci_low, effect.ci_high)
    extra = "; ".join(x for x in (effect.unit, effect.direction) if x)
    if extra:
        text += f", {extra}"
    if effect.timepoint:
        text += f", at {effect.timepoint}"
    if effect.comparator:
        text += f", vs {effect.comparator}"
    return text


# --- exploratory pooling --------------------------------------------------------------------

@dataclass(frozen=True)
class Pooled:
    """A random-effects pooled estimate of two or more stored effects of one outcome."""

    outcome: str
    measure: EffectMeasure
    value: float
    ci_low: float
    ci_high: float
    i2: float
    tau2: float
    studies: tuple[str, ...]
    # Studies not pooled: (study, the pooled review it is inside), or (study, None) for a
    # second effect of the same study.
    left_out: tuple[tuple[str, str | None], ...] = ()
    unit: str | None = None
    direction: str | None = None  # which way is benefit, when the pooled studies agree
    label: str = POOLING_LABEL

    def text(self) -> str:
        return (f"{interval_text(self.measure, self.value, self.ci_low, self.ci_high)}, "
                f"I² {self.i2:.0%}, {len(self.studies)} studies (exploratory pooling)")


def standard_error(measure: EffectMeasure, low: float, high: float) -> float:
    """SE from a 95% CI; ratios on the log scale."""
    if measure.is_ratio:
        low, high = math.log(low), math.log(high)
    return (high - low) / (2 * Z95)


def pool_effects(outcome: str, items: Sequence[Finding],
                 studies: Mapping[str, Appraisal] | None = None) -> Pooled | None:
    """Pool the findings of one outcome and measure (None with fewer than two studies).

    A study that a pooled review includes is left out (its result is inside the review's),
    as is a second effect of the same study.
    """
    usable = [(f, n) for f in items if (n := f.number) is not None and n.has_interval]
    if not usable:
        return None
    measure = usable[0][1].measure
    chosen, left_out = _choose([(f, n) for f, n in usable if n.measure is measure], studies)
    if len(chosen) < 2:
        return None
    mean, low, high, i2, tau2 = _dersimonian_laird(measure, [n for _, n in chosen])
    return Pooled(outcome=outcome, measure=measure, value=mean, ci_low=low, ci_high=high,
                  i2=i2, tau2=tau2, studies=tuple(f.study for f, _ in chosen),
                  left_out=tuple(left_out), unit=_agreed(n.unit for _, n in chosen),
                  direction=_agreed(f.effect.direction if f.effect else None
                                    for f, _ in chosen))


def _agreed(values: Iterable[str | None]) -> str | None:
    """The one value the pooled studies give (None when they differ or give none)."""
    given = {v for v in values if v}
    return given.pop() if len(given) == 1 else None


def _choose(usable: list[tuple[Finding, Number]], studies: Mapping[str, Appraisal] | None
            ) -> tuple[list[tuple[Finding, Number]], list[tuple[str, str | None]]]:
    """The findings to pool, and those left out with why."""
    keys = {f.study for f, _ in usable}
    inside = {inc: key for key in keys for inc in _includes(studies, key)
              if inc in keys and inc != key}
    chosen: list[tuple[Finding, Number]] = []
    left_out: list[tuple[str, str | None]] = []
    for f, n in usable:
        if f.study in inside:
            left_out.append((f.study, inside[f.study]))
        elif any(c.study == f.study for c, _ in chosen):
            left_out.append((f.study, None))
        else:
            chosen.append((f, n))
    return chosen, left_out


def _dersimonian_laird(measure: EffectMeasure, numbers: list[Number]
                       ) -> tuple[float, float, float, float, float]:
    """Random-effects mean, 95% CI, I² and tau² (on the measure's own scale)."""
    # Imported here: statsmodels takes about 0.7 s to import, which every `kb` command and the
    # dashboard's first page would otherwise pay whether or not anything is pooled.
    from statsmodels.stats.meta_analysis import combine_effects

    eff = np.array([_scale(measure, n.value) for n in numbers])
    se = np.array([standard_error(measure, n.ci_low, n.ci_high)  # type: ignore[arg-type]
                   for n in numbers])
    # statsmodels leaves DerSimonian-Laird's tau² negative when Q < df (and takes square
    # roots of the resulting negative variances); the estimator truncates tau² at 0, where
    # the random-effects estimate equals the fixed-effect one.
    with np.errstate(invalid="ignore"):
        res = combine_effects(eff, se ** 2, method_re="dl")
        fe, re_ = res.conf_int(use_t=False)[:2]
    tau2 = float(res.tau2)
    mean, (low, high) = (res.mean_effect_re, re_) if tau2 > 0 else (res.mean_effect_fe, fe)
    back = math.exp if measure.is_ratio else float
    return back(mean), back(low), back(high), max(0.0, float(res.i2)), max(0.0, tau2)


def _scale(measure: EffectMeasure, value: float) -> float:
    return math.log(value) if measure.is_ratio else value


def _includes(studies: Mapping[str, Appraisal] | None, key: str) -> list[str]:
    appraisal = (studies or {}).get(key)
    return appraisal.includes if appraisal is not None else []


def pooled_by_measure(outcome: str, items: Sequence[Finding],
                      studies: Mapping[str, Appraisal] | None = None) -> list[Pooled]:
    """One pooled estimate per measure that at least two studies of the outcome report."""
    measures = dict.fromkeys(n.measure for f in items if (n := f.number) and n.has_interval)
    out = []
    for m in measures:
        p = pool_effects(outcome, [f for f in items if (n := f.number) and n.measure is m],
                         studies)
        if p is not None:
            out.append(p)
    return out


# --- informative statements ----------------------------------------------------------------

def benefit_sign(direction: str | None) -> int:
    """+1 when higher values are better, -1 when lower are, 0 when the record does not say."""
    text = (direction or "").lower()
    if "better" not in text and "benefit" not in text and "favour" not in text:
        return 0
    if "lower" in text or "less" in text or "decrease" in text or "negative" in text:
        return -1
    if "higher" in text or "more" in text or "increase" in text or "positive" in text:
        return 1
    return 0


def informative_statement(subject: str, outcome: str, certainty: Certainty,
                          effect: Effect | Pooled | None, stance: Stance | None = None,
                          horizon: str | None = None) -> str:
    """GRADE's informative statement ("may reduce pain slightly in the short term").

    Wording after Santesso et al. 2020 (J Clin Epidemiol 119:126-135): high certainty states
    the effect, moderate says "probably", low "may", very low "the evidence is very uncertain".
    """
    when = f" {_HORIZON_PHRASES[horizon]}" if horizon in _HORIZON_PHRASES else ""
    if certainty is Certainty.VERY_LOW:
        of = "" if subject == "It" else f" of {subject[:1].lower()}{subject[1:]}"
        return f"The evidence is very uncertain about the effect{of} on {outcome}{when}."
    aux = {Certainty.HIGH: "", Certainty.MODERATE: "probably ", Certainty.LOW: "may "}[certainty]
    # "may" takes the bare verb; "probably" and plain statements the third person.
    phrase = _effect_phrase(outcome, effect, stance, finite=certainty is not Certainty.LOW)
    if phrase is None:
        return (f"No effect size is stored for {outcome}; the {certainty.label}-certainty "
                f"evidence {_stance_words(stance)} the claim{when}.")
    return f"{subject} {aux}{phrase}{when}."


def _stance_words(stance: Stance | None) -> str:
    words = {Stance.SUPPORTS: "supports", Stance.REFUTES: "goes against",
             Stance.MIXED: "is mixed on"}
    return words[stance] if stance in words else "bears on"


def _effect_phrase(outcome: str, effect: Effect | Pooled | None, stance: Stance | None,
                   finite: bool) -> str | None:
    """'reduce pain slightly' (finite: 'reduces ...'), or None without a number."""
    if effect is None or effect.value is None or effect.measure is EffectMeasure.NARRATIVE:
        return None
    value, null = effect.value, effect.measure.no_effect
    low, high = effect.ci_low, effect.ci_high
    if value == null or (low is not None and high is not None and low <= null <= high):
        return f"{'results' if finite else 'result'} in little to no difference in {outcome}"
    word = _VERBS[(benefit_sign(effect.direction), value > null)]
    size = " slightly" if effect.measure is EffectMeasure.SMD and abs(value) < SMD_SMALL else ""
    return f"{word}{'s' if finite else ''} {outcome}{size}"


# (which way is benefit: +1 higher, -1 lower, 0 unknown; is the value above no effect?) -> verb
_VERBS = {(0, True): "increase", (0, False): "reduce",
          (1, True): "improve", (1, False): "worsen",
          (-1, True): "increase", (-1, False): "reduce"}


def subject_of(claim: Claim) -> str:
    text = (claim.pico.intervention if claim.pico else None) or ""
    text = " ".join(text.split())
    return text[0].upper() + text[1:] if text and len(text) <= MAX_SUBJECT_CHARS else "It"


# --- the table -----------------------------------------------------------------------------

@dataclass(frozen=True)
class SofRow:
    """One outcome of a claim's summary of findings."""

    outcome: str
    findings: tuple[Finding, ...]
    studies: tuple[str, ...]  # counted studies (not those inside a review in the row)
    inside: tuple[str, ...]  # studies whose result is inside a review in the row
    participants: int | None
    participants_missing: int
    certainty: Certainty
    footnotes: tuple[str, ...]
    effect: str
    pooled: tuple[Pooled, ...]
    follow_up: str
    max_weeks: float | None
    horizon: str | None
    statement: str

    @property
    def participants_text(self) -> str:
        """'240 (3 studies)' in GRADE's '№ of participants (studies)' column."""
        n = len(self.studies)
        count = "not reported" if self.participants is None else str(self.participants)
        studies = f"{n} {'study' if n == 1 else 'studies'}"
        if self.participants is not None and self.participants_missing:
            studies += f", {self.participants_missing} without a count"
        if self.inside:
            studies += f"; {len(self.inside)} more within a review"
        return f"{count} ({studies})"

    @property
    def certainty_text(self) -> str:
        return f"{CERTAINTY_SYMBOLS[self.certainty]} {self.certainty.label.upper()}"


def sof_rows(kb: KnowledgeBase, claim: Claim) -> list[SofRow]:
    """The claim's summary of findings, one row per outcome in order of first mention."""
    groups: dict[str, list[Finding]] = {}
    for f in findings(kb, claim):
        groups.setdefault(outcome_key(f.outcome), []).append(f)
    def label(key: str) -> str:
        return study_label(kb, key)
    return [_row(items, claim, kb.studies, kb.settings, label) for items in groups.values()]


def _row(items: list[Finding], claim: Claim, studies: Mapping[str, Appraisal],
         settings: Settings, label: Callable[[str], str]) -> SofRow:
    """One outcome's row; `label` names a study for readers ('Gattie et al. 2021')."""
    outcome = items[0].outcome or NO_OUTCOME
    counted, inside, participants, missing = _participants(items, studies)
    best = max((f.certainty for f in items), key=lambda c: c.rank)
    pooled = tuple(pooled_by_measure(outcome, items, studies))
    lead = _lead(items, best)
    weeks = [w for f in items if (w := _weeks(f)) is not None]
    # The statement speaks for one number (the pooled one, else the most certain) with its
    # certainty and horizon.
    spoken: Effect | Pooled | None = pooled[0] if pooled else (lead.effect if lead else None)
    said = best if pooled or lead is None else lead.certainty
    horizons = [h for f in ([lead] if lead is not None and not pooled else items)
                if (h := _horizon(f, settings)) is not None]
    horizon = max(horizons, key=HORIZONS.index, default=None)
    statement = informative_statement(subject_of(claim), _statement_outcome(outcome, spoken),
                                      said, spoken, _main_stance(items), horizon)
    return SofRow(outcome=outcome, findings=tuple(items), studies=counted, inside=inside,
                  participants=participants, participants_missing=missing, certainty=best,
                  footnotes=_footnotes(items, label), effect=_effect_cell(items, pooled, label),
                  pooled=pooled, follow_up=_follow_up_text(weeks, items),
                  max_weeks=max(weeks, default=None), horizon=horizon, statement=statement)


def _participants(items: list[Finding], studies: Mapping[str, Appraisal]
                  ) -> tuple[tuple[str, ...], tuple[str, ...], int | None, int]:
    """Counted studies, those inside a review of the row (their patients are in its count),
    the participants summed over the counted studies, and how many of those give no count."""
    keys = tuple(dict.fromkeys(f.study for f in items))
    within = {inc for k in keys for inc in _includes(studies, k) if inc != k}
    counted = tuple(k for k in keys if k not in within)
    largest: dict[str, int] = {}
    for f in items:
        if f.participants and f.study in counted:
            largest[f.study] = max(largest.get(f.study, 0), f.participants)
    known = list(largest.values())
    per_study = counted
    return (counted, tuple(k for k in keys if k in within), sum(known) if known else None,
            len(per_study) - len(known))


def _footnotes(items: list[Finding], label: Callable[[str], str]) -> tuple[str, ...]:
    """Each downgrade's (and upgrade's) reason, named by study and GRADE domain."""
    def words(value: str) -> str:
        return value.replace("-", " ")
    down = [f"{label(f.study)}: {words(d.domain.value)} ({words(d.level.value)}): {d.reason}"
            for f in items for d in f.downgrades]
    up = [f"{label(f.study)}: rated up for {words(u.domain.value)}: {u.reason}"
          for f in items for u in f.upgrades]
    return tuple(down + up)


def _effect_cell(items: list[Finding], pooled: tuple[Pooled, ...],
                 label: Callable[[str], str]) -> str:
    """The pooled estimates, else each stored effect, else 'not reported'."""
    if pooled:
        return "; ".join(p.text() for p in pooled)
    shown = [(label(f.study), effect_text(f.effect)) for f in items if f.effect is not None]
    if len(shown) == 1:
        return shown[0][1]
    return "; ".join(f"{s}: {t}" for s, t in shown) or NOT_REPORTED


_LIST = re.compile(r"[,;/]| and ")


def _statement_outcome(outcome: str, effect: Effect | Pooled | None) -> str:
    """What the statement says the number changes. A link's outcome often lists several
    ("pain, disability, range of motion") while its number measures one: then the number's
    unit, when it names what was measured ("pain intensity (standardised)"), is used."""
    if outcome == NO_OUTCOME:
        outcome = "the outcome"
    unit = effect.unit if effect is not None else None
    if _LIST.search(outcome) and unit and re.search(r"[a-z]{3}", unit):
        return re.sub(r"\s*\([^)]*\)\s*$", "", unit).strip() or outcome
    return outcome


def _horizon(f: Finding, settings: Settings) -> str | None:
    """The horizon a finding's number belongs to: its time point (a duration or a word such
    as 'medium term'), else the link's follow-up."""
    for text in ((f.effect.timepoint if f.effect else None), f.follow_up):
        if text and (word := horizon_word(text)):
            return word
        if text and (weeks := parse_duration(text)) is not None:
            return horizon_of(weeks, settings)
    return horizon_of(f.follow_up_weeks, settings)


def _weeks(f: Finding) -> float | None:
    if f.effect is not None and (w := f.effect.timepoint_weeks) is not None:
        return w
    return f.follow_up_weeks


def _lead(items: Iterable[Finding], best: Certainty) -> Finding | None:
    """The finding a row's statement speaks for: the most certain one with a number."""
    ranked = sorted((f for f in items if f.numeric), key=lambda f: -f.certainty.rank)
    return next((f for f in ranked if f.certainty is best), ranked[0] if ranked else None)


def _main_stance(items: Sequence[Finding]) -> Stance | None:
    stances = {f.stance for f in items if f.stance in FINDING_STANCES}
    return stances.pop() if len(stances) == 1 else (Stance.MIXED if stances else None)


def _weeks_cell(weeks: float) -> str:
    """A follow-up in the table: 'immediate', '3 days', '12 weeks', '4.3 weeks'."""
    return "immediate" if weeks == 0 else weeks_text(weeks)


def _follow_up_text(weeks: list[float], items: Sequence[Finding]) -> str:
    if weeks:
        lo, hi = min(weeks), max(weeks)
        return _weeks_cell(lo) if lo == hi else f"{_weeks_cell(lo)} to {_weeks_cell(hi)}"
    words = list(dict.fromkeys(f.follow_up for f in items if f.follow_up))
    return ", ".join(words) or "not reported"


# --- one row per link (kb sof) -------------------------------------------------------------

SOF_FIELDS = ("claim", "study", "outcome", "stance", "participants", "measure", "value",
              "ci_low", "ci_high", "unit", "direction", "timepoint", "comparator", "source",
              "text", "certainty", "certainty_default", "downgrades", "upgrades",
              "follow_up_weeks", "locator")


def sof_records(kb: KnowledgeBase, claim_ids: Iterable[str] | None = None) -> list[dict[str, object]]:
    """One plain dict per link with a finding: the `kb sof` export.

    Without `claim_ids`, the claims a summary of findings applies to (`sof_applies`).
    """
    wanted = None if claim_ids is None else set(claim_ids)
    return [_record(f) for claim in kb.claims
            if ((claim.id in wanted) if wanted is not None else sof_applies(claim))
            for f in findings(kb, claim)]


_EFFECT_FIELDS = ("measure", "value", "ci_low", "ci_high", "unit", "direction", "timepoint",
                  "comparator", "source", "text")


def _record(f: Finding) -> dict[str, object]:
    e = f.effect
    effect = {k: getattr(e, k, None) for k in _EFFECT_FIELDS}
    effect["measure"] = e.measure.value if e else None
    return {
        "claim": f.claim_id, "study": f.study, "outcome": f.outcome or None,
        "stance": f.stance.value, "participants": f.participants, **effect,
        "certainty": f.certainty.value, "certainty_default": f.certainty_default,
        "downgrades": [{"domain": d.domain.value, "level": d.level.value, "reason": d.reason}
                       for d in f.downgrades],
        "upgrades": [{"domain": u.domain.value, "level": u.level.value, "reason": u.reason}
                     for u in f.upgrades],
        "follow_up_weeks": f.follow_up_weeks, "locator": f.locator,
    }


def grading_text(items: Sequence[Downgrade] | Sequence[Upgrade]) -> str:
    """'risk-of-bias (serious): reason; ...' for one cell of a table."""
    return "; ".join(f"{d.domain.value} ({d.level.value}): {d.reason}" for d in items)


def headline_effect(kb: KnowledgeBase, claim: Claim) -> str | None:
    """The effect with its interval for the claim's first outcome with a number, for
    ClaimReview's ratingExplanation ("Pain: SMD −0.5 (95% CI −0.8 to −0.2), at 4 weeks.")."""
    for row in sof_rows(kb, claim):
        if row.effect != NOT_REPORTED and (row.pooled or any(f.numeric for f in row.findings)):
            return f"{row.outcome[:1].upper()}{row.outcome[1:]}: {row.effect}."
    return None


# --- forest plots --------------------------------------------------------------------------

@dataclass(frozen=True)
class ForestRow:
    label: str
    study: str | None  # None for the pooled row
    value: float
    ci_low: float | None
    ci_high: float | None
    certainty: Certainty | None
    timepoint: str | None


@dataclass(frozen=True)
class ForestPlot:
    """The stored effects of one outcome and measure, with the pooled row where there is one."""

    outcome: str
    measure: EffectMeasure
    unit: str | None
    rows: tuple[ForestRow, ...]
    pooled: Pooled | None

    @property
    def no_effect(self) -> float:
        return self.measure.no_effect

    @property
    def log_scale(self) -> bool:
        return self.measure.is_ratio


def forest_plots(kb: KnowledgeBase, claim: Claim) -> list[ForestPlot]:
    """One plot per outcome and measure with at least one stored number."""
    plots = []
    for row in sof_rows(kb, claim):
        seen: set[str] = set()
        numbers = [(f, n) for f in row.findings if (n := f.number) is not None]
        for m in dict.fromkeys(n.measure for _, n in numbers):
            items = [(f, n) for f, n in numbers if n.measure is m]
            pooled = next((p for p in row.pooled if p.measure is m), None)
            rows = [ForestRow(label=_unique(study_label(kb, f.study), f.study, seen),
                              study=f.study, value=n.value, ci_low=n.ci_low,
                              ci_high=n.ci_high, certainty=f.certainty, timepoint=n.timepoint)
                    for f, n in items]
            if pooled is not None:
                rows.append(ForestRow(label=f"Pooled, I² {pooled.i2:.0%} (exploratory)",
                                      study=None, value=pooled.value, ci_low=pooled.ci_low,
                                      ci_high=pooled.ci_high, certainty=None, timepoint=None))
            plots.append(ForestPlot(outcome=row.outcome, measure=m,
                                    unit=_agreed(n.unit for _, n in items),
                                    rows=tuple(rows), pooled=pooled))
    return plots


def _unique(label: str, key: str, seen: set[str]) -> str:
    """A plot row's name: the study's label, with its key when two studies share one."""
    name = label if label not in seen else f"{label} ({key})"
    seen.add(name)
    return name
