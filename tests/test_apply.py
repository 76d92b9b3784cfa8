"""kb.edit.apply_saved: the base after a save, worked out in memory, is what loading the saved
files gives (issue 14): the same claims, studies and lines, the same report in the same order,
and the same grades, on copies of the bundled base made to carry problems of every check."""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

import pytest

from conftest import ROOT, copy_bundled
from kb.claims import LineMap
from kb.edit import (
    apply_saved,
    applied,
    clear_override,
    open_base,
    remove_link,
    save,
    set_link,
    set_override,
    set_review,
)
from kb.grading import grade_all, regrade
from kb.load import load_kb

TODAY = dt.date(2026, 12, 2)
NOW = dt.datetime(2026, 12, 2, 14, 0, tzinfo=dt.timezone.utc)
STUDY = "gattie2021dry"  # appraised, cited by some claims of the bundled base
NOTE = "Linked by the test.\nIts note runs over\nthree lines."


def copy_base(tmp_path: Path) -> Path:
    return copy_bundled(tmp_path / "base")


def _entry(text: str, claim_id: str) -> tuple[int, int]:
    """Start and end of a claim's entry in the bundled file's text (claims at column 0)."""
    start = text.index(f"\n- id: {claim_id}\n") + 1
    nxt = text.find("\n- id: ", start)
    return start, len(text) if nxt == -1 else nxt + 1


def _in_entry(text: str, claim_id: str, old: str, new: str, count: int = 1) -> str:
    a, b = _entry(text, claim_id)
    body = text[a:b]
    assert old in body, (claim_id, old)
    return text[:a] + body.replace(old, new, count) + text[b:]


def troubled(root: Path) -> Path:
    """Give the base at `root` problems of every kind a claim or study can have, before,
    among and after the claims the tests edit (the bundled base has none in claims.yaml)."""
    kb, _ = load_kb(str(root))
    ids = [c.id for c in kb.claims]
    path = root / "claims.yaml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"\n  sha256: [0-9a-f]+\n", "\n", text, count=1)        # article-unhashed
    head, _, claims = text.partition("\nclaims:\n")
    # every third link without a certainty: link-certainty-default, graded by the design
    n = [0]

    def every_third(m: re.Match) -> str:
        n[0] += 1
        return "\n" if n[0] % 3 == 0 else m.group(0)
    claims = re.sub(r"\n    certainty: [a-z-]+\n", every_third, claims)
    text = f"{head}\nclaims:\n{claims}"
    text = _in_entry(text, ids[1], "    status: draft", "    status: reviewed")  # incomplete
    text = _in_entry(text, ids[5], "  checkable: true\n",
                     "  checkable: true\n  contradicts: [no-such-claim]\n")       # error
    text = _in_entry(text, ids[10], "  checkable: true\n",
                     f"  checkable: true\n  contradicts: [{ids[0]}]\n")          # fine
    text = _in_entry(text, ids[12], "  kind: ", "  kind: not-a-kind-")            # invalid
    text = _in_entry(text, ids[7], "  - study: ", "  - study: nosuchstudy2020\n"
                     "    stance: context\n    note: A key that is not in the bibliography.\n"
                     "  - study: ")                                                # error
    text = _in_entry(text, ids[15], "  evidence:\n", "  evidence:\n  - study: "
                     f"{kb.claims[15].evidence[0].study}\n    stance: context\n"
                     "    note: The same study twice.\n")                          # duplicate
    text = _in_entry(text, ids[20], '  short: "', '  short: "Far longer than ClaimReview '
                     'allows: ')                                                   # too long
    a, b = _entry(text, ids[18])                                               # ambiguous
    text = text[:a] + re.sub(r"  quote: .*?\n(?=  [a-z_]+:)", "  quote: dry needling\n",
                             text[a:b], count=1, flags=re.S) + text[b:]
    text = _in_entry(text, ids[9], "  - study: ", "  - study: zzcited2021\n"
                     "    stance: context\n    note: In the bibliography, not appraised.\n"
                     "  - study: ")                                                # error
    path.write_text(text, encoding="utf-8")
    with open(root / "references.bib", "a", encoding="utf-8") as fh:
        for key in ("zzunused2020", "zzcited2021"):
            fh.write(f"\n@article{{{key},\n  author = {{Nobody, A.}},\n  title = {{A "
                     "reference}},\n  journal = {J},\n  year = {2020}\n}\n")
    return root


