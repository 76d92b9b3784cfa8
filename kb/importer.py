"""Merge new references (RIS from PubMed/EndNote/publishers, or BibTeX) into references.bib.

Duplicates are recognised by DOI, PMID or normalised title, against the bibliography and
within the imported file. Existing entries are never rewritten or reordered: new entries are
appended under the file's lock, and the write is atomic (a crash mid-write leaves the old
file intact; see `kb.writes`).
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import rispy
from rapidfuzz import fuzz, process

from kb.bibliography import (
    Bibliography,
    author_names,
    load_bibliography,
    parse_bibliography,
    to_bibtex,
)
from kb.csl import from_csl
from kb.model import Reference
from kb.problems import Problem, error
from kb.sources import decode, read_bytes, read_text
from kb.text import display
from kb.writes import update

RIS_TYPES = {"JOUR": "article", "JFULL": "article", "MGZN": "article", "NEWS": "article",
             "BOOK": "book", "CHAP": "incollection", "CONF": "inproceedings",
             "CPAPER": "inproceedings", "RPRT": "techreport", "THES": "phdthesis",
             "ELEC": "online", "WEB": "online"}
_STOPWORDS = {"a", "an", "the", "of", "on", "in", "and", "for", "to", "is", "are", "does", "do",
              "with", "at", "by", "from"}


@dataclass(frozen=True)
class Skipped:
    label: str
    duplicate_of: str
    reason: str


@dataclass
class ImportPlan:
    """What an import would do (and, after `import_into`, did)."""

    added: list[Reference] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def render(self) -> str:
        lines = [f"+ {r.key}: {display(r.fields.get('title', ''))[:90]}" for r in self.added]
        lines += [f"= {s.label[:60]}: duplicate of {s.duplicate_of} ({s.reason})"
                  for s in self.skipped]
        lines += [p.render() for p in self.problems]
        lines.append(f"{len(self.added)} to add, {len(self.skipped)} duplicates skipped, "
                     f"{len(self.problems)} problems")
        return "\n".join(lines)


def normalise_doi(doi: str | None) -> str | None:
    if not doi:
        return None
    doi = doi.strip().lower()
    doi = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:\s*)", "", doi)
    return doi or None


def normalise_title(title: str | None) -> str | None:
    if not title:
        return None
    text = unicodedata.normalize("NFKD", display(title)).casefold()
    text = "".join(c for c in text if c.isalnum())
    return text or None


def identities(ref: Reference) -> list[tuple[str, str]]:
    """What makes two references the same study: DOI, PMID, normalised title."""
    ids = []
    if doi := normalise_doi(ref.doi):
        ids.append(("DOI", doi))
    if ref.pmid:
        ids.append(("PMID", ref.pmid.strip()))
    if title := normalise_title(ref.fields.get("title")):
        ids.append(("title", title))
    return ids


def _clean(value: str) -> str:
    value = " ".join(str(value).split())
    # An unbalanced brace would break the whole .bib file; drop braces if they don't pair up.
    depth = 0
    for ch in value:
        depth += (ch == "{") - (ch == "}")
        if depth < 0:
            break
    return value if depth == 0 else value.replace("{", "").replace("}", "")


def _first(record: Mapping[str, object], *names: str) -> str | None:
    """The first non-empty value among a rispy record's fields (first item of a list)."""
    for n in names:
        v = record.get(n)
        if isinstance(v, list):
            v = v[0] if v else None
        if v:
            return _clean(str(v))
    return None


def ris_to_fields(record: Mapping[str, object]) -> tuple[str, dict[str, str]]:
    """One rispy record as a BibTeX entry type and fields."""
    entry_type = RIS_TYPES.get(str(record.get("type_of_reference", "")).upper(), "misc")
    fields: dict[str, str] = {}
    authors = record.get("authors") or record.get("first_authors") or []
    if isinstance(authors, list) and authors:
        fields["author"] = " and ".join(_clean(a) for a in authors)
    if title := _first(record, "title", "primary_title"):
        fields["title"] = title
    container = _first(record, "journal_name", "secondary_title", "alternate_title3",
                       "alternate_title1")
    if container:
        fields["booktitle" if entry_type in ("incollection", "inproceedings") else "journal"] = container
    fields.update(_ris_issue(record))
    fields.update(_ris_ids(record))
    for name in ("abstract", "publisher"):
        if v := _first(record, name):
            fields[name] = v
    return entry_type, fields


def _ris_issue(record: Mapping[str, object]) -> dict[str, str]:
    """Year, volume, number and pages of a rispy record."""
    out: dict[str, str] = {}
    year = _first(record, "year", "publication_year", "date")
    if year and (m := re.search(r"\d{4}", year)):
        out["year"] = m.group(0)
    for name in ("volume", "number"):
        if v := _first(record, name):
            out[name] = v
    start, end = _first(record, "start_page"), _first(record, "end_page")
    if start:
        out["pages"] = f"{start}--{end}" if end and end != start else start
    return out


