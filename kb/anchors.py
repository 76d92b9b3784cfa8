"""Find a claim's quote in the article text, tolerant of whitespace and typographic quotes.

Matching is done on a normalised copy of the text that keeps a map back to the original
offsets, so the dashboard can highlight the exact characters as published.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

_TRANSLATE = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2013": "-", "\u2014": "-", "\u2012": "-", "\u2212": "-", "\u00ad": None,
})
_WORD_START = re.compile(r" ")
# Whitespace runs, runs of printable ASCII, and runs of anything else.
_RUNS = re.compile(r"\s+|[!-~]+|[^!-~\s]+")
# Printable ASCII words joined by single spaces: already in normalised form.
_PLAIN = re.compile(r"[!-~]+(?: [!-~]+)*")
# Long enough that quotes opening with the same words ("the therapist ...") rarely share a
# key, which would make anchoring quadratic; shorter quotes are searched for directly.
PREFIX = 32
# Up to this many quotes to count are looked up one by one rather than through an index of
# every word of the article.
FEW_QUOTES = 8


@dataclass(frozen=True, slots=True)
class Span:
    """Character offsets [start, end) in the original article text."""

    start: int
    end: int


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalise(text: str) -> str:
    """The form quotes are compared in: NFKC, straight quotes, hyphens, single spaces."""
    return _normalise_with_map(text, _NoOffsets())[0]


class _NoOffsets:
    """Stands in for the offset array when only the normalised text is wanted."""

    def append(self, _: int) -> None:
        pass

    def extend(self, _: Iterable[int]) -> None:
        pass


def _normalise_with_map(text: str, index: Any = None) -> tuple[str, Sequence[int]]:
    """The normalised text and, for each of its characters, the offset it came from.

    Plain stretches (printable ASCII words joined by single spaces: most of an article) are
    copied as they are; only what lies between them (line breaks, runs of spaces, typographic
    characters) is normalised run by run, so a long article costs Python work per line
    rather than per word or per character.
    """
    out: list[str] = []
    if index is None:
        # One 4-byte offset per character, not one int object (sources are far below 4 GB).
        index = array("I")
    pending_space = False
    at = 0
    for m in _PLAIN.finditer(text):
        start = m.start()
        if start > at:
            pending_space = _normalise_runs(text, at, start, out, index, pending_space)
        if pending_space:
            out.append(" ")
            index.append(start)
            pending_space = False
        out.append(m.group())
        index.extend(range(start, m.end()))  # (a no-op for _NoOffsets: the range is lazy)
        at = m.end()
    if at < len(text):
        _normalise_runs(text, at, len(text), out, index, pending_space)
    index.append(len(text))
    return "".join(out), index


def _normalise_runs(text: str, start: int, end: int, out: list[str], index: Any,
                    pending_space: bool) -> bool:
    """Normalise text[start:end] run by run (spaces, ASCII, other characters) onto `out`;
    returns whether a space is pending (spaces are written before what follows them)."""
    for m in _RUNS.finditer(text, start, end):
        run = m.group()
        if run[0].isspace():
            pending_space = bool(out)
            continue
        if run.isascii():
            if pending_space:
                out.append(" ")
                index.append(m.start())
                pending_space = False
            out.append(run)
            index.extend(range(m.start(), m.end()))
            continue
        for offset, ch in enumerate(run, m.start()):
            for c in unicodedata.normalize("NFKC", ch).translate(_TRANSLATE):
                if c.isspace():
                    pending_space = bool(out)
                    continue
                if pending_space:
                    out.append(" ")
                    index.append(offset)
                    pending_space = False
                out.append(c)
                index.append(offset)
    return pending_space


@dataclass(frozen=True)
class ArticleIndex:
    """The article text prepared for quote look-ups (the normalised text is computed once,
    when first needed; a loaded base keeps one: `KnowledgeBase.article_index`)."""

    text: str
    # How often quotes occur in this very text, as counted by an earlier load (the cache
    # keeps them while the text's hash holds): `count_many` does not count them again.
    known: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def _counted(self) -> dict[str, int]:
        """Every count known or made so far (what the cache keeps for the next load)."""
        return dict(self.known)

    def counted(self) -> dict[str, int]:
        return dict(self._counted)

    @cached_property
    def _norm(self) -> tuple[str, Sequence[int]]:
        return _normalise_with_map(self.text)

    def find(self, quote: str) -> list[Span]:
        """All places the quote occurs (after normalisation), as original-text spans."""
        norm, index = self._norm
        return _spans(norm, index, normalise(quote))

    @staticmethod
    def _word_starts(norm: str, prefixes: set[str]) -> dict[str, list[int]]:
        """Positions where a word starts with one of `prefixes` in the normalised text `norm`
        (not kept: `find_many` is called once per load)."""
        index: dict[str, list[int]] = {}
        for i in [0, *(m.end() for m in _WORD_START.finditer(norm))]:
            key = norm[i:i + PREFIX]
            if key in prefixes:
                index.setdefault(key, []).append(i)
        return index

    def find_many(self, quotes: Iterable[str]) -> dict[str, list[Span]]:
        """`find` for many quotes at once: one pass to index word starts, then a look-up per
        quote, so anchoring thousands of claims stays linear in the article's length. The
        offset map it needs is not kept (one 4-byte offset per character of the article)."""
        norm, index = _normalise_with_map(self.text)
        needles = {quote: normalise(quote) for quote in quotes}
        starts = self._word_starts(norm, {n[:PREFIX] for n in needles.values()
                                          if len(n) >= PREFIX})
        out: dict[str, list[Span]] = {}
        for quote, needle in needles.items():
            if len(needle) < PREFIX:
                out[quote] = _spans(norm, index, needle)
                continue
            spans = [Span(index[i], index[i + len(needle) - 1] + 1)
                     for i in starts.get(needle[:PREFIX], ()) if norm.startswith(needle, i)]
            # A quote that starts inside a word is not indexed: fall back to a full scan.
            out[quote] = spans or _spans(norm, index, needle)
        return out

    @cached_property
    def _norm_text(self) -> str:
        """The normalised text alone (counting needs no offsets)."""
        return normalise(self.text)

    def count_many(self, quotes: Iterable[str]) -> dict[str, int]:
        """`count` for many quotes at once, through the word-start index of `find_many`."""
        counted = self._counted
        quotes = list(dict.fromkeys(quotes))
        needles = {quote: normalise(quote) for quote in quotes if quote not in counted}
        if 0 < len(needles) <= FEW_QUOTES:  # a few edited claims: no need to index every word
            counted.update((quote, self.count(quote)) for quote in needles)
        elif needles:
            norm = self._norm_text
            starts = self._word_starts(norm, {n[:PREFIX] for n in needles.values()
                                              if len(n) >= PREFIX})
            for quote, needle in needles.items():
                found = 0
                if len(needle) >= PREFIX:
                    found = sum(1 for i in starts.get(needle[:PREFIX], ())
                                if norm.startswith(needle, i))
                counted[quote] = found or self.count(quote)
        return {quote: counted[quote] for quote in quotes}

    def count(self, quote: str) -> int:
        """How many places `find_many` gives for this quote, from the normalised text alone."""
        norm = self._norm_text
        needle = normalise(quote)
        if not needle:
            return 0
        positions, start = [], norm.find(needle)
        while start != -1:
            positions.append(start)
            start = norm.find(needle, start + 1)
        if len(needle) < PREFIX:
            return len(positions)
        return sum(1 for i in positions if i == 0 or norm[i - 1] == " ") or len(positions)

    def closest(self, quote: str) -> str:
        """The passage of the article most like the quote (for 'did you mean' messages)."""
        norm = self._norm_text
        needle = normalise(quote)
        if not needle or not norm:
            return ""
        matcher = difflib.SequenceMatcher(None, norm, needle, autojunk=False)
        best = matcher.find_longest_match(0, len(norm), 0, len(needle))
        # Centre a window the quote's length around the longest shared run.
        start = max(0, best.a - best.b)
        window = norm[start:start + len(needle)]
        return window.strip()

    def line_of(self, offset: int) -> int:
        return self.text.count("\n", 0, offset) + 1


def _spans(norm: str, index: Sequence[int], needle: str) -> list[Span]:
    """Every place `needle` (normalised) occurs in `norm`, as spans of the original text."""
    if not needle:
        return []
    spans = []
    start = norm.find(needle)
    while start != -1:
        end = start + len(needle)
        spans.append(Span(index[start], index[end - 1] + 1))
        start = norm.find(needle, start + 1)
    return spans
