"""Load `claims.yaml`: safe YAML with line numbers, then schema validation item by item.

The YAML is composed into a node tree (never constructed with arbitrary tags) so every value
keeps its line, duplicate keys are caught (PyYAML's `safe_load` silently keeps the last one),
and aliases are refused, which also defuses "billion laughs" bombs.
"""

from __future__ import annotations

import difflib
import enum
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from kb.model import (
    Appraisal,
    Article,
    Claim,
    ClaimsFile,
    InvalidClaim,
    Settings,
)
from kb.problems import Problem, error
from kb.sources import read_text

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SCALAR = yaml.constructor.SafeConstructor()
_TOP_LEVEL = ("$schema", "schema_version", "article", "settings", "studies", "claims")
_MAX_DEPTH = 64
# Past this many problems a file is almost surely the wrong one; listing more helps nobody.
MAX_PROBLEMS = 1000
M = TypeVar("M", bound=BaseModel)
_STR_TAG = "tag:yaml.org,2002:str"
_ALLOWED_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in (
    "str", "int", "float", "bool", "null", "timestamp", "map", "seq"))


@dataclass
class ClaimsDocument:
    """What `load_claims` could read; parts that failed validation are left out."""

    article: Article | None = None
    settings: Settings = field(default_factory=Settings)
    studies: dict[str, Appraisal] = field(default_factory=dict)
    claims: list[Claim] = field(default_factory=list)
    invalid_claims: list[InvalidClaim] = field(default_factory=list)
    claim_positions: list[int] = field(default_factory=list)
    # Appraisals present in the file that failed validation (their own errors say why).
    invalid_studies: set[str] = field(default_factory=set)
    lines: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


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
    return parse_claims(text, display_name)


def parse_claims(text: str, display_name: str = "claims.yaml") -> ClaimsDocument:
    """Validate claims-file text (see `load_claims`)."""
    doc = ClaimsDocument()
    data = parse_yaml(text, display_name, doc)
    if data is None:
        return doc
    _validate(data, display_name, doc)
    return doc


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
    return _SCALAR.construct_object(node)


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
        doc.article = _validate_item(Article, data["article"], "article", file, doc)
    if "settings" in data:
        settings = _validate_item(Settings, data["settings"], "settings", file, doc)
        if settings is not None:
            doc.settings = settings
    studies = data.get("studies", {})
    if studies is None:
        studies = {}
    if not isinstance(studies, dict):
        doc.problems.append(_type_problem(file, doc, "studies", "a mapping of BibTeX key -> appraisal"))
    else:
        for key, raw in studies.items():
            appraisal = _validate_item(Appraisal, raw, f"studies.{key}", file, doc)
            if appraisal is not None:
                doc.studies[key] = appraisal
            else:
                doc.invalid_studies.add(str(key))
    claims = data.get("claims", [])
    if claims is None:
        claims = []
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
        if claim is not None:
            doc.claims.append(claim)
            doc.claim_positions.append(i)
        else:
            raw = raw if isinstance(raw, dict) else {}
            reasons = "; ".join(p.message for p in doc.problems[before:])
            doc.invalid_claims.append(InvalidClaim(
                i, str(raw.get("id", f"claims[{i}]")), str(raw.get("quote", "")),
                str(raw.get("statement", "")), reasons))


def _validate_item(model: type[M], raw: Any, path: str, file: str,
                   doc: ClaimsDocument) -> M | None:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        doc.problems.extend(_problems_from(exc, model, path, file, doc))
        return None


def _problems_from(exc: ValidationError, model: type[BaseModel], base: str, file: str,
                   doc: ClaimsDocument) -> Iterator[Problem]:
    for err in exc.errors(include_url=False):
        loc = err["loc"]
        path = base + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
        kind = err["type"]
        given = err.get("input")
        line = doc.lines.get(path) or _line_of(doc.lines, path)
        if kind == "missing":
            field_name = str(loc[-1]) if loc else path
            yield error("schema-missing", file, _line_of(doc.lines, path),
                        f"required field '{field_name}' is missing",
                        f"add '{field_name}:' here", path=path)
        elif kind == "extra_forbidden":
            allowed = _fields_at(model, loc[:-1])
            yield _unknown_field(file, doc, path, str(loc[-1]), allowed)
        elif kind in ("enum", "literal_error"):
            choices = _choices_at(model, loc)
            suggestion = difflib.get_close_matches(str(given), choices, n=1, cutoff=0.5)
            hint = f"did you mean '{suggestion[0]}'?" if suggestion else (
                "use one of: " + ", ".join(choices))
            yield error("schema-vocabulary", file, line,
                        f"'{given}' is not an allowed value (allowed: {', '.join(choices)})",
                        hint, path=path)
        elif kind == "duration_invalid":
            yield error("duration-invalid", file, line, err["msg"],
                        "write the duration as '12 weeks', '6 months' or 'immediate'", path=path)
        elif kind in ("string_pattern_mismatch", "string_too_short", "greater_than_equal",
                      "greater_than", "too_short", "string_too_long"):
            yield error("schema-value", file, line, f"{err['msg']} (got {given!r})",
                        _value_hint(path, kind), path=path)
        else:
            yield error("schema-type", file, line, f"{err['msg']} (got {_short(given)})",
                        "check the type of this value against the README's example", path=path)


def _value_hint(path: str, kind: str) -> str:
    if path.endswith(".id"):
        return "ids are lower-case words joined by hyphens, e.g. 'safety-very-safe'"
    if path.endswith("sha256"):
        return "run 'kb hash' and paste the 64 hex digits"
    if path.endswith(".url"):
        return "use a full http:// or https:// address"
    if kind == "too_short":
        return "this list needs at least one item"
    return "fix the value"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _line_of(lines: Mapping[str, int], path: str) -> int | None:
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None


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


def _type_at(model: type[BaseModel], loc: tuple[Any, ...]) -> Any:
    tp: Any = model
    for part in loc:
        tp = _unwrap(tp)
        origin = typing.get_origin(tp)
        if isinstance(part, int) and origin is list:
            tp = typing.get_args(tp)[0]
        elif origin is dict:
            tp = typing.get_args(tp)[1]
        elif isinstance(tp, type) and issubclass(tp, BaseModel):
            fld = tp.model_fields.get(str(part))
            if fld is None:
                return None
            tp = fld.annotation
        else:
            return None
    return _unwrap(tp)


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[str, ...]:
    tp = _type_at(model, loc)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tuple(f.alias or name for name, f in tp.model_fields.items())
    return ()


def _choices_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    tp = _type_at(model, loc)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return [str(m.value) for m in tp]
    return []



def json_schema() -> dict[str, Any]:
    """The JSON Schema of `claims.yaml`, for editors' completion and checking."""
    schema = ClaimsFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
