"""Edit one claim's entry of claims.yaml as text, changing only the bytes that must change.

`find_claim` locates the entry's bytes; `EntryText` edits it: a changed value is emitted
alone, in the file's style (PyYAML's emitter at the width the file is wrapped at, sequences
indented or not as the file has them), new keys go where the schema orders them, and every
other byte of the entry (comments, key order, quoting, wrapping) stays as it was. The rest of
the file is never touched: `splice` puts the new entry where the old one was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from kb.claims import claim_blocks, parse_entry
from kb.model import Claim, EvidenceLink, Override, Review, fields_of

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
# PyYAML's own default, used when nothing in the file wraps.
DEFAULT_WIDTH = 80
Path = tuple[str | int, ...]


class NotEditable(Exception):
    """The entry cannot be edited in place; the message says why and what to do."""


@dataclass(frozen=True)
class Entry:
    """Where one claim's entry sits in the file: byte offsets and its 0-based first line."""

    start: int
    end: int
    line: int


_SECTION_END = {True: re.compile(rb"\n[^ \r\n#-]"), False: re.compile(rb"\n[^ \r\n#]")}


def find_claim(raw: bytes, claim_id: str, line: int | None = None) -> Entry | None:
    """The entry of the claim with this id, or None.

    Fast path: the one line `- id: ID` in the file, checked against `line` (the 1-based line
    a loaded base gives for the claim), bounded by the next item at its indent or the end of
    the section, as the claims splitter (`kb.claims.claim_blocks`) bounds entries. Anything else
    (a quoted id, an id key that is not first, no line to check) goes through the splitter.
    """
    needle = b"- id: " + claim_id.encode()
    hits = []
    at = raw.find(needle)
    while at != -1:
        start = raw.rfind(b"\n", 0, at) + 1
        eol = raw.find(b"\n", at)
        rest = raw[at + len(needle):len(raw) if eol == -1 else eol].strip()
        if not raw[start:at].strip(b" ") and (not rest or rest.startswith(b"#")):
            hits.append((start, at - start))
        at = raw.find(needle, at + 1)
    if len(hits) == 1 and line is not None:
        start, indent = hits[0]
        first = raw.count(b"\n", 0, start)
        if first + 1 == line:
            nxt = raw.find(b"\n" + b" " * indent + b"- ", start)
            limit = len(raw) if nxt == -1 else nxt + 1
            section = _SECTION_END[indent == 0].search(raw, start, limit)
            end = limit if section is None else section.start() + 1
            return Entry(start, end, first)
    return _find_by_splitting(raw, claim_id)


def _find_by_splitting(raw: bytes, claim_id: str) -> Entry | None:
    text = raw.decode("utf-8")
    blocks = claim_blocks(text)
    if blocks is None:
        raise NotEditable("claims.yaml is laid out in a way that cannot be edited in place "
                          "(tabs, '---' document markers or text outside the sections); "
                          "edit it in a text editor, or reformat it")
    for block in blocks:
        if block.kind != "claim" or claim_id not in text[block.start:block.end]:
            continue
        body = text[block.start:block.end]
        parsed = parse_entry("claim", body, "claims.yaml")
        if parsed is not None and isinstance(parsed[0], dict) and parsed[0].get("id") == claim_id:
            start = len(text[:block.start].encode("utf-8"))
            return Entry(start, start + len(body.encode("utf-8")), block.start_line - 1)
    return None


def splice(raw: bytes, entry: Entry, new_text: str) -> bytes:
    return raw[:entry.start] + new_text.encode("utf-8") + raw[entry.end:]


# --- the file's style ------------------------------------------------------------------


