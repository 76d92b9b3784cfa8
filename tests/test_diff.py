"""kb diff: two versions of a base (git revisions made here, or folders) compared claim by
claim."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import copy_bundled
from kb.cli import main
from kb.diff import compare, load_version
from kb.grading import grade_all
from kb.load import load_kb



def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
                          cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository whose base sits in a subfolder, with one commit of the bundled base."""
    repo = tmp_path / "repo"
    base = copy_bundled(repo / "reviews" / "dry-needling")
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


def expected_pairs(before: Path, after: Path, claim: str) -> dict[str, list | None]:
    """What the diff must say for a claim: the graded values of both versions, by the
    library's own grading."""
    g0 = grade_all(*load_kb(str(before)))[claim]
    g1 = grade_all(*load_kb(str(after)))[claim]

    def pair(a, b):
        return None if a == b else [a, b]
    return {"verdict": pair(g0.verdict.value, g1.verdict.value),
            "certainty": pair(g0.certainty and g0.certainty.value,
                              g1.certainty and g1.certainty.value),
            "lacking_long_term": pair(g0.lacking_long_term, g1.lacking_long_term),
            "rule": pair(g0.rule, g1.rule)}


def test_diff_against_a_revision_names_what_changed_and_why(tmp_path: Path, repo: Path,
                                                            capsys) -> None:
    first = git(repo, "rev-parse", "HEAD")
    original = tmp_path / "original"
    shutil.copytree(repo, original)
    assert diff_json(capsys, repo, "HEAD")["changes"] == []
    # A refuting link made high-certainty moves the verdict; the diff says why.
    edit(repo, "link", "amplified-with-physical-therapy", "gattie2021dry", "--certainty", "high")
    edit(repo, "review", "tight-muscles-cause-pain", "--status", "needs-changes")
    git(repo, "commit", "-qam", "edits")
    edit(repo, "unlink", "tight-muscles-cause-pain", "quintner2015critical")
    out = diff_json(capsys, repo, first)
    by_claim = {c["claim"]: c for c in out["changes"]}
    assert set(by_claim) == {"amplified-with-physical-therapy", "tight-muscles-cause-pain"}
    amplified = by_claim["amplified-with-physical-therapy"]
    want = expected_pairs(original, repo, "amplified-with-physical-therapy")
    assert want["verdict"] is not None  # the edit was chosen to move this verdict
    assert {k: amplified[k] for k in want} == want
    old_link = next(e for e in load_kb(str(original))[0].claim(
        "amplified-with-physical-therapy").evidence if e.study == "gattie2021dry")
    assert amplified["links_changed"] == [{"study": "gattie2021dry", "field": "certainty",
                                           "before": old_link.certainty.value,
                                           "after": "high"}]
    assert f"gattie2021dry certainty {old_link.certainty.value} -> high" in amplified["why"]
    assert "Now " in amplified["why"]
    tight = by_claim["tight-muscles-cause-pain"]
    assert tight["review"] == ["draft", "needs-changes"]
    assert [x["study"] for x in tight["links_removed"]] == ["quintner2015critical"]
    assert {k: tight[k] for k in want} == expected_pairs(original, repo,
                                                         "tight-muscles-cause-pain")
    assert out["summary"]["claims"] == 2 and out["summary"]["links"] == 2
    assert out["summary"]["verdicts"] == sum(1 for c in by_claim.values() if c["verdict"])
    # Between two revisions the working files do not count; HEAD~1 -> HEAD has no unlink.
    out = diff_json(capsys, repo, "HEAD~1", "HEAD")
    tight = {c["claim"]: c for c in out["changes"]}["tight-muscles-cause-pain"]
    assert tight["links_removed"] == [] and tight["review"] == ["draft", "needs-changes"]
    # The table says the same in columns.
    assert main(["diff", first, "--kb", str(repo), "--no-cache"]) == 0
    table = capsys.readouterr().out
    assert "2 claims differ" in table
    row = next(ln for ln in table.splitlines() if ln.startswith("amplified-with-physical"))
    v0, v1 = want["verdict"]
    assert f"{v0} -> {v1}" in row and "~1" in row


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
