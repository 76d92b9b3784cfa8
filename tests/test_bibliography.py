"""kb.bibliography: the BibTeX people really have loads; broken BibTeX yields located problems."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import pytest

from conftest import BROKEN, CORPUS, make_kb, requires_shared
from kb.bibliography import author_names, load_bibliography, parse_bibliography
from kb.load import load_kb

CASES = [
    ("unclosed_brace", "bib-syntax", 1),
    ("duplicate_key", "bib-duplicate-key", 28),
    ("duplicate_field", "bib-duplicate-field", 1),
    ("bad_doi", "bib-doi-malformed", 17),
    ("bad_year", "bib-year-implausible", 16),
    ("missing_field", "bib-missing-field", 12),
    ("bad_url", "bib-url-malformed", 25),
]


@pytest.mark.parametrize(("name", "code", "line"), CASES, ids=[c[0] for c in CASES])
def test_each_defect_is_located(name: str, code: str, line: int) -> None:
    bib = load_bibliography(str(BROKEN / f"{name}.bib"))
    assert [(p.code, p.file, p.line) for p in bib.problems] == [(code, "references.bib", line)]


def test_duplicate_field_entry_stays_usable(tmp_path: Path) -> None:
    kb, report = load_kb(str(make_kb(tmp_path, bib=BROKEN / "duplicate_field.bib")))
    assert "alpha2020trial" in kb.references
    assert kb.references["alpha2020trial"].doi == "10.1234/jt.2020.1"
    assert [p.code for p in report.errors] == ["bib-duplicate-field"]


def test_unclosed_brace_keeps_the_other_entries() -> None:
    bib = load_bibliography(str(BROKEN / "unclosed_brace.bib"))
    assert set(bib.references) == {"gamma2021review", "delta2019survey"}


def test_author_names_use_bibtex_rules() -> None:
    assert author_names("Gattie, Eric and Cleland, Joshua A. and de la Cruz, Ana") == (
        "Gattie, Eric", "Cleland, Joshua A.", "de la Cruz, Ana")
    assert author_names("Eric Gattie") == ("Gattie, Eric",)


def test_year_bound_is_a_parameter() -> None:
    bib = parse_bibliography("@article{a, author={A, B}, title={T}, journal={J}, year={2031}}",
                             max_year=2030)
    assert [p.code for p in bib.problems] == ["bib-year-implausible"]


def _manifest() -> list[dict[str, str]]:
    with open(CORPUS / "MANIFEST.tsv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _malformed(row: dict[str, str]) -> bool:
    outcome = row["baseline_parse_outcome (bibtexparser 2.1.0 parse_file; pybtex 0.26.1 strict)"]
    notes = row["notable_features"]
    return ("failed_blocks" in outcome or "brace count off" in notes or "empty key" in notes
            or "duplicate keys" in notes)


CORPUS_ROWS = _manifest() if CORPUS.is_dir() else []


@requires_shared
@pytest.mark.corpus
@pytest.mark.parametrize("row", [r for r in CORPUS_ROWS if not _malformed(r)],
                         ids=lambda r: r["file"])
def test_well_formed_corpus_file_loads_every_entry(row: dict[str, str],
                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.CRITICAL, logger="bibtexparser")
    bib = load_bibliography(str(CORPUS / row["file"]), row["file"])
    assert len(bib.references) == int(row["entries"])
    assert not [p for p in bib.problems if p.code in ("bib-syntax", "bib-duplicate-key")]
    assert all(p.line for p in bib.problems)


@requires_shared
@pytest.mark.corpus
@pytest.mark.parametrize("row", [r for r in CORPUS_ROWS if _malformed(r)],
                         ids=lambda r: r["file"])
def test_malformed_corpus_file_yields_located_problems(row: dict[str, str],
                                                       caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.CRITICAL, logger="bibtexparser")
    bib = load_bibliography(str(CORPUS / row["file"]), row["file"])
    assert bib.problems, "a malformed file must report what is wrong"
    assert all(p.file == row["file"] and p.line and p.line >= 1 for p in bib.problems
               if p.code != "bib-missing-field")
    assert bib.entry_count or row["entries"] == "0"


@requires_shared
@pytest.mark.corpus
def test_corpus_is_all_covered() -> None:
    listed = {r["file"] for r in CORPUS_ROWS}
    on_disk = {p.name for p in CORPUS.glob("*.bib")}
    assert listed == on_disk


@requires_shared
@pytest.mark.corpus
@pytest.mark.parametrize("row", CORPUS_ROWS, ids=lambda r: r["file"])
def test_a_file_parsed_in_pieces_equals_the_whole_parse(row: dict[str, str]) -> None:
    """Real files cut into pieces of 20,000 characters: same references (in order), same
    problems (in order, lines included), same entry count as one parse of the whole text."""
    from kb.bibliography import _pieces, parse_bibliography
    from kb.sources import read_text

    text, _ = read_text(str(CORPUS / row["file"]), row["file"])
    assert text is not None
    whole = parse_bibliography(text, row["file"], max_year=2030, piece_chars=10**12)
    pieced = parse_bibliography(text, row["file"], max_year=2030, piece_chars=20_000)
    assert list(pieced.references.items()) == list(whole.references.items())
    assert pieced.problems == whole.problems
    assert pieced.entry_count == whole.entry_count


@requires_shared
@pytest.mark.corpus
def test_pieces_are_really_used_on_the_corpus() -> None:
    """The comparison above means something only if real files were cut: several large ones
    must be (files with @string macros or parenthesised blocks are parsed whole, by design)."""
    from kb.bibliography import _pieces
    from kb.sources import read_text

    cut = [r["file"] for r in CORPUS_ROWS
           if _pieces(read_text(str(CORPUS / r["file"]), r["file"])[0] or "", 20_000)]
    assert len(cut) >= 4, cut
