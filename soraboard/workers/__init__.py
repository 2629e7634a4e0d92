"""The only place the GUI app starts threads: QRunnable jobs on QThreadPools, whose results
come back as signals on the GUI thread (thumbnails, generation)."""

import sys

#: How long a worker thread may hold the interpreter before the GUI thread gets a turn.
#: Python's default (5 ms) lets a busy worker delay every PySide call of the GUI thread by up
#: to that much, which adds up to visible stalls while generation and export run.
GUI_SWITCH_INTERVAL = 0.001


def prefer_gui_thread() -> None:
    """Make the interpreter hand the GIL back to the GUI thread quickly (process-wide; the
    window calls it once when it starts its workers)."""
    if sys.getswitchinterval() > GUI_SWITCH_INTERVAL:
        sys.setswitchinterval(GUI_SWITCH_INTERVAL)
