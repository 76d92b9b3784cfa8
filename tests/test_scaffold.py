"""kb.scaffold and `kb new`: a new base for an unseen article, checked with exit 0; the
README's new-article workflow run exactly as written."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, ROOT
from kb.anchors import normalise, sha256_text
from kb.cli import main
from kb.load import load_kb

ARTICLE = FIXTURES / "articles" / "nccih-spinal-manipulation.txt"
RIS = FIXTURES / "import" / "pubmed_with_duplicates.ris"


def new(tmp_path: Path, *extra: str, article: Path = ARTICLE) -> tuple[int, Path]:
    target = tmp_path / "review"
    return main(["new", str(article), str(target), *extra]), target


def test_new_base_checks_with_warnings_only(tmp_path, capsys) -> None:
    code, base = new(tmp_path, "--publisher", "NCCIH", "--url", "https://www.nccih.nih.gov/x",
                     "--retrieved", "2026-12-02")
    assert code == 0
    assert "Left to do:" in capsys.readouterr().out
    assert sorted(os.listdir(base)) == sorted([".gitignore", ARTICLE.name, "claims.yaml",
                                               "references.bib", "schema"])
    assert (base / ARTICLE.name).read_bytes() == ARTICLE.read_bytes()
    data = yaml.safe_load((base / "claims.yaml").read_text(encoding="utf-8"))
    assert (base / data["$schema"]).is_file()  # the $schema line resolves from the new folder
    assert data["article"]["sha256"] == sha256_text(ARTICLE.read_text(encoding="utf-8"))
    assert data["article"]["retrieved"].isoformat() == "2026-12-02"
    assert data["studies"] == {} and len(data["claims"]) >= 8
    text = normalise(ARTICLE.read_text(encoding="utf-8"))
    for claim in data["claims"]:
        assert normalise(claim["quote"]) in text and claim["review"]["status"] == "draft"
    kb, report = load_kb(str(base))
    assert report.valid and len(kb.claims) == len(data["claims"])
    assert {p.code for p in report.warnings} == {"claim-no-evidence"}
    assert main(["check", str(base)]) == 0
    out = capsys.readouterr().out
    assert "0 errors" in out and f"{len(kb.claims)} checkable claims without evidence" in out


def test_new_refuses_a_folder_that_is_not_empty(tmp_path, capsys) -> None:
    target = tmp_path / "review"
    target.mkdir()
    (target / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["new", str(ARTICLE), str(target)]) == 1
    assert "not an empty folder" in capsys.readouterr().err
    assert os.listdir(target) == ["notes.txt"]
    assert sorted(os.listdir(tmp_path)) == ["review"]  # no staging folder left behind


def test_new_fills_an_empty_folder_and_guesses_the_title(tmp_path) -> None:
    (tmp_path / "review").mkdir()
    code, base = new(tmp_path)
    assert code == 0
    data = yaml.safe_load((base / "claims.yaml").read_text(encoding="utf-8"))
    assert data["article"]["title"] == ("4 Things To Know About Spinal Manipulation for "
                                        "Low-Back Pain")
    assert data["article"]["url"] is None and data["article"]["url_note"]


@pytest.mark.parametrize("flag, value", [("--url", "www.example.org/x"),
                                         ("--retrieved", "yesterday")])
def test_new_rejects_bad_options(tmp_path, capsys, flag, value) -> None:
    code, base = new(tmp_path, flag, value)
    assert code == 2 and not base.exists()
    assert flag in capsys.readouterr().err


def test_new_with_an_unreadable_article_writes_nothing(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe not utf-8 \x00")
    code, base = new(tmp_path, article=bad)
    assert code == 1 and not base.exists()


def _readme_block(title: str) -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index(title):]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_new_article_workflow_runs_as_written(tmp_path) -> None:
    """Every command of README's 'A new article' block, run by a shell in a folder holding
    article.txt and pubmed-export.ris, exits 0; the last `kb check` passes."""
    work = tmp_path / "work"
    work.mkdir()
    shutil.copyfile(FIXTURES / "articles" / "nccih-tai-chi.txt", work / "article.txt")
    shutil.copyfile(RIS, work / "pubmed-export.ris")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
                                 f"{os.environ.get('PATH', '')}"}
    for line in _readme_block("**A new article.**"):
        done = subprocess.run(["bash", "-c", line], cwd=work, env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, (line, done.stdout, done.stderr)
    base = tmp_path / "new-review"
    kb, report = load_kb(str(base))
    assert report.valid and kb.claims and len(kb.references) >= 2


def test_new_with_hostile_text(tmp_path) -> None:
    """Text that looks like YAML, markup or escapes becomes quotes that read back exactly."""
    article = tmp_path / "hostile.txt"
    article.write_text(
        "Title: {x} & [y] #z\n\n"
        "Studies show that cupping: cures 90% of \"back pain\" & {all} [pain] #really.\n"
        "Research found that <script>alert(1)</script> needles \\ reduce\tpain by 30%.\n"
        "Trials show that cupping is safer than surgery\u2028for 8 in 10 people.\n",
        encoding="utf-8")
    code, base = new(tmp_path, "--title", "A \"quoted\" title: {x}", article=article)
    assert code == 0
    kb, report = load_kb(str(base))
    assert report.valid and len(kb.claims) == 3
    assert kb.article and kb.article.title == "A \"quoted\" title: {x}"
    assert not [p for p in report.problems if p.code.startswith("claim-quote")]
