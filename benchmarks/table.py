"""Print the Markdown table of BENCHMARKS.md from benchmarks/results/scale-*.json.

    python benchmarks/table.py
"""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
ROWS = [
    ("bare `yaml.load` (CSafeLoader) of claims.yaml", ("baselines", "yaml_csafeloader_s")),
    ("bare `bibtexparser.parse_string` of references.bib", ("baselines", "bibtexparser_s")),
    ("reading the files' bytes", ("baselines", "read_bytes_s")),
    ("regex split of the .bib into entries", ("baselines", "regex_split_s")),
    ("**cold** load + validate + grade (new process)", ("ours", "cold", "total_s")),
    ("  of which grading all claims", ("ours", "grade_all_s")),
    ("warm load, unchanged files (cache, new process)", ("ours", "warm_load_s")),
    ("reload after editing one claim (new process)", ("ours", "edit_reload_s")),
    ("first cached load, filling the cache (new process)", ("ours", "cached", "prime_s")),
    ("  grading all claims after a warm load", ("ours", "cached", "warm", "grade_s")),
    ("`kb verdicts`, warm cache (whole process)", ("ours", "cli_verdicts_warm_s")),
    ("graph build", ("ours", "graph_build_s")),
    ("dashboard overview, first render (loads the base)", ("ours", "dashboard", "overview_first_s")),
    ("dashboard overview, later renders (AppTest run)", ("ours", "dashboard", "overview_s")),
    ("  of which the page function", ("ours", "dashboard", "overview_page_fn_s")),
    ("dashboard claim page (AppTest run)", ("ours", "dashboard", "claim_page_s")),
    ("  of which the page function", ("ours", "dashboard", "claim_page_fn_s")),
    ("peak memory, cold load + grade (MB)", ("ours", "peak_rss_mb", "cold_load_grade")),
    ("peak memory, first cached load (MB)", ("ours", "cached", "prime_peak_rss_mb")),
    ("peak memory, warm load + grade (MB)", ("ours", "cached", "warm", "peak_rss_mb")),
    ("peak memory, bare parsers (MB)", ("ours", "peak_rss_mb", "bare_parsers")),
    ("**cold_ratio** (target <= 1.3)", ("cold_ratio",)),
    ("warm / bare bibtexparser alone", ("warm_ratio",)),
    ("edit / bare bibtexparser alone", ("edit_ratio",)),
    ("**warm / bare YAML + BibTeX** (target <= 0.05)", ("warm_ratio_of_bare_total",)),
    ("**edit / bare YAML + BibTeX** (target <= 0.1)", ("edit_ratio_of_bare_total",)),
]


def dig(data: dict, path: tuple[str, ...]) -> object:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def fmt(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.0f}" if value >= 100 else f"{value:.3g}"
    return str(value)


def main() -> None:
    runs = {int(p.stem.split("-")[1]): json.loads(p.read_text()) for p in RESULTS.glob("scale-*.json")}
    scales = sorted(runs)
    print("| step (seconds unless stated) | " + " | ".join(f"{s}x" for s in scales) + " |")
    print("|---|" + "---|" * len(scales))
    for label, path in ROWS:
        print(f"| {label} | " + " | ".join(fmt(dig(runs[s], path)) for s in scales) + " |")
    print("| code measured | " + " | ".join(f"`{runs[s]['code']['label']}`" for s in scales) + " |")
    if 100 in runs and 1000 in runs:
        print("\nGrowth 1000x / 100x (target <= 12x for every step):\n")
        for label, path in ROWS[:-5]:
            a, b = dig(runs[100], path), dig(runs[1000], path)
            if isinstance(a, (int, float)) and isinstance(b, (int, float)) and a:
                print(f"- {label.strip()}: {b / a:.1f}x")
        print("- peak memory, cold load + grade: " + fmt(
            dig(runs[1000], ("ours", "peak_rss_mb", "cold_load_grade")) /
            dig(runs[100], ("ours", "peak_rss_mb", "cold_load_grade"))) + "x")


if __name__ == "__main__":
    main()
