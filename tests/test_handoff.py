"""The dashboard after an editor's save (issue 14): the next page takes the base worked out in
memory (dashboard.data.after_save) instead of loading the files, and it is the base, grades
and views a fresh load would give."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from dashboard.data import Loaded, _handed, after_save, fingerprint, stamps
from kb.edit import open_base, remove_link, save, set_link, set_override, set_review
from kb.grading import grade_all
from kb.load import load_kb
from test_apply import assert_same_graph, copy_base, troubled

VIEWS = ("claim_ids", "claim_rows", "short_statements", "citing", "graph", "anchors")


def loaded(root: Path) -> Loaded:
    """The base as the dashboard's `_load` holds it, every view built."""
    kb, report = load_kb(str(root))
    data = Loaded(kb, report, grade_all(kb, report), stamp=fingerprint(str(root)))
    for view in VIEWS:
        getattr(data, view)
    return data


def assert_same_loaded(got: Loaded, want: Loaded) -> None:
    assert got.kb == want.kb and got.report == want.report
    assert list(got.grades.items()) == list(want.grades.items())
    assert got.claim_ids == want.claim_ids
    assert got.claim_rows == want.claim_rows
    assert list(got.short_statements.items()) == list(want.short_statements.items())
    assert got.citing == want.citing  # (a study cited anew may sit elsewhere in the dict)
    assert got.anchors == want.anchors
    assert_same_graph(got.graph, want.graph)
    assert got.stamp == want.stamp


def save_through(data: Loaded, root: Path, make) -> bool:
    """What the editor does: stamps, save, hand over."""
    p = make(open_base(str(root), data.kb, data.report))
    assert p.ok, p.render_problems()
    before = stamps(str(root))
    saved = save(p, "Ann")
    return after_save(data, saved, before)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return troubled(copy_base(tmp_path))


def test_the_next_load_takes_the_base_worked_out_in_memory(root: Path) -> None:
    data = loaded(root)
    kb = data.kb
    first, middle, last = kb.claims[0], kb.claims[11], kb.claims[-1]
    fresh = next(k for k in kb.studies if k not in {e.study for e in middle.evidence})
    only = next(k for k in kb.studies
                if sum(k in {e.study for e in c.evidence} for c in kb.claims) == 1)
    holder = next(c.id for c in kb.claims if only in {e.study for e in c.evidence})
    steps = [
        lambda b: set_review(b, first.id, "in-review", reviewer="Ann", note="Two\nlines"),
        lambda b: set_link(b, middle.id, fresh, stance="supports", certainty="low",
                           follow_up="12 months", note="A year on.\nSecond line."),
        lambda b: remove_link(b, holder, only),  # a study no claim cites any more
        lambda b: set_link(b, last.id, only, stance="context", note="Cited again."),
        lambda b: set_override(b, middle.id, "limited", "Too small."),
        lambda b: remove_link(b, middle.id, fresh),
    ]
    for make in steps:
        assert save_through(data, root, make)
        handed = _handed(str(root), fingerprint(str(root)))
        assert handed is not None and _handed(str(root), fingerprint(str(root))) is None
        assert_same_loaded(handed, loaded(root))
        data = handed  # the next change is made on the page's base, as in the dashboard


def test_no_hand_over_when_the_files_are_not_what_the_base_was_loaded_from(
        root: Path) -> None:
    data = loaded(root)
    claim = data.kb.claims[3].id
    bib = root / "references.bib"
    bib.write_text(bib.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert not save_through(data, root, lambda b: set_review(b, claim, "in-review"))
    assert _handed(str(root), fingerprint(str(root))) is None
    data = loaded(root)
    p = set_review(open_base(str(root), data.kb, data.report), claim, "needs-changes")
    before = stamps(str(root))
    saved = save(p, "Ann")
    os.utime(bib)  # another file touched between the save and the hand-over
    assert not after_save(data, saved, before)
