"""Atomic file writes: temp file in the same folder, fsync, ``os.replace``, fsync the folder.

A reader sees the old file or the new one, never half of one, and a crash or a full disk in
the middle leaves the old file as it was. The new file gets the mode a plain ``open(…, "w")``
would give it: the replaced file's mode, or 0666 less the user's umask (0644 by default) —
never the 0600 of a bare ``mkstemp``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def current_umask() -> int:
    """The process's umask, read without changing it where the system allows (Linux shows it
    in /proc; elsewhere the set-and-restore dance, which is brief)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def new_file_mode(replacing: Path | None = None) -> int:
    """The permissions a normal save gives: those of the file being replaced, else 0666 less
    the umask."""
    if replacing is not None:
        with contextlib.suppress(OSError):
            st = os.stat(replacing)
            if stat.S_ISREG(st.st_mode):
                return stat.S_IMODE(st.st_mode)
    return 0o666 & ~current_umask()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with contextlib.suppress(OSError):  # mkstemp's 0600 is for its own privacy only
            os.fchmod(fd, new_file_mode(path))
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def dumps_json(obj: Any) -> str:
    """The one JSON style of soraboard files: indented, UTF-8, sorted where order is meaningless.

    An unpaired surrogate (a file name that was not valid UTF-8) becomes U+FFFD, so a save
    can always be encoded."""
    text = json.dumps(obj, indent=2, ensure_ascii=False) + "\n"
    return _SURROGATE.sub("\ufffd", text)


def atomic_write_json(path: Path, obj: Any) -> None:
    # Serialise first: an object that cannot be written must not cost the old file.
    atomic_write_text(path, dumps_json(obj))
