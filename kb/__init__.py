"""Evidence-review knowledge base: claims of an article, the studies that bear on them,
an evidence graph and explainable verdicts."""

from kb.bibliography import Bibliography, author_names, load_bibliography, parse_bibliography
from kb.checks import CHECKS, run_checks
from kb.claims import ClaimsDocument, json_schema, load_claims
from kb.grading import Grade, grade, grade_all, plain_statement
from kb.graph import (
    build_graph,
    claims_resting_on,
    evidence_for,
    evidence_gaps,
    neighbourhood,
    orphans,
    review_overlap,
)
from kb.load import load_kb
from kb.model import (
    Appraisal,
    Article,
    Certainty,
    Claim,
    ClaimKind,
    Design,
    Effect,
    EvidenceLink,
    KnowledgeBase,
    LongTerm,
    Reference,
    Settings,
    Stance,
    Verdict,
    parse_duration,
)
from kb.problems import Problem, Report, Severity
from kb.rules import HORIZONS, LONG_TERM_SCOPE, RULES, Rule, horizon_of, long_term_applies
from kb.sof import forest_plots, pool_effects, sof_records, sof_rows

__all__ = [
    "CHECKS", "HORIZONS", "LONG_TERM_SCOPE", "RULES",
    "Appraisal", "Article", "Bibliography", "Certainty", "Claim", "ClaimKind", "ClaimsDocument",
    "Design", "Effect", "EvidenceLink", "Grade", "LongTerm", "KnowledgeBase", "Problem", "Reference", "Report", "Rule",
    "Settings", "Severity", "Stance", "Verdict",
    "author_names", "build_graph", "claims_resting_on", "evidence_for", "evidence_gaps",
    "forest_plots", "grade", "grade_all", "horizon_of", "json_schema", "load_bibliography",
    "load_claims", "load_kb", "long_term_applies", "neighbourhood", "orphans",
    "parse_bibliography", "parse_duration", "plain_statement", "pool_effects",
    "review_overlap", "run_checks", "sof_records", "sof_rows",
]
