"""The bundle lock (issue 15 items 2 and 10): who holds it, pid reuse, leftovers swept."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from soraboard.demos import load_demo
from soraboard.storage import Bundle
from soraboard.storage.lock import LOCK_FILE, BundleLock, LockHeld, process_start_ticks


def _bundle(tmp_path: Path) -> Bundle:
    return Bundle.create(tmp_path / "Film", load_demo("city-morning"))


def _record(b: Bundle, **fields: object) -> None:
    base = {"host": socket.gethostname(), "started": time.time() - 60,
            "command": "soraboard import"}
    (b.path / LOCK_FILE).write_text(json.dumps({**base, **fields}))


def test_a_live_holder_is_named_with_command_pid_host_and_time(tmp_path: Path) -> None:
    b = _bundle(tmp_path)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _record(b, pid=other.pid, proc_start=process_start_ticks(other.pid))
        with pytest.raises(LockHeld) as e:
            BundleLock(b, "soraboard generate").acquire()
        text = str(e.value)
        assert "soraboard import" in text and f"pid {other.pid}" in text
        assert socket.gethostname() in text and "since" in text and "\n" not in text
    finally:
        other.kill()
        other.wait()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_reused_pid_does_not_keep_the_project_locked(tmp_path: Path) -> None:
    b = _bundle(tmp_path)
    stranger = subprocess.Popen(["sleep", "60"])  # another program now owns the pid
    try:
        ticks = process_start_ticks(stranger.pid)
        assert ticks is not None
        _record(b, pid=stranger.pid, proc_start=ticks - 1000)  # the holder started earlier
        with BundleLock(b, "soraboard import"):
            assert json.loads((b.path / LOCK_FILE).read_text())["pid"] == os.getpid()
        _record(b, pid=stranger.pid)  # an old record without a start time: the command line
        with BundleLock(b, "soraboard import"):
            pass
    finally:
        stranger.kill()
        stranger.wait()


def test_leftovers_older_than_the_lock_are_swept(tmp_path: Path) -> None:
    b = _bundle(tmp_path)
    old = time.time() - 3600
    leftovers = [b.path / ".storyboard.json.k2j3.tmp", b.takes_dir / ".take_1.json.x9.tmp",
                 b.media_dir / ".take_1.mp4.1f2e3d4c.part",
                 b.media_dir / ".take_2.mp4.aa11bb22.part.mp4",
                 b.exports_dir / ".Film.q1w2e3.part.mp4"]
    work = b.exports_dir / ".soraboard-export-abc"
    work.mkdir()
    (work / "window.mp4").write_bytes(b"x" * 10)
    keep = [b.path / ".keep", b.media_dir / "take_1.mp4", b.exports_dir / "Film.mp4"]
    for f in leftovers + keep:
        f.write_bytes(b"x" * 100)
    for f in [*leftovers, *keep, work]:
        os.utime(f, (old, old))
    _record(b, pid=999_999_999)  # a dead writer
    with BundleLock(b, "soraboard import"):
        pass
    assert [f for f in leftovers if f.exists()] == [] and not work.exists()
    assert all(f.exists() for f in keep)
    fresh = b.media_dir / ".take_3.mp4.cafe0000.part"  # written after the lock: not touched
    with BundleLock(b, "soraboard import"):
        fresh.write_bytes(b"x")
        with BundleLock(b, "soraboard import"):  # re-entrant: no second sweep
            pass
        assert fresh.exists()


def test_a_command_on_a_folder_that_is_not_a_project_says_so(tmp_path: Path) -> None:
    from soraboard.storage.errors import ProjectError
    from soraboard.storage.lock import writing

    with pytest.raises(ProjectError, match="no such project"), writing(tmp_path / "nope", "x"):
        pass
