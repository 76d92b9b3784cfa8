"""kb diff: two versions of a base (git revisions made here, or folders) compared claim by
claim."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT
from kb.cli import main
from kb.diff import compare, load_version

FILES = ("claims.yaml", "references.bib", "dry-needling-article.txt")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
                          cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository whose base sits in a subfolder, with one commit of the bundled base."""
    repo = tmp_path / "repo"
    base = repo / "reviews" / "dry-needling"
    base.mkdir(parents=True)
    for name in FILES:
        shutil.copyfile(ROOT / name, base / name)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "bundled base")
    return base


def edit(base: Path, *argv: str) -> None:
    assert main([*argv, "--kb", str(base), "--by", "Ann", "--no-cache"]) == 0


def diff_json(capsys, base: Path, *argv: str) -> dict:
    capsys.readouterr()
    assert main(["diff", *argv, "--kb", str(base), "--format", "json", "--no-cache"]) == 0
    return json.loads(capsys.readouterr().out)


def test_diff_against_a_revision_names_what_changed_and_why(repo: Path, capsys) -> None:
    first = git(repo, "rev-parse", "HEAD")
    assert diff_json(capsys, repo, "HEAD")["changes"] == []
    # A refuting link made high-certainty: the verdict moves, and the diff says why.
    edit(repo, "link", "amplified-with-physical-therapy", "gattie2021dry", "--certainty", "high")
    edit(repo, "review", "tight-muscles-cause-pain", "--status", "needs-changes")
    git(repo, "commit", "-qam", "edits")
    edit(repo, "unlink", "tight-muscles-cause-pain", "quintner2015critical")
    out = diff_json(capsys, repo, first)
    by_claim = {c["claim"]: c for c in out["changes"]}
    assert set(by_claim) == {"amplified-with-physical-therapy", "tight-muscles-cause-pain"}
    amplified = by_claim["amplified-with-physical-therapy"]
    assert amplified["verdict"] == ["mixed", "contradicted"]
    assert amplified["certainty"] == ["very-low", "high"]
    assert amplified["lacking_long_term"] == [True, False]
    assert amplified["links_changed"] == [{"study": "gattie2021dry", "field": "certainty",
                                           "before": "low", "after": "high"}]
    assert amplified["rule"] == ["R4-mixed", "R3-contradicted"]
    assert "gattie2021dry certainty low -> high" in amplified["why"]
    tight = by_claim["tight-muscles-cause-pain"]
    assert tight["review"] == ["draft", "needs-changes"]
    assert [x["study"] for x in tight["links_removed"]] == ["quintner2015critical"]
    assert tight["verdict"] == ["mixed", "limited"]
    assert out["summary"] == {"claims": 2, "verdicts": 2, "certainties": 1,
                              "long_term_flags": 1, "links": 2}
    # Between two revisions the working files do not count; HEAD~1 -> HEAD has no unlink.
    out = diff_json(capsys, repo, "HEAD~1", "HEAD")
    tight = {c["claim"]: c for c in out["changes"]}["tight-muscles-cause-pain"]
    assert tight["links_removed"] == [] and tight["verdict"] is None
    # The table says the same in columns.
    assert main(["diff", first, "--kb", str(repo), "--no-cache"]) == 0
    table = capsys.readouterr().out
    assert "2 claims differ" in table
    row = next(ln for ln in table.splitlines() if ln.startswith("amplified-with-physical"))
    assert "mixed -> contradicted" in row and "very-low -> high" in row and "~1" in row


def test_diff_between_two_folders(tmp_path: Path, repo: Path) -> None:
    other = tmp_path / "copy"
    shutil.copytree(repo, other)
    edit(other, "override", "tight-muscles-cause-pain", "limited", "--reason", "Editors' call.")
    changes = compare(load_version(str(repo), str(repo)), load_version(str(other), str(repo)))
    assert [(c.claim, c.override, c.verdict) for c in changes] == [
        ("tight-muscles-cause-pain", (None, "limited"), None)]


def test_unknown_revisions_and_folders_outside_git_are_clear_errors(
        tmp_path: Path, repo: Path, capsys) -> None:
    assert main(["diff", "no-such-rev", "--kb", str(repo), "--no-cache"]) == 2
    assert "git cannot show no-such-rev:reviews/dry-needling/claims.yaml" in \
        capsys.readouterr().err
    loose = tmp_path / "loose"
    shutil.copytree(repo, loose)
    assert main(["diff", "HEAD", "--kb", str(loose), "--no-cache"]) == 2
    assert "not in a git repository" in capsys.readouterr().err
    assert main(["diff", "--kb", str(repo), "--no-cache", "--", "--upload-pack=x"]) == 2
    assert "is not a revision" in capsys.readouterr().err
