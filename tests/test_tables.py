"""Row builders shared by the CLI, the reports and the dashboard (kb.tables)."""

from __future__ import annotations

from conftest import KB_MIN, ROOT
from kb.exports import RECORD_KEYS, verdict_records
from kb.grading import grade_all
from kb.load import load_kb
from kb.model import Stance
from kb.tables import (
    NOT_REPORTED,
    claim_rows,
    evidence_rows,
    short_text,
    split_on_keys,
    study_label,
    weeks_text,
)


def test_claim_rows_follow_the_file_and_count_links() -> None:
    kb, report = load_kb(str(ROOT))
    grades = grade_all(kb, report)
    rows = claim_rows(kb, grades)
    assert [r["id"] for r in rows] == [c.id for c in kb.claims]
    for row, claim in zip(rows, kb.claims, strict=True):
        g = grades[claim.id]
        assert row["verdict"] == g.verdict.value and row["rule"] == g.rule
        assert row["studies"] == len({e.study for e in claim.evidence})
        for stance in Stance:
            assert row[stance.value] == sum(e.stance is stance for e in claim.evidence)
        assert len(row["short_statement"]) <= 60
        assert claim.statement.startswith(row["short_statement"].rstrip("…"))


def test_verdict_records_are_claim_rows_in_the_stable_shape() -> None:
    kb, report = load_kb(str(KB_MIN))
    grades = grade_all(kb, report)
    records = verdict_records(kb, grades)
    assert [tuple(r) for r in records] == [RECORD_KEYS] * len(records)
    assert records == [{k: r[k] for k in RECORD_KEYS} for r in claim_rows(kb, grades)]


def test_evidence_rows_use_words_and_one_unit() -> None:
    kb, _ = load_kb(str(ROOT))
    for claim in kb.claims:
        rows = evidence_rows(kb, claim)
        assert [r["key"] for r in rows] == [e.study for e in claim.evidence]
        for r in rows:
            assert r["study"] == study_label(kb, r["key"])
            text = r["follow_up_text"]
            assert (text in ("immediate", NOT_REPORTED) or text.endswith(("week", "weeks"))
                    or text.endswith("(no time point)")), text
            assert "None" not in text
            if r["weeks"] is not None and r["weeks"] > 0:
                assert text == weeks_text(r["weeks"])


def test_small_helpers() -> None:
    assert weeks_text(28 / 7) == "4 weeks"
    assert weeks_text(1.0) == "1 week"
    assert weeks_text(52 / 12) == "4.3 weeks"
    assert short_text("a " * 50, 10).endswith("…")
    assert short_text("short") == "short"
    assert split_on_keys("see a-1 and b, not xa-1", ["a-1", "b"]) == [
        ("see ", None), ("a-1", "a-1"), (" and ", None), ("b", "b"), (", not xa-1", None)]
