"""One writer per bundle (issue 15 item 2): a real editor window and real CLI processes on
one project. While the editor has it open, `import` and `generate` are refused with who holds
the lock, so the editor's next save cannot silently drop their work; once it closes they run.
An editor never opens a project another process is writing."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from soraboard.settings import Settings
from soraboard.storage.bundle import load_project
from soraboard.storage.lock import LOCK_FILE, LockHeld
from tests.helpers.clips import make_clip


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "soraboard", *args], capture_output=True,
                          text=True, timeout=120, env=os.environ.copy(), stdin=subprocess.DEVNULL)


def test_the_cli_is_refused_while_the_editor_has_the_project(
        qtbot: QtBot, project_path: Path, tmp_path: Path) -> None:
    from soraboard.app import open_window
    from soraboard.ui.main_window import MainWindow

    clip = make_clip(tmp_path / "harbour.mp4", duration=1.0, size="320x180", fps="25")
    win = open_window(load_project(project_path), Settings(autosave_seconds=0))
    assert isinstance(win, MainWindow)
    qtbot.addWidget(win)
    before = (project_path / "storyboard.json").read_bytes()
    n = len(win.doc.storyboard.segments)

    imported = _cli("import", str(project_path), str(clip))
    assert imported.returncode == 1
    err = imported.stderr.strip()
    assert len(err.splitlines()) == 1, err
    assert "the soraboard editor" in err and f"pid {os.getpid()}" in err
    assert socket.gethostname() in err and "since" in err
    generated = _cli("generate", str(project_path), "--provider", "animatic", "--yes")
    assert generated.returncode == 1 and "the soraboard editor" in generated.stderr
    assert (project_path / "storyboard.json").read_bytes() == before
    assert not list((project_path / "takes").glob("*.json"))

    # the editor's edit and save keep everything; nothing else was written meanwhile
    win.doc.add_segment()
    assert win.files.save()
    assert len(load_project(project_path).storyboard.segments) == n + 1
    win.close()
    assert not (project_path / LOCK_FILE).exists()

    imported = _cli("import", str(project_path), str(clip))
    assert imported.returncode == 0, imported.stderr
    assert len(load_project(project_path).storyboard.segments) == n + 2


def test_the_editor_does_not_open_a_project_another_process_writes(
        qtbot: QtBot, project_path: Path) -> None:
    from soraboard.app import open_window

    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\n"
         "from soraboard.storage.bundle import Bundle\n"
         "from soraboard.storage.lock import BundleLock\n"
         "with BundleLock(Bundle(sys.argv[1]), 'soraboard generate'):\n"
         "    print('locked', flush=True)\n"
         "    time.sleep(60)\n", str(project_path)],
        stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(LockHeld, match=f"soraboard generate \\(pid {holder.pid}"):
            open_window(load_project(project_path), Settings(autosave_seconds=0))
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()  # type: ignore[union-attr]
    # the holder was killed: its lock is stale and taken over
    win = open_window(load_project(project_path), Settings(autosave_seconds=0))
    qtbot.addWidget(win)
    win.close()  # type: ignore[attr-defined]


def test_save_as_moves_the_sessions_lock(qtbot: QtBot, project_path: Path, tmp_path: Path) -> None:
    from soraboard.app import open_window

    win = open_window(load_project(project_path), Settings(autosave_seconds=0))
    qtbot.addWidget(win)
    win.doc.save_as(tmp_path / "Copy")  # type: ignore[attr-defined]
    assert not (project_path / LOCK_FILE).exists()
    assert (tmp_path / "Copy.soraboard" / LOCK_FILE).exists()
    win.close()  # type: ignore[attr-defined]
    assert not (tmp_path / "Copy.soraboard" / LOCK_FILE).exists()
