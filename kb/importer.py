"""Merge new references (RIS from PubMed/EndNote/publishers, or BibTeX) into references.bib.

Duplicates are recognised by DOI, PMID or normalised title, against the bibliography and
within the imported file. Existing entries are never rewritten or reordered: new entries are
appended, and the write is atomic (a crash mid-write leaves the old file intact).
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import rispy

from kb.bibliography import author_names, load_bibliography, parse_bibliography, to_bibtex
from kb.model import Reference
from kb.problems import Problem, error
from kb.sources import decode, read_text
from kb.text import display

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
    """What an import would do (and, after `apply_import`, did)."""

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
    """References in a .ris or .bib file (by extension; RIS when unsure)."""
    name = os.path.basename(path)
    if path.lower().endswith((".bib", ".bibtex")):
        bib = load_bibliography(path, name)
        return list(bib.references.values()), [p for p in bib.problems if p.is_error]
    text, problems = read_text(path, name)
    if text is None:
        return [], problems
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


def plan_import(existing: Mapping[str, Reference], incoming: Iterable[Reference]) -> ImportPlan:
    """Decide what to add and what is a duplicate, without touching any file."""
    plan = ImportPlan()
    seen: dict[tuple[str, str], str] = {}
    for key, ref in existing.items():
        for ident in identities(ref):
            seen.setdefault(ident, key)
    taken = set(existing)
    for ref in incoming:
        label = display(ref.fields.get("title", ref.key))
        dup = next(((kind, seen[(kind, value)]) for kind, value in identities(ref)
                    if (kind, value) in seen), None)
        if dup:
            plan.skipped.append(Skipped(label, dup[1], f"same {dup[0]}"))
            continue
        key = ref.key if ref.key not in taken and not ref.key.startswith("ris") else make_key(
            ref.fields, taken)
        taken.add(key)
        new = Reference(key, ref.entry_type, dict(ref.fields), 0)
        plan.added.append(new)
        for ident in identities(new):
            seen.setdefault(ident, key)
    return plan


def atomic_write(path: str, text: str) -> None:
    """Write via a temporary file in the same folder, then rename over the target."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".kb-import-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if os.path.exists(path):
            os.chmod(tmp, os.stat(path).st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def apply_import(bib_path: str, plan: ImportPlan) -> None:
    """Append the planned entries to the bibliography, keeping every existing byte."""
    if not plan.added:
        return
    with open(bib_path, "rb") as fh:
        raw = fh.read()
    old, problems = decode(raw, os.path.basename(bib_path))
    if old is None:
        raise ValueError(problems[0].render())
    addition = to_bibtex(plan.added)
    sep = "" if old.endswith("\n\n") else ("\n" if old.endswith("\n") else "\n\n")
    bom = "\ufeff" if raw.startswith(b"\xef\xbb\xbf") else ""
    new_text = bom + old + sep + addition
    # Refuse to write something that would not parse back: the bibliography stays intact.
    check = parse_bibliography(new_text, os.path.basename(bib_path))
    missing = [r.key for r in plan.added if r.key not in check.references]
    if missing:
        raise ValueError(f"the merged bibliography would lose {missing}; nothing was written")
    atomic_write(bib_path, new_text)
