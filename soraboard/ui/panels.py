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
    QMessageBox,
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
                     t.error if t.error and t.error.startswith(status) else
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


def unknown_details(take: Take) -> str:
    """Where and when the create of unknown outcome went, and what it asked for."""
    sent = take.sent_at or take.updated_at
    r = take.request
    return (f"sent to {take.provider} at {when(sent)} · {r.model} {r.size} {r.seconds:g} s · "
            f"take {take.id}")


class JobsPanel(QWidget):
    """Every job of this session: state, progress, the reason of a failure; cancel and retry.

    A take whose create has an unknown outcome ("may be billed", from any session) is listed
    with its provider, time and request and three choices: *Check again* (sends nothing),
    *Send again* (asks first, with the amount: it pays again) and *Forget*. A take that
    finished but was not downloaded offers *Retry download* (no new job)."""

    cancel_requested = Signal(str)  #: segment id
    retry_requested = Signal(str)  #: segment id
    check_again_requested = Signal(str)  #: take id
    send_again_requested = Signal(str)  #: take id — already confirmed with its amount
    forget_requested = Signal(str)  #: take id

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
        # the selected job in full: the provider's own words are never cut here
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        v.addWidget(self.details)
        row = QHBoxLayout()
        self.cancel_btn = QPushButton(icon("cancel"), "Cancel")
        self.retry_btn = QPushButton(icon("retry"), "Retry")
        row.addWidget(self.cancel_btn)
        row.addWidget(self.retry_btn)
        row.addStretch(1)
        v.addLayout(row)
        unknown = QHBoxLayout()
        self.check_btn = QPushButton(icon("retry"), "Check again")
        self.check_btn.setToolTip("Ask the provider again whether this create made a job "
                                  "(sends nothing)")
        self.send_again_btn = QPushButton(icon("generate"), "Send again")
        self.forget_btn = QPushButton(icon("delete"), "Forget")
        self.forget_btn.setToolTip("Stop counting this create as possibly billed (after "
                                   "checking the provider's bill)")
        for b in (self.check_btn, self.send_again_btn, self.forget_btn):
            unknown.addWidget(b)
        unknown.addStretch(1)
        v.addLayout(unknown)
        self.note = QLabel("Cancelling stops soraboard waiting for a job; the provider may still "
                           "bill for it. Closing the window keeps running jobs journaled and "
                           "resumes them next time.")
        self.note.setWordWrap(True)
        self.note.setStyleSheet(theme.secondary_style())
        v.addWidget(self.note)
        self.cancel_btn.clicked.connect(lambda: self._emit(self.cancel_requested))
        self.retry_btn.clicked.connect(lambda: self._emit(self.retry_requested))
        self.check_btn.clicked.connect(lambda: self._emit_take(self.check_again_requested))
        self.send_again_btn.clicked.connect(self._send_again)
        self.forget_btn.clicked.connect(lambda: self._emit_take(self.forget_requested))
        self.tree.itemSelectionChanged.connect(self._sync)
        doc.takes_changed.connect(self.refresh)
        self._sync()

    def _emit(self, signal: Signal) -> None:  # type: ignore[type-arg]
        item = self.tree.currentItem()
        if item is not None:
            signal.emit(item.data(0, Qt.ItemDataRole.UserRole))  # type: ignore[attr-defined]

    def selected_take(self) -> Take | None:
        item = self.tree.currentItem()
        return self.doc.takes.get(item.data(1, Qt.ItemDataRole.UserRole)) if item else None

    def _emit_take(self, signal: Signal) -> None:  # type: ignore[type-arg]
        take = self.selected_take()
        if take is not None:
            signal.emit(take.id)  # type: ignore[attr-defined]

    def _send_again(self) -> None:
        """Ask first, with the amount: sending again pays again."""
        take = self.selected_take()
        if take is None or take.status is not TakeStatus.UNKNOWN:
            return
        price = fmt_usd(take.cost_value, "an unknown amount")
        answer = QMessageBox.question(
            self, "Send again — pays again",
            f"Send this segment again for {price}?\n\nThe first create ({unknown_details(take)})"
            f" may already have made a job that the provider bills; sending again pays "
            f"{price} again. Check the provider first if you can.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Yes:
            self.send_again_requested.emit(take.id)

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
        unknown = take is not None and take.status is TakeStatus.UNKNOWN
        self.details.setText(item.toolTip(1) or item.text(1) if item is not None else "")
        self.details.setVisible(item is not None)
        # a take that ended badly, or a job that stopped before it made a take (never one
        # whose outcome is unknown: that needs the user's word, below)
        self.retry_btn.setEnabled(item is not None and not unknown and (
            take is None or (not take.status.is_active and take.status is not TakeStatus.DONE)))
        self.retry_btn.setText("Retry download" if take is not None
                               and take.status is TakeStatus.UNDOWNLOADED else "Retry")
        for b in (self.check_btn, self.send_again_btn, self.forget_btn):
            b.setVisible(unknown)
        if unknown:
            assert take is not None
            self.send_again_btn.setText(
                f"Send again (pays again, {fmt_usd(take.cost_value, '$?')})")

    def refresh(self) -> None:
        current = self.tree.currentItem()
        current_take = current.data(1, Qt.ItemDataRole.UserRole) if current else None
        self.tree.clear()
        sb = self.doc.storyboard
        # Takes that need the user, from any session: unknown outcomes, files not fetched.
        waiting = sorted((t for t in self.doc.takes.values() if t.id not in self.take_ids
                          and t.status in (TakeStatus.UNKNOWN, TakeStatus.UNDOWNLOADED)),
                         key=lambda t: (t.created_at, t.id))
        for tid in [*[t.id for t in waiting], *reversed(self.take_ids)]:
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
            if take.status is TakeStatus.UNKNOWN:
                state += f"\n{unknown_details(take)}"
                why = (take.error or "").removeprefix(STATUS_TEXT[take.status] + ": ")
                if why:
                    state += f"\n{why}"
            elif take.error:
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
            item.setToolTip(1, message)
            item.setData(0, Qt.ItemDataRole.UserRole, sid)
            item.setForeground(1, theme.FAILED)
            self.tree.addTopLevelItem(item)
        self._sync()
