"""kb.edit on copies of the bundled base: minimal writes, refusals, conflicts, kills, the log."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, copy_bundled
from kb.cli import main
from kb.edit import (
    LOG_FILE,
    Conflict,
    NotEditable,
    clear_override,
    open_base,
    read_log,
    remove_link,
    save,
    set_link,
    set_override,
    set_review,
)
from kb.load import load_kb

TODAY = dt.date(2026, 12, 2)
NOW = dt.datetime(2026, 12, 2, 14, 0, tzinfo=dt.timezone.utc)
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


@pytest.fixture(scope="module")
def bundled() -> tuple:
    return load_kb(str(ROOT))


def copy_base(tmp_path: Path) -> Path:
    return copy_bundled(tmp_path / "base")


def open_copy(root: Path):
    kb, report = load_kb(str(root))
    return open_base(str(root), kb, report)


def only_entry_changed(old: bytes, new: bytes, start: int, end: int) -> None:
    """Every byte outside the claim's entry is as it was."""
    assert new[:start] == old[:start]
    assert new[len(new) - (len(old) - end):] == old[end:]


def others_equal(before, after, claim_id: str) -> None:
    assert [c for c in before.claims if c.id != claim_id] == \
        [c for c in after.claims if c.id != claim_id]
    assert dict(before.studies) == dict(after.studies)


def test_every_operation_on_every_claim_changes_only_that_claim(tmp_path: Path,
                                                                bundled) -> None:
    kb0, report0 = bundled
    root = copy_base(tmp_path)
    raw = (root / "claims.yaml").read_bytes()
    base = open_base(str(root), kb0, report0, raw)
    study = "gattie2021dry"
    for claim in kb0.claims:
        proposals = [
            set_review(base, claim.id, "needs-changes", reviewer="Ann Editor",
                       note="Check the follow-up: the abstract says 12 months.", today=TODAY),
            set_override(base, claim.id, "limited", "Editors judge the trials too small."),
            set_link(base, claim.id, study, stance="refutes", certainty="moderate",
                     outcome="pain at 12 months", locator="abstract",
                     note="Added by the test; a link of moderate certainty."),
        ]
        if claim.evidence:
            proposals.append(remove_link(base, claim.id, claim.evidence[0].study))
        for p in proposals:
            assert p.ok, (claim.id, p.operation, p.render_problems())
            new = p.new_raw
            only_entry_changed(raw, new, p.entry.start, p.entry.end)
            (root / "claims.yaml").write_bytes(new)
            kb1, report1 = load_kb(str(root))
            assert report1.errors == () or [e.code for e in report1.errors] == \
                [e.code for e in report0.errors]
            others_equal(kb0, kb1, claim.id)
            edited = kb1.claim(claim.id)
            assert edited is not None and edited == p.claim_after
            if p.operation == "review":
                assert edited.review.status.value == "needs-changes"
                assert edited.review.reviewer == "Ann Editor" and edited.review.date == TODAY
                assert edited.evidence == claim.evidence
            elif p.operation == "override":
                assert edited.review.override is not None
                assert edited.review.override.rationale == "Editors judge the trials too small."
                assert edited.evidence == claim.evidence
            elif p.operation == "link":
                existing = [e for e in claim.evidence if e.study == study]
                if existing:
                    link = next(e for e in edited.evidence if e.study == study)
                    assert link.stance.value == "refutes"
                else:
                    assert edited.evidence[:-1] == claim.evidence
                    assert edited.evidence[-1].study == study
            else:
                assert edited.evidence == claim.evidence[1:]
            (root / "claims.yaml").write_bytes(raw)


def test_link_then_unlink_leaves_the_file_byte_identical(tmp_path: Path, bundled) -> None:
    kb0, report0 = bundled
    root = copy_base(tmp_path)
    raw = (root / "claims.yaml").read_bytes()
    for claim in kb0.claims:  # with links, and not-checkable ones without an evidence key
        study = next(k for k in kb0.studies if k not in {e.study for e in claim.evidence})
        assert main(["link", claim.id, study, "--kb", str(root), "--by", "Ann",
                     "--stance", "supports", "--certainty", "low", "--note",
                     "A link that is taken back", "--no-cache"]) == 0
        assert (root / "claims.yaml").read_bytes() != raw
        assert main(["unlink", claim.id, study, "--kb", str(root), "--by", "Ann",
                     "--no-cache"]) == 0
        assert (root / "claims.yaml").read_bytes() == raw, claim.id


