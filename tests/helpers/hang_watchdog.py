"""A watchdog for the test run that works when the interpreter cannot.

A deadlock between a Qt thread and the GIL leaves the main thread inside a C++ call that holds
the GIL: no Python code runs any more, so pytest-timeout's timer thread (and any signal handler
written in Python) waits forever and CI is killed after 90 minutes with nothing to show. This
watchdog is a separate process. The test process tells it, through a small file, which test
started when; a test that runs longer than its limit gets

1. every Python thread's stack (``faulthandler`` is registered for SIGUSR1: it dumps from C,
   without the GIL),
2. every native thread's stack through ``gdb`` when it is installed and may attach, which
   shows what the C++ side waits for,
3. SIGKILL, so the run fails at once instead of hanging.

Run as ``python -m tests.helpers.hang_watchdog PID STATE_FILE``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

#: seconds one test may take before the run is stopped (the longest tests take about 3 minutes)
DEFAULT_LIMIT = 420.0


def _alive(pid: int) -> bool:
    """The process runs (a zombie, ended but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True  # no /proc (macOS): kill(0) is all we know
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def _read(state: Path) -> tuple[float, str, float] | None:
    """(started at, test id, limit) of the running test, or None between tests."""
    try:
        text = state.read_text(encoding="utf-8")
    except OSError:
        return None
    parts = text.split("\n", 2)
    if len(parts) < 3 or not parts[0]:
        return None
    try:
        return float(parts[0]), parts[2].strip(), float(parts[1])
    except ValueError:
        return None


def _native_stacks(pid: int) -> None:
    gdb = shutil.which("gdb")
    if gdb is None:
        print("hang watchdog: gdb is not installed: no native stacks", file=sys.stderr)
        return
    try:
        out = subprocess.run(
            [gdb, "-p", str(pid), "-batch", "-nx", "-ex", "set pagination off",
             "-ex", "thread apply all bt 40"],
            capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        print(f"hang watchdog: gdb failed: {e}", file=sys.stderr)
        return
    lines = [ln for ln in out.stdout.splitlines()
             if ln.startswith(("Thread ", "#")) or not ln.strip()]
    print("\n".join(lines) or out.stderr, file=sys.stderr, flush=True)


def watch(pid: int, state: Path, poll: float = 2.0) -> int:
    while _alive(pid):
        now = _read(state)
        if now is not None:
            started, test, limit = now
            if time.time() - started > limit:
                print(f"\n+++ hang watchdog: {test} has run {limit:.0f} s: stacks, then the "
                      f"run is stopped +++", file=sys.stderr, flush=True)
                try:
                    os.kill(pid, signal.SIGUSR1)  # faulthandler: the Python stacks
                except ProcessLookupError:
                    return 0
                time.sleep(2)
                _native_stacks(pid)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                return 1
        time.sleep(poll)
    return 0


if __name__ == "__main__":
    sys.exit(watch(int(sys.argv[1]), Path(sys.argv[2])))
