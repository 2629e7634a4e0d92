"""After kill -9 (issue 15 item 10): ffmpeg children die with soraboard, and the hidden
temp files a killed export leaves in the bundle are swept when the project is next locked."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from soraboard.demos import load_demo
from soraboard.storage.bundle import Bundle
from soraboard.storage.lock import BundleLock

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="PR_SET_PDEATHSIG is Linux's")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        try:
            long_job = b"duration=600" in (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid and long_job and _alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie waiting for its reaper has stopped


def _wait(predicate: object, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


EXPORT = """
import sys
from pathlib import Path
from soraboard.media.ffmpeg import find_ffmpeg, run_ffmpeg
from soraboard.stitch.runner import OUTPUT, Step, run_to_file
how, target = sys.argv[1], Path(sys.argv[2])
if how == "runner":
    run_to_file(target, lambda out, work: [Step("Encoding", ["-f", "lavfi", "-re", "-i",
                "testsrc2=size=320x180:rate=25:duration=600", "-c:v", "libx264", "-f", "mp4",
                OUTPUT], 600.0)], find_ffmpeg())
else:
    run_ffmpeg(["-re", "-f", "lavfi", "-i", "testsrc2=size=320x180:duration=600",
                "-f", "null", "-"])
"""


@pytest.mark.parametrize("how", ["runner", "run_ffmpeg"])
def test_ffmpeg_dies_with_a_killed_soraboard_and_leftovers_are_swept(
        tmp_path: Path, how: str) -> None:
    bundle = Bundle.create(tmp_path / "Film", load_demo("city-morning"))
    target = bundle.exports_dir / "Film - final.mp4"
    parent = subprocess.Popen([sys.executable, "-c", EXPORT, how, str(target)],
                              env=os.environ.copy(), stdin=subprocess.DEVNULL)
    ffmpeg = 0
    try:
        _wait(lambda: _children(parent.pid), 60, "the long ffmpeg to start")
        ffmpeg = _children(parent.pid)[0]
        if how == "runner":
            _wait(lambda: any(p.name.endswith(".part.mp4") for p in bundle.exports_dir.iterdir()),
                  30, "the temp film")
        assert _alive(ffmpeg)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        _wait(lambda: not _alive(ffmpeg), 10, f"ffmpeg {ffmpeg} to die with its parent")
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        if ffmpeg and _alive(ffmpeg):  # the test failed: leave no orphan behind
            os.kill(ffmpeg, signal.SIGKILL)
    if how == "runner":
        left = [p.name for p in bundle.exports_dir.iterdir()]
        assert any(n.endswith(".part.mp4") for n in left), left
        assert any(n.startswith(".soraboard-export-") for n in left), left
        with BundleLock(bundle, "soraboard export"):
            assert list(bundle.exports_dir.iterdir()) == []