def test_link_then_unlink_in_a_file_that_writes_empty_lists_as_brackets(
        tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import generate  # the synthetic base writes `evidence: []` for claims without links

    root = tmp_path / "gen"
    generate.generate(1, str(root), generate.DEFAULT_SEED)
    raw = (root / "claims.yaml").read_bytes()
    kb, report = load_kb(str(root))
    assert b"evidence: []" in raw and report.valid
    bare = next(c for c in kb.claims if not c.evidence)
    base = open_base(str(root), kb, report, raw)
    study = next(iter(kb.studies))
    p = set_link(base, bare.id, study, stance="context", certainty="low", note="Background.")
    assert p.ok, p.render_problems()
    save(p, "Ann", NOW)
    p = remove_link(open_copy(root), bare.id, study)
    save(p, "Ann", NOW)
    assert (root / "claims.yaml").read_bytes() == raw


def test_review_then_clear_shows_only_the_review_lines_in_git_diff(tmp_path: Path) -> None:
    root = copy_base(tmp_path)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "."], cwd=root, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base"],
                   cwd=root, check=True)
    kb, _ = load_kb(str(root))
    claim = next(c for c in kb.claims if c.review.status.value != "reviewed"
                 and not (c.review.reviewer or c.review.date or c.review.note))
    assert main(["review", claim.id, "--status", "reviewed", "--note", "Links checked.",
                 "--kb", str(root), "--by", "Ann Editor", "--no-cache"]) == 0
    diff = subprocess.run(["git", "diff", "-U0", "claims.yaml"], cwd=root, check=True,
                          capture_output=True, text=True).stdout
    changed = [ln for ln in diff.splitlines() if ln[:1] in "+-" and ln[:3] not in ("+++", "---")]
    assert changed == [f"-    status: {claim.review.status.value}", "+    status: reviewed",
                       "+    reviewer: Ann Editor", f"+    date: {dt.date.today().isoformat()}",
                       "+    note: Links checked."]


INVALID = [
    # (operation, arguments, the code kb check reports)
    ("link", dict(study="nosuch2020study", stance="supports", certainty="low", note="n"),
     "claim-unknown-study"),
    ("link", dict(study="gattie2021dry", stance="supports", certainty="low"), "schema-missing"),
    ("link", dict(study="gattie2021dry", stance="support", certainty="low", note="n"),
     "schema-vocabulary"),
    ("link", dict(study="gattie2021dry", stance="supports", certainty="low", note="n",
                  follow_up="a while"), "duration-invalid"),
    ("override", dict(verdict="limited", reason=""), "override-no-rationale"),
    ("override", dict(verdict="weak", reason="r"), "schema-vocabulary"),
    ("review", dict(status="approved"), "schema-vocabulary"),
]


@pytest.mark.parametrize("operation,args,code", INVALID)
def test_an_invalid_change_is_refused_as_kb_check_would_report_it(
        tmp_path: Path, bundled, operation: str, args: dict, code: str) -> None:
    kb0, report0 = bundled
    root = copy_base(tmp_path)
    raw = (root / "claims.yaml").read_bytes()
    base = open_base(str(root), kb0, report0, raw)
    claim = "tight-muscles-cause-pain"
    if operation == "link":
        study = args.pop("study")
        p = set_link(base, claim, study, **args)
    elif operation == "override":
        p = set_override(base, claim, args["verdict"], args["reason"])
    else:
        p = set_review(base, claim, args["status"])
    assert not p.ok and code in {q.code for q in p.problems}
    with pytest.raises(NotEditable, match=code):
        save(p, "Ann", NOW)
    assert (root / "claims.yaml").read_bytes() == raw and not (root / LOG_FILE).exists()
    # The same file written out: kb check reports the same errors at the same lines.
    (root / "claims.yaml").write_bytes(p.new_raw)
    _, report = load_kb(str(root))
    new_errors = [q for q in report.errors if q.path.startswith(f"claims[{p.index}]")]
    assert {(q.code, q.line, q.message) for q in new_errors} == \
        {(q.code, q.line, q.message) for q in p.problems}


