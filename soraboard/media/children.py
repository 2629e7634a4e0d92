"""Child processes die with soraboard.

An ffmpeg started by an export or a render must not keep running (and keep writing a hidden
``.part`` file into the project) after soraboard is killed with ``kill -9`` or crashes. On
Linux each child asks the kernel for ``SIGKILL`` when its parent goes
(``prctl(PR_SET_PDEATHSIG)``), set between fork and exec. It fires when the *thread* that
started the child ends, which suits soraboard: every ffmpeg is started and waited for by the
same thread. Elsewhere nothing is added (macOS has no such call; a Windows job object would be
the way there), and the hidden files a killed export leaves are swept the next time the
project's lock is taken (:func:`soraboard.storage.lock.sweep_leftovers`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

PR_SET_PDEATHSIG = 1


def _linux_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        prctl: Callable[..., int] = libc.prctl
    except (OSError, AttributeError):
        return None
    return prctl


# looked up once, in the parent: the child only makes the call
_PRCTL = _linux_prctl()


def _die_with_parent(parent: int) -> Callable[[], None]:
    def in_child() -> None:
        assert _PRCTL is not None
        _PRCTL(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the call: go now
            os.kill(os.getpid(), signal.SIGKILL)
    return in_child


def dies_with_parent() -> dict[str, Any]:
    """Keyword arguments for :class:`subprocess.Popen` that make the child die with this
    process (where the system allows; empty elsewhere)."""
    if _PRCTL is None:
        return {}
    return {"preexec_fn": _die_with_parent(os.getpid())}
