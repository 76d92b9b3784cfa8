"""kb.cache's edit path: after claims.yaml changes, the reloaded base equals a full load.

Every case edits a real base (the bundled one, or a generated one in the real contract),
loads it through the cache, and compares the result with `load_kb` on the same files:
claims, appraisals, references, every line of the line map and the report, in order. The
progress messages say which path the cache took and how many entries were parsed again, so
each case also checks that an edit of one claim re-read one entry only.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import ROOT, copy_bundled
from kb.cache import load_kb_cached
from kb.load import load_kb

sys.path.insert(0, str(ROOT / "benchmarks"))
import generate  # noqa: E402  (the benchmark's deterministic base generator)

PATCHED = "claims.yaml: 1 changed entry parsed again"
FULL = "parsing references.bib"


@pytest.fixture(params=["bundled", "generated"])
def base(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    target = tmp_path / request.param
    if request.param == "bundled":
        copy_bundled(target)
    else:
        generate.generate(1, str(target))
    return target


def assert_same_as_full_load(root: Path, loaded) -> None:
    kb, report = loaded
    full_kb, full_report = load_kb(str(root))
    assert list(report) == list(full_report)
    assert tuple(kb.claims) == tuple(full_kb.claims)
    assert dict(kb.studies.items()) == dict(full_kb.studies.items())
    assert dict(kb.references.items()) == dict(full_kb.references.items())
    assert kb.invalid_claims == full_kb.invalid_claims
    assert kb.claim_positions == full_kb.claim_positions
    assert dict(kb.lines) == dict(full_kb.lines)
    assert kb.article_text == full_kb.article_text


def edit(root: Path, change: Callable[[str], str]) -> None:
    path = root / "claims.yaml"
    text = path.read_text(encoding="utf-8")
    new = change(text)
    assert new != text
    path.write_text(new, encoding="utf-8")


def load(root: Path) -> tuple[object, list[str]]:
    said: list[str] = []
    return load_kb_cached(str(root), progress=said.append), said


def nth(pattern: str, text: str, n: int) -> re.Match[str]:
    """The n-th match (from the end if negative) in the claims: section."""
    matches = list(re.finditer(pattern, text[text.index("\nclaims:"):], re.M))
    m = matches[n % len(matches)]
    return re.compile(pattern, re.M).match(text, m.start() + text.index("\nclaims:"))


def insert_after(pattern: str, n: int, what: str) -> Callable[[str], str]:
    def change(text: str) -> str:
        m = nth(pattern, text, n)
        return text[:m.end()] + what + text[m.end():]
    return change


def regrade(text: str, m: re.Match[str]) -> str:
    new = "high" if m.group(1) != "high" else "low"
    return text[:m.start(1)] + new + text[m.end(1):]


# Edits of one claim, each re-reading that claim alone; n picks the claim (first, middle, last).
ONE_CLAIM_EDITS = {
    "statement words": lambda n: insert_after(r"^\s+statement: ", n, "Edited "),
    "statement gains two lines": lambda n: insert_after(
        r"^(\s+)statement: ", n, "Longer\n      text over\n      lines. "),
    "quote no longer in the article": lambda n: insert_after(r"^\s*- id: .*\n\s+quote: (?=\w)", n,
                                                            "Never written "),
    "link certainty": lambda n: lambda t: regrade(t, nth(r"^\s+certainty: ([\w-]+)", t, n)),
    "a comment line added": lambda n: insert_after(r"^\s+kind: .*\n", n,
                                                   "    # an editor's note\n"),
}


@pytest.mark.parametrize("which", [0, 7, -1])
@pytest.mark.parametrize("name", list(ONE_CLAIM_EDITS))
def test_one_claim_edit_is_patched_and_equals_full_load(base: Path, name: str,
                                                        which: int) -> None:
    load(base)
    edit(base, ONE_CLAIM_EDITS[name](which))
    loaded, said = load(base)
    assert PATCHED in said and FULL not in said, said
    assert_same_as_full_load(base, loaded)
    again, said = load(base)  # the edited base is now the cached one
    assert said == []
    assert_same_as_full_load(base, again)


def test_successive_edits_stay_equal(base: Path) -> None:
    load(base)
    for n in (3, 4, 3, -1, 0):
        edit(base, insert_after(r"^\s+statement: ", n, f"Edit {n}. "))
        loaded, said = load(base)
        assert PATCHED in said
        assert_same_as_full_load(base, loaded)


# Other edits of claims.yaml: the entries they touch are parsed again (the bibliography is
# still reused), and the result still equals a full load.
OTHER_EDITS = {
    "claim id changed": insert_after(r"^\s*- id: ", 2, "x"),
    "two claims changed": lambda t: insert_after(r"^\s+statement: ", 5, "B ")(
        insert_after(r"^\s+statement: ", 1, "A ")(t)),
    "an appraisal changed": lambda t: t.replace("\n    design: ", "\n    design: x", 1),
    "a claim made invalid": insert_after(r"^\s+kind: ", 1, "no-such-"),
    "a cited study changed": lambda t: re.sub(
        r"(evidence:\n\s+- study: )(\S+)", r"\1nosuchkey2020", t, count=1),
    "a claim removed": lambda t: t[:nth(r"^\s*- id: ", t, 1).start()]
    + t[nth(r"^\s*- id: ", t, 2).start():],
    "article block changed": lambda t: t.replace("\n  title: ", "\n  title: New ", 1),
}


@pytest.mark.parametrize("name", list(OTHER_EDITS))
def test_other_edits_equal_a_full_load(base: Path, name: str) -> None:
    load(base)
    edit(base, OTHER_EDITS[name])
    loaded, said = load(base)
    assert FULL not in said, said
    assert_same_as_full_load(base, loaded)


def test_two_claims_changed_reread_two_entries(base: Path) -> None:
    load(base)
    edit(base, OTHER_EDITS["two claims changed"])
    assert "claims.yaml: 2 changed entries parsed again" in load(base)[1]


def test_an_edit_that_breaks_the_layout_is_parsed_whole_and_equal(base: Path) -> None:
    load(base)
    edit(base, lambda t: t.replace("\nclaims:", "\nclaims:\n\t# a tab: no blocks", 1))
    loaded, said = load(base)
    assert_same_as_full_load(base, loaded)


def test_edit_after_bibliography_change_is_loaded_in_full(base: Path) -> None:
    load(base)
    bib = base / "references.bib"
    bib.write_text(bib.read_text(encoding="utf-8") + "\n@misc{extra2020, title={Extra}}\n",
                   encoding="utf-8")
    edit(base, insert_after(r"^\s+statement: ", 0, "Edited "))
    loaded, said = load(base)
    assert PATCHED not in said and FULL in said
    assert_same_as_full_load(base, loaded)


def test_undoing_an_edit_returns_the_first_state(base: Path) -> None:
    original = (base / "claims.yaml").read_text(encoding="utf-8")
    first = load(base)[0]
    edit(base, insert_after(r"^\s+statement: ", 2, "Edited "))
    load(base)
    (base / "claims.yaml").write_text(original, encoding="utf-8")
    loaded, said = load(base)
    assert PATCHED in said  # the undone claim is read again, the rest reused
    assert list(loaded[1]) == list(first[1])
    assert_same_as_full_load(base, loaded)
