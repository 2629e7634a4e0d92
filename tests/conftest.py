"""Fixtures every test gets: user directories and the keyring point at tmp_path.

No test may read or write the real config, cache or keyring of the machine it runs on.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import pytest

from tests.helpers.memory_keyring import MemoryKeyring

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point every user directory (config, data, cache, logs) at a fresh folder."""
    home = tmp_path / "soraboard-home"
    monkeypatch.setenv("SORABOARD_HOME", str(home))
    from soraboard.catalog.catalog import reset_default_catalog

    reset_default_catalog()
    yield home
    reset_default_catalog()


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """An in-memory keyring: secrets never touch the machine's keyring or a file."""
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


# ------------------------------------------------------------------------ the hang watchdog

_HANG_STATE: Path | None = None
_HANG_LIMIT = float(os.environ.get("SORABOARD_TEST_HANG_LIMIT", "0") or 0)


def pytest_configure(config: pytest.Config) -> None:
    """Start the hang watchdog (tests/helpers/hang_watchdog.py) beside the test process.

    Here, at configure time, file descriptor 2 is still the terminal (pytest captures only
    around tests), so the stacks the watchdog makes reach CI's log."""
    global _HANG_STATE
    import faulthandler
    import signal
    import subprocess
    import sys
    import tempfile

    from tests.helpers import hang_watchdog

    if not hasattr(signal, "SIGUSR1") or os.environ.get("SORABOARD_TEST_NO_WATCHDOG"):
        return
    err = os.dup(2)
    faulthandler.register(signal.SIGUSR1, file=err, all_threads=True)
    fd, name = tempfile.mkstemp(prefix="soraboard-test-", suffix=".running")
    os.close(fd)
    _HANG_STATE = Path(name)
    proc = subprocess.Popen(
        [sys.executable, hang_watchdog.__file__, str(os.getpid()), name],
        stdin=subprocess.DEVNULL, stdout=err, stderr=err, start_new_session=True)

    def stop_watchdog() -> None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        Path(name).unlink(missing_ok=True)
        os.close(err)

    config.add_cleanup(stop_watchdog)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    import time

    from tests.helpers.hang_watchdog import DEFAULT_LIMIT

    if _HANG_STATE is not None:
        limit = _HANG_LIMIT or DEFAULT_LIMIT
        _HANG_STATE.write_text(f"{time.time()}\n{limit}\n{item.nodeid}", encoding="utf-8")
    yield
    if _HANG_STATE is not None:
        _HANG_STATE.write_text("", encoding="utf-8")
