"""GUI fixtures: a real MainWindow on a real project bundle, offscreen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from soraboard.demos import load_demo
from soraboard.document import Document
from soraboard.settings import Settings
from soraboard.storage.bundle import Bundle, load_project


@pytest.fixture(autouse=True)
def no_modal_dialogs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A modal dialog in a test would block forever: record it and answer instead."""
    from PySide6.QtWidgets import QMessageBox

    shown: list[str] = []

    def fake(kind: str, answer: object):  # type: ignore[no-untyped-def]
        def _f(_parent, title, text, *args, **kwargs):  # type: ignore[no-untyped-def]
            shown.append(f"{kind}: {title}: {text}")
            return answer
        return staticmethod(_f)

    monkeypatch.setattr(QMessageBox, "question", fake("question", QMessageBox.StandardButton.Discard))
    monkeypatch.setattr(QMessageBox, "information", fake("information", QMessageBox.StandardButton.Ok))
    monkeypatch.setattr(QMessageBox, "warning", fake("warning", QMessageBox.StandardButton.Ok))
    monkeypatch.setattr(QMessageBox, "critical", fake("critical", QMessageBox.StandardButton.Ok))
    return shown


@pytest.fixture
def project_path(tmp_path: Path) -> Path:
    return Bundle.create(tmp_path / "City", load_demo("city-morning")).path


@pytest.fixture
def window(qtbot: QtBot, project_path: Path) -> Iterator[object]:
    from soraboard.ui.main_window import MainWindow

    doc = Document(load_project(project_path))
    win = MainWindow(doc, Settings(autosave_seconds=0))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    doc.undo_stack.setClean()  # no "unsaved changes" prompt at teardown
    win.thumbnails.wait()
