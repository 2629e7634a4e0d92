"""``soraboard self-test`` in a subprocess, as a user (or packaging/smoke_test.py on the frozen
app) runs it: the real window, the animatic backend, QMediaPlayer and the export job."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from soraboard.media.probe import probe


def _run(args: list[str], home: Path, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", SORABOARD_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "soraboard", "self-test", *args],
                          capture_output=True, text=True, timeout=timeout, env=env,
                          stdin=subprocess.DEVNULL, check=False)


@pytest.mark.slow
def test_self_test_generates_plays_and_exports_then_exits_0(tmp_path: Path) -> None:
    out = tmp_path / "out"
    home = tmp_path / "home"
    proc = _run(["--out", str(out)], home)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert lines[-1].startswith("self-test: OK in ")
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]  # e.g. a signal of a freed object
    # every step reports its time, in order
    steps = [ln.split()[0] for ln in lines if ln.startswith("  ")]
    assert steps == ["start", "open", "generate", "play", "export", "bundle", "close"]
    assert any(ln.startswith("window shown after ") for ln in lines)
    assert "frames" in next(ln for ln in lines if ln.startswith("  play"))
    # the film is really there: one 4 s shot at the Preview preset's 640 px width
    info = probe(out / "self-test.mp4")
    assert abs(info.duration - 4.0) < 0.2
    assert info.video is not None and info.video.size == "640x360"
    # the project was saved with its animatic take, and the user directories were ours
    bundle = next(out.glob("*.soraboard"))
    assert list((bundle / "takes").glob("*.json"))
    assert home.is_dir()


def test_self_test_that_runs_out_of_time_fails_with_one_line(tmp_path: Path) -> None:
    proc = _run(["--out", str(tmp_path / "out"), "--timeout", "0.2"], tmp_path / "home")
    assert proc.returncode == 3
    failed = [ln for ln in proc.stdout.splitlines() if ln.startswith("self-test: FAILED")]
    assert len(failed) == 1 and "timed out after 0.2 s" in failed[0], proc.stdout


def test_self_test_is_a_command_and_keeps_headless_commands_qt_free() -> None:
    code = ("import sys; from soraboard.cli import build_parser; "
            "p = build_parser(); assert 'self-test' in p.commands, p.commands; "
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))]; "
            "assert not bad, bad")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
