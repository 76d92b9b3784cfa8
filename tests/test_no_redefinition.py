"""No module of kb/ defines the same top-level name twice (a merge once left two `_people`
in kb/csl.py and the second silently replaced the first)."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

KB = Path(__file__).resolve().parent.parent / "kb"


def test_no_top_level_function_or_class_is_defined_twice() -> None:
    twice = []
    for path in sorted(KB.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = Counter(node.name for node in tree.body
                        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                             ast.ClassDef)))
        twice += [f"{path.name}: {name}" for name, n in names.items() if n > 1]
    assert twice == []
