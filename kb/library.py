"""A library of articles: a folder whose subfolders are knowledge bases, or a `library.yaml`
listing them; one row per article with its verdict counts, and the studies several articles
cite, found across bases by the identities `kb import` uses for duplicates.

Which folders form the library (`find_library`) is the one function here that reads the disk;
the rest are pure functions over loaded bases. A folder that is itself a base (it holds
claims.yaml) is not a library: single-article use is unchanged.

`library.yaml` (optional; without it every subfolder holding claims.yaml is a base, in name
order)::

    title: Physical therapy fact-checks      # optional
    bases: [dry-needling, cupping, ../shared/tai-chi]   # folders, relative to this file

One study, several bases: two references are the same study when they share a DOI, else a
PMID, else a normalised title (`kb.importer`'s duplicate rules); BibTeX keys are local names
and never identify a study across bases on their own. Each base keeps its own appraisal.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from kb.grading import Grade
from kb.importer import identities
from kb.load import CLAIMS_FILE
from kb.model import KnowledgeBase, Reference, Verdict
from kb.text import short_citation

LIBRARY_FILE = "library.yaml"


@dataclass(frozen=True)
class Entry:
    """One base of a library: its name (used in URLs as ?base=NAME) and folder."""

    name: str
    path: str


@dataclass(frozen=True)
class Library:
    title: str
    entries: tuple[Entry, ...]
    problems: tuple[str, ...] = ()

    def entry(self, name: str | None) -> Entry | None:
        return next((e for e in self.entries if e.name == name), None)


def is_base(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, CLAIMS_FILE))


def find_library(folder: str) -> Library | None:
    """The library in `folder`, or None when it is a single base (or holds no bases)."""
    if not os.path.isdir(folder) or is_base(folder):
        return None
    listing = os.path.join(folder, LIBRARY_FILE)
    if os.path.isfile(listing):
        return _from_listing(folder, listing)
    entries = tuple(Entry(name, os.path.join(folder, name)) for name in sorted(os.listdir(folder))
                    if not name.startswith(".") and is_base(os.path.join(folder, name)))
    if not entries:
        return None
    return Library(os.path.basename(os.path.abspath(folder)) or "Library", entries)


def _from_listing(folder: str, listing: str) -> Library:
    # library.yaml is two keys of plain scalars; it is read with the safe loader and checked
    # here rather than through the claims-file schema.
    import yaml

    problems: list[str] = []
    try:
        with open(listing, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return Library("Library", (), (f"{LIBRARY_FILE}: cannot be read ({exc})",))
    if not isinstance(data, dict) or not isinstance(data.get("bases", []), list):
        return Library("Library", (), (f"{LIBRARY_FILE}: expected 'bases:' with a list of "
                                       "folders",))
    entries: list[Entry] = []
    taken: set[str] = set()
    for item in data.get("bases", []):
        path = os.path.normpath(os.path.join(folder, str(item)))
        if not is_base(path):
            problems.append(f"{LIBRARY_FILE}: '{item}' is not a knowledge-base folder "
                            f"(no {CLAIMS_FILE})")
            continue
        name = base = os.path.basename(path) or "base"
        n = 1
        while name in taken:
            n += 1
            name = f"{base}-{n}"
        taken.add(name)
        entries.append(Entry(name, path))
    title = str(data.get("title") or os.path.basename(os.path.abspath(folder)) or "Library")
    return Library(title, tuple(entries), tuple(problems))


@dataclass(frozen=True)
class ArticleRow:
    """One article of the library: what the library page lists."""

    name: str
    title: str
    publisher: str
    claims: int
    verdicts: Mapping[Verdict, int]
    errors: int


def article_row(name: str, kb: KnowledgeBase, grades: Mapping[str, Grade],
                errors: int = 0) -> ArticleRow:
    counts = {v: 0 for v in Verdict}
    for g in grades.values():
        counts[g.verdict] += 1
    return ArticleRow(name, kb.article.title if kb.article else name,
                      kb.article.publisher if kb.article else "", len(grades), counts, errors)


@dataclass(frozen=True)
class SharedStudy:
    """A study that claims of several articles cite: each citation as (base name, key)."""

    label: str
    identity: str
    citations: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def bases(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(name for name, _ in self.citations))


def cited_references(kb: KnowledgeBase) -> list[Reference]:
    keys = dict.fromkeys(link.study for c in kb.claims for link in c.evidence)
    return [kb.references[k] for k in keys if k in kb.references]


def shared_studies(bases: Mapping[str, KnowledgeBase]) -> list[SharedStudy]:
    """Studies cited by claims of at least two bases, most widely cited first.

    Examples
    --------
    >>> shared_studies({})
    []
    """
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(x: tuple[str, str]) -> tuple[str, str]:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    owner: dict[tuple[str, str], tuple[str, str]] = {}  # identity -> first (base, key)
    refs: dict[tuple[str, str], Reference] = {}
    for name, kb in bases.items():
        for ref in cited_references(kb):
            node = (name, ref.key)
            refs[node] = ref
            find(node)
            for ident in identities(ref):
                if ident in owner:
                    parent[find(node)] = find(owner[ident])
                else:
                    owner[ident] = node
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for node in refs:
        groups.setdefault(find(node), []).append(node)
    out = []
    for members in groups.values():
        if len({name for name, _ in members}) < 2:
            continue
        first = refs[members[0]]
        ident = next(iter(identities(first)), ("key", first.key))
        out.append(SharedStudy(short_citation(first), f"{ident[0]} {ident[1]}",
                               tuple(members)))
    return sorted(out, key=lambda s: (-len(s.bases), s.label))


def bases_citing(shared: Iterable[SharedStudy], name: str, key: str) -> tuple[str, ...]:
    """The other bases that cite the study `key` of base `name`."""
    for s in shared:
        if (name, key) in s.citations:
            return tuple(b for b in s.bases if b != name)
    return ()
