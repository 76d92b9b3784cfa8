"""Load `claims.yaml`: safe YAML with line numbers, then schema validation item by item.

The YAML is composed into a node tree (never constructed with arbitrary tags) so every value
keeps its line, duplicate keys are caught (PyYAML's `safe_load` silently keeps the last one),
and aliases are refused, which also defuses "billion laughs" bombs.
"""

from __future__ import annotations

import difflib
import enum
import hashlib
import math
import re
import types
import typing
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from sys import intern  # entries share their data paths: one string each
from typing import Any, NamedTuple, TypeVar

import yaml
from pydantic import TypeAdapter, ValidationError

import kb.model as model_module
from kb.model import (
    nearest_line,
    Appraisal,
    Article,
    Claim,
    ClaimsFile,
    InvalidClaim,
    Design,
    nearest_design,
    Settings,
    fields_of,
    is_value_type,
    validate,
)
from kb.problems import MAX_PROBLEMS, Problem, error
from kb.sources import read_text

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SCALAR = yaml.constructor.SafeConstructor()
_TOP_LEVEL = ("$schema", "schema_version", "article", "settings", "studies", "claims")
_MAX_DEPTH = 64
M = TypeVar("M")
_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
# No count in a claims file needs more digits than this; Python refuses int() past 4300.
MAX_NUMBER_CHARS = 40
_ALLOWED_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in (
    "str", "int", "float", "bool", "null", "timestamp", "map", "seq"))


class LineMap(MutableMapping[str, int]):
    """Data path -> 1-based line for a file parsed in blocks, resolved on demand.

    Each entry's lines are kept relative to where its block starts; building the flat map of
    every path eagerly would cost more than re-parsing the one entry that changed.
    """

    def __init__(self) -> None:
        self.flat: dict[str, int] = {}
        self.claims: list[tuple[Mapping[str, int], int]] = []
        self.studies: dict[str, tuple[Mapping[str, int], int]] = {}

    def __getitem__(self, path: str) -> int:
        if path in self.flat:
            return self.flat[path]
        if path.startswith("claims["):
            close = path.find("]")
            index = path[7:close]
            if index.isdigit() and int(index) < len(self.claims):
                rel, offset = self.claims[int(index)]
                if (sub := path[close + 1:]) in rel:
                    return rel[sub] + offset
        elif path.startswith("studies."):
            rest = path[8:]
            end = len(rest)
            while end > 0:  # study keys may contain dots: try the longest key first
                if rest[:end] in self.studies:
                    rel, offset = self.studies[rest[:end]]
                    if rest[end:] in rel:
                        return rel[rest[end:]] + offset
                    break
                end = rest.rfind(".", 0, end)
        raise KeyError(path)

    def __setitem__(self, path: str, line: int) -> None:
        self.flat[path] = line

    def __delitem__(self, path: str) -> None:
        del self.flat[path]

    def _all(self) -> dict[str, int]:
        out = dict(self.flat)
        for i, (rel, offset) in enumerate(self.claims):
            out.update({f"claims[{i}]{p}": n + offset for p, n in rel.items()})
        for name, (rel, offset) in self.studies.items():
            out.update({f"studies.{name}{p}": n + offset for p, n in rel.items()})
        return out

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and self._all() == dict(other)


