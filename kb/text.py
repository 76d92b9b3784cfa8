"""Text for display: LaTeX decoded to Unicode, citations formatted, links made safe."""

from __future__ import annotations

import re
import unicodedata
import urllib.parse
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text

from kb.model import Reference

_LATEX = LatexNodes2Text(math_mode="verbatim", strict_latex_spaces=True)
_NEEDS_DECODING = re.compile(r"[\\{}$~]")
_SAFE_SCHEMES = ("http", "https")


_ACCENTS = {"`": "\u0300", "'": "\u0301", "^": "\u0302", '"': "\u0308", "~": "\u0303",
            "=": "\u0304", ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b",
            "c": "\u0327", "k": "\u0328", "r": "\u030a", "d": "\u0323", "b": "\u0331"}
_LETTERS = {"ss": "ß", "o": "ø", "O": "Ø", "aa": "å", "AA": "Å", "ae": "æ", "AE": "Æ",
            "oe": "œ", "OE": "Œ", "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ"}
_SYMBOL_ACCENT = re.compile(r"\\([`'^\"~=.])\s*(?:\{\s*(\\[ij]|[A-Za-z])\s*\}|(\\[ij]|[A-Za-z]))")
_LETTER_ACCENT = re.compile(r"\\([uvHckrdb])(?:\s*\{\s*(\\[ij]|[A-Za-z])\s*\}|\s+([A-Za-z]))")
_NAMED_LETTER = re.compile(r"\\(ss|aa|AA|ae|AE|oe|OE|o|O|l|L|i|j)(?![A-Za-z])\s*(?:\{\})?")
_ESCAPED = re.compile(r"\\([&%$#_{}])")


def _accent(m: re.Match[str]) -> str:
    base = m.group(2) or m.group(3)
    base = {"\\i": "i", "\\j": "j"}.get(base, base)
    return unicodedata.normalize("NFC", base + _ACCENTS[m.group(1)])


def _fast_latex(value: str) -> str:
    """The accents, letters and escapes reference managers write, decoded with regexes."""
    value = _SYMBOL_ACCENT.sub(_accent, value)
    value = _LETTER_ACCENT.sub(_accent, value)
    value = _NAMED_LETTER.sub(lambda m: _LETTERS[m.group(1)], value)
    return _ESCAPED.sub(lambda m: m.group(1), value)


@lru_cache(maxsize=65536)
def display(value: str) -> str:
    """A BibTeX field value as a reader should see it (``{\\'e}`` -> ``é``, braces dropped).

    Common accents are decoded by regular expressions; pylatexenc (much slower) is used only
    for what remains.

    >>> display(r"Fern{\\'a}ndez-de-las-Pe{\\~n}as")
    'Fernández-de-las-Peñas'
    """
    value = value.replace("---", "\u2014").replace("--", "\u2013")
    if not _NEEDS_DECODING.search(value):
        return value
    if "\\" in value:
        value = _fast_latex(value)
    if "\\" in value or "$" in value:
        try:
            value = _LATEX.latex_to_text(value)
        except Exception:  # pylatexenc raises assorted errors on malformed LaTeX: show it raw
            pass
    return " ".join(value.replace("{", "").replace("}", "").split())


def safe_url(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) address, else None (no javascript:, data:...)."""
    if not url:
        return None
    url = url.strip()
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme.lower() in _SAFE_SCHEMES and parsed.netloc and not any(
            c in url for c in "\"'<>\\ \n\t"):
        return url
    return None


def doi_url(doi: str | None) -> str | None:
    if not doi or not re.match(r"^10\.\d{4,9}/\S+$", doi):
        return None
    return "https://doi.org/" + urllib.parse.quote(doi, safe="/:;()._-")


def pubmed_url(pmid: str | None) -> str | None:
    if not pmid or not pmid.isdigit():
        return None
    return f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"


def short_citation(ref: Reference) -> str:
    """'Gattie et al. 2017' style label."""
    from kb.bibliography import author_names

    author = ref.fields.get("author") or ref.fields.get("organization") or ""
    names = author_names(author) if author else ()
    first = display(names[0].split(",")[0]) if names else display(ref.fields.get("title", ref.key))[:40]
    others = len(names) > 2 or (len(names) == 2 and names[1].lower() == "others")
    more = " et al." if others else (f" & {display(names[1].split(',')[0])}"
                                     if len(names) == 2 else "")
    return f"{first}{more} {ref.year or 'n.d.'}".strip()


def full_citation(ref: Reference) -> str:
    """A Vancouver-like reference line for reports and tables."""
    from kb.bibliography import author_names

    f = ref.fields
    names = [_vancouver(display(n)) for n in author_names(f["author"])] if f.get("author") else []
    authors = ", ".join(names[:6]) + (", et al." if len(names) > 6 else "")
    parts = [authors or display(f.get("organization", "")), display(f.get("title", ref.key)),
             _where(ref)]
    return ". ".join(p.strip(". ") for p in parts if p and p.strip()) + "."


def _where(ref: Reference) -> str:
    """Venue, year, volume(number) and pages: 'J Pain 2020;21(3):12-20'."""
    f = ref.fields
    where = display(f.get("journal") or f.get("journaltitle") or f.get("booktitle")
                    or f.get("howpublished") or f.get("institution") or "")
    if ref.year:
        where += f" {ref.year}" if where else ref.year
    if f.get("volume"):
        where += f";{f['volume']}" + (f"({f['number']})" if f.get("number") else "")
    if f.get("pages"):
        where += f":{display(f['pages'])}"
    return where


def _vancouver(name: str) -> str:
    """'Gattie, Eric J.' -> 'Gattie EJ'; 'others' -> 'et al.'"""
    if name.strip().lower() == "others":
        return "et al."
    last, _, first = name.partition(", ")
    initials = "".join(p[0] for p in re.split(r"[\s.\-]+", first) if p and p[0].isalpha())
    return f"{last} {initials}".strip()
