"""Dashboard page times in a real browser (Playwright + Debian's Chromium) and server memory.

    .venv/bin/python benchmarks/browser.py                        # the bundled base
    .venv/bin/python benchmarks/browser.py --kb benchmarks/.data/kb-1000 --repeats 2

For each run it starts a fresh Streamlit server on the base and measures, per page, the time
from asking for the page's address until its main content is visible (a page-specific
element, see PAGES) and until Streamlit reports the script finished ("idle"):

- `first`: the first page a fresh server shows (it loads the base: from the kb cache when the
  files are unchanged);
- `warm`: every page again, each in a new tab (a new session), `--repeats` times; medians;
- `sidebar_s`: in one open tab, a click on each page's sidebar link until its content shows
  (no page load, no new session: what a reader waits for between pages);
- `rss_mb`: the server's resident memory after every page was visited.

The baseline, measured in the same run and the same way, is a one-line Streamlit app (a
title) on its own server: page times are also given as ratios to it, which is the floor any
Streamlit page pays on this machine (websocket, script run, first paint).
Results print as JSON (and go to `--out`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
TIMEOUT_MS = 900_000

# (name, path with {claim}/{study}, selector of the main content)
PAGES = [
    ("overview", "/", "tr[data-row]"),
    ("article", "/article", ".kb-article"),
    ("claim", "/claim?claim={claim}", "tr[data-row]"),
    ("study", "/studies?study={study}", "text=Claims that cite it"),
    ("studies", "/studies", "[data-testid='stDataFrame']"),
    ("graph", "/graph", "[data-testid='stVegaLiteChart'] canvas, "
                        "[data-testid='stVegaLiteChart'] svg"),
    ("gaps", "/gaps", "table.kb-gap"),
    ("glossary", "/glossary", "dl.kb-glossary"),
    ("check", "/check", "text=the same report as"),
]
# In-app navigation (a click in the sidebar, no page load): page title -> unique content.
SIDEBAR = [
    ("Article", ".kb-article"),
    ("Claim", "text=Computed verdict"),
    ("Studies", "[data-testid='stDataFrame']"),
    ("Graph", "[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg"),
    ("Evidence gap map", "table.kb-gap"),
    ("Glossary", "dl.kb-glossary"),
    ("Check", "text=the same report as"),
    ("Overview", "text=/Claims \\(\\d+ of/"),
]
BASELINE_APP = 'import streamlit as st\nst.title("Baseline page")\n'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(app: str, kb_dir: str, **env_changes: str | None) -> Iterator[tuple[str, int]]:
    """A Streamlit server for `app` on `kb_dir` (the tests use it too); `env_changes` set
    environment variables (None removes one). Yields its address and process id."""
    port = free_port()
    env = {**os.environ, "KB_DIR": kb_dir}
    for name, value in env_changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    # Its log goes to a file, not a pipe nobody reads (a full pipe would stall the server).
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", app, "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                    break
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        log.seek(0)
                        tail = log.read().decode(errors="replace")[-2000:]
                        raise RuntimeError(f"streamlit did not start: {tail}") from None
                    time.sleep(0.2)
            yield url, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        kb = next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))
    return round(kb / 1024, 1)


def visit(browser: Any, url: str, selector: str, width: int = 1400,
          height: int = 900) -> dict[str, float]:
    """Seconds until the content is visible and until the script run is over (idle)."""
    page = browser.new_page(viewport={"width": width, "height": height})
    try:
        t0 = time.perf_counter()
        page.goto(url, wait_until="commit")
        page.locator(selector).first.wait_for(state="visible", timeout=TIMEOUT_MS)
        content = time.perf_counter() - t0
        # Streamlit shows its status widget ("Running...") while a script runs.
        page.wait_for_function(
            "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
            timeout=TIMEOUT_MS, polling=50)
        idle = time.perf_counter() - t0
        return {"content_s": round(content, 3), "idle_s": round(idle, 3)}
    finally:
        page.close()


def navigate(browser: Any, url: str, repeats: int) -> dict[str, float]:
    """Seconds from a click on a page's sidebar link until its content is visible: what a
    reader waits for between pages once the app is open (medians over `repeats` rounds)."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    times: dict[str, list[float]] = {title: [] for title, _ in SIDEBAR}
    try:
        page.goto(url)
        page.locator("text=/Claims \\(\\d+ of/").first.wait_for(timeout=TIMEOUT_MS)
        for _ in range(repeats):
            for title, selector in SIDEBAR:
                link = page.locator("[data-testid='stSidebarNav'] a").filter(
                    has_text=re.compile(rf"^\W*{re.escape(title)}$"))
                page.wait_for_function(
                    "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                    timeout=TIMEOUT_MS, polling=50)
                t0 = time.perf_counter()
                link.first.click()
                page.locator(selector).first.wait_for(state="visible", timeout=TIMEOUT_MS)
                times[title].append(time.perf_counter() - t0)
    finally:
        page.close()
    return {title: median(values) for title, values in times.items()}


def first_ids(kb_dir: str) -> dict[str, str]:
    """A claim id and a study key of the base, read without loading it."""
    claim = study = ""
    with open(os.path.join(kb_dir, "claims.yaml"), encoding="utf-8") as fh:
        in_claims = False
        for line in fh:
            if line.startswith("claims:"):
                in_claims = True
            elif in_claims and (m := re.match(r"\s*- id:\s*(\S+)", line)):
                claim = m.group(1)
                break
    with open(os.path.join(kb_dir, "references.bib"), encoding="utf-8") as fh:
        for line in fh:
            if m := re.match(r"@\w+\{([^,\s]+),", line):
                study = m.group(1)
                break
    return {"claim": claim, "study": study}


def median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def run(kb_dir: str, repeats: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    ids = first_ids(kb_dir)
    out: dict[str, Any] = {"kb": os.path.relpath(kb_dir, ROOT), "ids": ids,
                           "repeats": repeats, "machine": machine()}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        with tempfile.TemporaryDirectory() as tmp:
            app = os.path.join(tmp, "baseline_app.py")
            with open(app, "w", encoding="utf-8") as fh:
                fh.write(BASELINE_APP)
            with server(app, kb_dir) as (url, _):
                visit(browser, url, "h1")  # the browser's cache of Streamlit's scripts
                base = [visit(browser, url, "h1") for _ in range(max(3, repeats))]
        out["baseline"] = {"content_s": median([b["content_s"] for b in base]),
                           "idle_s": median([b["idle_s"] for b in base])}
        floor = out["baseline"]["content_s"]
        with server(os.path.join(ROOT, "app.py"), kb_dir) as (url, pid):
            name, path, selector = PAGES[0]
            first = visit(browser, url + path.format(**ids), selector)
            out["first"] = {"page": name, **first,
                            "ratio": round(first["content_s"] / floor, 1)}
            pages: dict[str, Any] = {}
            for name, path, selector in PAGES:  # every page once, so all are warm
                pages[name] = {"first_visit": visit(browser, url + path.format(**ids), selector)}
            for name, path, selector in PAGES:
                runs = [visit(browser, url + path.format(**ids), selector)
                        for _ in range(repeats)]
                content = median([r["content_s"] for r in runs])
                pages[name].update({"content_s": content,
                                    "idle_s": median([r["idle_s"] for r in runs]),
                                    "ratio": round(content / floor, 1)})
            out["pages"] = pages
            out["sidebar_s"] = navigate(browser, url, repeats)
            out["rss_mb"] = rss_mb(pid)
        browser.close()
    out["worst_warm_content_s"] = max(p["content_s"] for p in out["pages"].values())
    out["worst_sidebar_s"] = max(out["sidebar_s"].values())
    out["worst_first_visit_s"] = max(p["first_visit"]["content_s"]
                                     for p in out["pages"].values())
    return out


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"python": platform.python_version(), "cpus": os.cpu_count()}
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            info["cpu"] = next(line.split(":", 1)[1].strip() for line in fh
                               if line.startswith("model name"))
        info["load_1m"] = round(os.getloadavg()[0], 2)
    except (OSError, StopIteration):
        pass
    try:
        out = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True,
                             timeout=30)
        info["chromium"] = out.stdout.strip()
    except OSError:
        pass
    import streamlit
    info["streamlit"] = streamlit.__version__
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", default=ROOT, help="knowledge-base folder (default: bundled)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args(argv)
    result = run(os.path.abspath(args.kb), args.repeats)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
