"""The data contract: vocabularies, the claims-file schema and the loaded knowledge base.

Pydantic dataclasses here are both the validation schema of `claims.yaml` (exported as JSON
Schema by `kb schema`) and the immutable values the rest of the library works on. No I/O.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, ConfigDict, Field
from pydantic.dataclasses import dataclass as pydantic_dataclass
from pydantic_core import PydanticCustomError

from kb.anchors import ArticleIndex

SCHEMA_VERSION = 1
V = TypeVar("V")


class Design(enum.StrEnum):
    """Study design, in the evidence hierarchy's vocabulary (meanings in `DESIGN_MEANINGS`)."""

    UMBRELLA_REVIEW = "umbrella-review"
    SYSTEMATIC_REVIEW_META_ANALYSIS = "systematic-review-meta-analysis"
    SYSTEMATIC_REVIEW = "systematic-review"
    CRITICALLY_APPRAISED_TOPIC = "critically-appraised-topic"
    RCT = "rct"
    CROSSOVER_RCT = "crossover-rct"
    CLUSTER_RCT = "cluster-rct"
    NON_RANDOMISED_TRIAL = "non-randomised-trial"
    COHORT = "cohort"
    CASE_CONTROL = "case-control"
    CROSS_SECTIONAL = "cross-sectional"
    CASE_SERIES = "case-series"
    CASE_REPORT = "case-report"
    NARRATIVE_REVIEW = "narrative-review"
    GUIDELINE = "guideline"
    LABORATORY = "laboratory"
    PHYSIOLOGY = "physiology"
    EXPERT_OPINION = "expert-opinion"

    @property
    def label(self) -> str:
        return _DESIGN_LABELS[self]

    @property
    def meaning(self) -> str:
        return DESIGN_MEANINGS[self]

    @property
    def is_review(self) -> bool:
        """Reviews that synthesise other studies systematically (and may include them)."""
        return self in (Design.UMBRELLA_REVIEW, Design.SYSTEMATIC_REVIEW_META_ANALYSIS,
                        Design.SYSTEMATIC_REVIEW)

    @property
    def is_randomised(self) -> bool:
        return self in (Design.RCT, Design.CROSSOVER_RCT, Design.CLUSTER_RCT)

    @property
    def is_trial(self) -> bool:
        return self.is_randomised or self is Design.NON_RANDOMISED_TRIAL

    @property
    def is_systematic_or_trial(self) -> bool:
        """Designs whose results GRADE rates from 'high' (randomised evidence or its synthesis)."""
        return self.is_review or self.is_randomised

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        schema = handler.resolve_ref_schema(handler(core_schema))
        schema["description"] = "Study design. " + " ".join(
            f"'{d.value}': {d.meaning}" for d in cls)
        schema["enumDescriptions"] = [d.meaning for d in cls]
        return schema


_DESIGN_LABELS = {
    Design.UMBRELLA_REVIEW: "Umbrella review",
    Design.SYSTEMATIC_REVIEW_META_ANALYSIS: "Systematic review with meta-analysis",
    Design.SYSTEMATIC_REVIEW: "Systematic review",
    Design.CRITICALLY_APPRAISED_TOPIC: "Critically appraised topic",
    Design.RCT: "Randomised controlled trial",
    Design.CROSSOVER_RCT: "Randomised crossover trial",
    Design.CLUSTER_RCT: "Cluster-randomised trial",
    Design.NON_RANDOMISED_TRIAL: "Non-randomised controlled trial",
    Design.COHORT: "Cohort study",
    Design.CASE_CONTROL: "Case-control study",
    Design.CROSS_SECTIONAL: "Cross-sectional study / survey",
    Design.CASE_SERIES: "Case series",
    Design.CASE_REPORT: "Case report",
    Design.NARRATIVE_REVIEW: "Narrative review",
    Design.GUIDELINE: "Guideline / position statement",
    Design.LABORATORY: "Laboratory / mechanistic study",
    Design.PHYSIOLOGY: "Physiology study",
    Design.EXPERT_OPINION: "Expert opinion",
}

