"""Profile the cold path (`load_kb` + `grade_all`) on a generated base and name the hot spots.

    python benchmarks/hotspots.py --scale 100 [--commit REV | --src DIR] [--top 25]

Uses the base `benchmarks/run.py` keeps (generating it if needed), runs the cold path once
under cProfile (deterministic; inflates pure-Python code relative to C) and prints:

- self time per package (our kb/ modules one by one, the parsers, pydantic, stdlib, C builtins),
- our functions (kb/) by cumulative time,
- everything by self time,
- for the C builtins with the most self time, which of our functions call them.

`--no-gc` profiles with the cyclic garbage collector disabled. `--pyinstrument` profiles with pyinstrument instead (a sampling profiler with little overhead,
if installed: `pip install pyinstrument`; not a project dependency) and prints its call tree.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run  # noqa: E402  (benchmarks/run.py: where bases and source snapshots are kept)


def category(filename: str, src: str) -> str:
    if filename.startswith(os.path.join(src, "kb") + os.sep):
        return "kb/" + os.path.basename(filename)
    if filename.startswith("~") or filename.startswith("<"):
        return "C builtins"
    for name in ("bibtexparser", "yaml", "pydantic_core", "pydantic", "pylatexenc", "networkx"):
        if f"{os.sep}{name}{os.sep}" in filename:
            return name
    return "stdlib/other"


def label(func: tuple[str, int, str], src: str) -> str:
    filename, line, name = func
    if filename == "~":
        return name
    if filename.startswith(src):
        filename = os.path.relpath(filename, src)
    elif "site-packages" in filename:
        filename = filename.split("site-packages" + os.sep, 1)[1]
    return f"{filename}:{line}({name})"


def report(stats: pstats.Stats, src: str, wall: float, top: int) -> str:
    raw = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for (_, _, tt, _, _) in raw.values())
    out = [f"cold load_kb + grade_all under cProfile: {wall:.2f} s wall, "
           f"{total:.2f} s profiled self time", ""]
    by_cat: dict[str, float] = {}
    for func, (_, _, tt, _, _) in raw.items():
        cat = category(func[0], src)
        by_cat[cat] = by_cat.get(cat, 0.0) + tt
    out.append("self time by package:")
    for cat, tt in sorted(by_cat.items(), key=lambda kv: -kv[1]):
        out.append(f"  {tt:9.3f} s  {100 * tt / total:5.1f}%  {cat}")
    out.append("")
    ours = [(func, v) for func, v in raw.items() if category(func[0], src).startswith("kb/")]
    out.append(f"our functions (kb/) by cumulative time (top {top}):")
    out.append(f"  {'cumtime':>9} {'tottime':>9} {'ncalls':>10}  function")
    for func, (cc, nc, tt, ct, _) in sorted(ours, key=lambda kv: -kv[1][3])[:top]:
        out.append(f"  {ct:9.3f} {tt:9.3f} {nc:10d}  {label(func, src)}")
    out.append("")
    out.append(f"everything by self time (top {top}):")
    out.append(f"  {'tottime':>9} {'cumtime':>9} {'ncalls':>10}  function")
    for func, (cc, nc, tt, ct, _) in sorted(raw.items(), key=lambda kv: -kv[1][2])[:top]:
        out.append(f"  {tt:9.3f} {ct:9.3f} {nc:10d}  {label(func, src)}")
    out.append("")
    out.append("C builtins with the most self time, and their callers:")
    builtins = [(f, v) for f, v in raw.items() if f[0] == "~"]
    for func, (cc, nc, tt, ct, callers) in sorted(builtins, key=lambda kv: -kv[1][2])[:8]:
        out.append(f"  {tt:9.3f} s {nc:10d} calls  {func[2]}")
        ranked = sorted(callers.items(), key=lambda kv: -kv[1][2])[:4]
        for caller, (_, cnc, ctt, _) in ranked:
            out.append(f"      {ctt:9.3f} s {cnc:10d} calls from {label(caller, src)}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--seed", type=int, default=run.generate.DEFAULT_SEED)
    parser.add_argument("--commit", help="profile this commit (a clean export) instead of the "
                        "working tree")
    parser.add_argument("--src", help="profile the kb/ of this source tree")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--pyinstrument", action="store_true")
    parser.add_argument("--pstats", help="also save the raw profile here (for snakeviz etc.)")
    parser.add_argument("--no-gc", action="store_true",
                        help="profile with the cyclic garbage collector disabled (what a "
                             "gc-paused load would cost)")
    args = parser.parse_args(argv)
    src = run.ROOT
    if args.commit:
        src, _ = run.export_commit(args.commit)
    elif args.src:
        src = os.path.abspath(args.src)
    sys.path.insert(0, src)
    root, info, _ = run.base_dir(args.scale, args.seed, False)
    run.clear_caches(root)
    from kb.grading import grade_all
    from kb.load import load_kb

    assert os.path.dirname(os.path.dirname(sys.modules["kb"].__file__ or "")) == src
    print(f"base {root}: {info}\nsource {src}\n", flush=True)
    if args.no_gc:
        import gc

        gc.disable()
        print("garbage collector disabled\n")
    if args.pyinstrument:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.001)
        t0 = time.perf_counter()
        with profiler:
            kb, rep = load_kb(root)
            grade_all(kb, rep)
        wall = time.perf_counter() - t0
        print(f"cold load_kb + grade_all under pyinstrument: {wall:.2f} s wall\n")
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        return 0
    profile = cProfile.Profile()
    t0 = time.perf_counter()
    profile.enable()
    kb, rep = load_kb(root)
    grade_all(kb, rep)
    profile.disable()
    wall = time.perf_counter() - t0
    if args.pstats:
        profile.dump_stats(args.pstats)
    print(report(pstats.Stats(profile), src, wall, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
