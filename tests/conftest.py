"""Shared test helpers: the bundled knowledge base, the minimal fixture base, ../shared."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
KB_MIN = FIXTURES / "kb_min"
BROKEN = FIXTURES / "broken"
# CI clones the repository with shared/ beside it; a user's clone has no shared/.
SHARED = Path(os.environ.get("KB_SHARED_DIR", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus" / "bib"

requires_shared = pytest.mark.skipif(
    not CORPUS.is_dir(),
    reason=f"the shared BibTeX corpus is not at {CORPUS} (it sits beside the clone in CI; "
           "set KB_SHARED_DIR to point elsewhere)")


# The bundled base's files (the repository's own knowledge base).
BUNDLED_FILES = ("claims.yaml", "references.bib", "dry-needling-article.txt")


def copy_bundled(target: Path) -> Path:
    """A copy of the bundled base in folder `target` (made, with its parents)."""
    target.mkdir(parents=True)
    for name in BUNDLED_FILES:
        shutil.copyfile(ROOT / name, target / name)
    return target


def make_kb(tmp_path: Path, *, claims: Path | str | None = None,
            bib: Path | str | None = None) -> Path:
    """A copy of the minimal base with claims.yaml and/or references.bib swapped in."""
    target = tmp_path / "kb"
    shutil.copytree(KB_MIN, target)
    for name, src in (("claims.yaml", claims), ("references.bib", bib)):
        if isinstance(src, Path):
            shutil.copyfile(src, target / name)
        elif isinstance(src, str):
            (target / name).write_text(src, encoding="utf-8")
    return target


@pytest.fixture(autouse=True)
def private_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test (and every `kb` it runs) caches in its own folder, never the user's."""
    folder = tmp_path / "kb-cache-dir"
    monkeypatch.setenv("KB_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    return make_kb(tmp_path)


def pytest_configure(config: pytest.Config) -> None:
    # Servers and commands started outside a test's own cache folder (module-scoped fixtures)
    # cache in a throwaway folder too, never in the user's cache.
    os.environ["KB_CACHE_DIR"] = tempfile.mkdtemp(prefix="kb-test-cache-")
    # CI sets these so that a missing corpus or browser fails the run instead of skipping.
    if os.environ.get("KB_REQUIRE_SHARED") and not CORPUS.is_dir():
        raise pytest.UsageError(f"KB_REQUIRE_SHARED is set but {CORPUS} does not exist")
