"""The dashboard's edit mode (AppTest): off by default with no control and no way to write;
on with KB_EDIT=1 or after the password; saves go through kb.edit and into the log."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import copy_bundled
from kb.edit import LOG_FILE, read_log
from kb.load import load_kb

CLAIM = "tight-muscles-cause-pain"


def page_script(page: str) -> None:
    import importlib

    importlib.import_module(f"dashboard.{page}").render()


@pytest.fixture
def base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = copy_bundled(tmp_path / "base")
    monkeypatch.setenv("KB_DIR", str(root))
    for name in ("KB_EDIT", "KB_EDIT_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    return root


def claim_page(page: str = "claim", **params: str) -> AppTest:
    at = AppTest.from_function(page_script, kwargs={"page": page}, default_timeout=60)
    for key, value in {"claim": CLAIM, **params}.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def keys(at: AppTest) -> set[str]:
    widgets = [*at.text_input, *at.text_area, *at.selectbox, *at.button, *at.multiselect]
    return {w.key for w in widgets if w.key}


def edit_keys(at: AppTest) -> set[str]:
    return {k for k in keys(at) if k.startswith(("edit_", "kb_edit", "kb_editor"))}


def test_read_only_by_default_no_control_and_no_write(base: Path) -> None:
    raw = (base / "claims.yaml").read_bytes()
    at = claim_page()
    assert edit_keys(at) == set() and not at.tabs
    # Session values and query parameters a visitor might try change nothing.
    at.session_state["kb_editor_name"] = "Mallory"
    at.session_state["_kb_edit_unlocked"] = "True"
    at.query_params["edit"] = "1"
    at.run()
    assert edit_keys(at) == set()
    assert (base / "claims.yaml").read_bytes() == raw and not (base / LOG_FILE).exists()
    assert any("Change history" in e.label for e in at.expander)


def test_edit_mode_saves_a_review_and_logs_it(base: Path, monkeypatch) -> None:
    monkeypatch.setenv("KB_EDIT", "1")
    at = claim_page()
    k = f"edit_{CLAIM}_review"
    assert {f"{k}_status", f"{k}_note", "kb_editor_name"} <= edit_keys(at)
    at.selectbox(key=f"{k}_status").set_value("in-review").run()
    at.text_area(key=f"{k}_note").input("Quintner's critique needs a second look.").run()
    preview = "\n".join(c.value for c in at.code)
    assert "+    status: in-review" in preview and "-    status: draft" in preview
    assert at.button(key=f"{k}_save").disabled  # no editor's name yet
    at.text_input(key="kb_editor_name").input("Ann Editor").run()
    at.button(key=f"{k}_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    kb, report = load_kb(str(base))
    review = kb.claim(CLAIM).review
    assert (review.status.value, review.note) == (
        "in-review", "Quintner's critique needs a second look.")
    assert report.valid
    (record,) = read_log(str(base)).records
    assert (record["editor"], record["operation"], record["after"]["status"]) == (
        "Ann Editor", "review", "in-review")
    assert any(s.value.startswith("Saved") for s in at.success)
    assert not at.error
    assert any("Change history (1)" in e.label for e in at.expander)


def test_the_page_after_a_save_shows_the_base_without_loading_it(base: Path,
                                                                   monkeypatch) -> None:
    """The rerun after a save takes the base worked out in memory (issue 14): nothing loads
    the files again (the cache entry is still the one of the file before the save), and the
    page shows the change."""
    import dashboard.data
    from kb.cache import _read_entry, cache_file
    from kb.writes import digest

    monkeypatch.setenv("KB_EDIT", "1")
    monkeypatch.setattr(dashboard.data, "CACHE_DELAY_S", 600.0)  # not during this test
    before = digest((base / "claims.yaml").read_bytes())
    at = claim_page()
    assert _read_entry(cache_file(str(base)))[0].claims.digest == before
    k = f"edit_{CLAIM}_review"
    at.text_input(key="kb_editor_name").input("Ann Editor").run()
    at.selectbox(key=f"{k}_status").set_value("needs-changes").run()
    at.button(key=f"{k}_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(s.value.startswith("Saved") for s in at.success)
    assert any("review: needs-changes by Ann Editor" in c.value for c in at.caption)
    assert digest((base / "claims.yaml").read_bytes()) != before
    assert _read_entry(cache_file(str(base)))[0].claims.digest == before  # not loaded
    assert dashboard.data._HANDED == {}  # taken by the rerun


def test_edit_mode_adds_and_removes_a_link_with_a_live_preview(base: Path, monkeypatch) -> None:
    monkeypatch.setenv("KB_EDIT", "1")
    raw = (base / "claims.yaml").read_bytes()
    at = claim_page()
    at.text_input(key="kb_editor_name").input("Bob").run()
    k = f"edit_{CLAIM}_link"
    at.text_input(key=f"{k}_query").input("gattie neck").run()
    assert at.selectbox(key=f"{k}_study_gattie neck").value == "gattie2021dry"
    s = f"{k}_gattie2021dry"
    at.selectbox(key=f"{s}_stance").set_value("supports").run()
    at.selectbox(key=f"{s}_certainty").set_value("high").run()
    errors = [e.value for e in at.error]
    assert any("schema-missing" in e and "note" in e for e in errors)  # a link needs a note
    assert at.button(key=f"{s}_save").disabled
    at.text_area(key=f"{s}_note").input("Added in the dashboard test.").run()
    from kb.edit import open_base, set_link

    kb, report = load_kb(str(base))
    expected = set_link(open_base(str(base), kb, report), CLAIM, "gattie2021dry",
                        stance="supports", certainty="high",
                        note="Added in the dashboard test.").grade_after
    preview = "\n".join(m.value for m in at.markdown)
    assert "Computed verdict" in preview and expected.verdict.label in preview
    assert not at.button(key=f"{s}_save").disabled
    at.button(key=f"{s}_save").click().run()
    kb, _ = load_kb(str(base))
    assert kb.claim(CLAIM).evidence[-1].study == "gattie2021dry"
    at.button(key=f"{s}_remove").click().run()
    assert (base / "claims.yaml").read_bytes() == raw
    assert [r["operation"] for r in read_log(str(base)).records] == ["link", "unlink"]


def test_a_password_guards_edit_mode(base: Path, monkeypatch) -> None:
    monkeypatch.setenv("KB_EDIT_PASSWORD", "correct horse")
    at = claim_page()
    assert edit_keys(at) == {"kb_edit_password"}
    at.session_state["_kb_edit_unlocked"] = "True"
    at.run()
    assert edit_keys(at) == {"kb_edit_password"}
    at.text_input(key="kb_edit_password").input("wrong").run()
    assert any("Wrong password" in e.value for e in at.error)
    assert f"edit_{CLAIM}_review_status" not in edit_keys(at)
    at.text_input(key="kb_edit_password").input("correct horse").run()
    assert f"edit_{CLAIM}_review_status" in edit_keys(at)
    assert "kb_edit_logout" in keys(at)


def test_a_file_changed_while_editing_is_not_overwritten(base: Path, monkeypatch) -> None:
    monkeypatch.setenv("KB_EDIT", "1")
    at = claim_page()
    at.text_input(key="kb_editor_name").input("Ann").run()
    k = f"edit_{CLAIM}_review"
    at.selectbox(key=f"{k}_status").set_value("reviewed").run()
    # Someone else saves another claim meanwhile.
    from kb.cli import main

    assert main(["review", "amplified-with-physical-therapy", "--status", "in-review",
                 "--kb", str(base), "--by", "Bob", "--no-cache"]) == 0
    theirs = (base / "claims.yaml").read_bytes()
    at.run()
    assert any("changed since you started editing" in w.value for w in at.warning)
    at.button(key=f"{k}_save").click().run()
    assert any("changed since it was read" in e.value for e in at.error)
    assert (base / "claims.yaml").read_bytes() == theirs
    at.button(key=f"edit_{CLAIM}_reapply").click().run()
    at.button(key=f"{k}_save").click().run()
    kb, _ = load_kb(str(base))
    assert kb.claim(CLAIM).review.status.value == "reviewed"
    assert kb.claim("amplified-with-physical-therapy").review.status.value == "in-review"


def test_changes_page_filters_the_log(base: Path, monkeypatch) -> None:
    from kb.cli import main

    for claim, by in ((CLAIM, "Ann"), ("amplified-with-physical-therapy", "Bob")):
        assert main(["review", claim, "--status", "in-review", "--kb", str(base), "--by", by,
                     "--no-cache"]) == 0
    at = AppTest.from_function(page_script, kwargs={"page": "changes"}, default_timeout=60)
    at.run()
    assert not at.exception
    assert list(at.dataframe[0].value["editor"]) == ["Bob", "Ann"]  # newest first
    at.multiselect(key="changes_editor").set_value(["Bob"]).run()
    assert list(at.dataframe[0].value["editor"]) == ["Bob"]
    assert at.query_params["editor"] in ("Bob", ["Bob"])
    # A shared link with ?claim= opens the filtered view.
    at = AppTest.from_function(page_script, kwargs={"page": "changes"}, default_timeout=60)
    at.query_params["claim"] = CLAIM
    at.run()
    assert list(at.dataframe[0].value["editor"]) == ["Ann"]
