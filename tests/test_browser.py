"""What a person sees, in a real browser (Playwright driving Debian's Chromium).

Screenshots of every page are kept in test-artifacts/ (git-ignored). Skipped when no
Chromium is installed, except in CI (KB_REQUIRE_BROWSER=1), where that is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import KB_MIN, ROOT
from kb.grading import grade_all
from kb.load import load_kb

sys.path.insert(0, str(ROOT / "benchmarks"))
from browser import CHROMIUM_ARGS, server  # noqa: E402  (benchmarks/ is not a package)

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts"


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium",
                      "/usr/bin/chromium-browser", shutil.which("chromium")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


@pytest.fixture(scope="module")
def browser():
    path = chromium_path()
    if path is None:
        if os.environ.get("KB_REQUIRE_BROWSER"):
            pytest.fail("KB_REQUIRE_BROWSER is set but no Chromium was found "
                        "(scripts/ensure-chromium.sh installs it)")
        pytest.skip("no Chromium installed (run scripts/ensure-chromium.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield b
        b.close()


def serve(kb_dir: Path, **env_changes: str | None) -> Iterator[str]:
    """A Streamlit server on `kb_dir` (the benchmark's), failing the test if it won't start."""
    try:
        with server(str(ROOT / "app.py"), str(kb_dir), **env_changes) as (url, _pid):
            yield url
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    yield from serve(ROOT)


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


PAGES = [("overview", "/", "Download these claims (CSV)"),
         ("article", "/article", "Claims in reading order"),
         ("claim", "/claim?claim=very-safe", "Computed verdict"),
         ("studies", "/studies?study=gattie2021dry", "Verified at"),
         ("studies-list", "/studies", "Open a study with its"),
         ("graph", "/graph", "Which studies bear on which claims"),
         ("gaps", "/gaps", "Evidence gap map"),
         ("glossary", "/glossary", "Corrected covered area (CCA)"),
         ("check", "/check", "the same report as"),
         ("unknown-claim", "/claim?claim=nope", "There is no claim with id")]
SIZES = {"desk": (1400, 900), "phone": (390, 844)}


def overflow(page) -> int:
    """How many pixels the page's content sticks out sideways (0: nothing to scroll to)."""
    return page.evaluate("""() => {
        const main = document.querySelector('[data-testid="stMain"]') || document.body;
        return Math.max(main.scrollWidth - main.clientWidth,
                        document.documentElement.scrollWidth - window.innerWidth);
    }""")


def shot_whole(page, name: str) -> None:
    """A screenshot of the whole page: the window is made as tall as the content (at the
    same width) after the layout was checked at the real size."""
    height = page.evaluate("""() => {
        const main = document.querySelector('[data-testid="stMain"]');
        return main ? main.scrollHeight : document.body.scrollHeight;
    }""")
    width = page.viewport_size["width"]
    page.set_viewport_size({"width": width, "height": min(max(height, 600), 12000)})
    page.wait_for_timeout(800)
    shot(page, name)


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize(("name", "path", "expect"), PAGES, ids=[p[0] for p in PAGES])
def test_each_page_shows_its_content(browser, app_url: str, name: str, path: str,
                                     expect: str, size: str) -> None:
    width, height = SIZES[size]
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(app_url + path)
    page.get_by_text(expect).first.wait_for(timeout=30_000)
    page.wait_for_timeout(1500)  # let charts draw before the screenshot
    assert page.locator("text=Traceback").count() == 0
    assert page.locator("text=Page not found").count() == 0
    assert page.locator("[data-testid='stException']").count() == 0
    # Streamlit's "Deploy" button is hidden (.streamlit/config.toml: client.toolbarMode).
    assert page.get_by_text("Deploy", exact=True).count() == 0
    assert overflow(page) <= 1, f"{name} at {size} scrolls sideways"
    shot_whole(page, f"{size}-{name}")
    assert not errors, errors
    page.close()


def test_unknown_claim_shows_nothing_else(browser, app_url: str) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(app_url + "/claim?claim=nope")
    page.get_by_text("There is no claim with id").wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    assert page.get_by_text("Computed verdict").count() == 0
    assert page.locator("[data-testid='stSelectbox']").count() == 0
    page.close()


def test_filtered_overview_round_trips_through_the_url(browser, app_url: str) -> None:
    kb, report = load_kb(str(ROOT))
    grades = grade_all(kb, report)
    limited = sum(g.verdict.value == "limited" for g in grades.values())
    mixed = sum(g.verdict.value == "mixed" for g in grades.values())
    total = len(grades)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(app_url + "/?verdict=limited")
    page.get_by_text(f"Claims ({limited} of {total})").wait_for(timeout=30_000)
    page.locator("tr[data-row]").nth(limited - 1).wait_for(timeout=10_000)
    assert page.locator("tr[data-row]").count() == limited
    # One click on another verdict adds it to the filter and to the address.
    page.get_by_role("button", name=re.compile(r"Mixed evidence · \d+")).click()
    page.get_by_text(f"Claims ({limited + mixed} of {total})").wait_for(timeout=30_000)
    page.wait_for_function("() => location.search.includes('mixed')", timeout=10_000)
    shared = page.url
    assert "verdict=limited" in shared and "verdict=mixed" in shared
    other = browser.new_page(viewport={"width": 390, "height": 844})
    other.goto(shared)
    other.get_by_text(f"Claims ({limited + mixed} of {total})").wait_for(timeout=30_000)
    other.locator("tr[data-row]").nth(limited + mixed - 1).wait_for(timeout=10_000)
    assert other.locator("tr[data-row]").count() == limited + mixed
    shot_whole(other, "phone-overview-shared-filter")
    other.close()
    kind = next(c.kind.value for c in kb.claims if grades[c.id].verdict.value == "limited")
    page.goto(app_url + f"/?verdict=limited&kind={kind}")
    expected = sum(grades[c.id].verdict.value == "limited" and c.kind.value == kind
                   for c in kb.claims)
    page.get_by_text(f"Claims ({expected} of {total})").wait_for(timeout=30_000)
    page.close()


def test_overview_then_highlight_opens_claim_with_its_verdict(browser, app_url: str) -> None:
    kb, report = load_kb(str(ROOT))
    grade = grade_all(kb, report)["as-effective-as-lidocaine"]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(app_url + "/")
    page.get_by_text("What does the evidence say?").wait_for(timeout=30_000)
    page.goto(app_url + "/article")
    highlight = page.locator("a#claim-as-effective-as-lidocaine")
    highlight.wait_for(timeout=30_000)
    highlight.click()
    page.get_by_text("Computed verdict", exact=True).wait_for(timeout=30_000)
    assert "claim=as-effective-as-lidocaine" in page.url
    heading = f"{grade.verdict.icon} {grade.verdict.label}"
    page.get_by_role("heading", name=heading).first.wait_for(timeout=10_000)
    page.get_by_text(grade.statement).first.wait_for(timeout=10_000)
    shot(page, "claim-from-article")
    page.close()


def test_deep_link_from_root_query(browser, app_url: str) -> None:
    page = browser.new_page()
    page.goto(app_url + "/?claim=very-safe")
    page.get_by_text("Computed verdict", exact=True).wait_for(timeout=30_000)
    page.get_by_role("heading", name="Dry needling is very safe.").wait_for(timeout=10_000)
    page.close()


PAYLOAD_IMG = '<img src=x onerror="window.__pwned=1;alert(1)">'
PAYLOAD_SCRIPT = "<script>window.__pwned=2;alert(2)</script>"


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory) -> Iterator[str]:
    kb_dir = tmp_path_factory.mktemp("hostile") / "kb"
    shutil.copytree(KB_MIN, kb_dir, ignore=shutil.ignore_patterns(".kb-cache"))
    article = (kb_dir / "article.txt").read_text(encoding="utf-8")
    article = article.replace("Nobody knows", f"{PAYLOAD_IMG} Nobody knows")
    (kb_dir / "article.txt").write_text(article, encoding="utf-8")
    claims = (kb_dir / "claims.yaml").read_text(encoding="utf-8")
    from kb.anchors import sha256_text
    import re
    claims = re.sub(r"sha256: [0-9a-f]{64}", f"sha256: {sha256_text(article)}", claims)
    claims = claims.replace("statement: Needling is very safe.",
                            f"statement: '{PAYLOAD_SCRIPT} [click](javascript:alert(4))'")
    claims = claims.replace("quote: Nobody knows the long-term effect.",
                            f"quote: '{PAYLOAD_IMG} Nobody knows'")
    (kb_dir / "claims.yaml").write_text(claims, encoding="utf-8")
    _, report = load_kb(str(kb_dir))
    assert report.valid, report.render()
    yield from serve(kb_dir)