DESIGN_MEANINGS = {
    Design.UMBRELLA_REVIEW: "a systematic review of systematic reviews.",
    Design.SYSTEMATIC_REVIEW_META_ANALYSIS: (
        "a systematic review that pools the included studies' results statistically."),
    Design.SYSTEMATIC_REVIEW: (
        "a review with a stated question, a systematic search and appraisal of the studies "
        "found, without pooling."),
    Design.CRITICALLY_APPRAISED_TOPIC: (
        "a short, structured appraisal of the best evidence on one clinical question (a CAT), "
        "with a less exhaustive search than a systematic review."),
    Design.RCT: "a trial that allocates participants to groups at random (parallel groups).",
    Design.CROSSOVER_RCT: (
        "a randomised trial in which each participant receives the treatments in random order, "
        "with a washout between them."),
    Design.CLUSTER_RCT: (
        "a randomised trial that allocates groups (clinics, teams, schools) rather than "
        "individuals."),
    Design.NON_RANDOMISED_TRIAL: (
        "a controlled trial that allocates participants to groups other than at random "
        "(quasi-randomised or by choice; a non-randomised controlled trial)."),
    Design.COHORT: (
        "an observational study following exposed and unexposed people over time "
        "(prospective or retrospective; adverse-event follow-ups of treated patients too)."),
    Design.CASE_CONTROL: (
        "an observational study comparing people with an outcome to people without it."),
    Design.CROSS_SECTIONAL: (
        "an observational study measuring exposure and outcome at one time (surveys too)."),
    Design.CASE_SERIES: "a description of several treated patients without a control group.",
    Design.CASE_REPORT: "a description of one patient.",
    Design.NARRATIVE_REVIEW: "a review without a systematic search or appraisal.",
    Design.GUIDELINE: (
        "recommendations from a professional body or agency (position statements too); rated "
        "by its own certainty where it gives one."),
    Design.LABORATORY: (
        "a bench, animal or cadaver study of a mechanism, not of patients' outcomes."),
    Design.PHYSIOLOGY: (
        "a study in people measuring a physiological response (blood flow, muscle activity, "
        "pain threshold) rather than a clinical outcome."),
    Design.EXPERT_OPINION: "an opinion or educational text not based on a systematic appraisal.",
}
# Words editors use for a design, and the vocabulary term each means (for `kb check`'s hint).
DESIGN_SYNONYMS: Mapping[str, Design] = {  # most specific first: the first match wins
    "crossover": Design.CROSSOVER_RCT, "cross-over": Design.CROSSOVER_RCT,
    "cluster": Design.CLUSTER_RCT,
    "non-randomised": Design.NON_RANDOMISED_TRIAL, "quasi": Design.NON_RANDOMISED_TRIAL,
    "quasi-experimental": Design.NON_RANDOMISED_TRIAL, "nrct": Design.NON_RANDOMISED_TRIAL,
    "cct": Design.NON_RANDOMISED_TRIAL,
    "meta-analysis": Design.SYSTEMATIC_REVIEW_META_ANALYSIS,
    "review-of-reviews": Design.UMBRELLA_REVIEW, "overview": Design.UMBRELLA_REVIEW,
    "cat": Design.CRITICALLY_APPRAISED_TOPIC, "appraised-topic": Design.CRITICALLY_APPRAISED_TOPIC,
    "scoping-review": Design.NARRATIVE_REVIEW, "literature-review": Design.NARRATIVE_REVIEW,
    "randomised": Design.RCT, "parallel": Design.RCT,
    "controlled-trial": Design.NON_RANDOMISED_TRIAL, "pilot": Design.NON_RANDOMISED_TRIAL,
    "prospective": Design.COHORT, "retrospective": Design.COHORT, "longitudinal": Design.COHORT,
    "observational": Design.COHORT, "registry": Design.COHORT,
    "survey": Design.CROSS_SECTIONAL, "questionnaire": Design.CROSS_SECTIONAL,
    "position-statement": Design.GUIDELINE, "consensus": Design.GUIDELINE,
    "recommendation": Design.GUIDELINE,
    "lab": Design.LABORATORY, "animal": Design.LABORATORY, "in-vitro": Design.LABORATORY,
    "cadaver": Design.LABORATORY, "mechanistic": Design.LABORATORY,
    "physiological": Design.PHYSIOLOGY, "experimental": Design.PHYSIOLOGY,
    "opinion": Design.EXPERT_OPINION, "editorial": Design.EXPERT_OPINION,
    "educational": Design.EXPERT_OPINION, "commentary": Design.EXPERT_OPINION,
}


