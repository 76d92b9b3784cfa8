"""The one way the tool writes a file: atomically, never through a planted link, and for a
read-modify-write of a base file, under a lock and only if the file is still what was read.

    atomic_write(path, data)          temp file beside the target (created exclusively, random
                                      name), write, flush, fsync, os.replace, fsync the folder
    with locked(path) as target:      serialize read-modify-writes of one file (a lock file
        ...                           beside it, held by `filelock`)
    update(path, change, expected)    lock, read, refuse if the content's hash is not
                                      `expected`, write change(old) atomically
    append_line(path, line)           the change log: a locked update that appends one line

A symlinked file is resolved and its target replaced (the link stays a link); a link that
dangles, loops or leads to something other than a regular file is refused. A process killed
at any moment leaves the old file or the new one, never a mix (a stray temp file at worst).
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from filelock import FileLock, Timeout

# A save waits this long for another save of the same file before giving up.
LOCK_TIMEOUT_S = 60.0


class WriteRefused(Exception):
    """A write that was not done; the message says why and what to do."""


class Conflict(WriteRefused):
    """The file changed since it was read: saving would lose someone else's update."""

    def __init__(self, path: str, expected: str, current: bytes, detail: str = "") -> None:
        self.path, self.expected, self.current, self.detail = path, expected, current, detail
        super().__init__(
            f"{path} changed since it was read (by another editor, a git pull or a text "
            f"editor); nothing was written{': ' + detail if detail else ''}. Load it again "
            f"and re-apply the change.")


def digest(data: bytes) -> str:
    """The content hash a save carries: SHA-256 of the file's bytes."""
    return hashlib.sha256(data).hexdigest()


def resolve_target(path: str) -> str:
    """The regular file a write to `path` replaces: symlinks followed (the link itself is
    kept), or the path itself when nothing exists there yet.

    Raises WriteRefused for a dangling or looping link, or anything but a regular file.
    """
    try:
        real = os.path.realpath(path, strict=True)
    except FileNotFoundError:
        if os.path.islink(path) or os.path.lexists(path):
            raise WriteRefused(
                f"{path} is a symbolic link to {os.readlink(path)!r}, which does not exist; "
                "nothing was written (remove the link or create its target)") from None
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent):
            raise WriteRefused(f"the folder of {path} does not exist; nothing was written"
                               ) from None
        return os.path.join(os.path.realpath(parent), os.path.basename(path))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise WriteRefused(f"{path} is a loop of symbolic links; nothing was written"
                               ) from None
        raise
    if not os.path.isfile(real):
        raise WriteRefused(f"{path} is not a regular file ({real}); nothing was written")
    return real


def _umask() -> int:
    # os.umask() can only be read by setting it, which races with other threads (Streamlit).
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def atomic_write(path: str, data: bytes | str) -> str:
    """Replace the file at `path` (or its link's target) with `data`; returns the target.

    The temp file gets a random name in the target's folder and is created with O_EXCL, so
    a link planted at any name cannot redirect the write; the target keeps its permissions.
    """
    target = resolve_target(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    folder, name = os.path.split(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise WriteRefused(f"cannot write in {folder}: {exc.strerror}; nothing was written"
                           ) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
            try:
                mode = os.stat(target).st_mode & 0o7777
            except FileNotFoundError:
                mode = 0o666 & ~_umask()
            os.fchmod(fh.fileno(), mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_folder(folder)
    return target


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX: the folder's entry lives in the folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot fsync a folder; the data itself is synced
    finally:
        os.close(fd)


def lock_path(target: str) -> str:
    folder, name = os.path.split(target)
    return os.path.join(folder, f".{name}.lock")


@contextmanager
def locked(path: str, timeout: float = LOCK_TIMEOUT_S) -> Iterator[str]:
    """Hold the lock of the file at `path` (resolved: two links to one file share it) and
    yield the resolved target. Raises WriteRefused if another writer holds it too long."""
    target = resolve_target(path)
    lock = FileLock(lock_path(target), timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        raise WriteRefused(f"{path} is being saved by another process (waited {timeout:.0f} s "
                           f"for {lock_path(target)}); try again") from None
    except OSError as exc:
        raise WriteRefused(f"cannot lock {path}: {exc.strerror}; nothing was written") from None
    try:
        yield target
    finally:
        lock.release()


@dataclass(frozen=True)
class Snapshot:
    """A file's bytes as read, with the hash a later save must still find."""

    path: str
    data: bytes
    digest: str


def read_snapshot(path: str) -> Snapshot:
    with open(path, "rb") as fh:
        data = fh.read()
    return Snapshot(path, data, digest(data))


def update(path: str, change: Callable[[bytes], bytes | str | None],
           expected: str | None = None, *, missing_ok: bool = False) -> tuple[bytes, bytes]:
    """Read-modify-write `path` under its lock; returns (old bytes, new bytes).

    `change` gets the current bytes and returns the new content (None: write nothing); an
    exception from it propagates and nothing is written. With `expected` (the digest of
    what the caller read), a file that changed since is refused with Conflict, which
    carries the current bytes so the caller can say what changed.
    """
    with locked(path) as target:
        try:
            with open(target, "rb") as fh:
                old = fh.read()
        except FileNotFoundError:
            if not missing_ok:
                raise
            old = b""
        if expected is not None and digest(old) != expected:
            raise Conflict(path, expected, old)
        new = change(old)
        if new is None:
            return old, old
        raw = new.encode("utf-8") if isinstance(new, str) else new
        if raw != old:
            atomic_write(target, raw)
        return old, raw


def append_line(path: str, line: str) -> None:
    """Append one line (a change-log record) to a text file, creating it if needed."""
    if "\n" in line:
        raise ValueError("a log record is one line")

    def add(old: bytes) -> bytes:
        sep = b"" if not old or old.endswith(b"\n") else b"\n"
        return old + sep + line.encode("utf-8") + b"\n"

    update(path, add, missing_ok=True)
