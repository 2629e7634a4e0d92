"""The Takes and Jobs tabs of the inspector dock."""

from __future__ import annotations

import datetime as _dt

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from soraboard.catalog.cost import fmt_usd
from soraboard.document import Document
from soraboard.model.take import Take, TakeSource, TakeStatus
from soraboard.model.timing import fmt_seconds
from soraboard.ui import theme
from soraboard.ui.icons import icon
from soraboard.workers.thumbnails import ThumbnailService

STATUS_TEXT = {
    TakeStatus.PENDING: "waiting to be sent",
    TakeStatus.SUBMITTED: "sent",
    TakeStatus.QUEUED: "queued at the provider",
    TakeStatus.RUNNING: "generating",
    TakeStatus.DOWNLOADING: "downloading",
    TakeStatus.DONE: "done",
    TakeStatus.FAILED: "failed",
    TakeStatus.CANCELLED: "cancelled",
    TakeStatus.EXPIRED: "expired",
    TakeStatus.UNKNOWN: "outcome unknown — may be billed",
    TakeStatus.NOT_SENT: "not sent",
    TakeStatus.UNDOWNLOADED: "finished, not downloaded",
}


def take_color(take: Take) -> QColor:
    if take.status is TakeStatus.DONE:
        return theme.DONE
    if take.status.is_active:
        return theme.accent()
    if take.status in (TakeStatus.FAILED, TakeStatus.EXPIRED):
        return theme.FAILED
    return theme.waiting()


def when(ts: float) -> str:
    if not ts:
        return ""
    return _dt.datetime.fromtimestamp(ts).strftime("%d %b %H:%M")