def nearest_design(given: str) -> Design | None:
    """The vocabulary term an unknown design word most likely means ('crossover' -> crossover-rct)."""
    import difflib

    word = re.sub(r"[\s_]+", "-", given.strip().lower()).replace("randomized", "randomised")
    word = word.replace("non-randomized", "non-randomised")
    if word in Design._value2member_map_:
        return Design(word)
    for synonym in DESIGN_SYNONYMS:
        if synonym == word or re.search(rf"(^|-){re.escape(synonym)}(-|$)", word):
            return DESIGN_SYNONYMS[synonym]
    match = difflib.get_close_matches(word, [d.value for d in Design], n=1, cutoff=0.6)
    return Design(match[0]) if match else None


class GradeStart(enum.StrEnum):
    """How GRADE rates a design's evidence before downgrades and upgrades (`GRADE_START`)."""

    HIGH = "high"  # randomised evidence starts high
    LOW = "low"  # observational evidence starts low
    AS_RATED = "as-rated"  # reviews: the review's own rating; checked only when downgrades given
    NOT_RATED = "not-rated"  # opinion, guidance, narrative, laboratory: no GRADE rating


# The starting level of each design (GRADE handbook 5.1). A design missing here is not
# checked for certainty consistency; add new designs to this table when the vocabulary grows.
GRADE_START: dict[Design, GradeStart] = {
    Design.UMBRELLA_REVIEW: GradeStart.AS_RATED,
    Design.SYSTEMATIC_REVIEW_META_ANALYSIS: GradeStart.AS_RATED,
    Design.SYSTEMATIC_REVIEW: GradeStart.AS_RATED,
    Design.CRITICALLY_APPRAISED_TOPIC: GradeStart.AS_RATED,
    Design.RCT: GradeStart.HIGH,
    Design.CROSSOVER_RCT: GradeStart.HIGH,
    Design.CLUSTER_RCT: GradeStart.HIGH,
    Design.NON_RANDOMISED_TRIAL: GradeStart.LOW,
    Design.COHORT: GradeStart.LOW,
    Design.CASE_CONTROL: GradeStart.LOW,
    Design.CROSS_SECTIONAL: GradeStart.LOW,
    Design.CASE_SERIES: GradeStart.LOW,
    Design.CASE_REPORT: GradeStart.LOW,
    Design.NARRATIVE_REVIEW: GradeStart.NOT_RATED,
    Design.GUIDELINE: GradeStart.NOT_RATED,
    Design.LABORATORY: GradeStart.NOT_RATED,
    Design.PHYSIOLOGY: GradeStart.NOT_RATED,
    Design.EXPERT_OPINION: GradeStart.NOT_RATED,
}


class Stance(enum.StrEnum):
    SUPPORTS = "supports"
    REFUTES = "refutes"
    MIXED = "mixed"
    CONTEXT = "context"


class Certainty(enum.StrEnum):
    """GRADE certainty of a body of evidence."""

    HIGH = "high"
    MODERATE = "moderate"
    LOW = "low"
    VERY_LOW = "very-low"

    @property
    def rank(self) -> int:
        return _CERTAINTY_RANK[self.value]

    @property
    def label(self) -> str:
        return self.value.replace("-", " ")

    @classmethod
    def from_rank(cls, rank: int) -> Certainty:
        return {4: cls.HIGH, 3: cls.MODERATE, 2: cls.LOW, 1: cls.VERY_LOW}[max(1, min(4, rank))]


_CERTAINTY_RANK = {"high": 4, "moderate": 3, "low": 2, "very-low": 1}


class ClaimKind(enum.StrEnum):
    ETIOLOGY = "etiology"
    MECHANISM = "mechanism"
    DEFINITION = "definition"
    PROCEDURE = "procedure"
    SAFETY = "safety"
    EFFICACY = "efficacy"
    COMPARATIVE_EFFICACY = "comparative-efficacy"
    STATE_OF_EVIDENCE = "state-of-evidence"
    PRACTICE = "practice"

    @property
    def is_effect(self) -> bool:
        """Claims about effects or harms, which need long-term trials to be settled."""
        return self in (ClaimKind.SAFETY, ClaimKind.EFFICACY, ClaimKind.COMPARATIVE_EFFICACY)


