"""One table of shortcuts, no key used twice, on the Windows, macOS and Linux key maps."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from pytestqt.qtbot import QtBot

from soraboard.ui.actions import ACTIONS, StdKey, key_sequences

# Qt's own table (qtbase src/gui/kernel/qplatformtheme.cpp, keyBindings[]) for the standard
# keys soraboard uses, per keyboard scheme: QKeySequence.keyBindings only answers for the
# platform the test runs on. On macOS "Ctrl" is the Command key, as everywhere in Qt.
_ALL = ("windows", "macos", "kde", "gnome")
_TABLE: dict[StdKey, list[tuple[str, tuple[str, ...]]]] = {
    StdKey.New: [("Ctrl+N", _ALL)],
    StdKey.Open: [("Ctrl+O", _ALL)],
    StdKey.Save: [("Ctrl+S", _ALL)],
    StdKey.SaveAs: [("Ctrl+Shift+S", _ALL)],
    StdKey.Preferences: [("Ctrl+,", ("macos",))],
    StdKey.Quit: [("Ctrl+Q", ("macos", "kde", "gnome"))],
    StdKey.Delete: [("Del", _ALL), ("Ctrl+D", ("kde", "gnome")), ("Meta+D", ("macos",)),
                    ("Backspace", ("macos",))],
    StdKey.SelectAll: [("Ctrl+A", _ALL)],
    StdKey.ZoomIn: [("Ctrl++", _ALL)],
    StdKey.ZoomOut: [("Ctrl+-", _ALL)],
    StdKey.Undo: [("Ctrl+Z", _ALL), ("Alt+Backspace", ("windows",)), ("F14", ("kde", "gnome"))],
    StdKey.Redo: [("Ctrl+Y", ("windows",)), ("Alt+Shift+Backspace", ("windows",)),
                  ("Ctrl+Shift+Z", _ALL)],
}


def _keys_on(platform: str, shortcut: object) -> list[str]:
    if not shortcut:
        return []
    keys = shortcut if isinstance(shortcut, tuple) else (shortcut,)
    out: list[str] = []
    for key in keys:
        if isinstance(key, StdKey):
            assert key in _TABLE, f"add {key} to the key-map table of this test"
            expanded = [k for k, where in _TABLE[key] if platform in where]
        else:
            expanded = [QKeySequence(str(key)).toString()]
        out += [QKeySequence(k).toString() for k in expanded if QKeySequence(k).toString() not in out]
    return out


@pytest.mark.parametrize("platform", _ALL)
def test_no_two_actions_share_a_key(platform: str) -> None:
    seen: dict[str, str] = {}
    for spec in ACTIONS:
        for key in _keys_on(platform, spec.shortcut):
            owner = seen.setdefault(key, spec.id)
            assert owner == spec.id, f"{key} is both {owner} and {spec.id} on {platform}"
    # the keys that mattered: New and Add Segment differ, Redo has its Linux/macOS key
    assert seen["Ctrl+N"] == "file.new"
    assert seen["Ctrl+Shift+Z"] == "edit.redo"
    assert seen["Ctrl+Z"] == "edit.undo"


def test_the_table_agrees_with_qt_on_this_platform(qapp) -> None:  # type: ignore[no-untyped-def]
    """The test's copy of Qt's table holds every binding Qt reports here (offscreen and
    Windows use the Windows scheme)."""
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.platformName() not in ("offscreen", "windows", "minimal"):
        pytest.skip("the keyboard scheme here is not the Windows one")
    for std in _TABLE:
        media = {"Save", "Open", "New", "Undo", "Redo", "Zoom In", "Zoom Out", "Exit", "Close"}
        real = [k.toString() for k in QKeySequence.keyBindings(std)
                if k.toString().split("+")[-1] not in media]  # keys of multimedia keyboards
        ours = _keys_on("windows", std)
        assert set(real) <= set(ours), (std, real, ours)


def test_every_key_in_the_window_is_unique_and_undo_redo_work_from_the_keyboard(
        qtbot: QtBot, window) -> None:  # type: ignore[no-untyped-def]
    win = window
    seen: dict[str, str] = {}
    for aid, act in win.actions_by_id.items():
        spec = next(s for s in ACTIONS if s.id == aid)
        assert [k.toString() for k in act.shortcuts()] == \
            [k.toString() for k in key_sequences(spec.shortcut)]
        for key in act.shortcuts():
            owner = seen.setdefault(key.toString(), aid)
            assert owner == aid, f"{key.toString()} is both {owner} and {aid}"
    assert {"edit.undo", "edit.redo"} <= set(win.actions_by_id)

    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=5000)  # window shortcuts need it
    win.timeline.canvas.setFocus()
    n = len(win.doc.storyboard.segments)
    qtbot.keyClick(win.timeline.canvas, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert len(win.doc.storyboard.segments) == n + 1  # Add Segment
    qtbot.keyClick(win.timeline.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(win.doc.storyboard.segments) == n  # Undo
    qtbot.keyClick(win.timeline.canvas, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert len(win.doc.storyboard.segments) == n + 1  # Redo, from the keyboard
    win.doc.select([win.doc.storyboard.segments[0].id])
    qtbot.keyClick(win.timeline.canvas, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert len(win.doc.storyboard.segments) == n + 2  # Duplicate, not Delete


def test_the_keys_the_player_names_are_bound(qtbot: QtBot, window) -> None:  # type: ignore[no-untyped-def]
    """The player's tooltips name Space, ',' and '.': each is an action of the table."""
    win = window
    keys = {k.toString(): aid for aid, act in win.actions_by_id.items() for k in act.shortcuts()}
    for tip_key, aid in (("Space", "view.play"), (",", "view.frame_back"),
                         (".", "view.frame_forward")):
        assert keys.get(tip_key) == aid
    for b in (win.player.play, win.player.back, win.player.fwd):
        key = b.toolTip().rsplit("(", 1)[1].rstrip(")")
        assert key in keys, b.toolTip()
