"""Benchmark the knowledge base against bare parsing, on a generated base of a given scale.

    python benchmarks/run.py --scale 100 --json > benchmarks/results/scale-100.json

Generates the base with `benchmarks/generate.py` (or reuses it: bases are kept under
`benchmarks/.data/scale-N-seed-S-vG/`, git-ignored) and prints ONE JSON object. By default the
working tree's kb/ and dashboard/ are measured; `--commit REV` measures a clean export of a
commit instead (kept under `benchmarks/.data/src-SHA/`), so a run sees one code state; the
JSON's `code` says which. Everything is measured in the same run, on the same files, with
`time.perf_counter`; each figure is the median of `--repeats` runs (default 5, and 3 from
scale 1000 up, where one cold load takes a minute: a full run at scale 1000 takes about 15
minutes on 2 cores, plus about a minute to generate the base the first time), and every
sample is kept under `runs`.

What is measured, each in a NEW child process (interpreter start-up excluded; imports timed
separately):

baselines   reading the three files' bytes; one compiled-regex split of the .bib into entries
            (`re.split(r'\\n(?=@)')`); bare `yaml.load(text, Loader=yaml.CSafeLoader)` of
            claims.yaml; bare `bibtexparser.parse_string(text)` (default parse stack).
ours        cold: `kb, r = load_kb(dir); grade_all(kb, r)` (load + validate + grade), then in the
            same child `build_graph(kb, grades)`; `grade_all_s` is the cold run's grading step;
            warm / edit: `load_kb_cached(dir)` (from kb.load, else kb.cache) in a new process
            whose cache an earlier process filled, and again after editing one claim's
            statement in claims.yaml (null, with a note, while no `load_kb_cached` exists);
            the cache goes to benchmarks/.data/kb-cache (KB_CACHE_DIR), cleared before cold
            runs; cli_verdicts_warm_s: the whole `kb verdicts` process with a warm cache;
            phases: load_kb's steps timed one by one (claims file, bibliography, assembly with
            the checks, then each check again alone) in one more child, once;
            dashboard: the overview page (first render loads the base through the dashboard's
            cache; later renders reuse it) and one claim page (the claim with the most links)
            run server-side with `streamlit.testing.v1.AppTest.from_function`;
            peak memory: each child's `ru_maxrss`.
ratios      cold_ratio = cold (load + validate + grade) / (bare bibtexparser + bare YAML);
            warm_ratio, edit_ratio = warm / edit reload over the bare bibtexparser parse;
            *_of_bare_total: the same over bare bibtexparser + bare YAML.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATA = os.path.join(HERE, ".data")
# Folders a cached loader may leave inside a knowledge base (older code); removed before every
# cold run. The cache itself goes to CACHE_HOME (KB_CACHE_DIR for every child), also cleared.
CACHE_DIRS = (".kb-cache",)
CACHE_HOME = os.path.join(DATA, "kb-cache")
CHILD_TIMEOUT = 3600

sys.path.insert(0, HERE)
import generate  # noqa: E402  (benchmarks/generate.py, stdlib + PyYAML only)

# --- children ---------------------------------------------------------------------------------
# Each child prints one JSON line on stdout. They are run as `run.py --child MODE DIR [ARG]`.


def _code_hash(package_dir: str) -> str:
    """SHA-256 over a package's .py files (names and contents), to tell code states apart."""
    import hashlib

    digest = hashlib.sha256()
    for name in sorted(os.listdir(package_dir)):
        if name.endswith(".py"):
            digest.update(name.encode())
            with open(os.path.join(package_dir, name), "rb") as fh:
                digest.update(fh.read())
    return digest.hexdigest()[:16]


