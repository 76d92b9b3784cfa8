"""kb.claimtext: one claim entry edited in place, in the file's own style."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import ROOT
from kb.claimtext import EntryText, Style, detect_style, find_claim, infer_width

ENTRY = """\
- id: a-claim   # the id stays
  quote: Some words
  statement: A statement.
  kind: efficacy
  evidence:
  - study: one2020
    stance: supports   # why supports
    certainty: low
    note: First.
  # a comment between links
  - study: two2021
    stance: context
    certainty: very-low
    note: Second.
  review:
    status: draft  # set by the desk
    override: {verdict: limited, rationale: Small trials.}
"""


def edited(text: str = ENTRY, style: Style = Style(width=100)) -> EntryText:
    return EntryText(text, style)


def changed_lines(old: str, new: str) -> tuple[list[str], list[str]]:
    a, b = old.splitlines(), new.splitlines()
    return [x for x in a if x not in b], [x for x in b if x not in a]


def test_a_changed_value_keeps_the_comment_on_its_line() -> None:
    et = edited()
    et.set(("review", "status"), "reviewed")
    assert changed_lines(ENTRY, et.result()) == (
        ["    status: draft  # set by the desk"], ["    status: reviewed  # set by the desk"])


def test_new_keys_go_in_schema_order_and_flow_mappings_stay_flow() -> None:
    et = edited()
    et.set(("review", "reviewer"), "Ann")
    et.set(("review", "date"), dt.date(2026, 12, 2))
    et.set(("review", "override"), {"verdict": "mixed", "rationale": "Conflicting trials."})
    lines = et.result().splitlines()
    assert lines[-4:] == ["    status: draft  # set by the desk", "    reviewer: Ann",
                          "    date: 2026-12-02",
                          "    override: {verdict: mixed, rationale: Conflicting trials.}"]


def test_a_link_field_is_added_where_the_schema_puts_it() -> None:
    et = edited()
    et.set(("evidence", 1, "locator"), "table 2")
    assert "    certainty: very-low\n    locator: table 2\n    note: Second." in et.result()


def test_removing_a_link_keeps_the_comment_between_links() -> None:
    et = edited()
    et.remove(("evidence",), 0)
    removed, added = changed_lines(ENTRY, et.result())
    assert added == [] and removed == ["  - study: one2020", "    stance: supports   # why supports",
                                       "    certainty: low", "    note: First."]
    assert "  # a comment between links\n  - study: two2021" in et.result()


def test_append_then_remove_is_the_identity_with_and_without_a_final_newline() -> None:
    for text in (ENTRY, ENTRY.rstrip("\n")):
        et = edited(text)
        et.append(("evidence",), {"study": "three2022", "stance": "mixed",
                                  "certainty": "low", "note": "Third."})
        assert "  - study: three2022\n    stance: mixed" in et.result()
        et.remove(("evidence",), 2)
        assert et.result() == text


def test_clearing_the_last_key_of_a_mapping_removes_the_mapping() -> None:
    text = "- id: x\n  quote: q\n  review:\n    override: {verdict: mixed, rationale: r}\n"
    et = edited(text)
    et.delete(("review", "override"))
    assert et.result() == "- id: x\n  quote: q\n"


def test_windows_line_endings_are_kept() -> None:
    text = ENTRY.replace("\n", "\r\n")
    et = EntryText(text, detect_style(text, []))
    et.set(("review", "status"), "in-review")
    assert et.result() == text.replace("status: draft", "status: in-review")


def test_indented_sequences_stay_indented() -> None:
    text = "- id: x\n  quote: q\n  evidence:\n    - study: a\n      stance: supports\n"
    et = EntryText(text, detect_style(text, []))
    et.append(("evidence",), {"study": "b", "stance": "refutes"})
    assert et.result().endswith("    - study: a\n      stance: supports\n"
                                "    - study: b\n      stance: refutes\n")
    text = "- id: x\n  quote: q\n  evidence:\n  - study: a\n"
    et = EntryText(text, detect_style(text, []))
    et.set(("review", "status"), "draft")
    et.delete(("evidence",))
    et.set(("evidence",), [{"study": "b"}])
    assert "  evidence:\n  - study: b\n" in et.result()


def test_long_values_wrap_at_the_files_width() -> None:
    words = " ".join(f"word{i}" for i in range(40))
    for width in (60, 80, 100):
        text = f"- id: x\n  statement: {words}\n"
        et = edited(text, Style(width=width))
        et.set(("review", "note"), words)
        lines = et.result().splitlines()
        note = lines[lines.index("  review:") + 1:]
        assert all(len(ln) <= width + 1 + len("word39") for ln in note)  # one word past it
        assert len(note) > 1 and note[1].startswith("      word")


@pytest.mark.parametrize("width", [60, 80, 100, 120])
def test_the_width_is_read_back_from_text_the_emitter_wrapped(width: int) -> None:
    import yaml

    data = [{"id": "x", "statement": " ".join(f"w{i % 7}" * (1 + i % 3) for i in range(200)),
             "evidence": [{"note": " ".join(f"n{i}" for i in range(120))}]}]
    text = yaml.dump(data, sort_keys=False, width=width)
    assert infer_width([text]) == width


def test_the_bundled_file_is_found_entry_by_entry() -> None:
    raw = (ROOT / "claims.yaml").read_bytes()
    from kb.load import load_kb

    kb, _ = load_kb(str(ROOT))
    ends = []
    for index, claim in kb.claims_with_index():
        fast = find_claim(raw, claim.id, kb.line_of(f"claims[{index}]"))
        slow = find_claim(raw, claim.id)  # no line to check: the claims splitter
        assert fast == slow and fast is not None
        assert raw[fast.start:].startswith(f"- id: {claim.id}\n".encode())
        ends.append(fast.end)
    assert ends[-1] == len(raw)
