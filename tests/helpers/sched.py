"""How the calling thread spent its time, from Linux's schedstat: the loop-probe test and the
UI benchmark split each event-loop stall into the GUI thread's own running time and the time
it waited for a CPU (other processes, or our own niced ffmpeg)."""

from __future__ import annotations

import threading


def thread_sched() -> tuple[float, float] | None:
    """(ms on a CPU, ms runnable but waiting for one) of the calling thread; None off Linux."""
    try:
        with open(f"/proc/self/task/{threading.get_native_id()}/schedstat") as f:
            run, wait, _slices = f.read().split()
    except (OSError, ValueError):
        return None
    return int(run) / 1e6, int(wait) / 1e6
