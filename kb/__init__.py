"""Evidence-review knowledge base: claims of an article, the studies that bear on them,
an evidence graph and explainable verdicts."""

import importlib
from typing import Any

# The public names and the module each comes from. They are imported on first use, so that
# `import kb.cli` (and so every `kb` command) does not pay for networkx, numpy and Jinja2
# when the command does not need them.
_WHERE = {
    "Appraisal": "kb.model",
    "Article": "kb.model",
    "Bibliography": "kb.bibliography",
    "CHECKS": "kb.checks",
    "Certainty": "kb.model",
    "Claim": "kb.model",
    "ClaimKind": "kb.model",
    "ClaimsDocument": "kb.claims",
    "Design": "kb.model",
    "Effect": "kb.model",
    "EvidenceLink": "kb.model",
    "Grade": "kb.grading",
    "HORIZONS": "kb.rules",
    "KnowledgeBase": "kb.model",
    "LONG_TERM_SCOPE": "kb.rules",
    "LongTerm": "kb.model",
    "Problem": "kb.problems",
    "RULES": "kb.rules",
    "Reference": "kb.model",
    "Report": "kb.problems",
    "Rule": "kb.rules",
    "Settings": "kb.model",
    "Severity": "kb.problems",
    "Stance": "kb.model",
    "Verdict": "kb.model",
    "author_names": "kb.bibliography",
    "build_graph": "kb.graph",
    "claims_resting_on": "kb.graph",
    "evidence_for": "kb.graph",
    "evidence_gaps": "kb.graph",
    "forest_plots": "kb.sof",
    "grade": "kb.grading",
    "grade_all": "kb.grading",
    "horizon_of": "kb.rules",
    "json_schema": "kb.claims",
    "load_bibliography": "kb.bibliography",
    "load_claims": "kb.claims",
    "load_kb": "kb.load",
    "long_term_applies": "kb.rules",
    "neighbourhood": "kb.graph",
    "orphans": "kb.graph",
    "parse_bibliography": "kb.bibliography",
    "parse_duration": "kb.model",
    "plain_statement": "kb.grading",
    "pool_effects": "kb.sof",
    "review_overlap": "kb.graph",
    "run_checks": "kb.checks",
    "sof_records": "kb.sof",
    "sof_rows": "kb.sof",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kb' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


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
