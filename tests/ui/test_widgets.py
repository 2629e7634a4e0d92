"""Small shared widgets."""

from __future__ import annotations

from PySide6.QtWidgets import QToolButton
from pytestqt.qtbot import QtBot

from soraboard.ui.widgets import Segmented


def test_new_options_replace_the_old_buttons_at_once(qtbot: QtBot) -> None:
    """A model change gives the duration row new options; the old buttons must not stay on
    screen beside them until the event loop deletes them (seen: 4 s 6 s 8 s 4 s 8 s 12 s)."""
    row = Segmented()
    qtbot.addWidget(row)
    row.show()
    row.set_options([("4 s", 4.0), ("6 s", 6.0), ("8 s", 8.0)])
    row.set_options([("4 s", 4.0), ("8 s", 8.0), ("12 s", 12.0)])  # no event loop between
    laid_out = [row.layout().itemAt(i).widget() for i in range(row.layout().count())]
    assert [b.text() for b in laid_out] == ["4 s", "8 s", "12 s"]
    qtbot.waitUntil(lambda: all(b.isVisible() for b in laid_out))
    assert sum(1 for b in row.findChildren(QToolButton) if b.isVisible()) == 3
    row.set_value(12.0)
    assert row.value() == 12.0