def _ris_ids(record: Mapping[str, object]) -> dict[str, str]:
    """DOI, PubMed id (a numeric accession number) and first URL of a rispy record."""
    out: dict[str, str] = {}
    if doi := normalise_doi(_first(record, "doi")):
        out["doi"] = doi
    accession = _first(record, "accession_number")
    if accession and accession.isdigit():
        out["pmid"] = accession
    urls = record.get("urls")
    if isinstance(urls, list) and urls:
        out["url"] = _clean(str(urls[0]))
    return out


def make_key(fields: Mapping[str, str], taken: set[str]) -> str:
    """firstauthorYEARfirstword, made unique with a, b, c... (Better BibTeX's default shape)."""
    names = author_names(fields["author"]) if fields.get("author") else ()
    last = display(names[0].split(",")[0]) if names else "anon"
    last = unicodedata.normalize("NFKD", last).encode("ascii", "ignore").decode().lower()
    last = re.sub(r"[^a-z]", "", last) or "anon"
    words = [re.sub(r"[^a-z]", "", unicodedata.normalize("NFKD", w).encode(
        "ascii", "ignore").decode().lower()) for w in display(fields.get("title", "")).split()]
    word = next((w for w in words if w and w not in _STOPWORDS), "")
    base = f"{last}{fields.get('year', '')}{word}"
    key, n = base, 0
    while key in taken:
        n += 1
        key = base + "abcdefghijklmnopqrstuvwxyz"[(n - 1) % 26] * ((n - 1) // 26 + 1)
    taken.add(key)
    return key


def read_incoming(path: str) -> tuple[list[Reference], list[Problem]]:
    """References in a .ris, .bib or CSL-JSON (.json) file (by extension, else by content)."""
    name = os.path.basename(path)
    if path.lower().endswith((".bib", ".bibtex")):
        bib = load_bibliography(path, name)
        return list(bib.references.values()), [p for p in bib.problems if p.is_error]
    text, problems = read_text(path, name)
    if text is None:
        return [], problems
    fmt = "csl" if path.lower().endswith(".json") else "ris"
    return read_incoming_text(text, name, fmt if fmt == "csl" else None)


def sniff_format(text: str) -> str:
    """"csl", "bibtex" or "ris": what pasted or exported reference text looks like."""
    head = text.lstrip("\ufeff \t\r\n")
    if head[:1] in "[{":
        return "csl"
    if head[:1] == "@" or re.search(r"^\s*@[A-Za-z]+\s*[{(]", text, re.M) and \
            not re.search(r"^TY  - ", text, re.M):
        return "bibtex"
    return "ris"


def read_incoming_text(text: str, name: str = "pasted text",
                       fmt: str | None = None) -> tuple[list[Reference], list[Problem]]:
    """References in BibTeX, RIS or CSL-JSON text (`fmt`, or sniffed from the text)."""
    fmt = fmt or sniff_format(text)
    if fmt == "bibtex":
        bib = parse_bibliography(text, name)
        return list(bib.references.values()), [p for p in bib.problems if p.is_error]
    if fmt == "csl":
        return _read_csl(text, name)
    problems: list[Problem] = []
    try:
        records = rispy.loads(text)
    except Exception as exc:  # rispy raises plain IOError/ValueError subclasses on bad input
        return [], [error("ris-syntax", name, None, f"not a readable RIS file: {exc}",
                          "export again as RIS (PubMed: Send to > Citation manager)")]
    if not records:
        return [], [error("ris-empty", name, 1, "no RIS records found",
                          "each record starts with 'TY  - ' and ends with 'ER  - '; is this a "
                          "RIS file?")]
    refs = []
    for i, record in enumerate(records):
        entry_type, fields = ris_to_fields(record)
        if not fields.get("title"):
            problems.append(error("ris-no-title", name, None, f"record {i + 1} has no title",
                                  "check the export; records without a title are skipped"))
            continue
        refs.append(Reference(f"ris{i + 1}", entry_type, fields, 0))
    return refs, problems


def _read_csl(text: str, name: str) -> tuple[list[Reference], list[Problem]]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        return [], [error("csl-syntax", name, line, f"not readable CSL-JSON: {exc}",
                          "export again as CSL JSON (Zotero: Export > CSL JSON)")]
    items = data if isinstance(data, list) else [data]
    refs, problems = [], []
    for i, item in enumerate(items):
        fields = from_csl(item) if isinstance(item, dict) else None
        if fields is None or not fields[1].get("title"):
            problems.append(error("csl-no-title", name, None, f"item {i + 1} has no title",
                                  "check the export; items without a title are skipped"))
            continue
        refs.append(Reference(f"ris{i + 1}", fields[0], {k: _clean(v) for k, v in
                                                          fields[1].items()}, 0))
    return refs, problems


# Titles this similar (rapidfuzz ratio, 0-100, on lower-cased letters and digits) with the
# same year are one work exported twice (a typo fixed, a subtitle's punctuation changed).
NEAR_TITLE = 95


def plan_import(existing: Mapping[str, Reference], incoming: Iterable[Reference]) -> ImportPlan:
    """Decide what to add and what is a duplicate, without touching any file.

    Duplicates: the same DOI, PMID or normalised title, or a near-identical title with the
    same year, of an existing entry or of one added earlier in the same import.
    """
    plan = ImportPlan()
    seen: dict[tuple[str, str], str] = {}
    by_year: dict[str, dict[str, tuple[str, str, str]]] = {}
    for key, ref in existing.items():
        _remember(ref, key, seen, by_year)
    taken = set(existing)
    for ref in incoming:
        label = display(ref.fields.get("title", ref.key))
        dup = next(((kind, seen[(kind, value)]) for kind, value in identities(ref)
                    if (kind, value) in seen), None) or _near_title(ref, by_year)
        if dup:
            plan.skipped.append(Skipped(label, dup[1], f"same {dup[0]}"))
            continue
        key = ref.key if ref.key not in taken and not ref.key.startswith("ris") else make_key(
            ref.fields, taken)
        taken.add(key)
        new = Reference(key, ref.entry_type, dict(ref.fields), 0)
        plan.added.append(new)
        _remember(new, key, seen, by_year)
    return plan


def _remember(ref: Reference, key: str, seen: dict[tuple[str, str], str],
              by_year: dict[str, dict[str, tuple[str, str, str]]]) -> None:
    for ident in identities(ref):
        seen.setdefault(ident, key)
    title = normalise_title(ref.fields.get("title"))
    if title and ref.year:
        by_year.setdefault(ref.year, {}).setdefault(title, (key, *_near_keys(ref, title)))


def _near_keys(ref: Reference, title: str) -> tuple[str, str]:
    """What two near-identical titles must still share to be one work: the numbers in the
    title (part 1 is not part 2) and the first author's surname (when both have one)."""
    names = author_names(ref.fields["author"]) if ref.fields.get("author") else ()
    first = normalise_title(names[0].split(",")[0]) if names else None
    return "".join(c for c in title if c.isdigit()), first or ""


def _near_title(ref: Reference, by_year: Mapping[str, Mapping[str, tuple[str, str, str]]]
                ) -> tuple[str, str] | None:
    title = normalise_title(ref.fields.get("title"))
    titles = by_year.get(ref.year or "")
    if not title or not titles:
        return None
    digits, author = _near_keys(ref, title)
    for candidate, score, _ in process.extract(title, titles.keys(), scorer=fuzz.ratio,
                                               score_cutoff=NEAR_TITLE, limit=5):
        key, their_digits, their_author = titles[candidate]
        if digits == their_digits and (author == their_author or not author
                                       or not their_author):
            return "year and a near-identical title", key
    return None


def import_into(bib_path: str, incoming: Iterable[Reference], *,
                dry_run: bool = False) -> ImportPlan:
    """Plan against the bibliography as it is now and append the new entries.

    The read, the plan and the write happen under the file's lock (`kb.writes`), so two
    imports at once serialize: the second sees the first's entries, skips them as
    duplicates and picks keys that are still free. The merged text is parsed back before
    it is written: if it would not hold exactly the old entries plus the new ones, nothing
    is written (ValueError). Existing bytes are kept; a symlinked file's target is updated.
    """
    name = os.path.basename(bib_path)
    incoming = list(incoming)
    plans: list[ImportPlan] = []

    def merge(raw: bytes) -> bytes | None:
        old, existing = _current(raw, name)
        plan = plan_import(existing.references, incoming)
        plans.append(plan)
        if not plan.added or dry_run:
            return None
        addition = to_bibtex(plan.added)
        sep = "" if not old or old.endswith("\n\n") else (
            "\n" if old.endswith("\n") else "\n\n")
        bom = "\ufeff" if raw.startswith(b"\xef\xbb\xbf") else ""
        new_text = bom + old + sep + addition
        check = parse_bibliography(new_text, name)
        want = [*existing.references, *(r.key for r in plan.added)]
        dup_before = sum(p.code == "bib-duplicate-key" for p in existing.problems)
        dup_after = sum(p.code == "bib-duplicate-key" for p in check.problems)
        if list(check.references) != want or dup_after > dup_before:
            raise ValueError(f"the merged {name} would not parse back to the old entries plus "
                             f"{len(plan.added)} new ones; nothing was written")
        return new_text.encode("utf-8")

    if dry_run:
        raw, problems = read_bytes(bib_path, name)
        if raw is None and problems[0].code != "file-missing":
            raise ValueError(problems[0].render())
        merge(raw or b"")
    else:
        update(bib_path, merge, missing_ok=True)
    return plans[-1]


def _current(raw: bytes, name: str) -> tuple[str, Bibliography]:
    """The bibliography's text and entries; an empty file is an empty bibliography."""
    if not raw.strip():
        return "", Bibliography()
    text, problems = decode(raw, name)
    if text is None:
        raise ValueError(problems[0].render() + f"\nfix {name} first; nothing was written")
    return text, parse_bibliography(text, name)