class Horizon(enum.StrEnum):
    """A follow-up horizon (cut-offs in `Settings`): what a claim's time frame can be."""

    IMMEDIATE = "immediate"
    SHORT_TERM = "short-term"
    INTERMEDIATE = "intermediate"
    LONG_TERM = "long-term"


class LongTerm(enum.StrEnum):
    """The long-term flag: three values, so that 'does not apply' never reads as 'no'."""

    LACKING = "lacking"
    HAS_LONG_TERM_EVIDENCE = "has-long-term-evidence"
    NOT_APPLICABLE = "not-applicable"

    @property
    def label(self) -> str:
        return _LONG_TERM_LABELS[self]


_LONG_TERM_LABELS = {
    LongTerm.LACKING: "lacking",
    LongTerm.HAS_LONG_TERM_EVIDENCE: "has long-term evidence",
    LongTerm.NOT_APPLICABLE: "n/a",
}


class ReviewStatus(enum.StrEnum):
    """Where a claim stands in the editors' workflow."""

    DRAFT = "draft"
    IN_REVIEW = "in-review"
    NEEDS_CHANGES = "needs-changes"
    REVIEWED = "reviewed"


class Verdict(enum.StrEnum):
    SUPPORTED = "supported"
    LIMITED = "limited"
    MIXED = "mixed"
    CONTRADICTED = "contradicted"
    NO_EVIDENCE = "no-evidence"
    NOT_CHECKABLE = "not-checkable"
    NOT_GRADED = "not-graded"

    @property
    def label(self) -> str:
        return _VERDICT_LABELS[self][0]

    @property
    def icon(self) -> str:
        return _VERDICT_LABELS[self][1]

    @property
    def strength(self) -> int:
        """Order used by 'never lowers a verdict' properties: higher means better supported."""
        return _VERDICT_STRENGTH[self]


_VERDICT_LABELS = {
    Verdict.SUPPORTED: ("Supported", "✅"),
    Verdict.LIMITED: ("Limited evidence", "🟡"),
    Verdict.MIXED: ("Mixed evidence", "⚖️"),
    Verdict.CONTRADICTED: ("Contradicted", "❌"),
    Verdict.NO_EVIDENCE: ("No evidence", "❔"),
    Verdict.NOT_CHECKABLE: ("Not checkable", "➖"),
    Verdict.NOT_GRADED: ("Not graded", "⚠️"),
}

_VERDICT_STRENGTH = {
    Verdict.CONTRADICTED: 0,
    Verdict.MIXED: 1,
    Verdict.NO_EVIDENCE: 1,
    Verdict.LIMITED: 2,
    Verdict.SUPPORTED: 3,
    Verdict.NOT_CHECKABLE: -1,
    Verdict.NOT_GRADED: -1,
}


# --- durations --------------------------------------------------------------------------

WEEKS_PER_UNIT = {"day": 1 / 7, "week": 1.0, "month": 52 / 12, "year": 52.0}
_DURATION_RE = re.compile(
    r"^\s*(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>days?|d|weeks?|wk|w|months?|mo|m|years?|yr|y)\s*$", re.I)
_ISO_RE = re.compile(r"^P(?:(?P<y>\d+)Y)?(?:(?P<m>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?$")
_UNIT_ALIASES = {"d": "day", "w": "week", "wk": "week", "m": "month", "mo": "month",
                 "y": "year", "yr": "year"}


@lru_cache(maxsize=4096)
def parse_duration(text: str) -> float | None:
    """Weeks in a duration such as ``"12 weeks"``, ``"6 months"``, ``"P1Y"`` or ``"immediate"``.

    Returns None when the text is not a duration.

    >>> parse_duration("6 months")
    26.0
    >>> parse_duration("immediate")
    0.0
    """
    text = text.strip()
    if text.lower() in ("immediate", "immediately", "post-treatment", "0"):
        return 0.0
    if m := _DURATION_RE.match(text):
        unit = m["unit"].lower()
        unit = _UNIT_ALIASES.get(unit, unit.rstrip("s"))
        return round(float(m["n"]) * WEEKS_PER_UNIT[unit], 3)
    if (m := _ISO_RE.match(text)) and any(m.groupdict().values()):
        parts = {k: int(v) for k, v in m.groupdict().items() if v}
        return round(parts.get("y", 0) * 52 + parts.get("m", 0) * 52 / 12
                     + parts.get("w", 0) + parts.get("d", 0) / 7, 3)
    return None