def test_the_cli_refuses_an_invalid_change_and_writes_nothing(tmp_path: Path, capsys) -> None:
    root = copy_base(tmp_path)
    raw = (root / "claims.yaml").read_bytes()
    assert main(["link", "tight-muscles-cause-pain", "nosuch2020study", "--stance", "supports",
                 "--certainty", "low", "--note", "n", "--kb", str(root), "--by", "Ann",
                 "--no-cache"]) == 1
    err = capsys.readouterr().err
    assert "claims.yaml:" in err and "claim-unknown-study" in err and "nothing was written" in err
    assert (root / "claims.yaml").read_bytes() == raw and not (root / LOG_FILE).exists()
    assert main(["unlink", "tight-muscles-cause-pain", "gattie2021dry", "--kb", str(root),
                 "--no-cache"]) == 1
    assert "has no link to 'gattie2021dry'" in capsys.readouterr().err


def test_a_save_refuses_a_file_that_changed_since_it_was_read(tmp_path: Path) -> None:
    root = copy_base(tmp_path)
    base = open_copy(root)
    mine = set_review(base, "tight-muscles-cause-pain", "in-review", reviewer="Ann")
    theirs = set_review(base, "amplified-with-physical-therapy", "reviewed", reviewer="Bob",
                        today=TODAY)
    save(theirs, "Bob", NOW)
    after_theirs = (root / "claims.yaml").read_bytes()
    with pytest.raises(Conflict, match="itself is as you saw it; other parts"):
        save(mine, "Ann", NOW)
    assert (root / "claims.yaml").read_bytes() == after_theirs
    # Re-applied on the file as it is now, both changes are kept.
    save(set_review(open_copy(root), "tight-muscles-cause-pain", "in-review", reviewer="Ann"),
         "Ann", NOW)
    kb, _ = load_kb(str(root))
    assert kb.claim("tight-muscles-cause-pain").review.status.value == "in-review"
    assert kb.claim("amplified-with-physical-therapy").review.status.value == "reviewed"
    # A change to the same claim is named as such.
    stale = set_override(base, "amplified-with-physical-therapy", "mixed", "r")
    with pytest.raises(Conflict, match="was changed by someone else"):
        save(stale, "Ann", NOW)


def test_every_save_is_logged_with_verdicts_before_and_after(tmp_path: Path) -> None:
    root = copy_base(tmp_path)
    claim = "tight-muscles-cause-pain"
    base = open_copy(root)
    link = base.kb.claim(claim).evidence[0]
    saved = save(remove_link(base, claim, link.study), "Ann", NOW)
    save(set_override(open_copy(root), claim, "no-evidence", "None of it is about this."),
         "Bob", NOW)
    save(clear_override(open_copy(root), claim), "Bob", NOW)
    log = read_log(str(root))
    assert log.problems == []
    assert [(r["editor"], r["operation"]) for r in log.records] == [
        ("Ann", "unlink"), ("Bob", "override"), ("Bob", "override-clear")]
    first = log.records[0]
    assert first == json.loads((root / LOG_FILE).read_text(encoding="utf-8").splitlines()[0])
    assert first["claim"] == claim and first["time"] == "2026-12-02T14:00:00+00:00"
    assert first["before"]["link"]["study"] == link.study and first["after"] == {"link": None}
    assert first["verdict_before"]["verdict"] == saved.proposal.grade_before.verdict.value
    assert first["verdict_after"]["verdict"] == saved.proposal.grade_after.verdict.value
    assert log.records[1]["after"]["override"] == {"verdict": "no-evidence",
                                                   "rationale": "None of it is about this."}
    assert log.records[2]["after"] == {"override": None}


SAVER = """
import sys, datetime as dt
from kb.load import load_kb
from kb.edit import open_base, set_review, save
root = sys.argv[1]
print("ready", flush=True)
i = 0
while True:
    kb, report = load_kb(root)
    status = ("in-review", "needs-changes")[i % 2]
    save(set_review(open_base(root, kb, report), "tight-muscles-cause-pain", status,
                    reviewer="Kim", today=dt.date(2026, 12, 2)), "Kim")
    i += 1
"""


