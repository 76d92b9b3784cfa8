"""Load `references.bib` with bibtexparser 2 and report every failed block with its line.

The only module that imports bibtexparser: its `Library` never leaves this module (a library
holding a failed block does not pickle, which would break the dashboard's cache).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import bibtexparser
from bibtexparser import model as bm
from bibtexparser.middlewares.names import (
    InvalidNameError,
    parse_single_name_into_parts,
    split_multiple_persons_names,
)

from kb.model import WEB_URL, Reference
from kb.problems import Problem, error, warning
from kb.sources import read_text

# Classic BibTeX's required fields per entry type, with biblatex's common types added.
# A tuple inside the tuple means "one of these".
REQUIRED_FIELDS: Mapping[str, tuple[str | tuple[str, ...], ...]] = {
    "article": (("author", "editor"), "title", ("journal", "journaltitle"), ("year", "date")),
    "book": (("author", "editor"), "title", "publisher", ("year", "date")),
    "inbook": (("author", "editor"), "title", "publisher", ("year", "date")),
    "incollection": ("author", "title", "booktitle", ("year", "date")),
    "inproceedings": ("author", "title", "booktitle", ("year", "date")),
    "conference": ("author", "title", "booktitle", ("year", "date")),
    "phdthesis": ("author", "title", ("school", "institution"), ("year", "date")),
    "mastersthesis": ("author", "title", ("school", "institution"), ("year", "date")),
    "thesis": ("author", "title", ("school", "institution"), ("year", "date")),
    "techreport": (("author", "institution"), "title", "institution", ("year", "date")),
    "report": (("author", "institution"), "title", "institution", ("year", "date")),
    "online": (("author", "editor", "organization"), "title", ("url", "doi")),
    "misc": ("title",),
}

DOI_RE = re.compile(r"^10\.\d{4,9}/\S+$")
PMID_RE = re.compile(r"^\d{1,9}$")
YEAR_RE = re.compile(r"^\d{4}$")
URL_RE = re.compile(WEB_URL)
EARLIEST_YEAR = 1500


@dataclass
class Bibliography:
    """What `load_bibliography` could read."""

    references: dict[str, Reference] = field(default_factory=dict)
    entry_count: int = 0
    problems: list[Problem] = field(default_factory=list)


def load_bibliography(path: str, display_name: str = "references.bib", *,
                      max_year: int | None = None) -> Bibliography:
    """Read a BibTeX file. Never raises on bad data; see `.problems`."""
    text, problems = read_text(path, display_name)
    if text is None:
        return Bibliography(problems=problems)
    bib = parse_bibliography(text, display_name, max_year=max_year)
    bib.problems[:0] = problems
    return bib


# Large files are parsed in pieces of about this many characters, so bibtexparser's
# intermediate objects for a 100 MB file never exist all at once (see `_pieces`).
PIECE_CHARS = 2_000_000


def parse_bibliography(text: str, file: str = "references.bib", *,
                       max_year: int | None = None,
                       piece_chars: int = PIECE_CHARS) -> Bibliography:
    """Parse BibTeX text into references and located problems.

    A file of more than two pieces that can be cut safely (see `_pieces`) is parsed piece by
    piece, with the same references, problems and order as a parse of the whole text
    (tests/test_bibliography.py compares them on every file of the shared corpus).
    """
    max_year = max_year or dt.date.today().year + 1
    pieces = _pieces(text, piece_chars)
    if pieces is not None:
        try:
            return _parse_pieces(text, pieces, file, max_year)
        except RecursionError:
            pass  # the whole parse below reports it
    bib = Bibliography()
    try:
        library = bibtexparser.parse_string(text)
    except RecursionError:
        bib.problems.append(error("bib-syntax", file, None, "BibTeX nesting too deep to parse",
                                  "check for runaway braces"))
        return bib
    for block in library.failed_blocks:
        _failed(block, file, bib, max_year)
    for entry in library.entries:
        _add_entry(entry, file, bib, max_year)
    return bib


_ENTRY_START = re.compile(r"\n(?=@[A-Za-z]+[ \t]*\{)")
# What would make a piece depend on another: string macros, parenthesised blocks.
_CROSS_PIECE = re.compile(r"@[ \t]*(string|preamble)\b|@[A-Za-z]+[ \t]*\(", re.I)


def _pieces(text: str, size: int) -> list[tuple[int, int, int]] | None:
    """(first line, start, end) of pieces cut only where an entry starts at brace depth 0
    right after a closing brace; None when the text is small or a cut might change its
    meaning. Offsets, not copies: each piece is sliced when it is parsed."""
    if len(text) <= 2 * size or _CROSS_PIECE.search(text):
        return None
    pieces: list[tuple[int, int, int]] = []
    start, line, depth_at = 0, 0, 0
    for m in _ENTRY_START.finditer(text, size):
        cut = m.start() + 1
        if cut - start < size:
            continue
        depth = depth_at + text.count("{", start, cut) - text.count("}", start, cut)
        if depth != 0 or _last_char(text, cut) != "}":
            continue
        pieces.append((line, start, cut))
        line += text.count("\n", start, cut)
        start, depth_at = cut, 0
    if start == 0:
        return None
    pieces.append((line, start, len(text)))
    return pieces


def _last_char(text: str, end: int) -> str:
    """The last character before `end` that is not whitespace (without copying the text)."""
    i = end - 1
    while i >= 0 and text[i].isspace():  # a few blank lines at most
        i -= 1
    return text[i] if i >= 0 else ""


def _parse_pieces(text: str, pieces: list[tuple[int, int, int]], file: str,
                  max_year: int) -> Bibliography:
    """Parse pieces one at a time, keeping what a whole parse would: failed blocks first (in
    file order; a key already used in an earlier piece is a duplicate), then the entries."""
    failed: list[tuple[int, Bibliography]] = []
    entries: list[Bibliography] = []
    first_line: dict[str, int | None] = {}
    for offset, start, end in pieces:
        library = bibtexparser.parse_string(text[start:end])
        for block in library.failed_blocks:
            out = Bibliography()
            if isinstance(block, bm.DuplicateBlockKeyBlock) and block.key in first_line:
                out.problems.append(_duplicate(file, block.key, _line(block, offset),
                                               first_line[block.key]))
            else:
                _failed(block, file, out, max_year, offset)
            failed.append((_line(block, offset) or 0, out))
        for entry in library.entries:
            line = _line(entry, offset)
            out = Bibliography()
            if entry.key in first_line:
                out.problems.append(_duplicate(file, entry.key, line, first_line[entry.key]))
                failed.append((line or 0, out))
                continue
            first_line[entry.key] = line
            _add_entry(entry, file, out, max_year, offset=offset)
            entries.append(out)
        del library
    bib = Bibliography()
    failed.sort(key=lambda item: item[0])
    for part in [out for _, out in failed] + entries:
        bib.references.update(part.references)
        bib.problems += part.problems
        bib.entry_count += part.entry_count
    return bib


def _line(block: bm.Block, offset: int = 0) -> int | None:
    # bibtexparser counts lines from 0; `offset` is where the parsed piece starts.
    return None if block.start_line is None else block.start_line + 1 + offset


def _duplicate(file: str, key: str, line: int | None, first: int | None) -> Problem:
    return error("bib-duplicate-key", file, line,
                 f"entry key '{key}' is used again (first at line {first})",
                 "give each entry its own key, or delete the duplicate entry", path=key)


def _failed(block: bm.ParsingFailedBlock, file: str, bib: Bibliography, max_year: int,
            offset: int = 0) -> None:
    line = _line(block, offset)
    if isinstance(block, bm.DuplicateBlockKeyBlock):
        bib.problems.append(_duplicate(file, block.key, line,
                                       _line(block.previous_block, offset)))
        return
    if isinstance(block, bm.DuplicateFieldKeyBlock):
        entry = block.ignore_error_block
        names = ", ".join(sorted(block.duplicate_keys))
        key = entry.key if isinstance(entry, bm.Entry) else ""
        bib.problems.append(error(
            "bib-duplicate-field", file, line,
            f"entry '{key}' has the field(s) {names} more than once",
            "keep one value per field", path=key))
        if isinstance(entry, bm.Entry):
            # The entry is still usable (bibtexparser keeps it aside); losing it would turn
            # one duplicated field into a cascade of 'unknown study' errors.
            _add_entry(entry, file, bib, max_year, enclosed=True, offset=offset)
        return
    reason = getattr(block.error, "abort_reason", None) or str(block.error)
    reason = reason.splitlines()[0] if reason else "unparseable block"
    bib.problems.append(error(
        "bib-syntax", file, line, f"BibTeX block could not be parsed: {reason}",
        "check this entry's braces, commas and '=' signs; the entry is left out until fixed"))


def _add_entry(entry: bm.Entry, file: str, bib: Bibliography, max_year: int,
               enclosed: bool = False, offset: int = 0) -> None:
    bib.entry_count += 1
    line = _line(entry, offset) or 0
    key = entry.key.strip()
    if not key:
        bib.problems.append(error("bib-empty-key", file, line, "entry has no citation key",
                                  "give the entry a key, e.g. smith2020title"))
        return
    fields = {f.key.lower(): _as_text(f.value, enclosed) for f in entry.fields}
    entry_type = entry.entry_type.lower()
    ref = Reference(key, entry_type, fields, line)
    bib.references[key] = ref
    for required in REQUIRED_FIELDS.get(entry_type, ()):
        options = required if isinstance(required, tuple) else (required,)
        if not any(fields.get(o) for o in options):
            bib.problems.append(warning(
                "bib-missing-field", file, line,
                f"@{entry_type}{{{key}}} has no {' or '.join(options)}",
                f"add the {options[0]} field (BibTeX needs it for @{entry_type})", path=key))
    bib.problems += _field_problems(entry, ref, file, max_year, offset)


def _field_problems(entry: bm.Entry, ref: Reference, file: str, max_year: int,
                    offset: int) -> list[Problem]:
    """Malformed DOI, PubMed id, address or year of one entry, each at its field's line."""
    fields, key, line = ref.fields, ref.key, ref.line
    out = []
    if (doi := fields.get("doi")) and not DOI_RE.match(doi):
        out.append(error(
            "bib-doi-malformed", file, _field_line(entry, "doi", line, offset),
            f"'{doi}' is not a DOI", "write the bare DOI, e.g. 10.2519/jospt.2017.7096 "
            "(no https://doi.org/ prefix)", path=key))
    if (pmid := fields.get("pmid")) and not PMID_RE.match(pmid):
        out.append(error(
            "bib-pmid-malformed", file, _field_line(entry, "pmid", line, offset),
            f"'{pmid}' is not a PubMed id", "write the digits only, e.g. 28158962", path=key))
    if (url := fields.get("url")) and not URL_RE.match(url):
        out.append(warning(
            "bib-url-malformed", file, _field_line(entry, "url", line, offset),
            f"'{url[:80]}' is not a web address that can be linked, so it is not shown",
            "write the full http:// or https:// address, spaces percent-encoded (%20)",
            path=key))
    year = fields.get("year")
    if year and not (YEAR_RE.match(year) and EARLIEST_YEAR <= int(year) <= max_year):
        out.append(error(
            "bib-year-implausible", file, _field_line(entry, "year", line, offset),
            f"year '{year}' is not a plausible publication year",
            f"write the four-digit year between {EARLIEST_YEAR} and {max_year}", path=key))
    return out


