"""Problems found in a knowledge base, collected as data into one report.

Loaders and checks never raise on bad data: they yield `Problem` values with a stable
kebab-case code, a location (file, 1-based line and column, data path) and a hint.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """One located, actionable problem.

    Examples
    --------
    >>> p = Problem("claim-unknown-study", Severity.ERROR, "claims.yaml", 12,
    ...             message="study 'smith2020' is not in references.bib",
    ...             hint="add it to references.bib or fix the key")
    >>> p.render()
    "claims.yaml:12: error claim-unknown-study: study 'smith2020' is not in references.bib (hint: add it to references.bib or fix the key)"
    """

    code: str
    severity: Severity
    file: str
    line: int | None = None
    column: int | None = None
    path: str = ""
    message: str = ""
    hint: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def location(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def render(self) -> str:
        text = f"{self.location()}: {self.severity.value} {self.code}: {self.message}"
        if self.path:
            text = f"{self.location()}: {self.severity.value} {self.code}: [{self.path}] {self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data


def error(code: str, file: str, line: int | None = None, message: str = "", hint: str = "",
          *, path: str = "", column: int | None = None) -> Problem:
    return Problem(code, Severity.ERROR, file, line, column, path, message, hint)


def warning(code: str, file: str, line: int | None = None, message: str = "", hint: str = "",
            *, path: str = "", column: int | None = None) -> Problem:
    return Problem(code, Severity.WARNING, file, line, column, path, message, hint)


# Problems that stop a whole file from being read. They are listed first: everything found
# after them may be a consequence (see `kb.load.assemble`, which sums those up in one line).
FILE_LEVEL = frozenset({
    "kb-missing", "file-missing", "file-unreadable", "file-empty", "file-encoding",
    "file-too-large", "yaml-syntax", "yaml-too-deep", "yaml-alias", "yaml-tag"})
# Past this many problems a file is almost surely the wrong one; listing more helps nobody.
MAX_PROBLEMS = 1000


def settle(problems: Iterable[Problem], limit: int = MAX_PROBLEMS) -> tuple[Problem, ...]:
    """File-level problems first, then the rest in the order found; at most `limit` of them.

    Past the limit, errors are kept before warnings and one `too-many-problems` closes the
    list (a loader that stopped early has already added its own).
    """
    found = list(problems)
    ordered = [p for p in found if p.code in FILE_LEVEL] + \
        [p for p in found if p.code not in FILE_LEVEL]
    if len(ordered) <= limit:
        return tuple(ordered)
    return _capped(ordered, limit)


def _capped(ordered: list[Problem], limit: int) -> tuple[Problem, ...]:
    """The first `limit` problems by (file-level, error, warning), in the order found, and
    one `too-many-problems` (the loader's own, if it stopped early)."""
    stop = next((p for p in ordered if p.code == "too-many-problems"), None)
    rest = [p for p in ordered if p is not stop]
    rank = {id(p): (0 if p.code in FILE_LEVEL else 1 if p.is_error else 2, i)
            for i, p in enumerate(rest)}
    keep = {id(p) for p in sorted(rest, key=lambda p: rank[id(p)])[:limit]}
    kept = [p for p in rest if id(p) in keep]
    if stop is None:
        dropped = [p for p in rest if id(p) not in keep]
        files = Counter(p.file for p in dropped)
        stop = error("too-many-problems", files.most_common(1)[0][0], None,
                     f"stopped listing after {limit} problems; {len(dropped)} more not shown",
                     "fix the problems above (is this the right file?) and run kb check again")
    return (*kept, stop)


@dataclass(frozen=True)
class Report:
    """All problems of one load: file-level ones first, then the rest in the order found."""

    problems: tuple[Problem, ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, problems: Iterable[Problem]) -> Report:
        """The report of these problems: file-level ones first, capped (see `settle`)."""
        return cls(settle(problems))

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.problems)

    def __len__(self) -> int:
        return len(self.problems)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.is_error)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if not p.is_error)

    @property
    def valid(self) -> bool:
        return not self.errors

    def codes(self) -> list[tuple[str, str, int | None]]:
        """`(code, file, line)` triples, the shape broken-input tests assert on."""
        return [(p.code, p.file, p.line) for p in self.problems]

    def sorted(self) -> Report:
        """By file and line, the problems that stop a whole file from being read first."""
        return Report(tuple(sorted(self.problems, key=lambda p: (
            p.code not in FILE_LEVEL, p.code == "too-many-problems", p.file, p.line or 0,
            p.code))))

    def summary(self) -> str:
        e, w = len(self.errors), len(self.warnings)
        return f"{e} error{'s' * (e != 1)}, {w} warning{'s' * (w != 1)}"

    def render(self) -> str:
        lines = [p.render() for p in self.sorted()]
        lines.append(self.summary())
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        return {
            "valid": self.valid,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "problems": [p.to_dict() for p in self.problems],
        }