@pytest.fixture
def base(tmp_path: Path) -> Path:
    return troubled(copy_base(tmp_path))


def test_the_troubled_base_has_problems_of_many_checks(base: Path) -> None:
    kb, report = load_kb(str(base))
    codes = {p.code for p in report}
    assert {"article-unhashed", "link-certainty-default", "review-incomplete",
            "claim-contradicts-unknown", "claim-unknown-study", "link-duplicate",
            "claim-short-long", "reference-unused", "schema-vocabulary",
            "claim-quote-ambiguous", "claim-study-not-appraised"} <= codes, codes
    assert kb.invalid_claims and isinstance(kb.lines, LineMap)
    assert any(c.contradicts for c in kb.claims)


def assert_same(got, root: Path, kb_grades=None) -> None:
    """`got` (kb, report) is what loading the folder gives, to every line."""
    kb, report = load_kb(str(root))
    ka, ra = got
    assert ka.claims == kb.claims and ka.claim_positions == kb.claim_positions
    assert dict(ka.studies) == dict(kb.studies) and ka.invalid_claims == kb.invalid_claims
    assert dict(ka.lines.items()) == dict(kb.lines.items())
    if isinstance(kb.lines, LineMap):
        assert isinstance(ka.lines, LineMap)
        assert ka.lines.flat == kb.lines.flat and ka.lines.studies == kb.lines.studies
        assert [(dict(r), o) for r, o in ka.lines.claims] == \
            [(dict(r), o) for r, o in kb.lines.claims]
    assert ka == kb
    assert [p.render() for p in ra] == [p.render() for p in report]
    assert ra == report  # codes, files, lines, columns, paths, messages, hints; in order
    if kb_grades is not None:
        assert list(kb_grades.items()) == list(grade_all(kb, report).items())


def _operations(kb, claim_id: str):
    claim = kb.claim(claim_id)
    linked = {e.study for e in claim.evidence}
    fresh = next(k for k in kb.studies if k not in linked)
    ops = [
        ("review", lambda b: set_review(b, claim_id, "in-review", reviewer="Ann Editor",
                                        note="Check the follow-up.\nThe abstract says 12 "
                                             "months, the table 6.", today=TODAY)),
        ("review-change", lambda b: set_review(b, claim_id, "needs-changes", note="",
                                               today=TODAY)),
        ("override", lambda b: set_override(b, claim_id, "limited", "Editors judge the "
                                            "trials too small.")),
        ("override-clear", lambda b: clear_override(b, claim_id)),
        ("link", lambda b: set_link(b, claim_id, fresh, stance="context", note=NOTE)),
        ("link-change", lambda b: set_link(b, claim_id, fresh, stance="supports",
                                           certainty="low", outcome="pain", note="Short.")),
        ("unlink", lambda b: remove_link(b, claim_id, fresh)),
    ]
    if claim.evidence:
        first = claim.evidence[0].study
        ops.append(("unlink-first", lambda b: remove_link(b, claim_id, first)))
    return ops


def _save_and_apply(root: Path, kb, report, make):
    p = make(open_base(str(root), kb, report))
    assert p.ok, p.render_problems()
    saved = save(p, "Ann", NOW)
    return p, saved, apply_saved(saved)


@pytest.mark.parametrize("where", [0, 11, 21, 26])
def test_every_operation_applied_in_memory_is_what_loading_gives(base: Path,
                                                                 where: int) -> None:
    kb, report = load_kb(str(base))
    grades = grade_all(kb, report)
    claim_id = next(c.id for i, c in kb.claims_with_index() if i == where)
    for name, make in _operations(kb, claim_id):
        p, saved, got = _save_and_apply(base, kb, report, make)
        assert p.changed, name
        assert got is not None, name
        grades = regrade(grades, got[0], got[1], [p.index])
        assert_same(got, base, grades)
        kb, report = got  # the next edit starts from the applied base, as the dashboard's


def test_claims_with_problems_and_their_neighbours(base: Path) -> None:
    """Edits of the claims that carry problems (and of their neighbours) move, add and take
    away problems in the middle of the report."""
    kb, report = load_kb(str(base))
    grades = grade_all(kb, report)
    for where in (1, 4, 5, 6, 7, 8, 10, 15, 17, 18, 19, 20, 25):
        claim_id = next(c.id for i, c in kb.claims_with_index() if i == where)
        for name, make in _operations(kb, claim_id)[:5:2]:
            p, saved, got = _save_and_apply(base, kb, report, make)
            assert got is not None, (where, name)
            grades = regrade(grades, got[0], got[1], [p.index])
            assert_same(got, base, grades)
            kb, report = got