HORIZON_WORDS = {
    "immediate": "immediate", "immediately": "immediate", "post-treatment": "immediate",
    "short-term": "short-term", "short term": "short-term",
    "intermediate": "intermediate", "medium-term": "intermediate", "medium term": "intermediate",
    "mid-term": "intermediate", "long-term": "long-term", "long term": "long-term",
}


def horizon_word(text: str) -> str | None:
    """The horizon named by a word such as 'short-term' (when no time point is reported)."""
    return HORIZON_WORDS.get(text.strip().lower())


def _check_duration(value: str) -> str:
    if parse_duration(value) is None and horizon_word(value) is None:
        raise PydanticCustomError(
            "duration_invalid",
            "'{value}' is not a duration; write e.g. 'immediate', '3 days', '12 weeks', "
            "'6 months', '1 year', ISO 8601 'P6M', or a horizon ('short-term', "
            "'intermediate', 'long-term') when no time point is reported", {"value": value})
    return value


Duration = Annotated[str, AfterValidator(_check_duration)]
# An address that can be linked as written: http(s), a host, no spaces, quotes, angle
# brackets or backslashes (what `kb.text.safe_url` accepts).
WEB_URL = "^https?://[^\\s/?#\"'<>\\\\]+[^\\s\"'<>\\\\]*$"
Text = Annotated[str, Field(min_length=1)]
Key = Annotated[str, Field(min_length=1, pattern=r"^[^\s,{}]+$")]
ClaimId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)]


# The values of the schema: immutable, slotted pydantic dataclasses (validated by
# pydantic-core, one object each, no per-instance dict: a 1000x base is a few hundred
# thousand of them), lists as tuples. Fields are keyword-only, so their order is the file's.
_value = pydantic_dataclass(frozen=True, slots=True, kw_only=True,
                            config=ConfigDict(extra="forbid", use_enum_values=False))


def validate(model: type[V], raw: Any) -> V:
    """`raw` (plain data, e.g. parsed YAML) as a `model` value; raises pydantic's
    ValidationError, whose errors `kb.claims` turns into located problems."""
    return model.__pydantic_validator__.validate_python(raw)  # type: ignore[attr-defined]


def as_data(value: Any, **options: Any) -> Any:
    """A value of the schema as plain data (pydantic's serializer: `mode="json"` for JSON
    types, `exclude_none=True` to leave out what is not set)."""
    return type(value).__pydantic_serializer__.to_python(value, **options)


def is_value_type(tp: Any) -> bool:
    """Whether `tp` is one of the schema's value classes (a pydantic dataclass)."""
    return isinstance(tp, type) and hasattr(tp, "__pydantic_fields__")


def fields_of(model: type) -> dict[str, Any]:
    """A value class's fields (name -> pydantic FieldInfo), in the file's order."""
    return model.__pydantic_fields__  # type: ignore[attr-defined]


# --- claims.yaml --------------------------------------------------------------------------

@_value
class Article:
    """The article under review, as published."""

    id: ClaimId
    title: Text
    publisher: Text
    url: str | None = Field(None, pattern=WEB_URL,
                            description="Where the article was published (http/https).")
    url_note: str | None = Field(None, description="Why the URL is missing or uncertain.")
    retrieved: dt.date | None = None
    text: Text = Field(description="Path of the article text, relative to the knowledge base.")
    sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$",
                               description="SHA-256 of the text file as reviewed.")


class QualityTool(enum.StrEnum):
    AMSTAR2 = "AMSTAR 2"
    ROB2 = "RoB 2"
    ROBINS_I = "ROBINS-I"
    PEDRO = "PEDro"
    COCHRANE_ROB = "Cochrane RoB"
    GRADE = "GRADE"
    OTHER = "other"


@_value
class Quality:
    """Risk of bias (RoB 2 terms) or review confidence (AMSTAR 2 terms), as the source states."""

    tool: QualityTool
    rating: Text
    source: str | None = Field(None, description="Who rated it (e.g. an including review).")


