"""Recall and precision of `kb extract` on hand-labelled articles (tests/fixtures/articles/)
and on the bundled article's claims, as a Markdown table for BENCHMARKS.md.

    .venv/bin/python benchmarks/extract_quality.py [--verbose]
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.extract import recall  # noqa: E402
from kb.load import load_kb  # noqa: E402

ARTICLES = ROOT / "tests" / "fixtures" / "articles"


def labelled() -> list[tuple[str, str, list[str]]]:
    """(name, article text, hand-labelled claim quotes) for every fixture article."""
    out = []
    for path in sorted(ARTICLES.glob("*.yaml")):
        meta = yaml.safe_load(path.read_text(encoding="utf-8"))
        text = (ARTICLES / meta["text"]).read_text(encoding="utf-8")
        out.append((path.stem, text, [c["quote"] for c in meta["claims"]]))
    return out


def bundled() -> tuple[str, str, list[str]]:
    kb, _ = load_kb(str(ROOT))
    return "bundled: dry-needling-article", kb.article_text or "", [c.quote for c in kb.claims]


def table(verbose: bool = False) -> str:
    rows = ["| article | claims | proposed | found | recall | precision | exact words |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    notes = []
    for name, text, quotes in [*labelled(), bundled()]:
        r = recall(text, quotes)
        rows.append(f"| {name} | {r['claims']} | {r['proposed']} | {r['claims_found']} | "
                    f"{r['recall']:.2f} | {r['precision']:.2f} | {r['claims_exact']} |")
        if verbose:
            notes += [f"- {name} missed: {q}" for q in r["missed"]]
            notes += [f"- {name} not a claim: {q}" for q in r["extra"]]
    return "\n".join(rows + ([""] + notes if notes else [])) + "\n"


if __name__ == "__main__":
    sys.stdout.write(table("--verbose" in sys.argv))
