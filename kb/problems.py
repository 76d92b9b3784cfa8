"""Problems found in a knowledge base, collected as data into one report.

Loaders and checks never raise on bad data: they yield `Problem` values with a stable
kebab-case code, a location (file, 1-based line and column, data path) and a hint.
"""

from __future__ import annotations

import enum
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


@dataclass(frozen=True)
class Report:
    """All problems of one load, in the order they were found."""

    problems: tuple[Problem, ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, problems: Iterable[Problem]) -> Report:
        return cls(tuple(problems))

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
        return Report(tuple(sorted(self.problems, key=lambda p: (p.file, p.line or 0, p.code))))

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
