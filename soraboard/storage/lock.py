"""One writer per bundle: the lock every soraboard process holds while it may write.

The editor holds it for as long as the project is open; ``import``, ``plan``, ``generate`` and
an ``export`` into the bundle hold it while they run. ``soraboard.lock`` in the bundle names
the holder — pid, host, command, when it started, and the process's start time as the kernel
counts it — and is created with ``O_EXCL``. A second writer is refused with who holds the
lock. A lock whose process is gone is taken over, with a log line; so is one whose pid now
belongs to another program (its start time, or failing that its command line, does not
match), so a reused pid does not keep the project locked forever.

Taking a fresh lock also sweeps what writers killed mid-write left behind: hidden
``.*.tmp`` / ``.*.part`` files and ``.soraboard-export-*`` folders older than the lock (no
living writer can own them, since every writer holds the lock while it writes).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar

from soraboard.storage.bundle import Bundle

log = logging.getLogger(__name__)

LOCK_FILE = "soraboard.lock"
#: what writers leave when killed mid-write (atomic writes, downloads, renders, exports)
_LEFTOVER = re.compile(r"^\..+\.(tmp|part(\.[A-Za-z0-9]{1,8})?)$")
_LEFTOVER_DIR = re.compile(r"^\.soraboard-export-")


class LockHeld(RuntimeError):
    """Another process is writing this bundle; the message says which and since when."""


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it is just not ours
    except OSError:
        return False
    return True


def process_start_ticks(pid: int) -> int | None:
    """When ``pid`` started, in clock ticks since boot (Linux); None where unknown."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text("ascii", "replace")
        return int(text.rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _process_cmdline(pid: int) -> str | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return raw.replace(b"\x00", b" ").decode("utf-8", "replace").strip()


def default_command() -> str:
    """How this process was started, for the lock record (``soraboard import``)."""
    args = [a for a in sys.argv[1:3] if not a.startswith("-")][:1]
    return " ".join(["soraboard", *args])


def describe_holder(info: dict[str, Any]) -> str:
    """``soraboard generate (pid 4242 on studio, since 18:02:11)``."""
    started = info.get("started")
    when = time.strftime("%H:%M:%S", time.localtime(started)) \
        if isinstance(started, (int, float)) else "an unknown time"
    command = str(info.get("command") or "soraboard")
    return f"{command} (pid {info.get('pid') or '?'} on {info.get('host') or '?'}, since {when})"


def _read_record(path: Path) -> dict[str, Any] | None:
    try:
        raw = path.read_text("utf-8")
    except FileNotFoundError:
        return None
    except OSError:
        return {}
    try:
        info = json.loads(raw or "{}")
    except ValueError:
        return {}
    return info if isinstance(info, dict) else {}


def _holder_is_alive(info: dict[str, Any]) -> bool:
    """Whether the process the record names is still the one that wrote it."""
    try:
        pid = int(info.get("pid") or 0)
    except (TypeError, ValueError):
        return False
    if not _pid_alive(pid):
        return False
    recorded = info.get("proc_start")
    now = process_start_ticks(pid)
    if isinstance(recorded, int) and now is not None:
        return recorded == now  # a different start time: the pid was reused
    cmdline = _process_cmdline(pid)
    if cmdline is not None:  # an older record: at least it must be a soraboard or a Python
        return "soraboard" in cmdline or "python" in cmdline.lower()
    return True


class BundleLock:
    """``with BundleLock(bundle, "soraboard import"):`` — the right to write one bundle.

    Re-entrant within one process (the editor's session, its generation jobs and a CLI run in
    tests may all hold it): a per-path counter; the file goes when the last holder leaves.
    """

    _held: ClassVar[dict[Path, int]] = {}
    _guard: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, bundle: Bundle, command: str | None = None) -> None:
        self.bundle = bundle
        self.path = bundle.path / LOCK_FILE
        self.command = command or default_command()
        self._mine = 0

    @property
    def held(self) -> bool:
        return self._mine > 0

    def acquire(self) -> None:
        """Take the lock (a stale one is taken over); raises :class:`LockHeld`."""
        with self._guard:
            if self._held.get(self.path, 0) > 0:
                self._held[self.path] += 1
                self._mine += 1
                return
            started = self._create()
            self._held[self.path] = 1
            self._mine += 1
        sweep_leftovers(self.bundle, started)

    def _create(self) -> float:
        started = time.time()
        record = {"pid": os.getpid(), "host": socket.gethostname(), "started": started,
                  "command": self.command, "proc_start": process_start_ticks(os.getpid())}
        data = json.dumps(record).encode()
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                self._check_stale()
                continue
            except FileNotFoundError:
                raise LockHeld(f"{self.bundle.path}: no such project folder") from None
            except OSError as e:
                raise LockHeld(f"cannot lock {self.bundle.path} for writing "
                               f"({e.strerror or e})") from None
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            return started
        raise LockHeld(f"{self.path}: could not take the project's lock")

    def _check_stale(self) -> None:
        """Remove the lock if its process is gone; raise :class:`LockHeld` otherwise."""
        info = _read_record(self.path)
        if info is None:
            return  # released meanwhile
        host = str(info.get("host") or "")
        if host and host != socket.gethostname():
            raise LockHeld(f"the project is open for writing in {describe_holder(info)}; "
                           f"if that is gone, delete {self.path}")
        if info and _holder_is_alive(info) and info.get("pid") != os.getpid():
            raise LockHeld(f"the project is open for writing in {describe_holder(info)}; "
                           "wait for it to finish or close it, then try again")
        log.warning("taking over the lock of %s (the process is gone)",
                    describe_holder(info) if info else "an unreadable lock file")
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def release(self) -> None:
        """Give the lock back; the file goes when this process's last holder leaves."""
        with self._guard:
            if self._mine <= 0:
                return
            self._mine -= 1
            n = self._held.get(self.path, 0)
            if n <= 1:
                self._held.pop(self.path, None)
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()
            else:
                self._held[self.path] = n - 1

    def __enter__(self) -> BundleLock:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def _folders(bundle: Bundle) -> Iterator[Path]:
    yield bundle.path
    for d in (bundle.takes_dir, bundle.media_dir, bundle.exports_dir, bundle.history_dir):
        if d.is_dir():
            yield d
            yield from (p for p in d.rglob("*") if p.is_dir() and not p.is_symlink()
                        and not _LEFTOVER_DIR.match(p.name))