def test_a_save_killed_at_random_moments_leaves_a_whole_file(tmp_path: Path) -> None:
    rng = random.Random(1202)
    root = copy_base(tmp_path)
    original = (root / "claims.yaml").read_bytes()
    for _ in range(8):
        proc = subprocess.Popen([sys.executable, "-c", SAVER, str(root)], env=ENV,
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 1.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        kb, report = load_kb(str(root))
        assert report.valid and len(kb.claims) == 27
        status = kb.claim("tight-muscles-cause-pain").review.status.value
        assert status in ("draft", "in-review", "needs-changes")
        log = read_log(str(root))
        assert log.problems == []  # a kill leaves whole log lines too
        for stray in root.glob(".*.tmp"):
            stray.unlink()
    assert (root / "claims.yaml").read_bytes() != original


EDITOR = """
import sys, datetime as dt
from kb.load import load_kb
from kb.edit import Conflict, open_base, set_review, save
root, claims, name = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
conflicts = 0
for claim in claims:
    while True:
        kb, report = load_kb(root)
        try:
            save(set_review(open_base(root, kb, report), claim, "in-review", reviewer=name), name)
            break
        except Conflict:
            conflicts += 1  # someone saved in between: load again and re-apply
print(conflicts)
"""


def test_two_editors_at_once_lose_no_update(tmp_path: Path, bundled) -> None:
    kb0, _ = bundled
    root = copy_base(tmp_path)
    ids = [c.id for c in kb0.claims]
    mine, theirs = ids[0:20:2], ids[1:20:2]
    procs = [subprocess.Popen([sys.executable, "-c", EDITOR, str(root), ",".join(group), name],
                              env=ENV, stdout=subprocess.PIPE, text=True)
             for group, name in ((mine, "Ann"), (theirs, "Bob"))]
    outs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    kb, report = load_kb(str(root))
    assert report.valid
    for claim_id, name in [*((c, "Ann") for c in mine), *((c, "Bob") for c in theirs)]:
        review = kb.claim(claim_id).review
        assert (review.status.value, review.reviewer) == ("in-review", name)
    records = read_log(str(root)).records
    assert sorted(r["claim"] for r in records) == sorted(mine + theirs)


PASTED_BIB = """
@article{copyofgattie,
  author = {Someone, Else},
  title = {A different title for the same DOI},
  journal = {J}, year = {2021}, doi = {10.2519/JOSPT.2021.9864},
}
@article{neargattie,
  author = {Gattie, Eric},
  title = {Dry needling adds no benefit to the treatment of neck pain: a sham controlled
           randomised clinical trial with 1-year follow up},
  journal = {JOSPT}, year = {2021},
}
@article{neargattielater,
  author = {Gattie, Eric},
  title = {Dry needling adds no benefit to the treatment of neck pain: a sham controlled
           randomised clinical trial with 1-year follow up},
  journal = {JOSPT}, year = {2023},
}
@article{fresh2026,
  author = {Tester, Tina},
  title = {An entirely new synthetic record for the import test},
  journal = {Journal of Tests}, year = {2026},
}
"""

PASTED_CSL = """[{"type": "article-journal", "title": "A synthetic CSL record about needles",
  "author": [{"family": "Müller", "given": "Jörg"}, {"literal": "Test Group"}],
  "container-title": "Journal of Tests", "issued": {"date-parts": [[2025, 3]]},
  "page": "10-19", "DOI": "10.5555/csl.1", "PMID": "40000001"},
 {"type": "article-journal", "title": "A synthetic CSL record about needles!",
  "issued": {"date-parts": [[2025]]}}]"""

PASTED_RIS = """TY  - JOUR
AU  - Ris, Rita
TI  - A synthetic RIS record
PY  - 2024
DO  - 10.5555/ris.1
ER  - 
"""


def test_pasted_studies_are_added_once_and_duplicates_named(tmp_path: Path) -> None:
    from kb.bibliography import load_bibliography
    from kb.edit import add_studies

    root = copy_base(tmp_path)
    before = (root / "references.bib").read_bytes()
    plan = add_studies(str(root), PASTED_BIB, "Ann", now=NOW)
    assert [(s.duplicate_of, s.reason) for s in plan.skipped] == [
        ("gattie2021dry", "same DOI"),
        ("gattie2021dry", "same year and a near-identical title")]
    assert [r.key for r in plan.added] == ["neargattielater", "fresh2026"]
    plan = add_studies(str(root), PASTED_CSL, "Ann", now=NOW)
    assert [r.key for r in plan.added] == ["muller2025synthetic"]
    assert [s.duplicate_of for s in plan.skipped] == ["muller2025synthetic"]
    plan = add_studies(str(root), PASTED_RIS, "Ann", now=NOW)
    assert [r.key for r in plan.added] == ["ris2024synthetic"]
    for text, skipped in ((PASTED_BIB, 4), (PASTED_CSL, 2), (PASTED_RIS, 1)):
        again = add_studies(str(root), text, "Bob", dry_run=True)
        assert again.added == [] and len(again.skipped) == skipped
    after = (root / "references.bib").read_bytes()
    assert after.startswith(before)
    refs = load_bibliography(str(root / "references.bib")).references
    csl = refs["muller2025synthetic"].fields
    assert (csl["author"], csl["pages"], csl["year"], csl["doi"], csl["pmid"]) == (
        "Müller, Jörg and {Test Group}", "10--19", "2025", "10.5555/csl.1", "40000001")
    log = read_log(str(root)).records
    assert [(r["operation"], r["after"]) for r in log] == [
        ("add-study", {"studies": ["neargattielater", "fresh2026"]}),
        ("add-study", {"studies": ["muller2025synthetic"]}),
        ("add-study", {"studies": ["ris2024synthetic"]})]


def test_an_unwritable_log_is_reported_with_the_record(tmp_path: Path) -> None:
    from kb.edit import WriteRefused

    root = copy_base(tmp_path)
    (root / LOG_FILE).symlink_to(tmp_path / "nowhere" / "log.jsonl")  # a dangling link
    p = set_review(open_copy(root), "tight-muscles-cause-pain", "in-review", reviewer="Ann")
    with pytest.raises(WriteRefused, match="saved to claims.yaml, but review-log.jsonl") as info:
        save(p, "Ann", NOW)
    assert '"operation": "review"' in str(info.value)
    assert (root / "claims.yaml").read_bytes() == p.new_raw


def test_a_link_without_certainty_takes_the_design_default_with_a_warning(tmp_path: Path,
                                                                          bundled) -> None:
    kb0, report0 = bundled
    root = copy_base(tmp_path)
    base = open_base(str(root), kb0, report0, (root / "claims.yaml").read_bytes())
    claim = kb0.claims[0]
    study = next(k for k in kb0.studies if k not in {e.study for e in claim.evidence})
    p = set_link(base, claim.id, study, stance="supports", note="No certainty given.")
    assert p.ok and "certainty" not in p.after["link"]
    assert "link-certainty-default" in {w.code for w in p.warnings}
    save(p, "Ann", NOW)
    _, report = load_kb(str(root))
    assert report.valid and "link-certainty-default" in {w.code for w in report.warnings
                                                         if w.path.startswith(f"claims[{p.index}]")}


def test_an_edit_through_a_symlinked_claims_file_updates_its_target(tmp_path: Path) -> None:
    root = copy_base(tmp_path)
    real = tmp_path / "elsewhere" / "claims.yaml"
    real.parent.mkdir()
    shutil.move(root / "claims.yaml", real)
    (root / "claims.yaml").symlink_to(real)
    before = real.read_bytes()
    assert main(["review", "tight-muscles-cause-pain", "--status", "in-review", "--kb",
                 str(root), "--by", "Ann", "--no-cache"]) == 0
    assert (root / "claims.yaml").is_symlink() and os.readlink(root / "claims.yaml") == str(real)
    assert real.read_bytes() != before
    assert load_kb(str(root))[0].claim("tight-muscles-cause-pain").review.status.value == \
        "in-review"
    assert not list(root.glob(".*.tmp")) and not list(real.parent.glob(".*.tmp"))
