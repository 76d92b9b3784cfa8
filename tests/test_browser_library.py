"""The library page in a real browser: a folder of two bases, at desk and phone width;
opening an article leads to its overview. Screenshots in test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from test_browser import browser, serve, shot  # noqa: F401  (fixtures)
from test_library import make_library

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def library_url(tmp_path_factory) -> Iterator[str]:
    yield from serve(make_library(tmp_path_factory.mktemp("lib")))


@pytest.mark.parametrize("width, height, name", [(1400, 900, "library-desk"),
                                                  (390, 844, "library-phone")])
def test_library_page_lists_articles_and_opens_one(browser, library_url: str,  # noqa: F811
                                                   width: int, height: int, name: str) -> None:
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(library_url + "/")
    page.get_by_text("Studies cited by several articles").wait_for(timeout=60_000)
    page.get_by_role("heading", name="Needles Explained").wait_for(timeout=10_000)
    page.get_by_text("Dry Needling Explained").first.wait_for(timeout=10_000)
    page.wait_for_timeout(1000)
    assert page.locator("text=Traceback").count() == 0
    shot(page, name)
    page.get_by_role("button", name="Open").nth(1).click()  # the second article
    page.get_by_text("What does the evidence say?").wait_for(timeout=60_000)
    page.get_by_text("Reviewing: Needles Explained").wait_for(timeout=10_000)
    page.get_by_text("Studies cited by several articles").wait_for(state="detached",
                                                                   timeout=30_000)
    page.wait_for_timeout(2000)  # let the overview's charts draw
    shot(page, name + "-opened")
    assert not errors, errors
    page.close()


def test_links_inside_an_article_keep_to_that_article(browser, library_url: str) -> None:  # noqa: F811
    """A highlight on the article page opens the claim page of the same article, not the
    library (the link carries ?base=)."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(library_url + "/article?base=tiny-needles")
    highlight = page.locator("a#claim-very-safe")
    highlight.wait_for(timeout=60_000)
    highlight.click()
    page.get_by_text("Computed verdict", exact=True).wait_for(timeout=60_000)
    assert "base=tiny-needles" in page.url and "claim=very-safe" in page.url
    page.get_by_text("Reviewing: Needles Explained").wait_for(timeout=10_000)
    page.close()