class TakesPanel(QWidget):
    """Every take of the selected segment: play, choose, compare, remix, delete the file."""

    play_requested = Signal(str)  #: take id
    compare_requested = Signal(str, str)  #: two take ids
    remix_requested = Signal(str)  #: take id
    delete_requested = Signal(str)  #: take id

    def __init__(self, doc: Document, thumbnails: ThumbnailService,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.thumbnails = thumbnails
        v = QVBoxLayout(self)
        v.setContentsMargins(12, 10, 12, 12)
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        v.addWidget(self.heading)
        self.list = QListWidget()
        self.list.setIconSize(QSize(112, 63))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setSpacing(2)
        v.addWidget(self.list, 1)
        row = QGridLayout()  # two rows: the dock stays narrow enough for a small screen
        self.play_btn = QPushButton(icon("play"), "Play")
        self.choose_btn = QPushButton(icon("check"), "Use this take")
        self.compare_btn = QPushButton(icon("compare"), "Compare")
        self.remix_btn = QPushButton(icon("remix"), "Remix…")
        self.delete_btn = QPushButton(icon("delete"), "Delete file…")
        for i, b in enumerate((self.play_btn, self.choose_btn, self.compare_btn, self.remix_btn,
                               self.delete_btn)):
            row.addWidget(b, i // 3, i % 3)
        row.setColumnStretch(3, 1)
        v.addLayout(row)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet(theme.secondary_style())
        v.addWidget(self.hint)

        self.list.itemSelectionChanged.connect(self._sync_buttons)
        self.list.itemDoubleClicked.connect(lambda item: self.play_requested.emit(item.data(
            Qt.ItemDataRole.UserRole)))
        self.play_btn.clicked.connect(lambda: self._emit_one(self.play_requested))
        self.choose_btn.clicked.connect(self._choose)
        self.remix_btn.clicked.connect(lambda: self._emit_one(self.remix_requested))
        self.delete_btn.clicked.connect(lambda: self._emit_one(self.delete_requested))
        self.compare_btn.clicked.connect(self._compare)
        doc.selection_changed.connect(self.refresh)
        doc.takes_changed.connect(self._on_takes_changed)
        doc.storyboard_changed.connect(self.refresh)
        thumbnails.updated.connect(self._refresh_icons)
        theme.notifier().changed.connect(self.refresh)
        self._shown: list[tuple[str, str, float]] = []
        self.refresh()

    def _on_takes_changed(self) -> None:
        # progress of other segments' jobs must not rebuild this list (and its icons) each time
        sid = self.doc.current_id
        shown = [(t.id, t.status.value, t.progress) for t in self.doc.takes_of(sid)] if sid else []
        if shown != self._shown:
            self.refresh()

    def selected_ids(self) -> list[str]:
        return [i.data(Qt.ItemDataRole.UserRole) for i in self.list.selectedItems()]

    def _emit_one(self, signal: Signal) -> None:  # type: ignore[type-arg]
        ids = self.selected_ids()
        if ids:
            signal.emit(ids[0])  # type: ignore[attr-defined]

    def _choose(self) -> None:
        ids = self.selected_ids()
        sid = self.doc.current_id
        if ids and sid:
            self.doc.choose_take(sid, ids[0])

    def _compare(self) -> None:
        ids = self.selected_ids()
        if len(ids) == 2:
            self.compare_requested.emit(ids[0], ids[1])

    def _sync_buttons(self) -> None:
        ids = self.selected_ids()
        takes = [self.doc.takes[i] for i in ids if i in self.doc.takes]
        one = takes[0] if len(takes) == 1 else None
        self.play_btn.setEnabled(one is not None and one.usable)
        seg = self.doc.storyboard.segment(self.doc.current_id) if self.doc.current_id else None
        self.choose_btn.setEnabled(one is not None and one.usable and seg is not None
                                   and seg.chosen_take != one.id)
        self.compare_btn.setEnabled(len(takes) == 2 and all(t.usable for t in takes))
        spec = self.doc.catalog.get(one.model) if one is not None else None
        self.remix_btn.setEnabled(one is not None and one.usable and one.job_id is not None
                                  and spec is not None and spec.remix
                                  and one.source is TakeSource.GENERATED)
        self.delete_btn.setEnabled(one is not None and one.file is not None
                                   and not one.status.is_active)

    def _thumb(self, take: Take) -> QImage | None:
        if not take.usable or take.file is None:
            return None
        try:
            path = self.doc.bundle.resolve(take.file)
        except Exception:
            return None
        return self.thumbnails.get(path, min((take.media_duration or 1.0) / 2, 3.0))

    def _refresh_icons(self) -> None:
        for i in range(self.list.count()):
            item = self.list.item(i)
            take = self.doc.takes.get(item.data(Qt.ItemDataRole.UserRole))
            if take is not None:
                img = self._thumb(take)
                if img is not None:
                    item.setIcon(QIcon(QPixmap.fromImage(img)))

    def refresh(self) -> None:
        sid = self.doc.current_id
        selected = set(self.selected_ids())
        self.list.clear()
        if sid is None or not self.doc.storyboard.has_segment(sid):
            self.heading.setText("Select a segment to see its takes.")
            self._sync_buttons()
            return
        index = self.doc.storyboard.index_of(sid)
        seg = self.doc.storyboard.segments[index]
        in_order = self.doc.takes_of(sid)
        number = {t.id: i + 1 for i, t in enumerate(in_order)}
        takes = list(reversed(in_order))
        self._shown = [(t.id, t.status.value, t.progress) for t in reversed(takes)]
        self.heading.setText(f"<b>Segment {index + 1} · {seg.title}</b> — {len(takes)} "
                             f"take{'s' if len(takes) != 1 else ''}")
        for t in takes:
            chosen = "  ★ in use" if t.id == seg.chosen_take else ""
            provider = "imported" if t.source is TakeSource.IMPORTED else t.provider
            cost = "$0.00" if t.source is TakeSource.IMPORTED else fmt_usd(t.cost_value)
            length = f" · {fmt_seconds(t.media_duration)} s" if t.media_duration else ""
            status = STATUS_TEXT[t.status]
            if t.status.is_active and t.progress:
                status += f" {round(t.progress * 100)} %"
            lines = [f"Take {number[t.id]} · {t.label or t.model}{chosen}",
                     f"{provider} · {cost}{length} · {when(t.created_at)}",
                     status + (f": {t.error}" if t.error else "")]
            item = QListWidgetItem("\n".join(lines))
            item.setData(Qt.ItemDataRole.UserRole, t.id)
            item.setForeground(theme.text())
            img = self._thumb(t)
            if img is not None:
                item.setIcon(QIcon(QPixmap.fromImage(img)))
            else:
                item.setIcon(icon("film", take_color(t)))
            item.setToolTip(t.request.prompt[:600])
            self.list.addItem(item)
            if t.id in selected:
                item.setSelected(True)
        if not takes:
            self.hint.setText("No takes yet. Generate this segment, or drop a clip on its card.")
        else:
            self.hint.setText("Select two takes to compare them side by side. Deleting a file "
                              "never deletes the record of what it cost.")
        self._sync_buttons()


class JobsPanel(QWidget):
    """Every job of this session: state, progress, the reason of a failure; cancel and retry."""

    cancel_requested = Signal(str)  #: segment id
    retry_requested = Signal(str)  #: segment id

    def __init__(self, doc: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.take_ids: list[str] = []
        self.messages: dict[str, str] = {}  #: segment id → last failure message
        v = QVBoxLayout(self)
        v.setContentsMargins(12, 10, 12, 12)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Segment", "State", "Cost"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(False)
        self.tree.setWordWrap(True)
        self.tree.setColumnWidth(0, 150)
        self.tree.setColumnWidth(1, 160)
        v.addWidget(self.tree, 1)
        row = QHBoxLayout()
        self.cancel_btn = QPushButton(icon("cancel"), "Cancel")
        self.retry_btn = QPushButton(icon("retry"), "Retry")
        row.addWidget(self.cancel_btn)
        row.addWidget(self.retry_btn)
        row.addStretch(1)
        v.addLayout(row)
        self.note = QLabel("Cancelling stops soraboard waiting for a job; the provider may still "
                           "bill for it. Closing the window keeps running jobs journaled and "
                           "resumes them next time.")
        self.note.setWordWrap(True)
        self.note.setStyleSheet(theme.secondary_style())
        v.addWidget(self.note)
        self.cancel_btn.clicked.connect(lambda: self._emit(self.cancel_requested))
        self.retry_btn.clicked.connect(lambda: self._emit(self.retry_requested))
        self.tree.itemSelectionChanged.connect(self._sync)
        doc.takes_changed.connect(self.refresh)
        self._sync()

    def _emit(self, signal: Signal) -> None:  # type: ignore[type-arg]
        item = self.tree.currentItem()
        if item is not None:
            signal.emit(item.data(0, Qt.ItemDataRole.UserRole))  # type: ignore[attr-defined]

    def track(self, take: Take) -> None:
        if take.id not in self.take_ids:
            self.take_ids.append(take.id)
        self.refresh()

    def note_failure(self, segment_id: str, message: str) -> None:
        self.messages[segment_id] = message
        self.refresh()

    def active_count(self) -> int:
        return sum(1 for t in self.take_ids if t in self.doc.takes
                   and self.doc.takes[t].status.is_active)

    def _sync(self) -> None:
        item = self.tree.currentItem()
        take = self.doc.takes.get(item.data(1, Qt.ItemDataRole.UserRole)) if item else None
        self.cancel_btn.setEnabled(take is not None and take.status.is_active)
        # a take that ended badly, or a job that stopped before it made a take
        self.retry_btn.setEnabled(item is not None and (
            take is None or (not take.status.is_active and take.status is not TakeStatus.DONE)))

    def refresh(self) -> None:
        current = self.tree.currentItem()
        current_take = current.data(1, Qt.ItemDataRole.UserRole) if current else None
        self.tree.clear()
        sb = self.doc.storyboard
        for tid in reversed(self.take_ids):
            take = self.doc.takes.get(tid)
            if take is None:
                continue
            if sb.has_segment(take.segment_id):
                i = sb.index_of(take.segment_id)
                name = f"{i + 1} · {sb.segments[i].title}"
            else:
                name = "(deleted segment)"
            state = STATUS_TEXT[take.status]
            if take.status.is_active:
                state += f" {round(take.progress * 100)} %"
            if take.error:
                state += f"\n{take.error}"
            item = QTreeWidgetItem([name, state, fmt_usd(take.cost_value)])
            item.setData(0, Qt.ItemDataRole.UserRole, take.segment_id)
            item.setData(1, Qt.ItemDataRole.UserRole, take.id)
            item.setForeground(1, take_color(take))
            item.setToolTip(1, state)
            self.tree.addTopLevelItem(item)
            if tid == current_take:
                self.tree.setCurrentItem(item)
        for sid, message in self.messages.items():
            if not sb.has_segment(sid):
                continue
            i = sb.index_of(sid)
            if any(self.doc.takes[t].segment_id == sid and self.doc.takes[t].status.is_active
                   for t in self.take_ids if t in self.doc.takes):
                continue
            item = QTreeWidgetItem([f"{i + 1} · {sb.segments[i].title}", message, ""])
            item.setData(0, Qt.ItemDataRole.UserRole, sid)
            item.setForeground(1, theme.FAILED)
            self.tree.addTopLevelItem(item)
        self._sync()
