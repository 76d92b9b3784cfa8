"""An editor's session in a real browser: log in, change a review status and a link, save,
reload, see the change and its log record. Screenshots in test-artifacts/ (git-ignored)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import copy_bundled
from kb.edit import read_log
from kb.load import load_kb
from test_browser import browser, serve, shot  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
PASSWORD = "needle-review-2026"
CLAIM = "tight-muscles-cause-pain"


def expect(locator):  # playwright's assertions, imported only when a browser runs
    from playwright.sync_api import expect as pw_expect

    return pw_expect(locator)


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return copy_bundled(tmp_path_factory.mktemp("edit") / "base")


@pytest.fixture(scope="module")
def url(base: Path) -> Iterator[str]:
    yield from serve(base, KB_EDIT_PASSWORD=PASSWORD, KB_EDIT=None)


def idle(page) -> None:
    """Wait until the app has finished its rerun (the running indicator is gone)."""
    page.wait_for_timeout(400)
    page.wait_for_function(
        "() => !document.querySelector(\"[data-testid='stStatusWidget']\")", timeout=60_000)


def choose(page, label: str, option: str) -> None:
    """Pick an option of a Streamlit selectbox by its label."""
    idle(page)
    box = page.locator("[data-testid='stSelectbox']").filter(
        has=page.get_by_role("combobox", name=label, exact=True))
    wanted = page.get_by_role("option", name=option, exact=True)
    for _ in range(5):  # the list opens on the toggle's click once the widget has settled
        box.get_by_role("button", name="Open").click()
        try:
            wanted.wait_for(timeout=3_000)
            break
        except Exception:
            page.keyboard.press("Escape")
            idle(page)
    wanted.click()
    idle(page)


def fill(page, label: str, text: str, submit: str = "Enter") -> None:
    idle(page)
    field = page.get_by_label(label, exact=True)
    field.fill(text)
    field.press(submit)
    idle(page)


def wait_saved(page) -> None:
    page.locator("[data-testid='stAlertContentSuccess']").filter(has_text="Saved").first \
        .wait_for(timeout=30_000)


def test_an_editor_reviews_and_links_then_sees_it_after_a_reload(browser, url: str,
                                                                  base: Path) -> None:
    before = (base / "claims.yaml").read_bytes()
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{url}/claim?claim={CLAIM}")
    page.get_by_text("Computed verdict", exact=True).wait_for(timeout=60_000)
    # Read-only until the password is given: no edit control on the page.
    assert page.get_by_text("Edit this claim").count() == 0
    fill(page, "Editor password", PASSWORD)
    fill(page, "Your name (recorded with each change)", "Ann Editor")
    page.get_by_text("Edit this claim").wait_for(timeout=30_000)

    choose(page, "Review status", "needs-changes")
    fill(page, "Review note", "Check Quintner against the trials.", "Control+Enter")
    page.get_by_text("+    status: needs-changes").first.wait_for(timeout=30_000)
    shot(page, "edit-review-preview")
    page.get_by_role("button", name="Save review").click()
    wait_saved(page)

    idle(page)
    page.get_by_role("tab", name="Evidence links").click()
    fill(page, "Find a study (key, title, author, DOI)", "gattie neck")
    expect(page.get_by_role("combobox", name="Study", exact=True)).to_have_value(
        re.compile("gattie2021dry — Dry Needling Adds No Benefit"), timeout=30_000)
    choose(page, "Stance", "refutes")
    fill(page, "Note (why and how it bears on the claim)",
         "A sham-controlled trial; shows no added benefit, so no sign that tight muscles "
         "cause the pain.", "Control+Enter")
    page.get_by_text("+  - study: gattie2021dry").first.wait_for(timeout=30_000)
    shot(page, "edit-link-preview")
    page.get_by_role("button", name="Add link").click()
    wait_saved(page)

    kb, report = load_kb(str(base))
    claim = kb.claim(CLAIM)
    assert report.valid
    assert claim.review.status.value == "needs-changes"
    assert claim.evidence[-1].study == "gattie2021dry"
    assert claim.evidence[-1].stance.value == "refutes"
    assert [r["operation"] for r in read_log(str(base)).records] == ["review", "link"]
    assert (base / "claims.yaml").read_bytes() != before

    # A reader's reload: the new state and its history, and no edit control.
    page.goto(f"{url}/claim?claim={CLAIM}")
    page.get_by_text("Computed verdict", exact=True).wait_for(timeout=60_000)
    idle(page)
    shot(page, "edit-after-reload-desk")
    page.get_by_text("review: needs-changes by Ann Editor").first.wait_for(timeout=30_000)
    page.get_by_text("Change history (2)").click()
    page.get_by_text("Ann Editor · link").first.wait_for(timeout=30_000)
    page.get_by_text("Ann Editor · review").first.wait_for(timeout=30_000)
    assert page.get_by_text("Edit this claim").count() == 0
    shot(page, "edit-after-reload-desk")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(1000)
    shot(page, "edit-after-reload-phone")
    page.goto(f"{url}/changes")
    page.get_by_text("Every change saved").first.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)
    shot(page, "changes-phone")
    page.set_viewport_size({"width": 1400, "height": 900})
    page.wait_for_timeout(1000)
    shot(page, "changes-desk")
    assert not errors, errors
    page.close()
