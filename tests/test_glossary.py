"""The glossary covers every term of the vocabularies and every term the pages explain."""

from __future__ import annotations

import re

import pytest

from conftest import ROOT
from kb.glossary import GROUPS, entries, lookup
from kb import model
from kb.model import Certainty, ClaimKind, Design, QualityTool, Settings, Stance, Verdict
from kb.rules import HORIZONS, RULES

VOCABULARIES = {
    "verdict": [v.value for v in Verdict],
    "certainty": [c.value for c in Certainty] + ["grade"],
    "stance": [s.value for s in Stance],
    "horizon": [*HORIZONS, "unknown"],
    "design": [d.value for d in Design],
    "kind": [k.value for k in ClaimKind],
    "rule": [r.id for r in RULES] + ["not-graded"],
    "tool": [t.value for t in QualityTool],
    # Effect sizes and GRADE's reasons to rate down or up (summaries of findings).
    "effect": [m.value for m in getattr(model, "EffectMeasure", ())] + ["ci"],
    "domain": [d.value for name in ("DowngradeDomain", "UpgradeDomain")
               for d in getattr(model, name, ())],
    # Words the issue names for lay readers.
    "term": ["pico", "mtrp", "locator", "overlap", "cca", "lacking-long-term", "follow-up",
             "horizon", "stance", "certainty", "verdict", "rule", "override"],
}


@pytest.mark.parametrize("group", sorted(VOCABULARIES))
def test_every_vocabulary_value_has_an_entry(group: str) -> None:
    known = lookup()
    missing = [key for key in VOCABULARIES[group] if (group, key) not in known]
    assert not missing


def test_every_term_the_pages_use_has_an_entry() -> None:
    """Terms are looked up by literal (group, key) in the pages; each one must exist."""
    known = lookup()
    used = set()
    for path in [ROOT / "app.py", *sorted((ROOT / "dashboard").glob("*.py"))]:
        source = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'term(?:_help|_html)?\(\s*"(\w+)",\s*"([^"]+)"', source))
    assert used, "no glossary look-ups found in the pages"
    assert sorted(u for u in used if u not in known) == []


def test_entries_are_plain_and_complete() -> None:
    es = entries(Settings(short_term_weeks=10, long_term_weeks=40))
    assert {e.group for e in es} <= set(GROUPS)
    anchors = [e.anchor for e in es]
    assert len(anchors) == len(set(anchors))
    for e in es:
        assert e.term and len(e.text) > 15, e
        assert "{" not in e.text, e  # thresholds filled in
    horizons = {e.key: e.text for e in es if e.group == "horizon"}
    assert "10 weeks" in horizons["short-term"] and "40 weeks" in horizons["long-term"]


def test_terms_named_in_text_are_found() -> None:
    from kb.glossary import ALIASES, terms_in

    known = lookup()
    assert all(k in known for k in ALIASES)
    found = {(e.group, e.key) for e in terms_in(
        "Needling myofascial trigger points (MTrPs); a PEDro score of 7 in an RCT.")}
    assert found == {("term", "mtrp"), ("tool", "PEDro"), ("design", "rct")}
    assert terms_in("grade the evidence") == []  # only GRADE in capitals is the method


def test_every_design_has_a_colour_group_in_the_graph() -> None:
    from dashboard.graphview import DESIGN_GROUPS

    grouped = [d for _, designs in DESIGN_GROUPS.values() for d in designs]
    assert sorted(grouped) == sorted(Design) and len(grouped) == len(set(grouped))