QUALITY_RATINGS: dict[QualityTool, tuple[str, ...]] = {
    QualityTool.AMSTAR2: ("high", "moderate", "low", "critically low"),
    QualityTool.ROB2: ("low", "some concerns", "high"),
    QualityTool.ROBINS_I: ("low", "moderate", "serious", "critical"),
    QualityTool.GRADE: ("high", "moderate", "low", "very low"),
}


@_value
class Verification:
    """Where a study's record was read and checked."""

    url: Annotated[str, Field(pattern=WEB_URL)]
    date: dt.date
    fields: tuple[str, ...] = ()
    note: str | None = None


@_value
class Appraisal:
    """The knowledge base's appraisal of one cited study, keyed by its BibTeX key."""

    design: Design
    participants: int | None = Field(None, ge=0)
    studies_included: int | None = Field(None, ge=0)
    population: str | None = None
    intervention: str | None = None
    comparator: str | None = None
    follow_up: Duration | None = Field(None, description="Longest follow-up reported.")
    quality: Quality | None = None
    includes: tuple[Key, ...] = Field((),
                                description="Included studies that are also in the bibliography.")
    summary: str | None = None
    checked: dt.date | None = Field(None, description=(
        "When the summary was last re-verified against its record."))
    caveat: str | None = Field(None, description=(
        "What the stored records did not show (a truncated abstract, a field from a secondary "
        "source), so readers know the limits of the appraisal."))
    verified: tuple[Verification, ...] = Field(min_length=1)

    @property
    def follow_up_weeks(self) -> float | None:
        return None if self.follow_up is None else parse_duration(self.follow_up)


@_value
class Pico:
    population: str | None = None
    intervention: str | None = None
    comparator: str | None = None
    outcome: str | None = None


class EffectMeasure(enum.StrEnum):
    """How an effect is expressed: differences (MD, SMD, RD), ratios (RR, OR, HR) or words."""

    MD = "MD"
    SMD = "SMD"
    RR = "RR"
    OR = "OR"
    RD = "RD"
    HR = "HR"
    NARRATIVE = "narrative"

    @property
    def is_ratio(self) -> bool:
        """Ratios are pooled on the log scale; their line of no effect is 1, not 0."""
        return self in (EffectMeasure.RR, EffectMeasure.OR, EffectMeasure.HR)

    @property
    def no_effect(self) -> float:
        return 1.0 if self.is_ratio else 0.0


@_value
class Effect:
    """The effect a link reports, as read in a stored record (`source`)."""

    measure: EffectMeasure
    value: float | None = Field(None, description="Point estimate (absent for 'narrative').")
    ci_low: float | None = Field(None, description="Lower bound of the 95% confidence interval.")
    ci_high: float | None = Field(None, description="Upper bound of the 95% confidence interval.")
    unit: str | None = Field(None, description="Scale or unit, e.g. 'VAS 0-10'.")
    direction: str | None = Field(None, description=(
        "Which way is benefit, e.g. 'lower is better'."))
    timepoint: str | None = Field(None, description="The follow-up the number belongs to.")
    comparator: str | None = None
    source: Annotated[str, Field(pattern=r"^https?://")] | None = Field(None, description=(
        "Address of the record the number was read in."))
    text: str | None = Field(None, description=(
        "The finding in our words (required when the measure is 'narrative')."))

    @property
    def timepoint_weeks(self) -> float | None:
        return None if self.timepoint is None else parse_duration(self.timepoint)


class GradeLevel(enum.StrEnum):
    """How much a GRADE domain moves certainty: one level (serious) or two (very serious)."""

    SERIOUS = "serious"
    VERY_SERIOUS = "very-serious"

    @property
    def steps(self) -> int:
        return 2 if self is GradeLevel.VERY_SERIOUS else 1


class DowngradeDomain(enum.StrEnum):
    RISK_OF_BIAS = "risk-of-bias"
    INCONSISTENCY = "inconsistency"
    INDIRECTNESS = "indirectness"
    IMPRECISION = "imprecision"
    PUBLICATION_BIAS = "publication-bias"


class UpgradeDomain(enum.StrEnum):
    LARGE_EFFECT = "large-effect"
    DOSE_RESPONSE = "dose-response"
    PLAUSIBLE_CONFOUNDING = "plausible-confounding"


