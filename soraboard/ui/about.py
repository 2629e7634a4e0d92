"""Help ▸ About: version, what soraboard is built on and under which licences, and links.

The component list comes from :mod:`soraboard.licences` (Qt-free); this dialog adds the Qt
version Qt itself reports and the ffmpeg that soraboard actually found (when start-up has
already looked for it — the dialog never starts a process).
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QUrl, qVersion
from PySide6.QtGui import QDesktopServices, QIcon
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from soraboard import __version__, paths
from soraboard.licences import HOMEPAGE, Component, bundled_components

ICON_DIR = Path(__file__).resolve().parent.parent / "resources" / "icons"


def app_icon() -> QIcon:
    """The application icon shipped in the package (SVG, with the PNG as a fallback)."""
    icon = QIcon()
    for name in ("soraboard.svg", "soraboard.png"):
        path = ICON_DIR / name
        if path.is_file():
            icon.addFile(str(path))
    return icon


def _found_ffmpeg() -> tuple[str | None, str]:
    """(version, where) of the ffmpeg soraboard uses, if start-up already found it."""
    from soraboard.workers.warmup import is_warm

    if not is_warm():
        return None, ""
    try:
        from soraboard.media.ffmpeg import find_ffmpeg

        ff = find_ffmpeg()  # cached by the warm-up: no process is started here
    except Exception:
        return None, ""
    return ff.version, f"{ff.source}: {ff.path}"


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About soraboard")
        self.resize(720, 560)
        ff_version, ff_where = _found_ffmpeg()
        self.components: list[Component] = bundled_components(qt_version=qVersion(),
                                                              ffmpeg_version=ff_version)

        lay = QVBoxLayout(self)
        head = QHBoxLayout()
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(QSize(72, 72)))
        head.addWidget(logo, 0, Qt.AlignmentFlag.AlignTop)
        self.title = QLabel(
            f"<h2 style='margin:0'>soraboard {escape(__version__)}</h2>"
            "<p>A storyboard editor for long AI-generated videos: plan the segments, know the "
            "cost before spending it, generate, preview and stitch one film.</p>"
            f"<p><a href='{HOMEPAGE}'>{HOMEPAGE}</a><br>"
            "Free software under the <a href='https://www.gnu.org/licenses/gpl-3.0.html'>GNU "
            "General Public License v3 or later</a>; it comes with no warranty.</p>")
        self.title.setWordWrap(True)
        self.title.setOpenExternalLinks(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        head.addWidget(self.title, 1)
        lay.addLayout(head)

        lay.addWidget(QLabel("<b>Built with</b> — select a row to read more"))
        self.table = QTableWidget(len(self.components), 3)
        self.table.setHorizontalHeaderLabels(["Component", "Version", "Licence"])
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        for row, c in enumerate(self.components):
            for col, text in enumerate((c.name, c.version or "—", c.licence)):
                self.table.setItem(row, col, QTableWidgetItem(text))
        lay.addWidget(self.table, 2)

        self.details = QTextBrowser()
        self.details.setOpenExternalLinks(True)
        self.details.setMaximumHeight(130)
        lay.addWidget(self.details, 1)
        self.ffmpeg_where = ff_where

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.logs_btn = QPushButton("Open log folder")
        buttons.addButton(self.logs_btn, QDialogButtonBox.ButtonRole.ActionRole)
        self.logs_btn.clicked.connect(self._open_logs)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        lay.addWidget(buttons)

        self.table.currentCellChanged.connect(lambda r, *_: self._show(r))
        self.table.selectRow(0)
        self._show(0)

    def _show(self, row: int) -> None:
        if not 0 <= row < len(self.components):
            return
        c = self.components[row]
        parts = [f"<b>{escape(c.describe())}</b>"]
        if c.note:
            parts.append(escape(c.note))
        if c.name == "FFmpeg" and self.ffmpeg_where:
            parts.append(f"In use: {escape(self.ffmpeg_where)}")
        links = [f"<a href='{c.url}'>{escape(c.url)}</a>",
                 f"<a href='{c.licence_url}'>licence: {escape(c.licence)}</a>"]
        if c.licence_file is not None:
            links.append(f"<a href='{QUrl.fromLocalFile(str(c.licence_file)).toString()}'>"
                         "full licence text</a>")
        parts.append(" · ".join(links))
        self.details.setHtml("<p>" + "</p><p>".join(parts) + "</p>")

    def _open_logs(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(paths.log_dir(create=True))))
