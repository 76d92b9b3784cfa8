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
