"""A long batch ends with a notification that says what happened."""

from __future__ import annotations

from PySide6.QtWidgets import QSystemTrayIcon
from pytestqt.qtbot import QtBot

from soraboard.model.status import SegmentState
from tests.ui.scripted_ask import ScriptedAsk


def test_a_long_batch_ends_with_a_notification_naming_the_outcome(
        qtbot: QtBot, window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import soraboard.ui.controllers.generation as gen

    win = window
    seg = win.doc.storyboard.segments[0]
    win.doc.set_fields(seg.id, duration=4.0, actions=())
    monkeypatch.setattr(gen, "LONG_TASK_SECONDS", 0)  # every batch counts as long here
    said: list[tuple[str, str, bool]] = []
    monkeypatch.setattr(win, "notify", lambda t, x, warning=False: said.append((t, x, warning)))
    win.generation.ask = ScriptedAsk(default=True)
    assert win.generation.generate([seg.id])
    qtbot.waitUntil(lambda: bool(said), timeout=120_000)
    assert win.doc.statuses()[0].state is SegmentState.DONE
    title, text, warning = said[0]
    assert title == "Generation finished" and not warning
    assert "1 of 1 done" in text and "spent so far $0.00" in text
    assert "1 of 1 done" in win.statusBar().currentMessage()


def test_notify_uses_the_tray_when_the_desktop_has_one(qtbot: QtBot, window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    win = window
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))
    monkeypatch.setattr(QSystemTrayIcon, "showMessage",
                        lambda self, title, text, *a: shown.append((title, text)))
    monkeypatch.setattr(win, "isActiveWindow", lambda: False)
    win.notify("Export finished", "film.mp4 is ready")
    assert shown == [("Export finished", "film.mp4 is ready")]
    assert win._tray is not None and not win._tray.icon().isNull()
    # in front of the creator already: nothing pops up
    monkeypatch.setattr(win, "isActiveWindow", lambda: True)
    win.notify("Export finished", "again")
    assert len(shown) == 1
    win._tray.hide()
