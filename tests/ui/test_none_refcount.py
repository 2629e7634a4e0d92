"""PySide6 6.12.0 on CPython < 3.12 drops a reference to ``None`` in every void call
(``QPainter.save``, ``setBrush``, ``drawRoundedRect`` …); after a few thousand calls the interpreter
aborts with "Fatal Python error: none_dealloc". pyproject keeps that build off CPython < 3.12;
these tests fail on any build that leaks, and keep the editor painting and playing for minutes.

(On 3.12+ ``None`` is immortal and its count never moves: the checks hold trivially there, and
the soak still proves the process survives playback with the timeline repainting.)
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

LEAKY = sys.version_info < (3, 12)
SOAK_SECONDS = float(os.environ.get("SORABOARD_SOAK_SECONDS", "120"))


def _void_calls(n: int) -> int:
    """n rounds of void QPainter calls; returns how many references to None were lost."""
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter

    img = QImage(32, 32, QImage.Format.Format_ARGB32_Premultiplied)
    brush, font = QBrush(QColor("#d69a2d")), QFont()
    painter = QPainter(img)
    before = sys.getrefcount(None)
    for _ in range(n):
        painter.save()
        painter.setBrush(brush)
        painter.setFont(font)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawRoundedRect(QRectF(1, 1, 20, 20), 3, 3)
        painter.restore()
    lost = before - sys.getrefcount(None)
    painter.end()
    return lost


def test_void_qpainter_calls_keep_their_references_to_none(qapp: object) -> None:
    # 100 rounds are 600 calls: a leaking build loses ~600 references, far from an abort
    lost = _void_calls(100)
    assert lost < 50, (f"this PySide6 build leaks references to None ({lost} lost in 600 void "
                       "calls): on CPython < 3.12 the editor aborts with none_dealloc. "
                       "Use PySide6 < 6.12 on this Python (see pyproject.toml).")


def test_the_timeline_paints_thousands_of_times_without_losing_none(
        qtbot: QtBot, window) -> None:  # type: ignore[no-untyped-def]
    canvas = window.timeline.canvas
    before = sys.getrefcount(None)
    for _ in range(3000):
        canvas.grab()  # a full paintEvent of every card, chip and the ruler
    assert before - sys.getrefcount(None) < 500


@pytest.mark.slow
def test_soak_sequence_playback_with_the_timeline_repainting(
        qtbot: QtBot, tmp_path: Path) -> None:
    """Minutes of sequence playback while the timeline repaints and the user edits: the
    process is alive at the end and None kept its references."""
    from soraboard.cli import main
    from soraboard.document import Document
    from soraboard.settings import Settings
    from soraboard.storage.bundle import load_project
    from soraboard.ui.main_window import MainWindow
    from soraboard.ui.player import FrameCounter

    project = tmp_path / "Road"
    assert main(["new", str(project), "--demo", "mountain-road"]) == 0
    bundle = Path(str(project) + ".soraboard")
    assert main(["generate", str(bundle), "--yes"]) == 0  # animatic takes for every shot

    doc = Document(load_project(bundle))
    win = MainWindow(doc, Settings(autosave_seconds=0))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.actions_by_id["view.sequence"].trigger()
    qtbot.waitUntil(lambda: win.player.source is not None and "sequence" in str(win.player.source),
                    timeout=120_000)
    player = win.player.player
    frames = FrameCounter(win.player.sink, win)
    seg = doc.storyboard.segments[1].id
    start_refs = sys.getrefcount(None)
    end = time.monotonic() + SOAK_SECONDS
    edits = 0
    while time.monotonic() < end:
        from PySide6.QtMultimedia import QMediaPlayer

        if player.playbackState() != QMediaPlayer.PlaybackState.PlayingState:
            player.setPosition(0)
            player.play()
        for _ in range(10):
            win.timeline.canvas.repaint()
            qtbot.wait(20)
        doc.set_field(seg, "title", f"Soak {edits}")
        edits += 1
        if edits % 2 == 0:
            doc.undo_stack.undo()
    player.pause()
    assert frames.count, "the sequence never played"
    assert win.timeline.canvas.playhead is not None
    assert edits > 10
    if LEAKY:
        assert start_refs - sys.getrefcount(None) < 1000
    doc.undo_stack.setClean()
    win.thumbnails.wait()