def infer_width(texts: list[str]) -> int:
    """The width the emitter wrapped these entries at.

    PyYAML and LibYAML break a plain scalar at a single space once the column passed the
    width: each wrapped line is longer than the width, and each single space left inside a
    line stood at a column within it. The widths every multi-line plain scalar agrees with
    form an interval; a round number in it is preferred (the widths people pass).
    """
    lo, hi = 1, 10_000
    for text in texts:
        try:
            node = yaml.compose(text, Loader=_Loader)
        except yaml.YAMLError:
            continue
        lines = text.split("\n")
        for scalar in _plain_multiline(node):
            a, b = scalar.start_mark, scalar.end_mark
            for n in range(a.line, b.line + 1):
                part = lines[n]
                begin = a.column if n == a.line else len(part) - len(part.lstrip(" "))
                stop = b.column if n == b.line else len(part.rstrip())
                for m in re.finditer(r"(?<! ) (?! )", part[begin:stop]):
                    lo = max(lo, begin + m.start())
                if n < b.line:
                    hi = min(hi, len(part.rstrip()) - 1)
    if hi >= 10_000:
        return max(DEFAULT_WIDTH, lo)
    if lo > hi:
        return hi  # hand-wrapped text: stay within its shortest wrapped line
    if lo <= DEFAULT_WIDTH <= hi:
        return DEFAULT_WIDTH
    rounds = [w for w in range(lo, hi + 1) if w % 10 == 0]
    return rounds[0] if rounds else hi


def _plain_multiline(node: yaml.Node) -> list[yaml.ScalarNode]:
    out: list[yaml.ScalarNode] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, yaml.ScalarNode):
            if not n.style and n.end_mark.line > n.start_mark.line:
                out.append(n)
        elif isinstance(n, yaml.MappingNode):
            stack.extend(v for _, v in n.value)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
    return out


def neighbours(raw: bytes, entry: Entry, count: int = 3) -> list[str]:
    """Up to `count` entries before and after this one, as text (samples of the style)."""
    indent = raw[entry.start:raw.find(b"-", entry.start)]
    marker = b"\n" + indent + b"- "
    out = []
    at = entry.start
    for _ in range(count):
        prev = raw.rfind(marker, 0, at - 1)
        if prev == -1:
            break
        out.append(raw[prev + 1:at].decode("utf-8", "replace"))
        at = prev + 1
    at = entry.end
    for _ in range(count):
        if not raw.startswith(indent + b"- ", at):
            break
        nxt = raw.find(marker, at)
        stop = len(raw) if nxt == -1 else nxt + 1
        out.append(raw[at:stop].decode("utf-8", "replace"))
        at = stop
    return out