def test_a_study_becomes_unused_and_used_again(base: Path) -> None:
    kb, report = load_kb(str(base))
    study, citing = next((k, [c for c in kb.claims if k in {e.study for e in c.evidence}])
                         for k in kb.studies
                         if sum(k in {e.study for e in c.evidence} for c in kb.claims) == 1)
    claim = citing[0]
    p, saved, got = _save_and_apply(base, kb, report, lambda b: remove_link(b, claim.id, study))
    assert got is not None
    assert any(q.code == "study-unused" and q.path == f"studies.{study}" for q in got[1])
    assert_same(got, base)
    kb, report = got
    other = kb.claims[-1]
    p, saved, got = _save_and_apply(base, kb, report, lambda b: set_link(
        b, other.id, study, stance="context", note="Back in use."))
    assert got is not None
    assert not any(q.code == "study-unused" and q.path == f"studies.{study}" for q in got[1])
    assert_same(got, base)


def test_a_reference_no_claim_cites_any_more(base: Path) -> None:
    """references.bib's unused-reference warning, which depends on every claim's links: a
    link to a reference without an appraisal (an error) taken away leaves it uncited."""
    kb, report = load_kb(str(base))
    holder = next(c for c in kb.claims if "zzcited2021" in {e.study for e in c.evidence})
    assert any(q.code == "claim-study-not-appraised" for q in report)
    assert [q.path for q in report if q.code == "reference-unused"] == ["zzunused2020"]
    p, saved, got = _save_and_apply(base, kb, report,
                                    lambda b: remove_link(b, holder.id, "zzcited2021"))
    assert got is not None
    assert [q.path for q in got[1] if q.code == "reference-unused"] == ["zzunused2020",
                                                                        "zzcited2021"]
    assert not any(q.code == "claim-study-not-appraised" for q in got[1])
    assert_same(got, base)


def test_an_unchanged_proposal_gives_the_base_back(base: Path) -> None:
    kb, report = load_kb(str(base))
    claim = kb.claims[0]
    p = set_review(open_base(str(base), kb, report), claim.id, claim.review.status.value)
    assert not p.changed
    assert apply_saved(save(p, "Ann", NOW)) == (kb, report)


def test_a_message_naming_a_moved_line_falls_back_to_loading(base: Path) -> None:
    """A duplicated key's error names the line of the first one: when that line moves, the
    change is not worked out in memory, and `applied` loads the files instead."""
    kb, _ = load_kb(str(base))
    last = kb.claims[-1].id
    path = base / "claims.yaml"
    text = _in_entry(path.read_text(encoding="utf-8"), last, "    status: draft\n",
                     "    status: draft\n    status: draft\n")
    path.write_text(text, encoding="utf-8")
    kb, report = load_kb(str(base))
    assert any(p.code == "yaml-duplicate-key" for p in report)
    first = kb.claims[0].id
    p, saved, got = _save_and_apply(base, kb, report, lambda b: set_link(
        b, first, STUDY if STUDY not in {e.study for e in kb.claims[0].evidence}
        else "chys2023clinical", stance="context", note=NOTE))
    assert got is None
    assert_same(applied(saved), base)
    kb, report = load_kb(str(base))  # a change that moves no line is worked out
    p, saved, got = _save_and_apply(base, kb, report, lambda b: set_review(
        b, first, "in-review"))
    assert p.new_text.count("\n") == p.old_text.count("\n") and got is not None
    assert_same(got, base)