@pytest.mark.parametrize("path", ["/", "/article", "/claim?claim=very-safe",
                                  "/claim?claim=long-term-unknown", "/graph",
                                  "/claim?claim=%5Bx%5D(javascript:alert(5))"])
def test_hostile_text_is_shown_as_text_and_runs_nothing(browser, hostile_url: str,
                                                        path: str) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(hostile_url + path)
    page.locator("[data-testid='stAppViewContainer']").wait_for(timeout=30_000)
    page.wait_for_timeout(3000)
    if path in ("/article", "/claim?claim=long-term-unknown"):
        page.get_by_text("onerror=", exact=False).first.wait_for(timeout=10_000)
    if path == "/claim?claim=very-safe":
        page.get_by_text("<script>", exact=False).first.wait_for(timeout=10_000)
        # Markdown in data is shown literally, not turned into a link.
        page.get_by_text("[click](javascript:alert(4))", exact=False).first.wait_for(
            timeout=10_000)
    assert dialogs == []
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("a[href^='javascript:']").count() == 0
    shot(page, "hostile" + path.replace("/", "-").replace("?", "-").replace("=", "-"))
    page.close()


def test_claim_page_charts_are_drawn(browser, app_url: str) -> None:
    """The follow-up bars and the neighbourhood are plain Vega-Lite specs: both must draw."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(app_url + "/claim?claim=very-safe")
    page.get_by_text("This claim and its studies").first.wait_for(timeout=30_000)
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    charts.nth(1).wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    # Forest plots (when the claim's links carry effects) come first; these two come last.
    count = charts.count()
    assert count >= 2
    ARTIFACTS.mkdir(exist_ok=True)
    for i, name in zip((count - 2, count - 1), ("follow-up", "neighbourhood"), strict=True):
        chart = charts.nth(i)
        chart.scroll_into_view_if_needed()
        drawn = chart.locator("canvas, svg").first
        drawn.wait_for(timeout=30_000)
        box = drawn.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 50, (name, box)
        chart.screenshot(path=str(ARTIFACTS / f"claim-{name}-chart.png"))
    assert not errors, errors
    page.close()


@pytest.fixture(scope="module")
def sof_url() -> Iterator[str]:
    from conftest import FIXTURES

    yield from serve(FIXTURES / "kb_sof")


@pytest.mark.parametrize(("width", "height"), [(1400, 900), (390, 844)], ids=["desk", "phone"])
def test_forest_plot_draws(browser, sof_url: str, width: int, height: int) -> None:
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(sof_url + "/claim?claim=short-term-pain")
    page.get_by_text("Summary of findings").first.wait_for(timeout=30_000)
    page.get_by_text("Forest plot: pain, SMD").first.wait_for(timeout=30_000)
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    chart.scroll_into_view_if_needed()
    drawn = chart.locator("canvas, svg").first
    drawn.wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    box = drawn.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 100, box
    # The plot is not blank: the study squares and the diamond put dark pixels on it.
    shot_path = ARTIFACTS / f"forest-{width}.png"
    ARTIFACTS.mkdir(exist_ok=True)
    chart.screenshot(path=str(shot_path))
    import numpy as np
    from PIL import Image

    with Image.open(shot_path) as img:
        inked = int((np.asarray(img.convert("L")) < 160).sum())
    assert inked > 300, inked
    page.get_by_text("not a systematic review", exact=False).first.wait_for(timeout=10_000)
    shot(page, f"claim-sof-{width}")
    assert not errors, errors
    page.close()


@pytest.mark.parametrize(("claim", "expect"), [
    ("no-long-term-trials", "trials in the base"),
    ("tight-muscles-cause-pain", "Long-term evidence: n/a"),
    ("growing-evidence-myofascial-pain", "Summary of findings"),
])
def test_long_term_flag_and_state_of_evidence_are_shown(browser, app_url: str, claim: str,
                                                        expect: str) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(app_url + f"/claim?claim={claim}")
    page.get_by_text(expect, exact=False).first.wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    shot(page, f"claim-{claim}")
    assert not errors, errors
    page.close()


# Markdown smuggled into data fields: shown as text, never a link; a link's label is its target.
LIVE = "https://evil.example"


@pytest.fixture(scope="module")
def markdown_url(tmp_path_factory) -> Iterator[str]:
    kb_dir = tmp_path_factory.mktemp("markdown") / "kb"
    shutil.copytree(KB_MIN, kb_dir, ignore=shutil.ignore_patterns(".kb-cache"))
    claims = (kb_dir / "claims.yaml").read_text(encoding="utf-8")
    claims = claims.replace(
        "    kind: safety\n",
        "    kind: safety\n    pico:\n      population: '[x](javascript:alert(1))'\n"
        f"      intervention: '[pico-link]({LIVE}/pico)'\n"
        f"      outcome: 'harms, see {LIVE}/auto and www.evil.example'\n")
    claims = claims.replace(
        "    participants: 60\n",
        "    participants: 60\n    population: '[x](javascript:alert(1))'\n"
        f"    intervention: '[pop-link]({LIVE}/pop)'\n"
        f"    summary: 'Read {LIVE}/sum for more'\n")
    claims = claims.replace("      - url: https://example.org/alpha",
                            "      - url: https://x.org/a)](javascript:alert(6))")
    (kb_dir / "claims.yaml").write_text(claims, encoding="utf-8")
    bib = (kb_dir / "references.bib").read_text(encoding="utf-8")
    bib = bib.replace("url          = {https://example.org/survey}",
                      f'url          = {{{LIVE}/"onmouseover=alert(7)}}')
    (kb_dir / "references.bib").write_text(bib, encoding="utf-8")
    _, report = load_kb(str(kb_dir))
    assert report.valid, report.render()
    yield from serve(kb_dir)


@pytest.mark.parametrize(("path", "ready", "expect"), [
    ("/claim?claim=very-safe", "pico-link", f"[pico-link]({LIVE}/pico)"),
    ("/studies?study=alpha2020trial", "2026-11-01", f"[pop-link]({LIVE}/pop)"),
    ("/studies?study=delta2019survey", "2026-11-01", "A survey of needling harms"),
], ids=["claim-pico", "study-facts", "study-rejected-url"])
def test_markdown_in_data_is_text_and_labels_are_targets(browser, markdown_url: str, path: str,
                                                         ready: str, expect: str) -> None:
    for width, height in ((1400, 900), (390, 844)):
        page = browser.new_page(viewport={"width": width, "height": height})
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(markdown_url + path)
        page.get_by_text(ready, exact=False).first.wait_for(timeout=30_000)
        page.wait_for_timeout(1500)
        # (the word joiner that keeps bare addresses from being linked is invisible)
        shown = page.evaluate("document.body.innerText").replace("\u2060", "")
        assert expect in shown
        links = page.locator("a").evaluate_all(
            "els => els.map(a => [a.getAttribute('href') || '', a.textContent || ''])")
        assert not [h for h, _ in links
                    if "evil.example" in h or h.strip().lower().startswith("javascript")]
        assert not [t for _, t in links if "evil.example" in t]
        if path.startswith("/studies?study=alpha"):
            # the verified address is linked under its site's name, to exactly that address
            shown = [(h, t) for h, t in links if "x.org" in h]
            assert shown, links
            for href, text in shown:
                assert text == "x.org"
                assert urllib.parse.unquote(href) == "https://x.org/a)](javascript:alert(6))"
        assert dialogs == []
        page.get_by_text(ready, exact=False).first.scroll_into_view_if_needed()
        shot(page, "markdown" + path.replace("/", "-").replace("?", "-").replace("=", "-")
             + f"-{width}")
        page.close()
