"""CSL-JSON of the bibliography (the format Zotero, Mendeley and citeproc read)."""

from __future__ import annotations

import re
from typing import Any

from kb.bibliography import author_names
from kb.model import Reference
from kb.text import display

CSL_TYPES = {
    "article": "article-journal", "book": "book", "inbook": "chapter",
    "incollection": "chapter", "inproceedings": "paper-conference",
    "conference": "paper-conference", "phdthesis": "thesis", "mastersthesis": "thesis",
    "thesis": "thesis", "techreport": "report", "report": "report", "online": "webpage",
    "misc": "document",
}
MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}


def _person(name: str) -> dict[str, str]:
    if name.strip().lower() == "others":
        return {"literal": "et al."}
    family, _, given = name.partition(", ")
    if not given:
        return {"literal": display(family)}
    return {"family": display(family), "given": display(given)}


def to_csl(ref: Reference) -> dict[str, Any]:
    """One reference as a CSL-JSON item."""
    f = ref.fields
    item: dict[str, Any] = {"id": ref.key, "type": CSL_TYPES.get(ref.entry_type, "document"),
                            "title": display(f.get("title", ""))}
    item.update(_people(ref))
    if issued := _issued(ref):
        item["issued"] = {"date-parts": [issued]}
    container = f.get("journal") or f.get("journaltitle") or f.get("booktitle")
    if container:
        item["container-title"] = display(container)
    for field, csl in (("volume", "volume"), ("number", "issue"), ("publisher", "publisher"),
                       ("howpublished", "medium")):
        if f.get(field):
            item[csl] = display(f[field])
    if f.get("pages"):
        item["page"] = re.sub(r"-{1,3}", "-", f["pages"])
    found = {"DOI": ref.doi, "PMID": ref.pmid, "URL": f.get("url"),
             "abstract": display(f["abstract"]) if f.get("abstract") else None}
    item.update((k, v) for k, v in found.items() if v)
    return item


def _people(ref: Reference) -> dict[str, list[dict[str, str]]]:
    """CSL author and editor lists; an organisation stands as the author when none is named."""
    f = ref.fields
    out = {csl: [_person(n) for n in author_names(f[field])]
           for field, csl in (("author", "author"), ("editor", "editor")) if f.get(field)}
    if "author" not in out and (org := f.get("organization") or f.get("institution")):
        out["author"] = [{"literal": display(org)}]
    return out


def _issued(ref: Reference) -> list[int]:
    """CSL date parts of the year (and month, where given): [2020, 3]; [] without a year."""
    year = ref.year
    if not year or not year.isdigit():
        return []
    parts = [int(year)]
    month = (ref.fields.get("month") or "").strip().lower()[:3]
    if month in MONTHS or month.isdigit():
        parts.append(MONTHS.get(month) or int(month))
    return parts


def to_csl_json(references: list[Reference]) -> list[dict[str, Any]]:
    return [to_csl(r) for r in references]


FROM_CSL_TYPES = {"article-journal": "article", "article": "article", "article-magazine": "article",
                  "article-newspaper": "article", "review": "article", "book": "book",
                  "chapter": "incollection", "paper-conference": "inproceedings",
                  "report": "techreport", "thesis": "phdthesis", "webpage": "online",
                  "post-weblog": "online"}


def _bibtex_names(item: dict[str, Any]) -> list[str]:
    """CSL names as BibTeX's "Family, Given" (institutions braced whole)."""
    out = []
    for person in item.get("author") or []:
        if not isinstance(person, dict):
            continue
        if person.get("family"):
            given = person.get("given")
            out.append(f"{person['family']}, {given}" if given else str(person["family"]))
        elif person.get("literal"):
            out.append("{" + str(person["literal"]) + "}")
    return out


def _year(item: dict[str, Any]) -> str | None:
    issued = item.get("issued")
    parts = issued.get("date-parts") if isinstance(issued, dict) else None
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        return str(parts[0][0])
    return None


_FROM_CSL_FIELDS = (("title", "title"), ("container-title", "journal"), ("volume", "volume"),
                    ("issue", "number"), ("publisher", "publisher"), ("DOI", "doi"),
                    ("PMID", "pmid"), ("URL", "url"), ("abstract", "abstract"))


def from_csl(item: dict[str, Any]) -> tuple[str, dict[str, str]] | None:
    """One CSL-JSON item as a BibTeX entry type and fields (None if it is not an item)."""
    if not isinstance(item.get("title", ""), str):
        return None
    fields: dict[str, str] = {}
    if people := _bibtex_names(item):
        fields["author"] = " and ".join(people)
    for csl, field in _FROM_CSL_FIELDS:
        value = item.get(csl)
        if isinstance(value, list):
            value = value[0] if value else None
        if value not in (None, ""):
            fields[field] = str(value)
    if item.get("page"):
        fields["pages"] = re.sub(r"\s*[-\u2013]+\s*", "--", str(item["page"]))
    if year := _year(item):
        fields["year"] = year
    entry_type = FROM_CSL_TYPES.get(str(item.get("type", "")), "misc")
    if entry_type == "incollection" and "journal" in fields:
        fields["booktitle"] = fields.pop("journal")
    return entry_type, fields