def test_a_base_read_whole_keeps_a_plain_line_map(tmp_path: Path) -> None:
    """A claims file with a document marker is parsed whole: its lines are a plain dict."""
    root = troubled(copy_base(tmp_path))
    path = root / "claims.yaml"
    path.write_text("---\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    kb, report = load_kb(str(root))
    assert not isinstance(kb.lines, LineMap)
    for where in (0, 13, 26):
        claim_id = next(c.id for i, c in kb.claims_with_index() if i == where)
        for name, make in _operations(kb, claim_id)[::2]:
            p, saved, got = _save_and_apply(root, kb, report, make)
            assert got is not None, name
            assert not isinstance(got[0].lines, LineMap)
            assert_same(got, root)
            kb, report = got


def test_sections_after_the_claims_move_with_them(tmp_path: Path) -> None:
    """With `settings:` and `studies:` after `claims:`, the appraisals' lines and problems
    (a study no claim cites any more) move with the edited entry."""
    root = troubled(copy_base(tmp_path))
    path = root / "claims.yaml"
    text = path.read_text(encoding="utf-8")
    settings, claims = text.index("\nsettings:\n") + 1, text.index("\nclaims:\n") + 1
    path.write_text(text[:settings] + text[claims:] + text[settings:claims], encoding="utf-8")
    kb, report = load_kb(str(root))
    assert isinstance(kb.lines, LineMap)
    assert kb.line_of("studies") > kb.line_of("claims[26]")
    grades = grade_all(kb, report)
    study = next(k for k in kb.studies
                 if sum(k in {e.study for e in c.evidence} for c in kb.claims) == 1)
    holder = next(c.id for c in kb.claims if study in {e.study for e in c.evidence})
    steps = [lambda b: remove_link(b, holder, study),
             *(make for _, make in _operations(kb, kb.claims[0].id)),
             lambda b: set_link(b, kb.claims[-1].id, study, stance="context", note=NOTE)]
    unused = []
    for make in steps:
        p, saved, got = _save_and_apply(root, kb, report, make)
        assert got is not None
        grades = regrade(grades, got[0], got[1], [p.index])
        assert_same(got, root, grades)
        kb, report = got
        unused.append([q.line for q in report if q.code == "study-unused"])
    assert unused[0] and unused[1] != unused[0] and unused[-1] == []  # it moved, then went


def test_the_synthetic_base(tmp_path: Path) -> None:
    """The generator's base (what the benchmark edits at 1000x): line maps per block, links
    written as `evidence: []` when there are none."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import generate

    root = tmp_path / "gen"
    generate.generate(3, str(root), generate.DEFAULT_SEED)
    kb, report = load_kb(str(root))
    grades = grade_all(kb, report)
    assert isinstance(kb.lines, LineMap) and len(kb.claims) > 40
    n = len(kb.claims)
    for at in (0, n // 2, n - 1):
        claim_id = kb.claims[at].id
        for name, make in _operations(kb, claim_id):
            p, saved, got = _save_and_apply(root, kb, report, make)
            assert got is not None, name
            grades = regrade(grades, got[0], got[1], [p.index])
            assert_same(got, root, grades)
            kb, report = got


def test_the_applied_base_keeps_the_article_index(base: Path) -> None:
    kb, report = load_kb(str(base))
    index = kb.article_index
    p, saved, got = _save_and_apply(base, kb, report, lambda b: set_review(
        b, kb.claims[2].id, "in-review", today=TODAY))
    assert got is not None and got[0].article_index is index
    assert kb.claims[2] is not got[0].claims[2] and kb.lines is not got[0].lines


def test_a_claim_that_contradicts_another_can_be_edited(base: Path) -> None:
    """The edited claim's `contradicts` is checked against every claim of the base, not just
    itself (it was refused as naming an unknown claim)."""
    kb, report = load_kb(str(base))
    claim = next(c for c in kb.claims if c.contradicts and c.contradicts[0] in
                 {d.id for d in kb.claims})
    p = set_review(open_base(str(base), kb, report), claim.id, "in-review", today=TODAY)
    assert p.ok, p.render_problems()
    assert not [q for q in p.warnings if q.code.startswith("claim-contradicts")]


def test_a_link_that_changes_the_base_s_long_term_facts_regrades_their_claims(
        tmp_path: Path) -> None:
    """A state-of-evidence claim about long-term evidence is graded from every claim's links:
    a supporting long-term link elsewhere changes its grade, and `regrade` sees that."""
    from kb.rules import about_long_term_evidence

    root = copy_base(tmp_path)
    kb, report = load_kb(str(root))
    grades = grade_all(kb, report)
    state = next(c.id for c in kb.claims if about_long_term_evidence(c))
    claim = next(c for c in kb.claims if c.kind.value == "efficacy" and c.checkable
                 and STUDY not in {e.study for e in c.evidence})
    p, saved, got = _save_and_apply(root, kb, report, lambda b: set_link(
        b, claim.id, STUDY, stance="supports", certainty="low", follow_up="12 months",
        note="Pain at a year."))
    assert got is not None
    after = regrade(grades, got[0], got[1], [p.index])
    assert after[state] != grades[state]
    assert_same(got, root, after)


def assert_same_graph(got, want) -> None:
    """Equal nodes and edges with their data, in the same order either way."""
    assert list(got.nodes(data=True)) == list(want.nodes(data=True))
    assert list(got.edges(data=True)) == list(want.edges(data=True))
    assert [list(got.pred[n].items()) for n in got] == [list(want.pred[n].items()) for n in want]


def test_the_graph_is_updated_for_the_changed_claims(base: Path) -> None:
    """`kb.graph.updated_graph`: the dashboard's graph after a save, without building it,
    leaving the graph it started from as it was."""
    from kb.graph import build_graph, updated_graph

    kb, report = load_kb(str(base))
    grades = grade_all(kb, report)
    graph = build_graph(kb, grades)
    kb0, grades0, graph0 = kb, grades, graph
    for at in (0, 12, 25):
        claim_id = kb.claims[at].id
        for name, make in _operations(kb, claim_id):
            p, saved, got = _save_and_apply(base, kb, report, make)
            assert got is not None
            after = regrade(grades, got[0], got[1], [p.index])
            changed = [c for c in got[0].claims
                       if c.id == claim_id or after[c.id] != grades.get(c.id)]
            assert claim_id in {c.id for c in changed}
            new = updated_graph(graph, got[0], changed, after)
            assert_same_graph(new, build_graph(got[0], after))
            kb, report, grades, graph = *got, after, new
    assert_same_graph(graph0, build_graph(kb0, grades0))


def test_a_changed_quote_is_looked_up_again(base: Path) -> None:
    """No operation changes a quote, but `check_entry` checks any entry: the applied report
    then looks the new quote up (the others keep their reported problems)."""
    from kb.edit import _open, _propose

    kb, report = load_kb(str(base))
    done = []
    for at, quote in ((3, "dry needling"), (9, "not in the article at all, surely"),
                      (18, "Often, tight muscles cause pain and limit movement.")):
        b = open_base(str(base), kb, report)
        claim, entry, et = _open(b, kb.claims[at].id)
        et.set(("quote",), quote)
        p = _propose(b, "review", claim, entry, et, {}, lambda c: {})
        if not p.ok:  # a quote not in the article is an error: refused, as it should be
            assert [q.code for q in p.problems] == ["claim-quote-not-found"]
            continue
        saved = save(p, "Ann", NOW)
        got = apply_saved(saved)
        assert got is not None
        assert_same(got, base)
        kb, report = got
        done.append(at)
    assert done == [3, 18]


def test_the_applied_base_is_kept_as_the_cache_entry_of_the_saved_files(base: Path) -> None:
    """`keep_in_cache`: the next process reads the base after the save back from the cache
    (the warm path, which says nothing) instead of parsing the changed entry and checking
    the whole base again, and gets what loading the files gives."""
    from kb.cache import load_kb_cached
    from kb.edit import keep_in_cache

    said: list[str] = []
    kb, report = load_kb_cached(str(base))  # fills the cache
    for at, make in ((0, lambda b, c: set_review(b, c, "in-review", note="Two\nlines")),
                     (12, lambda b, c: set_link(b, c, STUDY, stance="context", note=NOTE)),
                     (25, lambda b, c: set_override(b, c, "limited", "Too small."))):
        claim_id = kb.claims[at].id
        if at == 12 and STUDY in {e.study for e in kb.claims[at].evidence}:
            claim_id = kb.claims[at + 1].id
        p, saved, got = _save_and_apply(base, kb, report, lambda b: make(b, claim_id))
        assert got is not None and keep_in_cache(saved, *got)
        kb, report = load_kb_cached(str(base), progress=said.append)
        assert said == []  # read back: nothing parsed, nothing checked
        assert_same((kb, report), base)


def test_nothing_is_kept_when_the_file_changed_after_the_save(base: Path) -> None:
    from kb.cache import load_kb_cached
    from kb.edit import keep_in_cache

    kb, report = load_kb_cached(str(base))
    p, saved, got = _save_and_apply(base, kb, report, lambda b: set_review(
        b, kb.claims[4].id, "in-review"))
    path = base / "claims.yaml"
    path.write_bytes(path.read_bytes() + b"\n")  # another writer, after the save
    assert got is not None and not keep_in_cache(saved, *got)
    said: list[str] = []
    assert_same(load_kb_cached(str(base), progress=said.append), base)
    assert said  # loaded the change
