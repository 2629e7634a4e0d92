"""The test run's hang watchdog stops a process whose main thread holds the GIL in C forever,
with the Python stacks first — what pytest-timeout cannot do (its timer thread needs the GIL)."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.helpers.hang_watchdog import watch

CHILD = textwrap.dedent("""
    import ctypes, faulthandler, signal, sys
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    def stuck_in_c():
        # PyDLL keeps the GIL during the call, so no Python thread or handler runs meanwhile;
        # locking a plain mutex twice waits forever, signals or not (as Qt's deadlocks do)
        libc = ctypes.PyDLL(None)
        mutex = ctypes.create_string_buffer(64)  # PTHREAD_MUTEX_INITIALIZER is all zeros
        print("ready", flush=True)  # from here on, any dump shows this function
        libc.pthread_mutex_lock(mutex)
        libc.pthread_mutex_lock(mutex)
    stuck_in_c()
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's pthread mutex")
def test_a_test_that_holds_the_gil_forever_is_dumped_and_killed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        state = tmp_path / "running"
        state.write_text(f"{time.time() - 10}\n5\ntests/x.py::test_stuck", encoding="utf-8")
        started = time.monotonic()
        assert watch(child.pid, state, poll=0.1) == 1
        assert child.wait(timeout=30) == -signal.SIGKILL
        assert time.monotonic() - started < 150  # gdb is given up to 120 s
        _, err = child.communicate(timeout=10)
        assert "stuck_in_c" in err  # faulthandler's dump, made without the GIL
        assert "tests/x.py::test_stuck has run 5 s" in capsys.readouterr().err
    finally:
        if child.poll() is None:
            child.kill()


def test_between_tests_nothing_is_stopped(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1.5)"])
    state = tmp_path / "running"
    state.write_text("", encoding="utf-8")
    assert watch(child.pid, state, poll=0.1) == 0  # returns when the process ends by itself
    assert child.wait(timeout=10) == 0