class _IndentedDumper(yaml.SafeDumper):
    """Sequences inside mappings indented under their key (`key:\\n  - item`)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


@dataclass(frozen=True)
class Style:
    width: int = DEFAULT_WIDTH
    indent_sequences: bool = False
    crlf: bool = False

    def dump(self, data: Any, width: int, flow: bool = False) -> str:
        dumper = _IndentedDumper if self.indent_sequences else _Dumper
        return yaml.dump(data, Dumper=dumper, default_flow_style=None if flow else False,
                         sort_keys=False, allow_unicode=True, width=max(width, 20), indent=2)


def detect_style(entry_text: str, samples: list[str]) -> Style:
    indented = False
    for text in [entry_text, *samples]:
        m = re.search(r"^( *)[^\s#:-][^:\n]*:[ \t]*\r?\n( *)- ", text, re.M)
        if m:
            indented = len(m.group(2)) > len(m.group(1))
            break
    return Style(infer_width([entry_text, *samples]), indented, "\r\n" in entry_text)


# --- editing one entry ------------------------------------------------------------------


class EntryText:
    """One claim entry (`- id: ...` and its lines) edited in place.

    Paths name a value inside the claim: ("review", "status"), ("evidence", 2, "note").
    """

    def __init__(self, text: str, style: Style) -> None:
        self.crlf = style.crlf
        self.text = text.replace("\r\n", "\n") if style.crlf else text
        self.style = style
        self._parse()

    def result(self) -> str:
        return self.text.replace("\n", "\r\n") if self.crlf else self.text

    def _parse(self) -> None:
        try:
            root = yaml.compose(self.text, Loader=_Loader)
        except yaml.YAMLError as exc:
            raise NotEditable(f"the claim's entry is not valid YAML: {exc}") from None
        if (not isinstance(root, yaml.SequenceNode) or len(root.value) != 1
                or not isinstance(root.value[0], yaml.MappingNode)):
            raise NotEditable("the claim's entry is not one mapping")
        self.root: yaml.MappingNode = root.value[0]
        self.starts = [0]
        for line in self.text.split("\n"):
            self.starts.append(self.starts[-1] + len(line) + 1)

    def _pos(self, mark: yaml.Mark) -> int:
        return self.starts[mark.line] + mark.column

    def _eol(self, pos: int) -> int:
        """Offset of the newline ending the line that holds `pos` (or the text's end)."""
        n = self.text.find("\n", pos)
        return len(self.text) if n == -1 else n

    def _bol(self, pos: int) -> int:
        return self.text.rfind("\n", 0, pos) + 1

    def _end(self, node: yaml.Node) -> int:
        """Just after the last character of a value (comments and blank lines after it
        belong to whatever follows)."""
        if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
            return self._end(node.value[-1][1])
        if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
            return self._end(node.value[-1])
        end = self._pos(node.end_mark)
        start = self._pos(node.start_mark)
        while end > start and self.text[end - 1] in " \n":
            end -= 1
        return end

    # navigation

    def node(self, path: Path) -> yaml.Node | None:
        node: yaml.Node = self.root
        for part in path:
            node = self._child(node, part)
            if node is None:
                return None
        return node

    def _child(self, node: yaml.Node, part: str | int) -> yaml.Node | None:
        if isinstance(part, int):
            if isinstance(node, yaml.SequenceNode) and 0 <= part < len(node.value):
                return node.value[part]
            return None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == part:
                    return v
        return None

    def _key(self, path: Path) -> yaml.ScalarNode | None:
        parent = self.node(path[:-1])
        if isinstance(parent, yaml.MappingNode):
            for k, _ in parent.value:
                if k.value == path[-1]:
                    return k
        return None

    def value(self, path: Path) -> Any:
        """The plain data at a path (None when absent)."""
        return _data(self.node(path))

    def _flow_ancestor(self, path: Path) -> Path | None:
        """The outermost flow-style collection holding `path`, if any."""
        for i in range(1, len(path)):
            node = self.node(path[:i])
            if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.flow_style:
                return path[:i]
        return None

    # edits

    def set(self, path: Path, value: Any) -> None:
        """Set a mapping key to `value`, creating it (and missing parents) where the schema's
        field order puts it among the keys already there."""
        flow = self._flow_ancestor(path)
        if flow is not None:
            self._rewrite(flow, _put(_data(self.node(flow)), path[len(flow):], value),
                          flow=True)
            return
        if self._key(path) is not None:
            old = self.node(path)
            was_flow = isinstance(old, (yaml.MappingNode, yaml.SequenceNode)) and bool(
                old.flow_style and old.value)
            self._rewrite(path, value, flow=was_flow)
            return
        parent = self.node(path[:-1])
        if parent is None:
            self.set(path[:-1], {path[-1]: value})
            return
        if not isinstance(parent, yaml.MappingNode) or not parent.value:
            # `key:` with nothing, `key: {}`, or not a mapping at all: write it out whole
            self._rewrite(path[:-1], {path[-1]: value})
            return
        order = order_of(path[:-1])
        rank = {k: i for i, k in enumerate(order)}
        mine = rank.get(str(path[-1]), len(order))
        before = [(k, v) for k, v in parent.value if rank.get(k.value, len(order)) <= mine]
        col = parent.value[0][0].start_mark.column
        entry = self._emit_entry(str(path[-1]), value, col)
        if before:
            self._insert(self._eol(self._end(before[-1][1])), "\n" + " " * col + entry)
        else:
            self._insert(self._pos(parent.value[0][0].start_mark), entry + "\n" + " " * col)

    def delete(self, path: Path) -> None:
        """Remove a mapping key with its value (a mapping left empty goes with it)."""
        key = self._key(path)
        if key is None:
            return
        parent = self.node(path[:-1])
        assert isinstance(parent, yaml.MappingNode)
        if len(parent.value) == 1 and path[:-1]:
            self.delete(path[:-1])
            return
        flow = self._flow_ancestor(path)
        if flow is not None or parent.flow_style:
            target = flow or path[:-1]
            data = _data(self.node(target))
            self._rewrite(target, _drop(data, path[len(target):]), flow=True)
            return
        start = self._pos(key.start_mark)
        if self.text[self._bol(start):start].strip():
            raise NotEditable(f"cannot remove '{path[-1]}': it shares its line with another key")
        self._cut_lines(self._bol(start), self._eol(self._end(self.node(path))))  # type: ignore[arg-type]

    def append(self, path: Path, item: Any) -> None:
        """Add an item at the end of a sequence, creating the sequence if needed."""
        seq = self.node(path)
        if seq is None or (isinstance(seq, yaml.ScalarNode) and seq.value in ("", "~", "null")):
            self.set(path, [item])
            return
        if not isinstance(seq, yaml.SequenceNode):
            raise NotEditable(f"'{'.'.join(map(str, path))}' is not a list")
        if seq.flow_style or not seq.value:
            self._rewrite(path, [*(_data(seq) or []), item])
            return
        last = seq.value[-1]
        dash = self.text.rfind("-", self._bol(self._pos(last.start_mark)),
                               self._pos(last.start_mark))
        col = dash - self._bol(dash)
        at = self._eol(self._end(last))
        lines = self.style.dump([item], self.style.width - col).rstrip("\n").split("\n")
        self._insert(at, "".join("\n" + (" " * col + ln if ln else "") for ln in lines))

    def remove(self, path: Path, index: int, empty: str = "delete") -> None:
        """Remove item `index` of a sequence; when none is left, `empty` says what stays:
        "delete" drops the key, "flow" writes `key: []`."""
        seq = self.node(path)
        if not isinstance(seq, yaml.SequenceNode) or not 0 <= index < len(seq.value):
            raise NotEditable(f"no item {index} in '{'.'.join(map(str, path))}'")
        if len(seq.value) == 1:
            if empty == "flow":
                self._rewrite(path, [], flow=True)
            else:
                self.delete(path)
            return
        if seq.flow_style:
            data = _data(seq)
            del data[index]
            self._rewrite(path, data, flow=True)
            return
        item = seq.value[index]
        self._cut_lines(self._bol(self._pos(item.start_mark)), self._eol(self._end(item)))

    # text

    def _rewrite(self, path: Path, value: Any, flow: bool = False) -> None:
        """Emit `key: value` in place of the key's entry (its trailing comment stays)."""
        key = self._key(path)
        if key is None:
            raise NotEditable(f"'{'.'.join(map(str, path))}' is not a key")
        start = self._pos(key.start_mark)
        end = self._end(self.node(path))  # type: ignore[arg-type]
        end = max(end, self._pos(key.end_mark) + 1)  # `key:` with nothing after the colon
        self._replace(start, end, self._emit_entry(str(path[-1]), value,
                                                   key.start_mark.column, flow))

    def _emit_entry(self, key: str, value: Any, col: int, flow: bool = False) -> str:
        text = self.style.dump({key: value}, self.style.width - col, flow).rstrip("\n")
        first, *rest = text.split("\n")
        return first + "".join("\n" + (" " * col + ln if ln else "") for ln in rest)

    def _cut_lines(self, start: int, end: int) -> None:
        """Remove whole lines from `start` (a line's start) to `end` (a line's end)."""
        if end < len(self.text):
            self._replace(start, end + 1, "")
        else:  # the last line has no newline: take the one before it instead
            self._replace(max(start - 1, 0), end, "")

    def _insert(self, at: int, text: str) -> None:
        self._replace(at, at, text)

    def _replace(self, start: int, end: int, text: str) -> None:
        self.text = self.text[:start] + text + self.text[end:]
        self._parse()


def order_of(path: Path) -> list[str]:
    """The schema's field order of the mapping at a path inside a claim."""
    level = tuple(p for p in path if not isinstance(p, int))
    model = {(): Claim, ("review",): Review, ("review", "override"): Override,
             ("evidence",): EvidenceLink}.get(level)
    return list(fields_of(model)) if model else []


def _data(node: yaml.Node | None) -> Any:
    if node is None:
        return None
    return yaml.load(yaml.serialize(node, Dumper=yaml.SafeDumper), Loader=_Loader)


def _put(data: Any, path: Path, value: Any) -> Any:
    if not path:
        return value
    head = path[0]
    if isinstance(head, int):
        out: Any = list(data)
        out[head] = _put(out[head], path[1:], value)
    else:
        out = dict(data or {})
        out[head] = _put(out.get(head), path[1:], value)
    return out


def _drop(data: Any, path: Path) -> Any:
    out: Any = dict(data) if isinstance(data, dict) else list(data)
    if len(path) == 1:
        del out[path[0]]
    else:
        out[path[0]] = _drop(out[path[0]], path[1:])
    return out
