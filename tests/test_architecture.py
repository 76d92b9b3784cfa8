"""The library's shape (issue 12): no function in kb/ above cyclomatic complexity 15, and no
import cycle among kb/'s modules."""

from __future__ import annotations

import ast
from pathlib import Path

from radon.complexity import cc_visit

KB = Path(__file__).resolve().parent.parent / "kb"
MAX_COMPLEXITY = 15


def test_no_function_in_kb_is_too_complex() -> None:
    too_complex = [f"{path.name}:{block.lineno} {block.name} ({block.complexity})"
                   for path in sorted(KB.glob("*.py"))
                   for block in cc_visit(path.read_text(encoding="utf-8"))
                   if block.complexity > MAX_COMPLEXITY]
    assert too_complex == []


def _imports(path: Path) -> set[str]:
    """The kb modules a module imports, at any depth (function-level imports included)."""
    modules = {p.stem for p in KB.glob("*.py")}
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "kb":
                found |= {a.name for a in node.names if a.name in modules}
            elif node.module.startswith("kb."):
                found.add(node.module.removeprefix("kb."))
        elif isinstance(node, ast.Import):
            found |= {a.name.removeprefix("kb.") for a in node.names
                      if a.name.startswith("kb.")}
    return found - {path.stem}


def test_kb_has_no_import_cycle() -> None:
    graph = {p.stem: _imports(p) for p in KB.glob("*.py") if p.stem != "__init__"}
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return path[path.index(module):] + [module]
        if module in done:
            return None
        for dep in sorted(graph.get(module, ())):
            cycle = visit(dep, [*path, module])
            if cycle:
                return cycle
        done.add(module)
        return None

    cycles = [c for m in sorted(graph) if (c := visit(m, []))]
    assert cycles == []