def sweep_leftovers(bundle: Bundle, before: float) -> list[Path]:
    """Remove the temp files and export work folders older than ``before`` (a time.time());
    returns what was removed. Never follows a symbolic link out of the bundle."""
    removed: list[Path] = []
    try:
        folders = list(_folders(bundle))
    except OSError:
        return removed
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for e in entries:
            try:
                if e.stat(follow_symlinks=False).st_mtime >= before:
                    continue
                if e.is_file(follow_symlinks=False) and _LEFTOVER.match(e.name):
                    os.unlink(e.path)
                elif e.is_dir(follow_symlinks=False) and _LEFTOVER_DIR.match(e.name):
                    shutil.rmtree(e.path)
                else:
                    continue
            except OSError:
                continue
            removed.append(Path(e.path))
    if removed:
        log.info("removed %d leftover temp file(s) in %s", len(removed), bundle.path)
    return removed


@contextlib.contextmanager
def writing(path: Path | str, command: str) -> Iterator[Bundle]:
    """``with writing(path, "soraboard import") as bundle:`` — the bundle, locked for a
    command that will write it. A path that is not a project raises the usual
    :class:`~soraboard.storage.errors.ProjectError`; a held lock raises :class:`LockHeld`."""
    bundle = Bundle(path)
    if not bundle.path.is_dir():
        bundle.load_storyboard()  # says why: no such project, not a folder …
    with BundleLock(bundle, command):
        yield bundle
