"""kb.claims: every defect of claims.yaml is reported with its code and line, never raised."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import BROKEN, KB_MIN, make_kb
from kb.claims import json_schema, load_claims, parse_claims
from kb.load import load_kb

# (fixture, code, line): the line an editor must go to.
CASES = [
    ("yaml_syntax", "yaml-syntax", 35),
    ("duplicate_key", "yaml-duplicate-key", 36),
    ("duplicate_claim_id", "claim-duplicate-id", 41),
    ("unknown_field", "schema-unknown-field", 13),
    ("bad_vocabulary", "schema-vocabulary", 38),
    ("missing_field", "schema-missing", 32),
    ("wrong_type", "schema-type", 12),
    ("unknown_study", "claim-unknown-study", 52),
    ("unappraised_study", "claim-study-not-appraised", 31),
    ("includes_unknown", "review-includes-unknown", 21),
    ("quote_not_found", "claim-quote-not-found", 42),
    ("article_changed", "article-changed", 8),
    ("bad_duration", "duration-invalid", 50),
    ("override_no_rationale", "override-no-rationale", 65),
    ("python_tag", "yaml-tag", 27),
    ("yaml_bomb", "yaml-alias", 1),
    ("empty", "file-empty", 1),
    ("not_utf8", "file-encoding", 34),
    ("top_level_list", "schema-type", 1),
    ("bad_quality_rating", "schema-vocabulary", 16),
    ("effect_interval", "effect-interval-order", 53),
    ("narrative_no_text", "effect-narrative-no-text", 41),
]


@pytest.mark.parametrize(("name", "code", "line"), CASES, ids=[c[0] for c in CASES])
def test_each_defect_is_located(tmp_path: Path, name: str, code: str, line: int) -> None:
    kb_dir = make_kb(tmp_path, claims=BROKEN / f"{name}.claims.yaml")
    _, report = load_kb(str(kb_dir))
    errors = [(p.code, p.file, p.line) for p in report.errors]
    assert errors == [(code, "claims.yaml", line)]
    assert all(p.hint for p in report)


def test_fixture_table_covers_every_broken_claims_file() -> None:
    names = {p.name.removesuffix(".claims.yaml") for p in BROKEN.glob("*.claims.yaml")}
    assert names == {c[0] for c in CASES}


def test_did_you_mean_for_vocabulary_and_fields(tmp_path: Path) -> None:
    for name, expected in (("bad_vocabulary", "did you mean 'supports'?"),
                           ("unknown_field", "did you mean 'summary'?")):
        _, report = load_kb(str(make_kb(tmp_path / name, claims=BROKEN / f"{name}.claims.yaml")))
        assert report.errors[0].hint == expected


def test_minimal_base_loads_clean() -> None:
    kb, report = load_kb(str(KB_MIN))
    assert report.valid and not report.warnings
    assert [c.id for c in kb.claims] == ["very-safe", "short-term-pain", "long-term-unknown"]
    assert kb.studies["gamma2021review"].includes == ("alpha2020trial",)


def test_python_tag_is_never_executed(tmp_path: Path) -> None:
    doc = load_claims(str(BROKEN / "python_tag.claims.yaml"))
    assert [p.code for p in doc.problems] == ["yaml-tag"]
    assert doc.article is None and not doc.claims


def test_deep_nesting_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "claims.yaml"
    path.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    doc = load_claims(str(path))
    assert doc.problems and doc.problems[0].code in ("yaml-too-deep", "yaml-syntax")


def test_invalid_claim_is_kept_for_reporting(tmp_path: Path) -> None:
    kb, _ = load_kb(str(make_kb(tmp_path, claims=BROKEN / "bad_vocabulary.claims.yaml")))
    assert [c.id for c in kb.invalid_claims] == ["very-safe"]
    assert kb.invalid_claims[0].quote.startswith("Needling is")


def test_json_schema_matches_the_published_file() -> None:
    import json

    published = Path(__file__).resolve().parent.parent / "schema" / "claims.schema.json"
    assert json.loads(published.read_text(encoding="utf-8")) == json_schema()


def _same_doc(a, b) -> None:
    for name in ("article", "settings", "studies", "claims", "invalid_claims", "claim_positions",
                 "invalid_studies", "problems"):
        assert getattr(a, name) == getattr(b, name), name
    assert dict(a.lines.items()) == dict(b.lines.items())


@pytest.mark.parametrize("path", [Path(__file__).resolve().parent.parent / "claims.yaml",
                                  KB_MIN / "claims.yaml",
                                  *sorted(p for p in BROKEN.glob("*.claims.yaml")
                                          if p.name != "not_utf8.claims.yaml")],
                         ids=lambda p: p.name if p.parent.name == "broken" else str(p.parent.name))
def test_parse_by_blocks_equals_whole_parse(path: Path) -> None:
    from kb.claims import _parse_whole, parse_claims, reusable_entries

    text = path.read_text(encoding="utf-8")
    whole = _parse_whole(text, "claims.yaml")
    first = parse_claims(text)
    _same_doc(first, whole)
    _same_doc(parse_claims(text, reuse=reusable_entries(first)), whole)  # every entry reused


def test_reuse_reparses_only_the_edited_claim() -> None:
    from kb.claims import parse_claims, reusable_entries

    text = (Path(__file__).resolve().parent.parent / "claims.yaml").read_text(encoding="utf-8")
    first = parse_claims(text)
    edited = text.replace("Dry needling is very safe.", "Dry needling is safe.", 1)
    doc = parse_claims(edited, reuse=reusable_entries(first))
    fresh = [c for c in doc.claims if not any(c is old for old in first.claims)]
    assert [c.statement for c in fresh] == ["Dry needling is safe."]
    assert all(a is b for a, b in zip(doc.studies.values(), first.studies.values()))
    _same_doc(doc, parse_claims(edited))


def test_claim_blocks_cover_every_entry_with_its_lines() -> None:
    from kb.claims import block_hash, claim_blocks

    text = (Path(__file__).resolve().parent.parent / "claims.yaml").read_text(encoding="utf-8")
    blocks = claim_blocks(text)
    doc = parse_claims(text)
    claims = [b for b in blocks if b.kind == "claim"]
    assert [b.name for b in claims] == [c.id for c in doc.claims]
    assert [b.name for b in blocks if b.kind == "study"] == list(doc.studies)
    lines = text.splitlines(keepends=True)
    for b in blocks:
        assert "".join(lines[b.start_line - 1:b.end_line]) == text[b.start:b.end]
        assert b.hash == block_hash(b.kind, text[b.start:b.end])
    for i, b in enumerate(claims):
        assert doc.lines[f"claims[{i}]"] == b.start_line
    assert all(x.end <= y.start for x, y in zip(blocks, blocks[1:]))


@pytest.mark.parametrize("text", ["claims:\n\t- id: a\n", "--- \nclaims: []\n",
                                  "claims:\n  - id: a\nclaims:\n  - id: b\n",
                                  "stray text\nclaims:\n  - id: a\n"])
def test_claim_blocks_refuse_unusual_layouts(text: str) -> None:
    from kb.claims import claim_blocks

    assert claim_blocks(text) is None


# Values YAML constructs that the schema cannot hold: each a located problem, never a raise.
_MIN = (KB_MIN / "claims.yaml").read_text(encoding="utf-8")
VALUE_CASES = [
    # a verified date that does not exist (line 15 of the minimal base's first study)
    ("invalid_date", _MIN.replace("        date: 2026-11-01", "        date: 2026-02-30", 1),
     "yaml-value", 16),
    ("invalid_retrieved", _MIN.replace("retrieved: 2026-11-01", "retrieved: 2026-13-01"),
     "yaml-value", 6),
    ("huge_integer", _MIN.replace("studies:", "settings:\n  supported_min_studies: "
                                  + "9" * 5000 + "\nstudies:", 1), "yaml-value", 10),
    ("huge_participants", _MIN.replace("participants: 60", "participants: 1" + "0" * 4400),
     "yaml-value", 12),
    ("nan_weeks", _MIN.replace("studies:", "settings:\n  long_term_weeks: .nan\nstudies:", 1),
     "yaml-value", 10),
    ("inf_weeks", _MIN.replace("studies:", "settings:\n  short_term_weeks: .inf\nstudies:", 1),
     "yaml-value", 10),
    ("overflow_float", _MIN.replace("participants: 60", "participants: 1.0e+999"),
     "yaml-value", 12),
]


@pytest.mark.parametrize(("name", "text", "code", "line"), VALUE_CASES,
                         ids=[c[0] for c in VALUE_CASES])
def test_unrepresentable_values_are_located(tmp_path: Path, name: str, text: str, code: str,
                                            line: int) -> None:
    from kb.cache import load_kb_cached

    kb_dir = make_kb(tmp_path, claims=text)
    _, report = load_kb(str(kb_dir))
    assert [(p.code, p.file, p.line) for p in report.errors] == [(code, "claims.yaml", line)]
    assert all(p.hint for p in report.errors)
    assert load_kb_cached(str(kb_dir))[1].codes() == report.codes()