def _as_text(value: object, enclosed: bool = False) -> str:
    text = value.strip() if isinstance(value, str) else str(value)
    # Entries recovered from a failed block skipped the middleware that strips delimiters.
    if enclosed and len(text) >= 2 and (text[0], text[-1]) in (("{", "}"), ('"', '"')):
        text = text[1:-1].strip()
    return text


def _field_line(entry: bm.Entry, name: str, default: int, offset: int = 0) -> int:
    for f in entry.fields:
        if f.key.lower() == name and f.start_line is not None:
            return f.start_line + 1 + offset
    return default


@lru_cache(maxsize=8192)
def author_names(value: str) -> tuple[str, ...]:
    """Split a BibTeX author field into 'Last, First' names (BibTeX's own name rules)."""
    out = []
    for name in split_multiple_persons_names(value):
        try:
            parts = parse_single_name_into_parts(name, strict=False)
        except InvalidNameError:
            out.append(name)
            continue
        out.append(parts.merge_last_name_first)
    return tuple(out)


def to_bibtex(references: list[Reference]) -> str:
    """Write references back as BibTeX (bibtexparser's writer), e.g. for a copied selection."""
    library = bibtexparser.Library()
    for ref in references:
        library.add(bm.Entry(ref.entry_type, ref.key,
                             [bm.Field(k, v) for k, v in ref.fields.items()]))
    return bibtexparser.write_string(library)
