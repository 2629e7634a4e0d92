"""Autosaved edits are offered back whenever they differ from the saved file (issue 15 item 6),
even after a CLI command wrote storyboard.json since, and the offer says what differs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from soraboard.document import Document, autosave_differences, read_autosave
from soraboard.settings import Settings
from soraboard.storage.bundle import load_project
from tests.helpers.clips import make_clip


def test_a_cli_write_after_a_crash_does_not_strand_the_autosave(
        qtbot: QtBot, window, project_path: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
        monkeypatch: pytest.MonkeyPatch) -> None:
    from soraboard.ui.main_window import MainWindow

    win = window
    first = win.doc.storyboard.segments[1]
    win.doc.set_storyboard_field("title", "Unsaved title")
    win.doc.set_field(first.id, "scene", "A tram crosses the square in fog.")
    win.files.autosave()
    assert (project_path / "autosave.json").exists()
    # the editor "crashes"; then a command writes the project
    clip = make_clip(tmp_path / "harbour.mp4", duration=1.0, size="320x180", fps="25")
    done = subprocess.run([sys.executable, "-m", "soraboard", "import", str(project_path),
                           str(clip)], capture_output=True, text=True, timeout=120,
                          env=os.environ.copy(), stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert os.stat(project_path / "storyboard.json").st_mtime_ns >= \
        os.stat(project_path / "autosave.json").st_mtime_ns
    assert read_autosave(win.doc.bundle) is not None

    asked: list[str] = []

    def answer(_parent, _title, text, *_a, **_k):  # type: ignore[no-untyped-def]
        asked.append(text)
        return QMessageBox.StandardButton.Yes
    monkeypatch.setattr(QMessageBox, "question", staticmethod(answer))
    doc2 = Document(load_project(project_path))
    win2 = MainWindow(doc2, Settings(autosave_seconds=0))
    qtbot.addWidget(win2)
    win2.offer_recovery()
    assert len(asked) == 1
    text = asked[0]
    assert "project title" in text
    assert "segment 2 “" in text and "scene" in text
    assert "“harbour” only in the saved file" in text
    assert doc2.storyboard.title == "Unsaved title"
    assert doc2.storyboard.segment(first.id).scene == "A tram crosses the square in fog."
    doc2.undo_stack.undo()  # the recovery is one undo step
    assert doc2.storyboard.title != "Unsaved title"
    doc2.undo_stack.setClean()
    win.doc.undo_stack.setClean()
    win2.thumbnails.wait()


def test_an_autosave_equal_to_the_save_is_not_offered(tmp_path: Path, project_path: Path) -> None:
    doc = Document(load_project(project_path))
    doc.set_storyboard_field("title", "Changed")
    assert doc.autosave()
    doc.bundle.save(doc.storyboard)  # the same content saved by another way
    assert read_autosave(doc.bundle) is None
    assert autosave_differences(None, doc.storyboard)
