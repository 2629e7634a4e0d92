"""The stills of one frame, as takes: every still made for a segment's first or last frame
(or the boundary both shots meet on), side by side, with the request each was made from.

A still is a take of its slot (:mod:`soraboard.model.still_slots`): making it again adds a
still and keeps the older ones, in the bundle and in the ledger. This chooser shows them
as thumbnails, a bigger preview of the one under the mouse or selected, and its request
(prompt, model, size, references, cost); *Choose* uses the selected one (one undo step, both
shots of a held boundary), *Regenerate* asks for the still again with the same request, and
*Compare* puts two side by side.

The dialogs only show and ask: they emit intents, and the window hands them to the
:class:`~soraboard.ui.controllers.keyframes.KeyframeController`.
"""

from __future__ import annotations

import contextlib
import html
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from soraboard.catalog.cost import fmt_usd
from soraboard.document import Document
from soraboard.model.still_slots import FIRST, current_still, side_boundary
from soraboard.model.take import StillRecord
from soraboard.storage.errors import ProjectError
from soraboard.ui import theme
from soraboard.ui.icons import icon
from soraboard.ui.panels import when

THUMB = QSize(160, 90)
PREVIEW = QSize(560, 315)


def still_pixmap(doc: Document, still: str | None, size: QSize,
                 cache: dict[str, QPixmap] | None = None) -> QPixmap:
    """``still`` (bundle-relative) scaled into ``size``; a null pixmap when it cannot be
    read. ``cache`` keeps the full images read (a preview is scaled again on resize)."""
    if not still:
        return QPixmap()
    full = None if cache is None else cache.get(still)
    if full is None:
        try:
            path = doc.bundle.resolve(still)
        except ProjectError:
            return QPixmap()
        full = QPixmap(str(path))
        if cache is not None and not full.isNull():
            cache[still] = full
    return full if full.isNull() else full.scaled(
        size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)


def still_label(record: StillRecord, number: int) -> str:
    """One line: which still of the frame, the model, when, what it cost."""
    cost = fmt_usd(record.cost_value) if record.cost is not None else "price unknown"
    return " · ".join(p for p in (f"Still {number}", record.model, when(record.created_at),
                                  cost) if p)


def request_html(record: StillRecord, number: int) -> str:
    """The request a still was made from, as rich text: what Regenerate sends again."""
    dim = theme.secondary_text().name()
    size = record.size + (f" (asked as {record.api_size})"
                          if record.api_size and record.api_size != record.size else "")
    refs = ", ".join(Path(p).name for p in record.references) or "none"
    rows = [("Model", record.model), ("Size", size), ("Provider", record.provider),
            ("Cost", fmt_usd(record.cost_value) if record.cost is not None else "unknown"),
            ("Made", when(record.created_at) or "—"), ("References", refs)]
    if record.cast:
        rows.append(("Cast", ", ".join(record.cast)))
    rows.append(("File", Path(record.file or "").name))
    table = "".join(f"<tr><td style='color:{dim}; padding-right:10px'>{html.escape(k)}</td>"
                    f"<td>{html.escape(v)}</td></tr>" for k, v in rows)
    prompt = html.escape(record.prompt.strip() or "(no prompt)").replace("\n", "<br>")
    return (f"<b>Still {number}</b><table style='margin-top:4px'>{table}</table>"
            f"<p style='margin-top:6px'><span style='color:{dim}'>Prompt</span><br>"
            f"{prompt}</p>")


def _untinted(pix: QPixmap) -> QIcon:
    """An icon that looks the same selected: a still's colours are what is compared."""
    ic = QIcon()
    for mode in (QIcon.Mode.Normal, QIcon.Mode.Selected, QIcon.Mode.Active):
        ic.addPixmap(pix, mode)
    return ic


