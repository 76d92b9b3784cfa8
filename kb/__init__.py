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
    EvidenceLink,
    KnowledgeBase,
    Reference,
    Settings,
    Stance,
    Verdict,
    parse_duration,
)
from kb.problems import Problem, Report, Severity
from kb.rules import HORIZONS, RULES, Rule, horizon_of

__all__ = [
    "CHECKS", "HORIZONS", "RULES",
    "Appraisal", "Article", "Bibliography", "Certainty", "Claim", "ClaimKind", "ClaimsDocument",
    "Design", "EvidenceLink", "Grade", "KnowledgeBase", "Problem", "Reference", "Report", "Rule",
    "Settings", "Severity", "Stance", "Verdict",
    "author_names", "build_graph", "claims_resting_on", "evidence_for", "evidence_gaps", "grade",
    "grade_all", "horizon_of", "json_schema", "load_bibliography", "load_claims", "load_kb",
    "neighbourhood", "orphans", "parse_bibliography", "parse_duration", "plain_statement",
    "review_overlap", "run_checks",
]