def _rss_mb() -> float:
    """This process's peak resident memory. Linux keeps ru_maxrss across fork and exec, so a
    child would report at least its parent's peak (the parent may have generated the base);
    VmHWM is the peak of this program's own memory. ru_maxrss where /proc is missing."""
    try:
        with open("/proc/self/status", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


def child_baseline(root: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    import bibtexparser
    import yaml
    imports = time.perf_counter() - t0
    out: dict[str, Any] = {"import_s": imports}
    paths = [os.path.join(root, n)
             for n in ("claims.yaml", "references.bib", generate.ARTICLE_FILE)]
    t0 = time.perf_counter()
    blobs = []
    for p in paths:
        with open(p, "rb") as fh:
            blobs.append(fh.read())
    out["read_bytes_s"] = time.perf_counter() - t0
    out["bytes"] = sum(len(b) for b in blobs)
    claims_text = blobs[0].decode("utf-8")
    bib_text = blobs[1].decode("utf-8")
    splitter = re.compile(r"\n(?=@)")
    t0 = time.perf_counter()
    parts = splitter.split(bib_text)
    out["regex_split_s"] = time.perf_counter() - t0
    out["regex_blocks"] = len(parts)
    t0 = time.perf_counter()
    data = yaml.load(claims_text, Loader=yaml.CSafeLoader)
    out["yaml_csafeloader_s"] = time.perf_counter() - t0
    out["yaml_claims"] = len(data["claims"])
    del data
    t0 = time.perf_counter()
    library = bibtexparser.parse_string(bib_text)
    out["bibtexparser_s"] = time.perf_counter() - t0
    out["bibtexparser_entries"] = len(library.entries)
    out["bibtexparser_failed_blocks"] = len(library.failed_blocks)
    out["peak_rss_mb"] = _rss_mb()
    return out


def child_cold(root: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    from kb.grading import grade_all
    from kb.load import load_kb
    out: dict[str, Any] = {"import_s": time.perf_counter() - t0}
    t0 = time.perf_counter()
    kb, report = load_kb(root)
    t1 = time.perf_counter()
    grades = grade_all(kb, report)
    t2 = time.perf_counter()
    out.update(load_validate_s=t1 - t0, grade_s=t2 - t1, total_s=t2 - t0,
               peak_rss_mb=_rss_mb(), errors=len(report.errors),
               warnings=len(report.warnings), claims=len(kb.claims),
               references=len(kb.references), graded=len(grades))
    out["problem_codes"] = sorted({p.code for p in report.problems})
    import kb.load as kb_load
    out["cached_loader"] = (_cached_loader() or (None,))[0]
    out["kb_package"] = os.path.dirname(kb_load.__file__)
    out["kb_code_sha256"] = _code_hash(out["kb_package"])
    t0 = time.perf_counter()
    from kb.graph import build_graph
    out["import_graph_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    graph = build_graph(kb, grades)
    out["graph_build_s"] = time.perf_counter() - t0
    out["graph_nodes"], out["graph_edges"] = graph.number_of_nodes(), graph.number_of_edges()
    out["peak_rss_with_graph_mb"] = _rss_mb()
    return out


def child_phases(root: str) -> dict[str, Any]:
    """load_kb's steps timed one by one (read-only use of the library).

    claims file, bibliography, then `kb.load.assemble` (article text + cross-file checks)
    where it exists; then each check of `kb.checks.CHECKS` run once more on the assembled base
    to time it alone (checks are pure, so a second run costs what the first did).
    """
    import kb.load as kb_load
    from kb import checks
    from kb.bibliography import load_bibliography
    from kb.claims import load_claims
    from kb.load import BIB_FILE, CLAIMS_FILE

    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    doc = load_claims(os.path.join(root, CLAIMS_FILE), CLAIMS_FILE)
    out["load_claims_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    bib = load_bibliography(os.path.join(root, BIB_FILE), BIB_FILE)
    out["load_bibliography_s"] = time.perf_counter() - t0
    if hasattr(kb_load, "assemble"):
        t0 = time.perf_counter()
        kb, report = kb_load.assemble(root, doc, bib)
        out["assemble_s"] = time.perf_counter() - t0
        out["problems"] = len(report)
    else:  # before `assemble` existed: the same steps as load_kb
        from kb.model import KnowledgeBase
        from kb.sources import read_text

        t0 = time.perf_counter()
        text = None
        if doc.article is not None:
            text, _ = read_text(os.path.join(root, doc.article.text), doc.article.text)
        kb = KnowledgeBase(root=root, article=doc.article, article_text=text,
                           settings=doc.settings, references=bib.references,
                           studies=doc.studies, claims=tuple(doc.claims),
                           invalid_claims=tuple(doc.invalid_claims),
                           claim_positions=tuple(doc.claim_positions), lines=doc.lines,
                           invalid_studies=frozenset(doc.invalid_studies))
        out["problems"] = len(doc.problems) + len(bib.problems) + sum(
            1 for _ in checks.run_checks(kb))
        out["assemble_s"] = time.perf_counter() - t0
    per_check = {}
    for check in checks.CHECKS:
        t0 = time.perf_counter()
        for _ in check(kb):
            pass
        per_check[check.__name__] = time.perf_counter() - t0
    out["checks_again_s"] = per_check
    out["lines_entries"] = len(doc.lines)
    out["peak_rss_mb"] = _rss_mb()
    return out


def _cached_loader() -> tuple[str, Any] | None:
    """`load_kb_cached` from kb.load, else from kb.cache (where it was first written)."""
    import importlib

    for module in ("kb.load", "kb.cache"):
        try:
            fn = getattr(importlib.import_module(module), "load_kb_cached", None)
        except ImportError:
            continue
        if fn is not None:
            return f"{module}.load_kb_cached", fn
    return None


def child_cached(root: str, mode: str) -> dict[str, Any]:
    """`load_kb_cached` on a primed cache (mode 'warm' or 'prime'), or after an edit ('edit:ID')."""
    t0 = time.perf_counter()
    found = _cached_loader()
    from kb.grading import grade_all
    imports = time.perf_counter() - t0
    if found is None:
        return {"available": False}
    name, load = found
    t0 = time.perf_counter()
    result = load(root)
    out: dict[str, Any] = {"available": True, "loader": name, "import_s": imports,
                           "load_s": time.perf_counter() - t0}
    kb = result[0] if isinstance(result, tuple) else result
    report = result[1] if isinstance(result, tuple) else None
    t0 = time.perf_counter()
    grade_all(kb, report)
    out["grade_s"] = time.perf_counter() - t0
    out["peak_rss_mb"] = _rss_mb()
    if mode.startswith("edit:"):
        claim_id, _, expected = mode[len("edit:"):].partition("=")
        claim = kb.claim(claim_id)
        out["edit_seen"] = claim is not None and claim.statement == expected
    out["claims"] = len(kb.claims)
    return out


def child_save(root: str, spec: str) -> dict[str, Any]:
    """One editor's save through `kb.edit` on a base the dashboard holds loaded and graded
    (its views built, the collector settled as `dashboard.data._load` leaves it): open (read
    claims.yaml and hash it), propose (splice, validate, grade), save (lock, compare, atomic
    write, log), then the base after it worked out in memory (`kb.edit.apply_saved`: what the
    next page view now takes) and the dashboard's hand-over (`dashboard.data.after_save`:
    that, the grades and the views); then, for comparison, the reload the next page view did
    before (`load_kb_cached`), and the disk cache refresh (`kb.edit.keep_in_cache`).
    spec: 'review:CLAIM' or 'link:CLAIM:STUDY'."""
    import datetime as dt
    import gc

    try:
        from kb.edit import open_base, save, set_link, set_review
    except ImportError:
        return {"available": False}
    found = _cached_loader()
    if found is None:
        return {"available": False}
    from kb.grading import grade_all
    _, load = found
    kb, report = load(root)
    grades = grade_all(kb, report)  # as the dashboard has it: every claim decoded and graded
    data = _dashboard_base(kb, report, grades, root)
    gc.collect()
    gc.freeze()
    op, claim_id, *rest = spec.split(":")
    t0 = time.perf_counter()
    base = open_base(root, kb, report)
    t1 = time.perf_counter()
    if op == "review":
        proposal = set_review(base, claim_id, "in-review", reviewer="Bench",
                              today=dt.date(2026, 12, 2))
    else:
        proposal = set_link(base, claim_id, rest[0], stance="context", certainty="low",
                            note="Linked by the benchmark.")
    t2 = time.perf_counter()
    if not proposal.ok:
        return {"failed": True, "stderr": proposal.render_problems()[-2000:]}
    stamps = _stamps(root)
    saved = save(proposal, "Bench")
    t3 = time.perf_counter()
    out: dict[str, Any] = {"available": True, "op": op, "open_s": t1 - t0, "propose_s": t2 - t1,
                           "save_s": t3 - t2, "bytes": len(base.raw)}
    out.update(_after_save(root, saved, grades, data, stamps))
    kept = _set_aside_cache(root)  # the entry before the save, for the refresh below
    t4 = time.perf_counter()
    kb2, report2 = load(root)
    out["reload_full_s"] = time.perf_counter() - t4
    out["total_s"] = out["open_s"] + out["propose_s"] + out["save_s"] + out.get(
        "apply_s", out["reload_full_s"])
    out["total_with_full_reload_s"] = t3 - t0 + out["reload_full_s"]
    if "hand_over_s" in out:
        out["total_dashboard_s"] = t3 - t0 + out["hand_over_s"]
    claim = kb2.claim(claim_id)
    out["seen"] = claim is not None and (claim.review.status.value == "in-review"
                                         if op == "review"
                                         else any(e.study == rest[0] for e in claim.evidence))
    applied = out.pop("_applied", None)
    out.update(_exactness(applied, kb2, report2))
    del kb2, report2
    out.update(_keep(saved, root, load, applied, kept))
    out["peak_rss_mb"] = _rss_mb()
    return out


def _dashboard_base(kb: Any, report: Any, grades: Any, root: str) -> Any:
    """The dashboard's `Loaded` with the views its load builds (None before it existed)."""
    try:
        import dashboard.data as dd
    except ImportError:
        return None
    if not hasattr(dd, "after_save"):
        return None
    dd.CACHE_DELAY_S = 1e9  # the benchmark keeps the cache itself, after the timings
    data = dd.Loaded(kb, report, grades, stamp=dd.fingerprint(root))
    for part in ("claim_rows", "short_statements", "citing", "graph"):
        getattr(data, part)
    return data


def _stamps(root: str) -> Any:
    try:
        from dashboard.data import stamps
    except ImportError:
        return None
    return stamps(root)


def _after_save(root: str, saved: Any, grades: Any, data: Any, stamps: Any) -> dict[str, Any]:
    """The base after the save, in memory (kb.edit), and as the dashboard hands it over."""
    try:
        from kb.edit import apply_saved
        from kb.grading import regrade
    except ImportError:
        return {}
    t0 = time.perf_counter()
    got = apply_saved(saved)
    t1 = time.perf_counter()
    out: dict[str, Any] = {"apply_s": t1 - t0, "applied_in_memory": got is not None,
                           "_applied": None}
    if got is None:
        return out
    regraded = regrade(grades, got[0], got[1], [saved.proposal.index])
    out["regrade_s"] = time.perf_counter() - t1
    out["_applied"] = (*got, regraded)
    if data is not None:
        from dashboard.data import _handed, after_save, fingerprint
        t2 = time.perf_counter()
        handed = after_save(data, saved, stamps)
        out["hand_over_s"] = time.perf_counter() - t2
        out["handed_over"] = handed and _handed(root, fingerprint(root)) is not None
    return out


def _exactness(applied: Any, kb: Any, report: Any) -> dict[str, Any]:
    """Whether the base worked out in memory is what loading gives (grades included)."""
    if applied is None:
        return {}
    from kb.grading import grade_all
    return {"applied_equals_reload": bool(applied[0] == kb and applied[1] == report and list(
        applied[2].items()) == list(grade_all(kb, report).items()))}


def _set_aside_cache(root: str) -> tuple[str, str] | None:
    """A copy of the base's cache entry (the reload after the save replaces it)."""
    try:
        from kb.cache import cache_file
    except ImportError:
        return None
    where = cache_file(root)
    if not os.path.exists(where):
        return None
    shutil.copyfile(where, where + ".before")
    return where + ".before", where


def _keep(saved: Any, root: str, load: Any, applied: Any,
          kept: tuple[str, str] | None) -> dict[str, Any]:
    """The disk cache refresh (from the entry of the file before the save, as the dashboard
    has it), and what the next process's load then costs."""
    try:
        from kb.edit import keep_in_cache
    except ImportError:
        return {}
    if applied is None or kept is None:
        return {}
    os.replace(*kept)
    t0 = time.perf_counter()
    kept = keep_in_cache(saved, applied[0], applied[1])
    out: dict[str, Any] = {"cache_keep_s": time.perf_counter() - t0, "cache_kept": kept}
    said: list[str] = []
    t1 = time.perf_counter()
    load(root, progress=said.append)
    out["reload_after_keep_s"] = time.perf_counter() - t1
    out["reload_after_keep_parsed"] = bool(said)
    return out


def child_app(root: str, claim_id: str, repeats: int) -> dict[str, Any]:
    src = os.environ.get("KB_BENCH_SRC", ROOT)
    os.environ["KB_DIR"] = root
    os.chdir(src)
    sys.path.insert(0, src)
    t0 = time.perf_counter()
    from streamlit.testing.v1 import AppTest
    out: dict[str, Any] = {"import_s": time.perf_counter() - t0, "claim": claim_id}

    import types

    timing = sys.modules["kb_bench_timing"] = types.ModuleType("kb_bench_timing")
    timing.pages = []  # type: ignore[attr-defined]

    def page_script(page: str) -> None:
        # Runs as a script inside AppTest: it reports the page function's own time through a
        # module, so the harness's per-run overhead (about 0.15 s) can be told apart.
        import sys
        import time

        import importlib

        render = importlib.import_module(f"dashboard.{page}").render
        t = time.perf_counter()
        render()
        sys.modules["kb_bench_timing"].pages.append(time.perf_counter() - t)

    def run(page: str, **params: str) -> dict[str, Any]:
        at = AppTest.from_function(page_script, kwargs={"page": page},
                                   default_timeout=CHILD_TIMEOUT)
        for key, value in params.items():
            at.query_params[key] = value
        t = time.perf_counter()
        before = len(timing.pages)  # type: ignore[attr-defined]
        try:
            at.run()
            error = [str(e.value).splitlines()[0] for e in at.exception] or None
        except Exception as exc:  # a timeout or a crash of the test harness itself
            error = [f"{type(exc).__name__}: {exc}"]
        page = timing.pages[before] if len(timing.pages) > before else None  # type: ignore[attr-defined]
        return {"s": time.perf_counter() - t, "page_s": page, "error": error}

    first = run("overview")
    out["overview_first_s"] = first["s"]
    out["overview_first_page_s"] = first["page_s"]
    out["overview_first_error"] = first["error"]
    runs = [run("overview") for _ in range(repeats)]
    out["overview_s"] = [r["s"] for r in runs]
    out["overview_page_s"] = [r["page_s"] for r in runs]
    out["overview_error"] = next((r["error"] for r in runs if r["error"]), None)
    runs = [run("claim", claim=claim_id) for _ in range(repeats)]
    out["claim_s"] = [r["s"] for r in runs]
    out["claim_page_fn_s"] = [r["page_s"] for r in runs]
    out["claim_error"] = next((r["error"] for r in runs if r["error"]), None)
    out["peak_rss_mb"] = _rss_mb()
    import dashboard
    out["dashboard_package"] = os.path.dirname(dashboard.__file__)
    return out


# --- the parent -------------------------------------------------------------------------------


SRC = ROOT  # the tree whose kb/ and dashboard/ are measured (--src)


def spawn(*args: str) -> dict[str, Any]:
    """Run a child; return its JSON plus the wall time of the whole process."""
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    env["KB_BENCH_SRC"] = SRC
    env["KB_CACHE_DIR"] = CACHE_HOME
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", *args],
                          capture_output=True, text=True, cwd=SRC, env=env,
                          timeout=CHILD_TIMEOUT)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        return {"failed": True, "returncode": proc.returncode,
                "stderr": proc.stderr[-2000:], "process_wall_s": wall}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    out = json.loads(lines[-1])
    out["process_wall_s"] = wall
    return out


def median(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 6) if values else None


def collect(samples: list[dict[str, Any]], keys: list[str]) -> tuple[dict[str, Any],
                                                                      dict[str, list[float]]]:
    """Medians of `keys` over the samples, and the samples themselves."""
    runs = {k: [s[k] for s in samples if isinstance(s.get(k), (int, float))] for k in keys}
    return {k: median(v) for k, v in runs.items()}, {k: [round(x, 6) for x in v]
                                                     for k, v in runs.items()}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def base_dir(scale: int, seed: int, regenerate: bool) -> tuple[str, dict[str, Any], bool]:
    """The generated base for (scale, seed), created unless an identical one is kept."""
    path = os.path.join(DATA, f"scale-{scale}-seed-{seed}-v{generate.GENERATOR_VERSION}")
    marker = os.path.join(path, ".complete")
    if not regenerate and os.path.exists(marker):
        with open(marker, encoding="utf-8") as fh:
            return path, json.load(fh), True
    if os.path.isdir(path):
        shutil.rmtree(path)
    t0 = time.perf_counter()
    info = generate.generate(scale, path, seed)
    info["generate_s"] = round(time.perf_counter() - t0, 3)
    with open(marker, "w", encoding="utf-8") as fh:
        json.dump(info, fh)
    return path, info, False


def clear_caches(root: str) -> list[str]:
    shutil.rmtree(CACHE_HOME, ignore_errors=True)
    removed = []
    for name in CACHE_DIRS:
        path = os.path.join(root, name)
        if os.path.isdir(path):
            shutil.rmtree(path)
            removed.append(name)
    return removed


def heaviest_claim(root: str) -> tuple[str, int]:
    """The claim with the most evidence links (first among equals), read from the text."""
    with open(os.path.join(root, "claims.yaml"), encoding="utf-8") as fh:
        text = fh.read()
    body = text[text.index("\nclaims:\n"):]
    best, best_n = "", -1
    for chunk in body.split("\n- id: ")[1:]:
        cid = chunk.split("\n", 1)[0].strip()
        n = chunk.count("\n  - study: ")
        if n > best_n:
            best, best_n = cid, n
    return best, best_n


def edit_statement(path: str, claim_id: str, new: str) -> None:
    """Replace one claim's statement in claims.yaml, leaving every other byte as it was."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    start = text.index(f"\n- id: {claim_id}\n")
    key = text.index("\n  statement: ", start) + len("\n  statement: ")
    end = re.compile(r"\n  [a-z_]+:").search(text, key)
    assert end is not None
    quoted = "'" + new.replace("'", "''") + "'"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(text[:key] + quoted + text[end.start():])


def cli_verdicts(root: str) -> dict[str, Any]:
    """Wall time of `kb verdicts` on a base whose cache is warm, as a user runs it."""
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    env["KB_CACHE_DIR"] = CACHE_HOME
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "kb.cli", "verdicts", "--kb", root],
                          capture_output=True, text=True, cwd=SRC, env=env,
                          timeout=CHILD_TIMEOUT)
    out: dict[str, Any] = {"s": round(time.perf_counter() - t0, 6)}
    if proc.returncode not in (0, 1):
        out.update(failed=True, stderr=proc.stderr[-2000:])
    return out


def claim_ids(root: str, n: int) -> list[str]:
    with open(os.path.join(root, "claims.yaml"), encoding="utf-8") as fh:
        text = fh.read()
    ids = re.findall(r"\n- id: (\S+)\n", text[text.index("\nclaims:\n"):])
    step = max(1, len(ids) // (n + 1))
    return [ids[(i + 1) * step % len(ids)] for i in range(n)]


def machine() -> dict[str, Any]:
    from importlib import metadata

    cpu = None
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")),
                       None)
    except OSError:
        pass
    mem = None
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            kb = next(int(ln.split()[1]) for ln in fh if ln.startswith("MemTotal"))
            mem = round(kb / 1024 / 1024, 1)
    except (OSError, StopIteration):
        pass
    packages = {}
    for name in ("bibtexparser", "PyYAML", "pydantic", "pydantic-core", "networkx", "pandas",
                 "pylatexenc", "streamlit", "altair", "numpy"):
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    try:
        import yaml

        libyaml = yaml._yaml.get_version_string() if yaml.__with_libyaml__ else None
    except Exception:
        libyaml = None
    return {"platform": platform.platform(), "machine": platform.machine(), "cpu": cpu,
            "cores": os.cpu_count(),
            "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
            else None, "memory_gb": mem,
            "python": platform.python_version(), "implementation": platform.python_implementation(),
            "packages": packages, "libyaml": libyaml}


def export_commit(rev: str) -> tuple[str, str]:
    """A clean copy of a commit's tree (kept under .data), so a run measures one code state."""
    sha = subprocess.run(["git", "rev-parse", "--verify", f"{rev}^{{commit}}"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.strip()
    path = os.path.join(DATA, f"src-{sha[:12]}")
    if not os.path.isdir(path):
        os.makedirs(DATA, exist_ok=True)
        tmp = path + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        archive = subprocess.run(["git", "archive", "--format=tar", sha], cwd=ROOT,
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        os.replace(tmp, path)
    return path, f"commit {sha}"


def code_state(label: str | None) -> dict[str, Any]:
    """Which code is measured: the source tree, its kb/ hash and, for the repository, git."""
    state: dict[str, Any] = {"src": os.path.relpath(SRC, ROOT),
                             "kb_code_sha256": _code_hash(os.path.join(SRC, "kb"))}
    if label:
        state["label"] = label
    if SRC == ROOT:
        def git(*args: str) -> str:
            try:
                return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                                      timeout=30).stdout.strip()
            except (OSError, subprocess.SubprocessError):
                return ""
        state["git_commit"] = git("rev-parse", "HEAD") or None
        dirty = git("status", "--porcelain", "--", "kb", "dashboard", "app.py")
        state["uncommitted"] = [ln[3:] for ln in dirty.splitlines()]
    return state


def unlinked_study(root: str, claim_id: str) -> str:
    """A study appraised in the base that the claim does not cite, read from the text."""
    with open(os.path.join(root, "claims.yaml"), encoding="utf-8") as fh:
        text = fh.read()
    start = text.index(f"\n- id: {claim_id}\n")
    end = text.find("\n- id: ", start + 1)
    cited = set(re.findall(r"\n  - study: (\S+)", text[start:end if end > 0 else None]))
    studies = text[text.index("\nstudies:\n"):text.index("\nclaims:\n")]
    return next(k for k in re.findall(r"\n  ([^\s:]+):\n", studies) if k not in cited)


def measure_saves(work: str, repeats: int) -> dict[str, Any]:
    """Saves of a review status and of a new link, each in a new process on a primed cache,
    a different claim each run."""
    out: dict[str, Any] = {}
    ids = claim_ids(work, 2 * repeats)
    for op, claims in (("review", ids[:repeats]), ("link", ids[repeats:])):
        samples = []
        for cid in claims:
            spec = f"review:{cid}" if op == "review" else f"link:{cid}:{unlinked_study(work, cid)}"
            samples.append(spawn("save", work, spec))
            log(f"save {op}: {samples[-1]}")
        keys = ["open_s", "propose_s", "save_s", "apply_s", "regrade_s", "hand_over_s",
                "total_s", "total_dashboard_s", "reload_full_s", "total_with_full_reload_s",
                "cache_keep_s", "reload_after_keep_s", "peak_rss_mb"]
        med, runs = collect(samples, keys)
        flags = {f: all(x.get(f) for x in samples) for f in (
            "seen", "applied_in_memory", "handed_over", "applied_equals_reload", "cache_kept")}
        flags["reload_after_keep_parsed"] = any(x.get("reload_after_keep_parsed")
                                                for x in samples)
        out[op] = {**med, **flags,
                   "failed": [x for x in samples if x.get("failed")][:1], "runs": runs}
    out["note"] = ("kb.edit on a base loaded and graded as the dashboard holds it (its views "
                   "built, gc frozen as dashboard.data._load leaves it), in a new process on a "
                   "primed cache: open (read and hash claims.yaml), propose (find the entry, "
                   "splice, validate, grade), save (lock, compare, atomic write with fsync, "
                   "log), apply (kb.edit.apply_saved: the base after the save worked out in "
                   "memory, what the next page view now takes); total_s = open + propose + "
                   "save + apply; hand_over_s: dashboard.data.after_save (apply, regrade, the "
                   "page views), total_dashboard_s = open + propose + save + hand_over; "
                   "reload_full_s: load_kb_cached after the save (what the next page view did "
                   "before), total_with_full_reload_s = open + propose + save + reload_full; "
                   "applied_equals_reload: the applied base, report and grades equal the "
                   "reload's; cache_keep_s: kb.edit.keep_in_cache (the dashboard runs it in the "
                   "background after the page is shown), reload_after_keep_s: load_kb_cached "
                   "after it (what a new process pays; reload_after_keep_parsed false: the warm "
                   "path); a different claim each run")
    return out


def benchmark_saves(scale: int, seed: int, repeats: int, regenerate: bool,
                    label: str | None = None) -> dict[str, Any]:
    """Only what a save costs, against the bare parse of claims.yaml in the same run."""
    started = time.perf_counter()
    root, info, reused = base_dir(scale, seed, regenerate)
    result: dict[str, Any] = {"benchmark": "kb-save/1", "scale": scale, "seed": seed,
                              "repeats": repeats, "base": {"path": os.path.relpath(root, ROOT),
                                                           "reused": reused, **info},
                              "machine": machine(), "code": code_state(label)}
    samples = [spawn("baseline", root) for _ in range(repeats)]
    base, _ = collect(samples, ["yaml_csafeloader_s", "bibtexparser_s", "read_bytes_s"])
    result["baselines"] = base
    work = os.path.join(DATA, f"work-save-scale-{scale}-seed-{seed}")
    if os.path.isdir(work):
        shutil.rmtree(work)
    shutil.copytree(root, work)
    prime = spawn("cached", work, "prime")
    log(f"primed: {prime}")
    saves = measure_saves(work, repeats)
    shutil.rmtree(work)
    result["save"] = saves
    yaml_s = base["yaml_csafeloader_s"]
    for op in ("review", "link"):
        total = saves[op].get("total_s")
        result[f"save_{op}_ratio"] = round(total / yaml_s, 4) if total and yaml_s else None
    result["ratios_note"] = ("save_*_ratio = save.OP.total_s / baselines.yaml_csafeloader_s "
                             "(the bare YAML parse of claims.yaml)")
    result["total_runtime_s"] = round(time.perf_counter() - started, 1)
    return result


def benchmark(scale: int, seed: int, repeats: int, regenerate: bool, app: bool,
              phases: bool, label: str | None = None) -> dict[str, Any]:
    started = time.perf_counter()
    root, info, reused = base_dir(scale, seed, regenerate)
    log(f"base {root} ({'reused' if reused else 'generated'}): {info}")
    notes = []
    result: dict[str, Any] = {
        "benchmark": "kb-load/1", "scale": scale, "seed": seed,
        "generator_version": generate.GENERATOR_VERSION, "repeats": repeats,
        "base": {"path": os.path.relpath(root, ROOT), "reused": reused, **info},
        "machine": machine(),
        "code": code_state(label),
    }

    # Baselines: one fresh process per repeat, like the cold load they are compared with.
    samples = []
    for i in range(repeats):
        samples.append(spawn("baseline", root))
        log(f"baseline {i + 1}/{repeats}: {samples[-1]}")
    keys = ["read_bytes_s", "regex_split_s", "yaml_csafeloader_s", "bibtexparser_s",
            "import_s", "peak_rss_mb", "process_wall_s"]
    base, base_runs = collect(samples, keys)
    base.update(regex_blocks=samples[0].get("regex_blocks"),
                bibtexparser_entries=samples[0].get("bibtexparser_entries"),
                bibtexparser_failed_blocks=samples[0].get("bibtexparser_failed_blocks"),
                runs=base_runs)
    result["baselines"] = base

    # Ours, cold: a new process per repeat, any cache folder removed first.
    samples = []
    for i in range(repeats):
        removed = clear_caches(root)
        note = f"removed cache folders {removed} before a cold run"
        if removed and note not in notes:
            notes.append(note)
        samples.append(spawn("cold", root))
        log(f"cold {i + 1}/{repeats}: {samples[-1]}")
    keys = ["import_s", "load_validate_s", "grade_s", "total_s", "graph_build_s",
            "import_graph_s", "peak_rss_mb", "peak_rss_with_graph_mb",
            "process_wall_s"]
    cold, cold_runs = collect(samples, keys)
    first = samples[0]
    ours: dict[str, Any] = {
        "import_s": cold["import_s"],
        "cold": {"load_validate_s": cold["load_validate_s"], "grade_s": cold["grade_s"],
                 "total_s": cold["total_s"], "process_wall_s": cold["process_wall_s"],
                 "errors": first.get("errors"), "warnings": first.get("warnings"),
                 "problem_codes": first.get("problem_codes"), "claims": first.get("claims"),
                 "references": first.get("references"), "failed": first.get("failed"),
                 "stderr": first.get("stderr")},
        "graph_build_s": cold["graph_build_s"],
        "graph": {"nodes": first.get("graph_nodes"), "edges": first.get("graph_edges"),
                  "import_kb_graph_s": cold["import_graph_s"]},
        # grade_all(kb, report) on the freshly loaded base (the cold run's grading step).
        "grade_all_s": cold["grade_s"],
        "peak_rss_mb": {"cold_load_grade": cold["peak_rss_mb"],
                        "with_graph": cold["peak_rss_with_graph_mb"],
                        "bare_parsers": base["peak_rss_mb"]},
    }
    ours["cold"] = {k: v for k, v in ours["cold"].items() if v is not None}

    # Warm and edited reloads through the cached loader, on a scratch copy of the base.
    has_cache = bool(first.get("cached_loader"))
    if has_cache:
        work = os.path.join(DATA, f"work-scale-{scale}-seed-{seed}")
        if os.path.isdir(work):
            shutil.rmtree(work)
        shutil.copytree(root, work)
        prime = spawn("cached", work, "prime")
        warm = [spawn("cached", work, "warm") for _ in range(repeats)]
        edits = []
        for n, cid in enumerate(claim_ids(work, repeats)):
            new = f"Edited statement {n} for the benchmark."
            edit_statement(os.path.join(work, "claims.yaml"), cid, new)
            edits.append(spawn("cached", work, f"edit:{cid}={new}"))
        cli_verdicts(work)  # warms what `kb verdicts` keeps (the grades) for these files
        cli = [cli_verdicts(work) for _ in range(repeats)]
        keys = ["load_s", "grade_s", "import_s", "peak_rss_mb", "process_wall_s"]
        warm_med, warm_runs = collect(warm, keys)
        edit_med, edit_runs = collect(edits, keys)
        ours["warm_load_s"] = warm_med["load_s"]
        ours["edit_reload_s"] = edit_med["load_s"]
        ours["save"] = measure_saves(work, repeats)
        ours["cli_verdicts_warm_s"] = median([c["s"] for c in cli])
        ours["cli_verdicts"] = {"runs": [c["s"] for c in cli], "failed": [c for c in cli if
                                                                          c.get("failed")][:1],
                                "note": "`python -m kb.cli verdicts --kb DIR` (the `kb` "
                                        "program) with a warm cache: the whole process's wall "
                                        "time, interpreter start-up and printing included"}
        ours["cached"] = {"loader": first.get("cached_loader"),
                          "prime_s": prime.get("load_s"),
                          "prime_peak_rss_mb": prime.get("peak_rss_mb"),
                          "warm": warm_med, "edit": edit_med,
                          "edit_seen": all(e.get("edit_seen") for e in edits),
                          "failed": [x for x in [prime, *warm, *edits] if x.get("failed")][:1],
                          "runs": {"warm": warm_runs["load_s"], "edit": edit_runs["load_s"]},
                          "note": "load_kb_cached(dir) in a new process whose cache was filled "
                                  "by an earlier process (prime_s: that first fill); edit: after "
                                  "changing one claim's statement in claims.yaml, a different "
                                  "claim each run; grade_s: grade_all after it (not in load_s)"}
        shutil.rmtree(work)
    else:
        ours["warm_load_s"] = None
        ours["edit_reload_s"] = None
        ours["cached"] = {"note": "no cache yet: load_kb_cached exists neither in kb.load nor "
                                  "in kb.cache"}
    ours["runs"] = cold_runs
    hashes = sorted({s.get("kb_code_sha256") for s in samples if s.get("kb_code_sha256")})
    if first.get("kb_package"):
        result["code"]["kb_package"] = os.path.relpath(first["kb_package"], ROOT)
    if hashes != [result["code"]["kb_code_sha256"]]:
        notes.append(f"kb/ changed during the run: code hashes {hashes}")

    if phases:
        clear_caches(root)
        ph = spawn("phases", root)
        log(f"phases: {ph}")
        ours["phases"] = ph
        ours["phases"]["note"] = "one run of load_kb's steps timed one by one (not a median)"

    if app:
        cid, n_links = heaviest_claim(root)
        clear_caches(root)
        dash = spawn("app", root, cid, str(repeats))
        log(f"app: {dash}")
        if dash.get("failed"):
            ours["dashboard"] = dash
        else:
            ours["dashboard"] = {
                "import_streamlit_s": dash["import_s"],
                "overview_first_s": dash["overview_first_s"],
                "overview_first_error": dash["overview_first_error"],
                "overview_s": median(dash["overview_s"]),
                "overview_error": dash["overview_error"],
                "claim_page_s": median(dash["claim_s"]),
                "claim_page_error": dash["claim_error"],
                "overview_page_fn_s": median(dash.get("overview_page_s") or []),
                "claim_page_fn_s": median(dash.get("claim_page_fn_s") or []),
                "overview_first_page_fn_s": dash.get("overview_first_page_s"),
                "claim": cid, "claim_links": n_links,
                "peak_rss_mb": dash["peak_rss_mb"],
                "runs": {"overview": dash["overview_s"], "claim_page": dash["claim_s"],
                         "overview_page_fn": dash.get("overview_page_s"),
                         "claim_page_fn": dash.get("claim_page_fn_s")},
                "note": "AppTest.from_function of one page, server-side; *_s is AppTest's "
                        "run() (its harness adds about 0.15 s per run, measured at 1x), "
                        "*_page_fn_s the page function alone, timed inside the script; "
                        "overview_first includes loading the base through the dashboard's "
                        "cache, later renders reuse it; errors are the pages' exceptions",
            }
        ours["peak_rss_mb"]["dashboard"] = dash.get("peak_rss_mb")
    result["ours"] = ours
    clear_caches(root)  # leave the kept base as generated

    bare = (base["bibtexparser_s"] or 0) + (base["yaml_csafeloader_s"] or 0)
    bib = base["bibtexparser_s"]
    result["cold_ratio"] = round(cold["total_s"] / bare, 3) if bare and cold["total_s"] else None
    result["warm_ratio"] = (round(ours["warm_load_s"] / bib, 4)
                            if ours["warm_load_s"] is not None and bib else None)
    result["edit_ratio"] = (round(ours["edit_reload_s"] / bib, 4)
                            if ours["edit_reload_s"] is not None and bib else None)
    yaml_s = base["yaml_csafeloader_s"]
    for op in ("review", "link"):
        total = (ours.get("save") or {}).get(op, {}).get("total_s")
        result[f"save_{op}_ratio"] = round(total / yaml_s, 4) if total and yaml_s else None
    result["warm_ratio_of_bare_total"] = (round(ours["warm_load_s"] / bare, 4)
                                          if ours["warm_load_s"] is not None and bare else None)
    result["edit_ratio_of_bare_total"] = (round(ours["edit_reload_s"] / bare, 4)
                                          if ours["edit_reload_s"] is not None and bare else None)
    result["ratios_note"] = ("cold_ratio = ours.cold.total_s / (baselines.bibtexparser_s + "
                             "baselines.yaml_csafeloader_s); warm_ratio / edit_ratio = "
                             "ours.warm_load_s / ours.edit_reload_s over "
                             "baselines.bibtexparser_s (null: no cache yet); *_of_bare_total: "
                             "over bibtexparser + YAML, the cold ratio's baseline")
    if not has_cache:
        notes.append("no cache yet: load_kb_cached does not exist, so warm_load_s, "
                     "edit_reload_s, warm_ratio and edit_ratio are null")
    result["notes"] = notes
    result["total_runtime_s"] = round(time.perf_counter() - started, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        mode, args = argv[1], argv[2:]
        fn = {"baseline": child_baseline, "cold": child_cold, "phases": child_phases,
              "cached": child_cached, "save": child_save}.get(mode)
        if mode == "app":
            out = child_app(args[0], args[1], int(args[2]))
        else:
            assert fn is not None, mode
            out = fn(*args)
        print(json.dumps(out, default=str))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    parser.add_argument("--repeats", type=int, default=None,
                        help="runs per figure (default 5; 3 from scale 1000 up)")
    parser.add_argument("--json", action="store_true",
                        help="print the JSON object only (progress goes to stderr)")
    parser.add_argument("--regenerate", action="store_true",
                        help="generate the base even if a kept one exists")
    parser.add_argument("--no-app", action="store_true", help="skip the dashboard (AppTest)")
    parser.add_argument("--no-phases", action="store_true", help="skip the per-step breakdown")
    parser.add_argument("-o", "--output", help="also write the JSON to this file")
    parser.add_argument("--only-save", action="store_true",
                        help="measure only the editor's save (kb.edit) against the bare YAML "
                             "parse of claims.yaml")
    parser.add_argument("--src", help="measure the kb/ and dashboard/ of this source tree "
                        "(e.g. an export of an older commit; default: this repository)")
    parser.add_argument("--src-label", help="what --src is (e.g. a commit id), for the JSON")
    parser.add_argument("--commit", help="measure this commit (git archive into "
                        "benchmarks/.data/src-SHA/) instead of the working tree")
    args = parser.parse_args(argv)
    global SRC
    if args.commit:
        SRC, label = export_commit(args.commit)
        args.src_label = args.src_label or label
    elif args.src:
        SRC = os.path.abspath(args.src)
    repeats = args.repeats or (3 if args.scale >= 1000 else 5)
    if args.only_save:
        result = benchmark_saves(args.scale, args.seed, repeats, args.regenerate,
                                 args.src_label)
    else:
        result = benchmark(args.scale, args.seed, repeats, args.regenerate, not args.no_app,
                           not args.no_phases, args.src_label)
    text = json.dumps(result, indent=2, default=str)
    if args.output:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    if args.json:
        print(text)
    elif args.only_save:
        print(f"scale {args.scale}: save review {result['save']['review'].get('total_s')} s "
              f"(ratio {result['save_review_ratio']}), link "
              f"{result['save']['link'].get('total_s')} s (ratio {result['save_link_ratio']})")
    else:
        print(f"scale {args.scale}: cold {result['ours']['cold'].get('total_s')} s, "
              f"cold_ratio {result['cold_ratio']}, warm_ratio {result['warm_ratio']}, "
              f"edit_ratio {result['edit_ratio']} (--json for everything)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