class StillTakesDialog(QDialog):
    """Every still made for one frame of a segment (non-modal; follows the document)."""

    chosen = Signal(str, str, str)  #: segment id, "first" | "last", bundle-relative still
    regenerate_requested = Signal(str, str)  #: segment id, "first" | "last"
    compare_requested = Signal(str, str, str, str)  #: segment id, which, still a, still b

    def __init__(self, doc: Document, segment_id: str, which: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.segment_id, self.which = segment_id, which
        self._records: list[StillRecord] = []
        self._in_use: str | None = None
        self._busy = False
        self._full: dict[str, QPixmap] = {}  # stills never change: a file is never rewritten
        self.setMinimumSize(720, 560)
        self.resize(860, 660)
        v = QVBoxLayout(self)
        v.setSpacing(10)
        self.heading = QLabel()
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.heading.setWordWrap(True)
        v.addWidget(self.heading)

        self.strip = QListWidget()
        self.strip.setViewMode(QListView.ViewMode.IconMode)
        self.strip.setFlow(QListView.Flow.LeftToRight)
        self.strip.setWrapping(False)
        self.strip.setMovement(QListView.Movement.Static)
        self.strip.setResizeMode(QListView.ResizeMode.Adjust)
        self.strip.setIconSize(THUMB)
        self.strip.setGridSize(QSize(THUMB.width() + 24, THUMB.height() + 52))
        self.strip.setFixedHeight(THUMB.height() + 74)
        # a little air above the thumbnails (the grid puts them at the cells' top)
        self.strip.setStyleSheet("QListWidget { padding-top: 8px; }")
        self.strip.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.strip.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.strip.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.strip.setMouseTracking(True)
        self.strip.setToolTip("Click a still to see its request; Ctrl+click a second one to "
                              "compare the two")
        v.addWidget(self.strip)

        body = QHBoxLayout()
        body.setSpacing(12)
        self.preview = QLabel()
        self.preview.setMinimumSize(PREVIEW.width() // 2, PREVIEW.height() // 2)
        self.preview.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setStyleSheet("background: palette(base); border-radius: 4px; "
                                   f"color: {theme.secondary_text().name()};")
        body.addWidget(self.preview, 3)
        self.request = QLabel()
        self.request.setTextFormat(Qt.TextFormat.RichText)
        self.request.setWordWrap(True)
        self.request.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.request.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.request.setMinimumWidth(240)
        body.addWidget(self.request, 2)
        v.addLayout(body, 1)

        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet(theme.secondary_style())
        v.addWidget(self.hint)
        buttons = QHBoxLayout()
        self.compare_btn = QPushButton(icon("compare"), "Compare…")
        self.regenerate_btn = QPushButton(icon("generate"), "Regenerate")
        self.choose_btn = QPushButton(icon("check"), "Choose")
        self.choose_btn.setDefault(True)
        close = QPushButton("Close")
        buttons.addWidget(self.compare_btn)
        buttons.addStretch(1)
        for b in (self.regenerate_btn, self.choose_btn, close):
            buttons.addWidget(b)
        v.addLayout(buttons)

        self.strip.currentItemChanged.connect(lambda *_: self._show_current())
        self.strip.itemSelectionChanged.connect(self._update_buttons)
        self.strip.itemEntered.connect(self._on_strip_item_entered)
        self.strip.itemDoubleClicked.connect(lambda _i: self._choose())
        self.strip.viewport().installEventFilter(self)
        self.choose_btn.clicked.connect(self._choose)
        self.regenerate_btn.clicked.connect(
            lambda: self.regenerate_requested.emit(self.segment_id, self.which))
        self.compare_btn.clicked.connect(self._compare)
        close.clicked.connect(self.reject)
        doc.storyboard_changed.connect(self.refresh)
        doc.takes_changed.connect(self.refresh)
        self.refresh()

    # ------------------------------------------------------------------ state

    def records(self) -> list[StillRecord]:
        """The stills listed, oldest first (as numbered)."""
        return list(self._records)

    def selected(self) -> list[StillRecord]:
        rows = sorted(self.strip.row(i) for i in self.strip.selectedItems())
        return [self._records[r] for r in rows if 0 <= r < len(self._records)]

    def select(self, still: str) -> None:
        """Select the still of that file (as a click would)."""
        for row, r in enumerate(self._records):
            if r.file == still:
                self.strip.setCurrentRow(row)

    def set_busy(self, busy: bool) -> None:
        """While a still is being made, Regenerate waits (and says so)."""
        self._busy = busy
        self._update_buttons()

    # ------------------------------------------------------------------ refresh

    def refresh(self) -> None:
        sb = self.doc.storyboard
        if not sb.has_segment(self.segment_id):
            self.reject()  # the segment was deleted: nothing to choose for
            return
        index = sb.index_of(self.segment_id)
        frame = "first frame" if self.which == FIRST else "last frame"
        self.setWindowTitle(f"Stills of segment {index + 1}'s {frame}")
        b = side_boundary(sb, self.segment_id, self.which)
        held = b is not None and sb.held_by_keyframe(b)
        where = (f" — the keyframe of boundary {b + 1}→{b + 2}: both shots meet on the one "
                 "you choose" if held and b is not None else
                 f" — made for boundary {b + 1}→{b + 2}" if b is not None else "")
        seg = sb.segments[index]
        self.heading.setText(f"<b>Segment {index + 1} · {html.escape(seg.title or 'Untitled')}"
                             f" · {frame}</b><span style='color:"
                             f"{theme.secondary_text().name()}'>{html.escape(where)}</span>")
        records = self.doc.stills_for(self.segment_id, self.which)
        in_use = current_still(sb, self.segment_id, self.which)
        if (records, in_use) == (self._records, self._in_use) and self.strip.count():
            self._update_buttons()  # typing in the inspector: the strip stays as it is
            return
        keep = [r.id for r in self.selected()]
        current_id = self._records[self.strip.currentRow()].id \
            if 0 <= self.strip.currentRow() < len(self._records) else None
        self._records, self._in_use = records, in_use
        self.strip.blockSignals(True)
        self.strip.clear()
        for n, r in enumerate(records, 1):
            pix = still_pixmap(self.doc, r.file, THUMB, self._full)
            cost = fmt_usd(r.cost_value) if r.cost is not None else "$?"
            mark = "\n✓ in use" if r.file == in_use else "\n "
            item = QListWidgetItem(_untinted(pix) if not pix.isNull() else icon("image"),
                                   f"#{n} · {cost}{mark}")
            item.setToolTip(still_label(r, n))
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            self.strip.addItem(item)
        rows = [n for n, r in enumerate(records) if r.id in keep]
        current = next((n for n, r in enumerate(records) if r.id == current_id), None)
        if current is None:  # first time: the one in use, else the newest
            current = next((n for n, r in enumerate(records) if r.file == in_use),
                           len(records) - 1)
        if current >= 0:
            self.strip.setCurrentRow(current)
        for n in rows:
            self.strip.item(n).setSelected(True)
        self.strip.blockSignals(False)
        if current >= 0:
            self.strip.scrollToItem(self.strip.item(current))
        self._show_current()
        self._update_buttons()

    def _show(self, row: int) -> None:
        if not 0 <= row < len(self._records):
            self.preview.setPixmap(QPixmap())
            self.preview.setText("No still has been made for this frame yet.\n"
                                 "Regenerate makes one for its boundary.")
            self.request.setText("")
            return
        r = self._records[row]
        pix = still_pixmap(self.doc, r.file, self._preview_size(), self._full)
        if pix.isNull():
            self.preview.setPixmap(QPixmap())
            self.preview.setText(f"{Path(r.file or '').name}\nis missing from the project")
        else:
            self.preview.setPixmap(pix)
        self.request.setText(request_html(r, row + 1))
        self.request.setToolTip(r.file or "")

    def _preview_size(self) -> QSize:
        size = self.preview.size()
        return size if size.width() > 40 and size.height() > 40 else PREVIEW

    def _show_current(self) -> None:
        self._show(self.strip.currentRow())

    def _on_strip_item_entered(self, item: QListWidgetItem) -> None:
        self._show(self.strip.row(item))  # hover: a bigger look without choosing

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.strip.viewport() and event.type() == QEvent.Type.Leave:
            self._show_current()  # the mouse left the strip: back to the selected one
        return super().eventFilter(watched, event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._show_current()

    def _update_buttons(self) -> None:
        in_use = current_still(self.doc.storyboard, self.segment_id, self.which) \
            if self.doc.storyboard.has_segment(self.segment_id) else None
        row = self.strip.currentRow()
        picked = self._records[row] if 0 <= row < len(self._records) else None
        self.choose_btn.setEnabled(picked is not None and picked.file != in_use)
        self.choose_btn.setToolTip("" if picked is None or picked.file != in_use else
                                   "This still is the one in use")
        self.compare_btn.setEnabled(len(self._records) >= 2)
        self.regenerate_btn.setEnabled(not self._busy)
        src = next((r for r in self._records if r.file == in_use), None) or (
            self._records[-1] if self._records else None)
        self.regenerate_btn.setToolTip(
            "A still is being made; wait for it" if self._busy else
            "Make the still again with the same request; the ones before stay" if src else
            "Make a still for this frame's boundary")
        n = len(self._records)
        self.hint.setText(
            "A still is being made…" if self._busy else
             f"{n} still{'s' if n != 1 else ''} made for this frame; every one stays in the "
             "project and in the ledger. Choose is one undo step.")

    # ------------------------------------------------------------------ intents

    def _choose(self) -> None:
        row = self.strip.currentRow()
        if 0 <= row < len(self._records) and self._records[row].file:
            self.chosen.emit(self.segment_id, self.which, self._records[row].file or "")

    def compare_pair(self) -> tuple[StillRecord, StillRecord] | None:
        """What Compare shows: the two selected stills, else the selected one and the one in
        use (or the one before it)."""
        picked = self.selected()
        if len(picked) >= 2:
            return picked[0], picked[1]
        row = self.strip.currentRow()
        if not 0 <= row < len(self._records) or len(self._records) < 2:
            return None
        a = self._records[row]
        in_use = current_still(self.doc.storyboard, self.segment_id, self.which)
        other = next((r for r in self._records if r.file == in_use and r.id != a.id), None)
        b = other or self._records[row - 1 if row > 0 else 1]
        return (a, b) if self._records.index(a) < self._records.index(b) else (b, a)

    def _compare(self) -> None:
        pair = self.compare_pair()
        if pair is not None:
            a, b = pair
            self.compare_requested.emit(self.segment_id, self.which, a.file or "",
                                        b.file or "")

    def done(self, result: int) -> None:
        for signal in (self.doc.storyboard_changed, self.doc.takes_changed):
            with contextlib.suppress(RuntimeError, TypeError):  # already gone
                signal.disconnect(self.refresh)
        super().done(result)


class StillCompareDialog(QDialog):
    """Two stills of one frame side by side, each with its request and a button to use it."""

    chosen = Signal(str)  #: bundle-relative still

    def __init__(self, doc: Document, a: StillRecord, b: StillRecord,
                 numbers: tuple[int, int], in_use: str | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare stills")
        self.resize(1180, 640)
        v = QVBoxLayout(self)
        row = QHBoxLayout()
        row.setSpacing(14)
        self.images: list[QLabel] = []
        self.use_buttons: list[QPushButton] = []
        self._records = (a, b)
        for record, number in ((a, numbers[0]), (b, numbers[1])):
            col = QVBoxLayout()
            title = QLabel(f"<b>Still {number}</b>"
                           + (" · ✓ in use" if record.file == in_use else ""))
            title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            col.addWidget(title)
            image = QLabel()
            image.setAlignment(Qt.AlignmentFlag.AlignCenter)
            image.setMinimumSize(PREVIEW.width() * 3 // 4, PREVIEW.height() * 3 // 4)
            image.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
            image.setStyleSheet("background: palette(base); border-radius: 4px;")
            pix = still_pixmap(doc, record.file, PREVIEW)
            if pix.isNull():
                image.setText("missing")
            else:
                image.setPixmap(pix)
            col.addWidget(image, 1)
            request = QLabel(request_html(record, number))
            request.setTextFormat(Qt.TextFormat.RichText)
            request.setWordWrap(True)
            request.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            col.addWidget(request)
            use = QPushButton(icon("check"), "Use this still")
            use.setEnabled(record.file != in_use)
            use.clicked.connect(lambda _c=False, f=record.file or "": self._use(f))
            col.addWidget(use, 0, Qt.AlignmentFlag.AlignHCenter)
            row.addLayout(col, 1)
            self.images.append(image)
            self.use_buttons.append(use)
        v.addLayout(row, 1)

    def _use(self, still: str) -> None:
        self.chosen.emit(still)
        self.accept()
