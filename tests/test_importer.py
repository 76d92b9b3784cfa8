"""kb.importer: RIS and BibTeX merge with duplicate detection; existing entries untouched."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import FIXTURES, KB_MIN, make_kb
from kb.bibliography import load_bibliography
from kb.cli import main
from kb.csl import to_csl
from kb.importer import import_into, make_key, normalise_doi, plan_import, read_incoming
from kb.load import load_kb

RIS = FIXTURES / "import" / "pubmed_with_duplicates.ris"


def test_ris_duplicates_are_found_by_doi_title_and_within_the_file() -> None:
    bib = load_bibliography(str(KB_MIN / "references.bib"))
    incoming, problems = read_incoming(str(RIS))
    assert problems == [] and len(incoming) == 5
    plan = plan_import(bib.references, incoming)
    assert [(s.duplicate_of, s.reason) for s in plan.skipped] == [
        ("alpha2020trial", "same DOI"), ("gamma2021review", "same title"),
        ("muller2019needling", "same DOI")]
    assert [r.key for r in plan.added] == ["muller2019needling", "omega2022dry"]
    new = plan.added[0]
    assert new.fields["pmid"] == "31234567" and new.fields["doi"] == "10.5555/ft.2019.55"
    assert new.fields["pages"] == "55--61" and new.entry_type == "article"
    assert plan.added[1].entry_type == "techreport"
    assert "{" not in plan.added[1].fields["title"]  # unbalanced brace dropped


def test_import_appends_and_keeps_every_existing_byte(tmp_path: Path, capsys) -> None:
    kb_dir = make_kb(tmp_path)
    bib_path = kb_dir / "references.bib"
    before = bib_path.read_bytes()
    assert main(["import", str(RIS), "--kb", str(kb_dir)]) == 0
    after = bib_path.read_bytes()
    assert after.startswith(before)
    kb, report = load_kb(str(kb_dir))
    assert "muller2019needling" in kb.references and "omega2022dry" in kb.references
    assert not [p for p in report.errors if p.file == "references.bib"]
    # Importing the same file again changes nothing.
    assert main(["import", str(RIS), "--kb", str(kb_dir)]) == 0
    assert bib_path.read_bytes() == after
    assert "0 to add" in capsys.readouterr().out


def test_dry_run_writes_nothing(tmp_path: Path, capsys) -> None:
    kb_dir = make_kb(tmp_path)
    before = (kb_dir / "references.bib").read_bytes()
    assert main(["import", str(RIS), "--kb", str(kb_dir), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Dry run: nothing written.")
    assert "+ muller2019needling" in out and "= A randomised trial" in out
    assert (kb_dir / "references.bib").read_bytes() == before


def test_bibtex_import_renames_clashing_keys(tmp_path: Path) -> None:
    other = tmp_path / "other.bib"
    other.write_text("@article{alpha2020trial,\n  author = {Zed, Zoe},\n  title = {Something "
                     "else entirely},\n  journal = {J},\n  year = {2020},\n}\n", encoding="utf-8")
    bib = load_bibliography(str(KB_MIN / "references.bib"))
    incoming, _ = read_incoming(str(other))
    plan = plan_import(bib.references, incoming)
    assert [r.key for r in plan.added] == ["zed2020something"]


def test_failed_write_leaves_the_old_file(tmp_path: Path, monkeypatch) -> None:
    kb_dir = make_kb(tmp_path)
    bib_path = kb_dir / "references.bib"
    before = bib_path.read_bytes()
    incoming = read_incoming(str(RIS))[0]

    def crash(src: str, dst: str) -> None:
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        import_into(str(bib_path), incoming)
    assert bib_path.read_bytes() == before
    assert [p.name for p in kb_dir.iterdir() if p.name.endswith(".tmp")] == []


def test_round_trip_ris_to_bib_to_csl_keeps_the_essentials(tmp_path: Path) -> None:
    kb_dir = make_kb(tmp_path)
    incoming, _ = read_incoming(str(RIS))
    import_into(str(kb_dir / "references.bib"), incoming)
    ref = load_bibliography(str(kb_dir / "references.bib")).references["muller2019needling"]
    csl = to_csl(ref)
    assert csl["author"] == [{"family": "Müller", "given": "Jörg"},
                             {"family": "Núñez", "given": "Ana"}]
    assert csl["title"] == "Needling for plantar heel pain: a randomised trial"
    assert csl["issued"] == {"date-parts": [[2019]]}
    assert csl["DOI"] == "10.5555/ft.2019.55" and csl["PMID"] == "31234567"


def test_unreadable_ris_is_a_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ris"
    bad.write_text("this is not RIS at all\n", encoding="utf-8")
    refs, problems = read_incoming(str(bad))
    assert refs == [] and problems and problems[0].file == "bad.ris"


def test_helpers() -> None:
    assert normalise_doi("https://doi.org/10.1/ABC") == "10.1/abc"
    taken = {"smith2020needling"}
    assert make_key({"author": "Smith, Sam", "year": "2020", "title": "The needling"},
                    taken) == "smith2020needlinga"


@pytest.mark.parametrize("title,author,year,duplicate", [
    ("Dry needling for neck pain: a randomised trial.", "Smith, Ann", "2020", True),
    ("Dry needling for neck pain - a randomized trial", "Smith, A.", "2020", True),
    ("Dry needling for neck pain - a randomized trial", "Smith, Ann", "2021", False),
    ("Dry needling for back pain: a randomised trial", "Smith, Ann", "2020", False),
    ("Dry needling for neck pain: a randomised trial, part 2", "Smith, Ann", "2020", False),
    ("Dry needling for neck pain: a randomized trial", "Jones, Bob", "2020", False),
])
def test_near_identical_titles_need_the_same_year_numbers_and_first_author(
        title: str, author: str, year: str, duplicate: bool) -> None:
    from kb.model import Reference

    existing = {"smith2020dry": Reference("smith2020dry", "article", {
        "author": "Smith, Ann and Lee, Kim",
        "title": "Dry needling for neck pain: a randomised trial", "year": "2020"}, 1)}
    new = Reference("ris1", "article", {"author": author, "title": title, "year": year}, 0)
    plan = plan_import(existing, [new])
    assert (len(plan.skipped) == 1) is duplicate, plan.skipped
