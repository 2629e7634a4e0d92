"""Small screens: at 1366×768, 1024×700 and the 960×600 minimum, the primary actions and the
budget stay on the toolbar, no label is cut, the seek bar is usable and the dock is not
clipped. Each size is also saved as a screenshot (look at them: tmp_path/<w>x<h>.png)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

SIZES = [(1366, 768), (1024, 700), (960, 600)]


def _in_window(win, w: QWidget) -> bool:  # type: ignore[no-untyped-def]
    """Shown, and its whole rectangle inside the window."""
    if not w.isVisible():
        return False
    top_left = w.mapTo(win, QPoint(0, 0))
    return top_left.x() >= 0 and top_left.y() >= 0 and \
        top_left.x() + w.width() <= win.width() and top_left.y() + w.height() <= win.height()


def _not_cut(w: QWidget) -> bool:
    return w.width() >= w.sizeHint().width()


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_everything_fits(qtbot: QtBot, window, tmp_path: Path, width: int,  # type: ignore[no-untyped-def]
                         height: int) -> None:
    win = window
    doc = win.doc
    doc.set_storyboard_field("budget", "250.00")
    doc.delete([s.id for s in doc.storyboard.segments[:3]])  # "Undo Delete 3 segments"
    assert "Delete 3 segments" in win.actions_by_id["edit.undo"].text()
    win.resize(width, height)
    qtbot.waitUntil(lambda: win.width() == width and win.height() == height)
    qtbot.wait(50)

    shot = win.grab()
    assert shot.save(str(tmp_path / f"{width}x{height}.png"))
    assert (shot.width(), shot.height()) == (round(width * shot.devicePixelRatio()),
                                             round(height * shot.devicePixelRatio()))
    # the window's layout fits: nothing is pushed past the edges
    hint = win.minimumSizeHint()
    assert hint.width() <= width and hint.height() <= height, hint

    tb = win.toolbar
    for aid in ("generate.missing", "export.export"):
        btn = tb.widgetForAction(win.actions_by_id[aid])
        assert _in_window(win, btn) and _not_cut(btn), aid
    for chip in (win.provider_chip, win.budget_chip):
        assert _in_window(win, chip) and _not_cut(chip), chip.text()
    assert "$" in win.budget_chip.text()
    assert "Generate missing" in tb.widgetForAction(win.actions_by_id["generate.missing"]).text()

    player = win.player
    for w in (player.time, player.loop, player.mode, *player.mode.findChildren(QWidget)):
        assert _in_window(win, w) and _not_cut(w), repr(w)
    assert player.slider.width() >= 80
    assert _in_window(win, win.timeline_info) and _not_cut(win.timeline_info)

    assert _in_window(win, win.dock)
    insp = win.inspector
    assert insp.viewport().width() >= insp.widget().minimumSizeHint().width()
    cost = win.cost_panel
    assert _in_window(win, cost)
    assert cost.mapTo(win, QPoint(0, cost.height())).y() <= win.statusBar().mapTo(win, QPoint(0, 0)).y()
    for label in (cost.estimate, cost.detail, cost.what_if):
        assert _in_window(win, label)
        assert label.height() >= label.heightForWidth(label.width()) if label.wordWrap() \
            else _not_cut(label)


def test_wide_window_keeps_every_label(qtbot: QtBot, window) -> None:  # type: ignore[no-untyped-def]
    win = window
    win.resize(1600, 900)
    qtbot.waitUntil(lambda: win.width() == 1600)
    assert win.toolbar_compact == 0
    new = win.toolbar.widgetForAction(win.actions_by_id["file.new"])
    assert new.text() == "New"
    qtbot.waitUntil(lambda: _not_cut(new))
    assert win.provider_chip.text().startswith("Provider: ")
    win.resize(960, 600)
    qtbot.waitUntil(lambda: win.width() == 960)
    assert win.toolbar_compact > 0  # the file buttons became icons, with their tooltips
    assert new.toolTip()
