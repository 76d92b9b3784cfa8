"""Read a knowledge-base source file as text, turning every I/O failure into a Problem."""

from __future__ import annotations

import os

from kb.problems import Problem, error

# A publisher-scale base (20,000 claims, 40,000 references) is tens of MB; anything far past
# that is almost surely the wrong file, and reading it would stall the editor.
MAX_FILE_BYTES = 256 * 1024 * 1024


def read_text(path: str, display_name: str,
              max_bytes: int = MAX_FILE_BYTES) -> tuple[str | None, list[Problem]]:
    """Return the file's text (UTF-8, BOM removed) or None with the problems that stopped it."""
    try:
        size = os.path.getsize(path)
    except FileNotFoundError:
        return None, [error("file-missing", display_name, None, f"{display_name} does not exist",
                            "create it, or point --kb at the knowledge-base folder")]
    except OSError as exc:
        return None, [error("file-unreadable", display_name, None,
                            f"cannot read {display_name}: {exc.strerror}",
                            "check the path and its permissions")]
    if os.path.isdir(path):
        return None, [error("file-unreadable", display_name, None,
                            f"{display_name} is a folder, not a file", "point at the file")]
    if size > max_bytes:
        return None, [error("file-too-large", display_name, None,
                            f"{display_name} is {size / 1e6:.0f} MB, over the "
                            f"{max_bytes / 1e6:.0f} MB limit",
                            "check that this is the right file")]
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        return None, [error("file-unreadable", display_name, None,
                            f"cannot read {display_name}: {exc.strerror}",
                            "check the path and its permissions")]
    return decode(raw, display_name)


def decode(raw: bytes, display_name: str) -> tuple[str | None, list[Problem]]:
    """Decode UTF-8 bytes; on failure, point at the line and column of the first bad byte."""
    if not raw or raw.isspace():
        return None, [error("file-empty", display_name, 1, f"{display_name} is empty",
                            "restore its content (see the README for the format)")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [error("file-encoding", display_name, line,
                            f"{display_name} is not UTF-8 (byte 0x{raw[exc.start]:02x})",
                            "re-save the file as UTF-8 (in Zotero/JabRef: export with UTF-8)",
                            column=col)]
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        return None, [error("file-encoding", display_name, line,
                            f"{display_name} contains a NUL byte: it looks like a binary file",
                            "check that this is the right file")]
    return text.removeprefix("\ufeff"), []