@_value
class Downgrade:
    """A GRADE domain that lowered the certainty of a link, and why."""

    domain: DowngradeDomain
    level: GradeLevel
    reason: Text


@_value
class Upgrade:
    """A GRADE domain that raised the certainty of (observational) evidence, and why."""

    domain: UpgradeDomain
    level: GradeLevel
    reason: Text


@_value
class EvidenceLink:
    """One study bearing on one claim."""

    study: Key
    stance: Stance
    certainty: Certainty | None = Field(None, description=(
        "GRADE certainty of this evidence for this claim. Optional: context links need none; "
        "without it a supporting, refuting or mixed link gets the default from its study's "
        "design, lowered by its downgrades (see `kb.rules.default_certainty`), and "
        "`kb check` warns."))
    outcome: str | None = None
    follow_up: Duration | None = Field(None, description="The horizon this evidence speaks to.")
    locator: str | None = None
    note: Text
    participants: int | None = Field(None, ge=1, description=(
        "Number analysed in the comparison the link is about."))
    effect: Effect | None = None
    downgrades: tuple[Downgrade, ...] = ()
    upgrades: tuple[Upgrade, ...] = ()
    checked: dt.date | None = Field(None, description=(
        "When the note was last re-verified against its record."))

    @property
    def follow_up_weeks(self) -> float | None:
        return None if self.follow_up is None else parse_duration(self.follow_up)


def expected_certainty(design: Design, link: EvidenceLink) -> Certainty | None:
    """The certainty GRADE gives a link: its design's start minus downgrades plus upgrades.

    None when the design is not rated, or is a review whose link gives no downgrades or
    upgrades (a review's own rating is then taken as it is).

    >>> link = EvidenceLink(study="x", stance="supports", certainty="low", note="n",
    ...                     downgrades=[{"domain": "risk-of-bias", "level": "serious",
    ...                                  "reason": "no blinding"}])
    >>> expected_certainty(Design.RCT, link)
    <Certainty.MODERATE: 'moderate'>
    """
    start = GRADE_START.get(design, GradeStart.NOT_RATED)
    if start is GradeStart.NOT_RATED:
        return None
    if start is GradeStart.AS_RATED and not (link.downgrades or link.upgrades):
        return None
    rank = Certainty.LOW.rank if start is GradeStart.LOW else Certainty.HIGH.rank
    rank -= sum(d.level.steps for d in link.downgrades)
    rank += sum(u.level.steps for u in link.upgrades)
    return Certainty.from_rank(rank)


@_value
class Override:
    verdict: Verdict
    rationale: str | None = None


@_value
class Review:
    status: ReviewStatus = ReviewStatus.DRAFT
    reviewer: str | None = None
    date: dt.date | None = None
    note: str | None = Field(None, description="The reviewer's note on this claim.")
    override: Override | None = None


@_value
class Claim:
    """One statement of the article, anchored to its exact words."""

    id: ClaimId
    quote: Text
    statement: Text
    short: str | None = Field(None, min_length=1, description=(
        "The editor's own short form of the statement, faithful to it, for ClaimReview's "
        "claimReviewed (kb check warns above 75 characters)."))
    kind: ClaimKind
    checkable: bool = True
    not_checkable_reason: str | None = None
    pico: Pico | None = None
    horizon: Horizon | None = Field(None, description=(
        "The time frame the claim speaks about. 'long-term' makes a safety claim one about "
        "harms over time (the long-term flag applies to it) and a state-of-evidence claim one "
        "asserting that long-term evidence is lacking (graded from the base by the "
        "state-of-evidence rules)."))
    evidence: tuple[EvidenceLink, ...] = ()
    contradicts: tuple[ClaimId, ...] = Field((), description=(
        "Ids of other claims of the same article that assert the opposite about the same "
        "outcome (the article contradicts itself)."))
    review: Review = Field(default_factory=Review)


