"""Read a knowledge-base source file as text, turning every I/O failure into a Problem."""

from __future__ import annotations

import os
import stat

from kb.problems import Problem, error

# A publisher-scale base (20,000 claims, 40,000 references) is tens of MB; anything far past
# that is almost surely the wrong file, and reading it would stall the editor.
MAX_FILE_BYTES = 256 * 1024 * 1024


def read_text(path: str, display_name: str,
              max_bytes: int = MAX_FILE_BYTES) -> tuple[str | None, list[Problem]]:
    """Return the file's text (UTF-8, BOM removed) or None with the problems that stopped it."""
    raw, problems = read_bytes(path, display_name, max_bytes)
    if raw is None:
        return None, problems
    return decode(raw, display_name)


def read_bytes(path: str, display_name: str,
               max_bytes: int = MAX_FILE_BYTES) -> tuple[bytes | None, list[Problem]]:
    """Return the bytes of a regular file (or a link to one), at most `max_bytes` of them.

    Devices, FIFOs and sockets are refused before they are opened for reading: /dev/zero
    never ends, a FIFO blocks until someone writes. The size limit holds for what is read,
    not for what the file system reports (0 for /proc files and devices).
    """
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None, [_not_regular(path, display_name)]
        # O_NONBLOCK: should the path have become a FIFO since, opening it does not wait.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None, [error("file-missing", display_name, None, f"{display_name} does not exist",
                            "create it, or point --kb at the knowledge-base folder")]
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        return None, [_unreadable(display_name, exc)]
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, [_not_regular(path, display_name)]
        if info.st_size > max_bytes:
            return None, [_too_large(display_name, info.st_size, max_bytes)]
        os.set_blocking(fd, True)
        chunks, total = [], 0
        # A regular file's reported size is read in one piece (joined without a copy).
        step = max(CHUNK_BYTES, info.st_size + 1)
        while chunk := os.read(fd, min(step, max_bytes + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                return None, [_too_large(display_name, None, max_bytes)]
        return b"".join(chunks), []
    except OSError as exc:
        return None, [_unreadable(display_name, exc)]
    finally:
        os.close(fd)


CHUNK_BYTES = 1 << 20


def _unreadable(display_name: str, exc: BaseException) -> Problem:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return error("file-unreadable", display_name, None, f"cannot read {display_name}: {reason}",
                 "check the path and its permissions")


def _not_regular(path: str, display_name: str) -> Problem:
    if os.path.isdir(path):
        return error("file-unreadable", display_name, None,
                     f"{display_name} is a folder, not a file", "point at the file")
    return error("file-unreadable", display_name, None,
                 f"{display_name} is not a regular file (a device, FIFO or socket)",
                 "point at the file itself, or replace it with a copy of the file")


def _too_large(display_name: str, size: int | None, max_bytes: int) -> Problem:
    what = f"is {size / 1e6:.0f} MB, over" if size is not None else "holds more than"
    return error("file-too-large", display_name, None,
                 f"{display_name} {what} the {max_bytes / 1e6:.0f} MB limit",
                 "check that this is the right file")


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
