"""The bundle's generation lock and journal helpers.

Take records themselves are written by :meth:`soraboard.storage.bundle.Bundle.write_take`
(atomic). This module adds the lock that keeps two soraboard processes from generating into
one bundle at once: ``generation.lock`` holding pid, host and start time, created with
``O_EXCL``. A lock whose process is gone (same host, pid not running) is taken over, with a
log line; a lock held by a live process, or by another host, is refused.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import ClassVar

from soraboard.storage.bundle import Bundle

log = logging.getLogger(__name__)

LOCK_FILE = "generation.lock"


class LockHeld(RuntimeError):
    """Another process is generating into this bundle."""


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


class BundleLock:
    """``with BundleLock(bundle):`` — exclusive generation rights on one bundle.

    Re-entrant within one process (the GUI's job manager and a CLI run in tests may both hold
    it): a per-path counter, the file is removed when the last holder leaves.
    """

    _held: ClassVar[dict[Path, int]] = {}
    _guard: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, bundle: Bundle) -> None:
        self.path = bundle.path / LOCK_FILE

    def acquire(self) -> None:
        """Take the lock (a stale one is taken over); raises :class:`LockHeld`."""
        with self._guard:
            if self._held.get(self.path, 0) > 0:
                self._held[self.path] += 1
                return
            self._create()
            self._held[self.path] = 1

    def _create(self) -> None:
        record = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}
        data = json.dumps(record).encode()
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                self._check_stale()
                continue
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            return
        raise LockHeld(f"{self.path}: could not take the generation lock")

    def _check_stale(self) -> None:
        """Remove the lock if its process is gone; raise :class:`LockHeld` otherwise."""
        try:
            info = json.loads(self.path.read_text("utf-8") or "{}")
        except FileNotFoundError:
            return
        except (OSError, ValueError):
            info = {}
        pid = int(info.get("pid") or 0) if isinstance(info, dict) else 0
        host = str(info.get("host") or "") if isinstance(info, dict) else ""
        started = info.get("started") if isinstance(info, dict) else None
        if host and host != socket.gethostname():
            raise LockHeld(f"another soraboard on {host} (pid {pid}) is generating into this "
                           f"project; if it is gone, delete {self.path}")
        if pid and _pid_alive(pid) and pid != os.getpid():
            when = time.strftime("%H:%M:%S", time.localtime(started)) \
                if isinstance(started, (int, float)) else "an unknown time"
            raise LockHeld(f"another soraboard (pid {pid}, started {when}) is generating into "
                           "this project; wait for it or stop it")
        log.warning("taking over the generation lock of pid %s on %s (the process is gone)",
                    pid or "?", host or "this host")
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def release(self) -> None:
        """Give the lock back; the file goes when this process's last holder leaves."""
        with self._guard:
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