@_value
class Settings:
    """Per-knowledge-base thresholds of the verdict rules (see `kb.rules`)."""

    short_term_weeks: float = Field(12, gt=0, description=(
        "Up to this many weeks after treatment is short-term (musculoskeletal trials' "
        "convention: short <= 3 months)."))
    long_term_weeks: float = Field(52, gt=0, description=(
        "From this many weeks on is long-term (>= 12 months); between the two is intermediate."))
    supported_min_certainty: Certainty = Field(Certainty.MODERATE, description=(
        "Best certainty of supporting evidence needed for 'supported'."))
    supported_min_studies: int = Field(2, ge=1, description=(
        "Distinct supporting studies needed for 'supported'."))
    mixed_margin: int = Field(1, ge=0, le=3, description=(
        "How refuting evidence weighs against support: refuting links within this many GRADE "
        "levels of the best supporting link make the verdict 'mixed' (0: only equal or "
        "stronger refutation counts; stronger refutation always makes it 'contradicted')."))


@pydantic_dataclass(frozen=True, slots=True, kw_only=True, config=ConfigDict(
    extra="forbid", populate_by_name=True,
    title="Evidence-review knowledge base: claims.yaml"))
class ClaimsFile:
    """Top level of `claims.yaml`."""

    schema_: str | None = Field(None, alias="$schema")
    schema_version: int = SCHEMA_VERSION
    article: Article
    settings: Settings = Field(default_factory=Settings)
    studies: dict[Key, Appraisal] = Field(default_factory=dict)
    claims: tuple[Claim, ...] = ()


# --- the loaded knowledge base -------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Reference:
    """One BibTeX entry, fields as written (LaTeX not decoded; see `kb.text.display`)."""

    key: str
    entry_type: str
    fields: Mapping[str, str]
    line: int

    def get(self, name: str) -> str | None:
        value = self.fields.get(name)
        return value if value else None

    @property
    def doi(self) -> str | None:
        return self.get("doi")

    @property
    def pmid(self) -> str | None:
        return self.get("pmid")

    @property
    def year(self) -> str | None:
        return self.get("year") or (self.get("date") or "")[:4] or None


@dataclass(frozen=True, slots=True)
class InvalidClaim:
    """A claim entry that failed validation: kept so it is reported, shown and not graded."""

    index: int
    id: str
    quote: str          # "" unless the entry's quote is text
    statement: str
    reason: str
    # (position, study key) of its links whose key is well-formed, still checked.
    links: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything loaded from one knowledge-base folder. Parts that failed to load are empty."""

    root: str
    article: Article | None = None
    article_text: str | None = None
    settings: Settings = field(default_factory=Settings)
    references: Mapping[str, Reference] = field(default_factory=dict)
    studies: Mapping[str, Appraisal] = field(default_factory=dict)
    claims: tuple[Claim, ...] = ()
    invalid_claims: tuple[InvalidClaim, ...] = ()
    # Position of each valid claim in the file's `claims:` list (invalid ones leave gaps).
    claim_positions: tuple[int, ...] = ()
    invalid_studies: frozenset[str] = frozenset()
    # Data path (e.g. "claims[3].evidence[0].study") -> 1-based line in claims.yaml.
    lines: Mapping[str, int] = field(default_factory=dict)
    claims_file: str = "claims.yaml"
    bib_file: str = "references.bib"
    # Quote -> occurrences in `article_text`, known from an earlier load of the same text.
    quote_counts: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)

    def claim(self, claim_id: str) -> Claim | None:
        return self._claims_by_id.get(claim_id)

    @cached_property
    def _claims_by_id(self) -> dict[str, Claim]:
        by_id: dict[str, Claim] = {}
        for c in self.claims:
            by_id.setdefault(c.id, c)  # with duplicate ids (an error) the first one wins
        return by_id

    @cached_property
    def article_index(self) -> ArticleIndex | None:
        """The article text prepared for quote look-ups, built once per loaded base."""
        return None if self.article_text is None else ArticleIndex(self.article_text,
                                                                   self.quote_counts)

    def claims_with_index(self) -> Iterator[tuple[int, Claim]]:
        """Each valid claim with its position in the file, for data paths like claims[3]."""
        positions = self.claim_positions or range(len(self.claims))
        return zip(positions, self.claims, strict=False)

    def line_of(self, path: str) -> int | None:
        """The closest known line for a data path (falls back to its parents)."""
        return nearest_line(self.lines, path)


def nearest_line(lines: Mapping[str, int], path: str) -> int | None:
    """The line of a data path, or of its closest parent that has one."""
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None