@dataclass
class ClaimsDocument:
    """What `load_claims` could read; parts that failed validation are left out."""

    article: Article | None = None
    # The article text's path, also when the article block failed validation elsewhere (its
    # quotes can still be checked).
    article_path: str | None = None
    settings: Settings = field(default_factory=Settings)
    studies: dict[str, Appraisal] = field(default_factory=dict)
    claims: list[Claim] = field(default_factory=list)
    invalid_claims: list[InvalidClaim] = field(default_factory=list)
    claim_positions: list[int] = field(default_factory=list)
    # Appraisals present in the file that failed validation (their own errors say why).
    invalid_studies: set[str] = field(default_factory=set)
    lines: MutableMapping[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # When parsed block by block (see `claim_blocks`): the hash of each claim's and
    # appraisal's block by data path ("claims[3]", "studies.smith2020"), so that a later
    # parse can reuse the entries whose text did not change.
    block_hashes: dict[str, str] = field(default_factory=dict)
    reused: int = 0  # how many of them were taken from `parse_claims`' `reuse`


@dataclass(frozen=True, slots=True)
class Entry:
    """A valid claim or appraisal parsed from one block of claims.yaml, reusable by a later
    parse while the block's text (so its hash) is unchanged."""

    value: Claim | Appraisal
    lines: Mapping[str, int]    # data path below the entry -> line relative to the block
    name: str | None = None     # the study's key (None for a claim)


@dataclass(frozen=True, slots=True)
class _Reused:
    """Stands in the parsed data for an entry taken from `reuse` (validated already)."""

    value: Claim | Appraisal


class _Unloadable(Exception):
    """Raised inside the node walk to stop it; always turned into a Problem."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def load_claims(path: str, display_name: str = "claims.yaml") -> ClaimsDocument:
    """Read and validate a claims file. Never raises on bad data; see `.problems`.

    Examples
    --------
    >>> doc = load_claims("claims.yaml")        # doctest: +SKIP
    >>> [p.render() for p in doc.problems]      # doctest: +SKIP
    []
    """
    text, problems = read_text(path, display_name)
    if text is None:
        doc = ClaimsDocument()
        doc.problems.extend(problems)
        return doc
    # Parsed block by block: the same result as one parse of the whole file, in about half
    # the memory and less time, since PyYAML's node tree for a large file never exists at once.
    return parse_claims(text, display_name)


def parse_claims(text: str, display_name: str = "claims.yaml",
                 reuse: Mapping[str, Entry] | None = None) -> ClaimsDocument:
    """Validate claims-file text (see `load_claims`).

    A conventionally laid-out file is parsed block by block (see `claim_blocks`); `reuse`
    maps block hashes to entries of an earlier parse, which are taken as they are instead of
    being parsed and validated again, so editing one claim re-reads one claim. The result is
    the same as without `reuse` (files with an unusual layout are simply parsed whole).
    """
    doc = ClaimsDocument()
    data = _parse_blocks(text, display_name, doc, reuse or {})
    if data is None:
        return _parse_whole(text, display_name)
    _validate(data, display_name, doc)
    return doc


def _parse_whole(text: str, display_name: str) -> ClaimsDocument:
    doc = ClaimsDocument()
    data = parse_yaml(text, display_name, doc)
    if data is not None:
        _validate(data, display_name, doc)
    return doc


def reusable_entries(doc: ClaimsDocument) -> dict[str, Entry]:
    """The valid entries of a block-by-block parse by block hash, for `parse_claims`' `reuse`.

    Examples
    --------
    >>> doc = parse_claims(open("claims.yaml", encoding="utf-8").read())   # doctest: +SKIP
    >>> edited = parse_claims(new_text, reuse=reusable_entries(doc))        # doctest: +SKIP
    """
    if not isinstance(doc.lines, LineMap):
        return {}
    out: dict[str, Entry] = {}
    for pos, claim in zip(doc.claim_positions, doc.claims, strict=True):
        key = doc.block_hashes.get(f"claims[{pos}]")
        if key is not None:
            out[key] = Entry(claim, doc.lines.claims[pos][0])
    for name, appraisal in doc.studies.items():
        key = doc.block_hashes.get(f"studies.{name}")
        if key is not None:
            out[key] = Entry(appraisal, doc.lines.studies[name][0], name)
    return out


_TOP = re.compile(r"^([A-Za-z_$][\w$-]*):([^\n]*)$", re.M)
_TOP_BLOCK = re.compile(r"[ \t]*(#[^\n]*)?\r?")
# Lines that start in column 0 and are neither comments nor "- " items: the top-level keys.
_COLUMN0 = re.compile(r"\n[^ \r\n#-][^\n]*")
_STUDY_KEY = re.compile(r"^( +)[^\s#'\"{}\[\],&*!|>%@`-][^:#\n]*:[ \t]*(#[^\n]*)?\r?$", re.M)
_ITEM = re.compile(r"^( *)- ", re.M)
_STUDY_START = r"\n{indent}(?=[^\s#'\"{{}}\[\],&*!|>%@`-][^:#\n]*:[ \t]*(#[^\n]*)?\r?(\n|$))"
_ITEM_START = r"\n{indent}- "


class Block(NamedTuple):
    """One independently parsable piece of claims.yaml (see `claim_blocks`)."""

    kind: str        # "claim", "study" (one appraisal) or "section" (a whole top-level key)
    name: str        # the claim's id as written on its `id:` line ("" if it has none), the
                     # study's key, or the section's key
    start_line: int  # 1-based line of its first line
    end_line: int    # 1-based line of its last line
    start: int       # character offsets [start, end) of its text in the file's text
    end: int
    hash: str        # hash of its kind and text: an unchanged block has an unchanged hash


def block_hash(kind: str, text: str) -> str:
    """The hash of one block's text (see `Block.hash`)."""
    digest = hashlib.sha1(kind.encode())
    digest.update(text.encode())
    return digest.hexdigest()


def claim_blocks(text: str) -> list[Block] | None:
    r"""Split a conventionally laid-out claims file into independently parsable blocks.

    Each claim under `claims:` and each appraisal under `studies:` is a block of its own
    (from its first line to the next entry or top-level key, comments and blank lines
    included); any other top-level key (`article:`, `settings:`, ...) is one "section" block.
    Section headers and comments before the first entry belong to no block. Found with
    regular expressions over the whole text, without parsing YAML; returns None for anything
    unusual (tabs, document markers, stray top-level text, repeated sections, flow-style
    sections), which is then parsed whole. Used by the loader to reuse unchanged entries and
    by the editor to find the block it rewrites.

    Examples
    --------
    >>> text = "claims:\n  - id: a\n    quote: x\n  - id: b\n    quote: y\n"
    >>> [(b.kind, b.name, b.start_line, b.end_line) for b in claim_blocks(text)]
    [('claim', 'a', 2, 3), ('claim', 'b', 4, 5)]
    """
    tops = _top_keys(text)
    if tops is None:
        return None
    spans: list[tuple[str, str, int, int]] = []
    bounds = [pos for pos, _, _ in tops] + [len(text)]
    for (start, name, block), end in zip(tops, bounds[1:], strict=True):
        if name in ("studies", "claims") and block:
            entries = _entries(text, name, start, end)
            if entries is None:
                return None
            spans += entries
        else:
            spans.append(("section", name, start, end))
    blocks = []
    line, last = 1, 0
    for kind, name, a, b in spans:
        line += text.count("\n", last, a)
        last = a
        body = text[a:b]
        end_line = line + body.count("\n", 0, max(len(body) - 1, 0))
        blocks.append(Block(kind, name, line, end_line, a, b, block_hash(kind, body)))
    return blocks


def _column0_lines(text: str) -> Iterator[tuple[int, str]]:
    """(offset, line) of each line starting in column 0 that is not a comment or '- ' item."""
    first = text.split("\n", 1)[0]
    if first and first[0] not in " \r#-":
        yield 0, first
    for m in _COLUMN0.finditer(text):
        yield m.start() + 1, m.group()[1:]


def _top_keys(text: str) -> list[tuple[int, str, bool]] | None:
    """(offset, key, holds a block) of each top-level key, or None for an unusual layout."""
    if "\t" in text or text.startswith(("---", "...")) or "\n---" in text or "\n..." in text:
        return None  # (the same test as re.search(r"^(---|\.\.\.)", re.M), without a slow scan)
    tops = []
    for start, line in _column0_lines(text):
        top = _TOP.fullmatch(line.rstrip("\r"))
        if top is None:
            if not re.match(r"[A-Za-z_$][\w$-]*:", line):
                return None  # stray top-level text: let the full parser explain it
            tops.append((start, line.split(":", 1)[0], False))
        else:
            tops.append((start, top.group(1), bool(_TOP_BLOCK.fullmatch(top.group(2)))))
    names = [name for _, name, _ in tops]
    if not tops or len(names) != len(set(names)):
        return None
    return tops


def _entries(text: str, section: str, start: int, end: int
             ) -> list[tuple[str, str, int, int]] | None:
    """(kind, name, start, end) of each entry of the `studies:` or `claims:` section."""
    body_start = text.find("\n", start, end) + 1 or end
    first = (_STUDY_KEY if section == "studies" else _ITEM).search(text, body_start, end)
    starts: list[int] = []
    indent = ""
    if first is not None:
        indent = first.group(1)
        template = _STUDY_START if section == "studies" else _ITEM_START
        pattern = re.compile(template.format(indent=indent))
        starts = [first.start()] + [m.start() + 1 for m in
                                    pattern.finditer(text, first.start(), end)]
    lead = text[body_start:starts[0] if starts else end]
    if any(ln.strip() and not ln.lstrip().startswith("#") for ln in lead.splitlines()):
        return None
    ends = [*starts[1:], end]
    if section == "studies":
        return [("study", text[a:text.find(":", a)].strip(), a, b)
                for a, b in zip(starts, ends, strict=True)]
    id_line = re.compile(rf"^{indent}(?:- |  )id:[ \t]*['\"]?([^'\"\s#]*)", re.M)
    out = []
    for a, b in zip(starts, ends, strict=True):
        m = id_line.search(text, a, b)
        out.append(("claim", m.group(1) if m else "", a, b))
    return out


def parse_entry(kind: str, text: str, file: str) -> tuple[Any, dict[str, int]] | None:
    """One block of claims.yaml ("claim", "study" or "section") as (data, line of each data
    path relative to the block), or None if it is not cleanly one such block."""
    sub = ClaimsDocument()
    value = parse_yaml(text, file, sub)
    if value is None or sub.problems or not _one_entry(kind, value):
        return None
    if kind == "claim":
        return value[0], {intern(p.replace("[0]", "", 1)): n
                          for p, n in sub.lines.items() if p.startswith("[0]")}
    # A study's lines are keyed by what follows its key, so entries share their paths.
    cut = len(str(next(iter(value)))) if kind == "study" else 0
    return value, {intern(p[cut:]): n for p, n in sub.lines.items() if p}


def _one_entry(kind: str, value: Any) -> bool:
    """Whether a block's data is what a block of this kind holds."""
    if kind == "claim":
        return isinstance(value, list) and len(value) == 1
    return isinstance(value, dict) and (kind != "study" or len(value) == 1)


def _parse_blocks(text: str, file: str, doc: ClaimsDocument,
                  reuse: Mapping[str, Entry]) -> dict[str, Any] | None:
    blocks = claim_blocks(text)
    if blocks is None:
        return None
    lines = LineMap()
    doc.lines = lines
    lines[""] = blocks[0].start_line if blocks else 1
    data: dict[str, Any] = {}
    for start, line in _column0_lines(text):
        top = _TOP.fullmatch(line.rstrip("\r"))
        if top and top.group(1) in ("studies", "claims") and _TOP_BLOCK.fullmatch(top.group(2)):
            name = top.group(1)
            lines[name] = text.count("\n", 0, start) + 1
            data.setdefault(name, {} if name == "studies" else [])
    for block in blocks:
        found = _block_entry(block, text, file, reuse)
        if found is None:
            return None  # let the whole-file parse report it in context
        name, value, rel = found
        doc.reused += isinstance(value, _Reused)
        offset = block.start_line - 1
        if block.kind == "claim":
            doc.block_hashes[f"claims[{len(data['claims'])}]"] = block.hash
            data["claims"].append(value)
            lines.claims.append((rel, offset))
        elif block.kind == "study":
            _add_study(doc, data, file, name, value, (rel, offset), block.hash)
        else:
            data.update(value)
            for p, n in rel.items():
                lines[p] = n + offset
    return data


def _block_entry(block: Block, text: str, file: str, reuse: Mapping[str, Entry]
                 ) -> tuple[Any, Any, Mapping[str, int]] | None:
    """(study key or None, data, relative lines) of one block, taken from `reuse` if there."""
    entry = reuse.get(block.hash)
    if entry is not None and block.kind != "section":
        return entry.name, _Reused(entry.value), entry.lines
    parsed = parse_entry(block.kind, text[block.start:block.end], file)
    if parsed is None:
        return None
    value, rel = parsed
    if block.kind == "study":
        ((name, body),) = value.items()
        return name, body, rel
    return None, value, rel


def _add_study(doc: ClaimsDocument, data: dict[str, Any], file: str, name: Any, body: Any,
               where: tuple[Mapping[str, int], int], key: str) -> None:
    path = f"studies.{name}"
    if name in data["studies"]:
        doc.problems.append(error(
            "yaml-duplicate-key", file, where[1] + 1,
            f"key '{name}' appears twice in this mapping (first at line "
            f"{doc.lines.get(path, '?')})",
            "keep one of them; YAML would silently drop the first", path=path))
        return
    data["studies"][name] = body
    doc.lines.studies[name] = where  # type: ignore[attr-defined]
    doc.block_hashes[path] = key


def parse_yaml(text: str, file: str, doc: ClaimsDocument) -> Any:
    """Compose YAML to plain data, recording each path's line into `doc.lines`."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        what = exc.problem or str(exc)
        doc.problems.append(error(
            "yaml-syntax", file, line, f"YAML syntax error: {what}",
            "fix the YAML at this line (check indentation, colons and quotes)", column=col))
        return None
    except yaml.YAMLError as exc:
        doc.problems.append(error("yaml-syntax", file, None, f"YAML error: {exc}",
                                  "fix the YAML syntax"))
        return None
    except RecursionError:
        doc.problems.append(error("yaml-too-deep", file, None, "YAML nesting is too deep to read",
                                  "flatten the structure; claims.yaml needs only a few levels"))
        return None
    if node is None:
        doc.problems.append(error("file-empty", file, 1, "the file holds no YAML document",
                                  "start from the example in the README"))
        return None
    try:
        return _to_data(node, "", file, doc, 0, set())
    except _Unloadable as exc:
        doc.problems.append(exc.problem)
        return None


def _to_data(node: yaml.Node, path: str, file: str, doc: ClaimsDocument, depth: int,
             seen: set[int]) -> Any:
    if depth > _MAX_DEPTH:
        raise _Unloadable(error("yaml-too-deep", file, node.start_mark.line + 1,
                                f"YAML nesting deeper than {_MAX_DEPTH} levels", "flatten it",
                                path=path))
    if id(node) in seen:
        raise _Unloadable(error(
            "yaml-alias", file, node.start_mark.line + 1,
            "YAML anchors and aliases (&name / *name) are not supported in claims.yaml",
            "write the value out in full where the alias is used", path=path))
    seen.add(id(node))
    if node.tag not in _ALLOWED_TAGS:
        raise _Unloadable(error(
            "yaml-tag", file, node.start_mark.line + 1,
            f"the YAML tag '{node.tag}' is not allowed in claims.yaml",
            "remove the tag; values are plain text, numbers, dates, lists and mappings",
            path=path))
    doc.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Unloadable(error("yaml-syntax", file, key_node.start_mark.line + 1,
                                        "a mapping key must be a plain value", "use a text key",
                                        path=path))
            key = str(key_node.value)
            child = f"{path}.{key}" if path else key
            if key in out:
                doc.problems.append(error(
                    "yaml-duplicate-key", file, key_node.start_mark.line + 1,
                    f"key '{key}' appears twice in this mapping (first at line "
                    f"{doc.lines.get(child, '?')})",
                    "keep one of them; YAML would silently drop the first", path=child))
                continue
            doc.lines[child] = key_node.start_mark.line + 1
            out[key] = _to_data(value_node, child, file, doc, depth + 1, seen)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_data(item, f"{path}[{i}]", file, doc, depth + 1, seen)
                for i, item in enumerate(node.value)]
    if node.tag == _STR_TAG:
        return node.value  # the common case, without the constructor's bookkeeping
    return _scalar(node, path, file, doc)


class _Unreadable:
    """A value YAML could not construct: reported once, then skipped by validation."""

    def __repr__(self) -> str:
        return "<unreadable value>"


_UNREADABLE = _Unreadable()


def _scalar(node: yaml.ScalarNode, path: str, file: str, doc: ClaimsDocument) -> Any:
    """Construct a non-string scalar; a value no schema field can hold becomes a problem."""
    text = node.value
    if node.tag in (_INT_TAG, _FLOAT_TAG) and len(text) > MAX_NUMBER_CHARS:
        # Checked before conversion: int() of a few thousand digits raises (and is slow).
        return _unreadable(doc, node, path, file,
                           f"a number of {len(text)} characters is too long to be meant",
                           f"write the number in at most {MAX_NUMBER_CHARS} characters")
    try:
        # The constructor function itself: construct_object would keep every node it saw.
        value = _SCALAR.yaml_constructors[node.tag](_SCALAR, node)
    except (ValueError, OverflowError, yaml.YAMLError):
        if node.tag == _TIMESTAMP_TAG:
            return _unreadable(doc, node, path, file, f"'{text}' is not a valid date",
                               "write a real date as YYYY-MM-DD (is the month or day right?)")
        return _unreadable(doc, node, path, file, f"'{_clip(text)}' cannot be read as a value",
                           "write it as plain text in quotes, or as a number or date")
    if isinstance(value, float) and not math.isfinite(value):
        return _unreadable(doc, node, path, file, f"'{_clip(text)}' is not a finite number",
                           "write a number such as 12 or 0.5")
    return value


def _unreadable(doc: ClaimsDocument, node: yaml.Node, path: str, file: str, message: str,
                hint: str) -> _Unreadable:
    doc.problems.append(error("yaml-value", file, node.start_mark.line + 1, message, hint,
                              path=path, column=node.start_mark.column + 1))
    return _UNREADABLE


def _clip(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def _validate(data: Any, file: str, doc: ClaimsDocument) -> None:
    if not isinstance(data, dict):
        doc.problems.append(error("schema-type", file, 1,
                                  "the top level of claims.yaml must be a mapping",
                                  "start with 'article:', 'studies:' and 'claims:'"))
        return
    for key in data:
        if key not in _TOP_LEVEL:
            doc.problems.append(_unknown_field(file, doc, key, key, _TOP_LEVEL))
    if "article" not in data:
        doc.problems.append(error("schema-missing", file, 1, "'article' is missing",
                                  "add the article block (id, title, publisher, text)",
                                  path="article"))
    else:
        raw_article = data["article"]
        doc.article = _validate_item(Article, raw_article, "article", file, doc)
        if doc.article is not None:
            doc.article_path = doc.article.text
        elif isinstance(raw_article, dict) and isinstance(raw_article.get("text"), str) \
                and raw_article["text"].strip():
            doc.article_path = raw_article["text"]
    if "settings" in data:
        settings = _validate_item(Settings, data["settings"], "settings", file, doc)
        if settings is not None:
            doc.settings = settings
    studies, claims = data.get("studies"), data.get("claims")
    _validate_studies({} if studies is None else studies, file, doc)
    _validate_claims([] if claims is None else claims, file, doc)


def _validate_studies(studies: Any, file: str, doc: ClaimsDocument) -> None:
    if not isinstance(studies, dict):
        doc.problems.append(_type_problem(file, doc, "studies",
                                          "a mapping of BibTeX key -> appraisal"))
        return
    for key, raw in list(studies.items()):
        appraisal = _validate_item(Appraisal, raw, f"studies.{key}", file, doc)
        studies[key] = None  # the parsed data is no longer needed: let it go now
        if appraisal is not None:
            doc.studies[key] = appraisal
        else:
            doc.invalid_studies.add(str(key))


def _validate_claims(claims: Any, file: str, doc: ClaimsDocument) -> None:
    if not isinstance(claims, list):
        doc.problems.append(_type_problem(file, doc, "claims", "a list of claims"))
        return
    for i, raw in enumerate(claims):
        if len(doc.problems) >= MAX_PROBLEMS:
            doc.problems.append(error(
                "too-many-problems", file, doc.lines.get(f"claims[{i}]"),
                f"stopped after {MAX_PROBLEMS} problems; {len(claims) - i} claims not validated",
                "fix the problems above (is this the right file?) and run kb check again",
                path=f"claims[{i}]"))
            break
        before = len(doc.problems)
        claim = _validate_item(Claim, raw, f"claims[{i}]", file, doc)
        claims[i] = None  # the parsed data is no longer needed: let it go now
        if claim is not None:
            doc.claims.append(claim)
            doc.claim_positions.append(i)
        else:
            raw = raw if isinstance(raw, dict) else {}
            reasons = "; ".join(p.message for p in doc.problems[before:]) or \
                "a value could not be read"
            quote = raw.get("quote")
            doc.invalid_claims.append(InvalidClaim(
                i, str(raw.get("id", f"claims[{i}]")), quote if isinstance(quote, str) else "",
                str(raw.get("statement", "")), reasons, _raw_links(raw.get("evidence"))))


def _raw_links(evidence: Any) -> tuple[tuple[int, str], ...]:
    """(position, study key) of the links of a claim that failed validation whose key is
    well-formed: they are still checked against the bibliography."""
    if not isinstance(evidence, list):
        return ()
    return tuple((j, link["study"]) for j, link in enumerate(evidence)
                 if isinstance(link, dict) and isinstance(link.get("study"), str)
                 and _KEY.fullmatch(link["study"]))


_KEY = re.compile(r"[^\s,{}]+")


def _validate_item(model: type[M], raw: Any, path: str, file: str,
                   doc: ClaimsDocument) -> M | None:
    if isinstance(raw, _Reused) and isinstance(raw.value, model):
        return raw.value
    try:
        return validate(model, raw)
    except ValidationError as exc:
        doc.problems.extend(_problems_from(exc.errors(include_url=False), model, path, file, doc))
        return None


def _problems_from(errors: list[Any], model: type, base: str, file: str,
                   doc: ClaimsDocument) -> Iterator[Problem]:
    # A tuple whose items failed also fails its minimum length (pydantic counts the items
    # that validated): the items' own errors say what is wrong.
    parents = {err["loc"][:n] for err in errors for n in range(len(err["loc"]))}
    for err in errors:
        if err.get("input") is _UNREADABLE:
            continue  # already reported where YAML read it (yaml-value)
        if err["type"] == "too_short" and err["loc"] in parents:
            continue
        loc = err["loc"]
        path = base + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
        kind = err["type"]
        line = doc.lines.get(path) or nearest_line(doc.lines, path)
        if kind == "missing":
            field_name = str(loc[-1]) if loc else path
            yield error("schema-missing", file, nearest_line(doc.lines, path),
                        f"required field '{field_name}' is missing",
                        f"add '{field_name}:' here", path=path)
        elif kind in ("extra_forbidden", "unexpected_keyword_argument"):
            allowed = _fields_at(model, loc[:-1])
            yield _unknown_field(file, doc, path, str(loc[-1]), allowed)
        elif kind in ("enum", "literal_error"):
            yield _vocabulary_problem(err, model, path, file, line)
        else:
            yield _value_problem(err, path, file, line)


def _vocabulary_problem(err: Any, model: type, path: str, file: str,
                        line: int | None) -> Problem:
    loc, given = err["loc"], err.get("input")
    choices = _choices_at(model, loc)
    is_design = _type_at(model, loc) is Design
    if is_design and (design := nearest_design(str(given))):
        suggestion = [design.value]
    else:
        suggestion = difflib.get_close_matches(str(given), choices, n=1, cutoff=0.5)
    hint = f"did you mean '{suggestion[0]}' ({Design(suggestion[0]).meaning})?" if (
        suggestion and is_design) else (
        f"did you mean '{suggestion[0]}'?" if suggestion else
        "use one of: " + ", ".join(choices))
    return error("schema-vocabulary", file, line,
                 f"'{given}' is not an allowed value (allowed: {', '.join(choices)})",
                 hint, path=path)


_VALUE_KINDS = frozenset({"string_pattern_mismatch", "string_too_short", "greater_than_equal",
                          "greater_than", "too_short", "string_too_long"})


def _value_problem(err: Any, path: str, file: str, line: int | None) -> Problem:
    """A value of the right kind but the wrong shape or size, or of the wrong type."""
    kind, given = err["type"], err.get("input")
    if kind == "duration_invalid":
        return error("duration-invalid", file, line, err["msg"],
                     "write the duration as '12 weeks', '6 months' or 'immediate'", path=path)
    if kind == "string_pattern_mismatch" and path.endswith(".url"):
        return error("schema-value", file, line,
                     f"{_short(given)} is not a web address that can be linked",
                     _value_hint(path, kind), path=path)
    if kind in _VALUE_KINDS:
        return error("schema-value", file, line, f"{err['msg']} (got {given!r})",
                     _value_hint(path, kind), path=path)
    return error("schema-type", file, line, f"{err['msg']} (got {_short(given)})",
                 "check the type of this value against the README's example", path=path)


def _value_hint(path: str, kind: str) -> str:
    if path.endswith(".id"):
        return "ids are lower-case words joined by hyphens, e.g. 'safety-very-safe'"
    if path.endswith("sha256"):
        return "run 'kb hash' and paste the 64 hex digits"
    if path.endswith(".url"):
        return ("use a full http:// or https:// address without spaces, quotes or angle "
                "brackets (percent-encode them: %20)")
    if kind == "too_short":
        return "this list needs at least one item"
    return "fix the value"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _type_problem(file: str, doc: ClaimsDocument, path: str, expected: str) -> Problem:
    return error("schema-type", file, doc.lines.get(path), f"'{path}' must be {expected}",
                 "see the README's example", path=path)


def _unknown_field(file: str, doc: ClaimsDocument, path: str, name: str,
                   allowed: tuple[str, ...] | list[str]) -> Problem:
    suggestion = difflib.get_close_matches(name, list(allowed), n=1, cutoff=0.6)
    hint = f"did you mean '{suggestion[0]}'?" if suggestion else (
        "allowed here: " + ", ".join(allowed) if allowed else "remove it")
    return error("schema-unknown-field", file, doc.lines.get(path), f"unknown field '{name}'",
                 hint, path=path)


def _unwrap(tp: Any) -> Any:
    """Strip Optional/Annotated/list/dict wrappers down to the model or enum inside."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = args[0] if len(args) == 1 else tp
            if len(args) != 1:
                return tp
        else:
            return tp


def _type_at(model: type, loc: tuple[Any, ...]) -> Any:
    tp: Any = model
    for part in loc:
        tp = _unwrap(tp)
        origin = typing.get_origin(tp)
        if isinstance(part, int) and origin in (list, tuple):
            tp = typing.get_args(tp)[0]
        elif origin is dict:
            tp = typing.get_args(tp)[1]
        elif is_value_type(tp):
            fld = fields_of(tp).get(str(part))
            if fld is None:
                return None
            tp = fld.annotation
        else:
            return None
    return _unwrap(tp)


def _fields_at(model: type, loc: tuple[Any, ...]) -> tuple[str, ...]:
    tp = _type_at(model, loc)
    if is_value_type(tp):
        return tuple(f.alias or name for name, f in fields_of(tp).items())
    return ()


def _choices_at(model: type, loc: tuple[Any, ...]) -> list[str]:
    tp = _type_at(model, loc)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return [str(m.value) for m in tp]
    return []



def json_schema() -> dict[str, Any]:
    """The JSON Schema of `claims.yaml`, for editors' completion and checking."""
    schema = TypeAdapter(ClaimsFile).json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    # Properties and required fields in the order the file writes them (pydantic lists a
    # dataclass's fields that have a `Field(...)` first).
    for name, part in [("ClaimsFile", schema), *schema.get("$defs", {}).items()]:
        model = getattr(model_module, name, None)
        if is_value_type(model) and "properties" in part:
            order = [f.alias or n for n, f in fields_of(model).items()]
            part["properties"] = {k: part["properties"][k] for k in order
                                  if k in part["properties"]}
            if "required" in part:
                part["required"] = [k for k in order if k in part["required"]]
    return schema
