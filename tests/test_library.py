"""kb.library and the library page: a folder of two bases, the studies they share, and the
dashboard's library page (AppTest); single-article use unchanged."""

from __future__ import annotations

import shutil
from pathlib import Path

from streamlit.testing.v1 import AppTest

from conftest import KB_MIN, ROOT, copy_bundled
from kb.grading import grade_all
from kb.library import article_row, bases_citing, find_library, shared_studies
from kb.load import load_kb
from kb.model import Verdict

APP = str(ROOT / "app.py")
BUNDLED_DOI = "10.2519/jospt.2021.9864"  # gattie2021dry in the bundled references.bib


def make_library(tmp_path: Path) -> Path:
    """Two bases: the bundled one, and the minimal one whose trial has the DOI of a bundled
    study under another key (so the two articles share a study)."""
    lib = tmp_path / "library"
    copy_bundled(lib / "dry-needling")
    tiny = lib / "tiny-needles"
    shutil.copytree(KB_MIN, tiny, ignore=shutil.ignore_patterns(".kb-cache"))
    bib = (tiny / "references.bib").read_text(encoding="utf-8")
    (tiny / "references.bib").write_text(bib.replace("10.1234/jt.2020.1", BUNDLED_DOI),
                                         encoding="utf-8")
    (lib / "notes").mkdir()  # not a base: ignored
    return lib


def test_folder_of_bases_is_a_library(tmp_path) -> None:
    lib = find_library(str(make_library(tmp_path)))
    assert lib is not None and [e.name for e in lib.entries] == ["dry-needling", "tiny-needles"]
    assert find_library(str(ROOT)) is None  # a base is not a library
    assert find_library(str(tmp_path / "missing")) is None


def test_library_yaml_lists_bases_and_reports_bad_entries(tmp_path) -> None:
    folder = make_library(tmp_path)
    (folder / "library.yaml").write_text(
        "title: Needling fact-checks\nbases: [tiny-needles, notes, dry-needling]\n",
        encoding="utf-8")
    lib = find_library(str(folder))
    assert lib is not None and lib.title == "Needling fact-checks"
    assert [e.name for e in lib.entries] == ["tiny-needles", "dry-needling"]
    assert len(lib.problems) == 1 and "notes" in lib.problems[0]


def test_rows_and_shared_studies(tmp_path) -> None:
    lib = find_library(str(make_library(tmp_path)))
    assert lib is not None
    bases = {}
    for entry in lib.entries:
        kb, report = load_kb(entry.path)
        assert report.valid
        bases[entry.name] = kb
        row = article_row(entry.name, kb, grade_all(kb, report))
        assert row.claims == len(kb.claims) and sum(row.verdicts.values()) == row.claims
    [shared] = shared_studies(bases)
    assert set(shared.citations) == {("dry-needling", "gattie2021dry"),
                                     ("tiny-needles", "alpha2020trial")}
    assert shared.identity == f"DOI {BUNDLED_DOI}"
    assert bases_citing([shared], "tiny-needles", "alpha2020trial") == ("dry-needling",)


def run(monkeypatch, kb_dir: Path, **params: str) -> AppTest:
    monkeypatch.setenv("KB_DIR", str(kb_dir))
    at = AppTest.from_file(APP, default_timeout=90)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_library_page_lists_articles_and_opens_one(monkeypatch, tmp_path) -> None:
    folder = make_library(tmp_path)
    at = run(monkeypatch, folder)
    assert at.title[0].value == "library"
    titles = [s.value for s in at.subheader]
    kb, report = load_kb(str(ROOT))
    assert kb.article and kb.article.title in titles and "Needles Explained" in titles
    supported = sum(g.verdict is Verdict.SUPPORTED for g in grade_all(kb, report).values())
    assert any(f"Supported: **{supported}**" in m.value for m in at.markdown)
    shared = at.dataframe[0].value
    assert list(shared["articles"]) == [2] and BUNDLED_DOI in shared["identified by"][0]
    at.button(key="open-tiny-needles").click().run()
    assert not at.exception
    assert at.title[0].value == "What does the evidence say?"
    assert any("Needles Explained" in c.value for c in at.caption)  # sidebar: reviewing ...


def test_deep_link_opens_an_article_of_the_library(monkeypatch, tmp_path) -> None:
    at = run(monkeypatch, make_library(tmp_path), base="tiny-needles")
    assert at.title[0].value == "What does the evidence say?"
    assert any(b.key == "library-back" for b in at.button)


def test_single_base_has_no_library_page(monkeypatch) -> None:
    at = run(monkeypatch, ROOT)
    assert at.title[0].value == "What does the evidence say?"
    assert not any(b.key == "library-back" for b in at.button)
