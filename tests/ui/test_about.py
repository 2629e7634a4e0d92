"""Help ▸ About names the version, what is bundled and under which licences."""

from __future__ import annotations

from PySide6.QtCore import qVersion
from pytestqt.qtbot import QtBot

from soraboard import __version__
from soraboard.ui.about import AboutDialog


def test_about_lists_version_bundled_components_and_licences(qtbot: QtBot, window) -> None:  # type: ignore[no-untyped-def]
    win = window
    win.actions_by_id["help.about"].trigger()
    dlg = win.findChild(AboutDialog)
    assert dlg is not None and dlg.isVisible()
    assert f"soraboard {__version__}" in dlg.title.text()
    assert "GNU" in dlg.title.text()
    rows = {dlg.table.item(r, 0).text(): (dlg.table.item(r, 1).text(), dlg.table.item(r, 2).text())
            for r in range(dlg.table.rowCount())}
    assert rows["Qt"] == (qVersion(), "LGPL-3.0-only")
    assert rows["FFmpeg"][1].startswith("GPL")
    assert rows["soraboard"] == (__version__, "GPL-3.0-or-later")
    # a row's details carry its links, and the font's licence text that ships with the app
    fonts = next(r for r in range(dlg.table.rowCount()) if dlg.table.item(r, 0).text() == "DejaVu fonts")
    dlg.table.selectRow(fonts)
    html = dlg.details.toHtml()
    assert "dejavu-fonts.github.io" in html and "LICENSE-DejaVu.txt" in html
    assert not win.windowIcon().isNull()
    dlg.close()
