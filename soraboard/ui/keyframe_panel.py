"""The inspector's keyframe section: what the selected segment starts on and ends on.

First frame: the previous take's frame (chained — the reference-frame controls above say
which frame), a keyframe still (imported, generated for the boundary before — for the first
segment, from its own prompt — or cut from any take), or none (a new shot). Last frame: a
keyframe still (generated for the boundary after, or from the segment's own prompt when it is
the last or the next shot is a cut), offered only when the segment's model has last-frame
input (the catalog says so); otherwise the controls are disabled with the reason. A still both neighbours meet holds the boundary: the two shots generate at once.

The panel only shows and asks: it emits intents, and the window hands them to the
:class:`~soraboard.ui.controllers.keyframes.KeyframeController`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtGui import QPixmap, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from soraboard.document import Document
from soraboard.model.still_slots import own_slot
from soraboard.model.storyboard import RefMode, Segment
from soraboard.storage.errors import ProjectError
from soraboard.ui import theme
from soraboard.ui.icons import icon
from soraboard.ui.widgets import caption

THUMB_W, THUMB_H = 96, 54
FIRST_MODES = [
    ("chain", "Previous take's frame (chained)"),
    ("still", "A keyframe still"),
    ("none", "None — a new shot"),
]


class _StillRow(QWidget):
    """A thumbnail, a line of text and the buttons that set one frame (first or last)."""

    def __init__(self, which: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.which = which
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(4)
        h = QHBoxLayout()
        h.setSpacing(8)
        self.thumb = QLabel()
        self.thumb.setFixedSize(THUMB_W, THUMB_H)
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumb.setStyleSheet("background: palette(base); border-radius: 3px; "
                                 f"color: {theme.secondary_text().name()};")
        h.addWidget(self.thumb, 0, Qt.AlignmentFlag.AlignTop)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        h.addWidget(self.text, 1)
        outer.addLayout(h)
        # the buttons get the dock's whole width: beside the thumbnail they would not fit
        row = QHBoxLayout()
        row.setSpacing(4)
        self.import_btn = QPushButton(icon("import"), "Import…")
        self.import_btn.setToolTip("Use an image file (copied into the project)")
        self.generate_btn = QPushButton(icon("generate"), "Generate")
        self.take_btn = QToolButton()
        self.take_btn.setIcon(icon("film"))
        self.take_btn.setText("From a take ▾")
        self.take_btn.setToolTip("Use a frame of any take: pick the take, then the frame")
        self.take_btn.setStyleSheet("QToolButton::menu-indicator { image: none; width: 0; }")
        self.take_btn.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.take_btn.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.take_menu = QMenu(self.take_btn)
        self.take_btn.setMenu(self.take_menu)
        self.clear_btn = QToolButton()
        self.clear_btn.setIcon(icon("cancel"))
        self.clear_btn.setToolTip("Let the clip end wherever the model takes it")
        self.clear_btn.setAutoRaise(True)
        # the stills made for this frame (a still is a take of its slot): opens the chooser
        self.stills_btn = QToolButton()
        self.stills_btn.setIcon(icon("history"))
        self.stills_btn.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.stills_btn.setToolTip("Every still made for this frame: compare them, choose "
                                   "one, or make it again with the same request")
        for w in (self.import_btn, self.generate_btn, self.take_btn):
            row.addWidget(w)
        row.addStretch(1)
        row.addWidget(self.stills_btn)
        row.addWidget(self.clear_btn)
        outer.addLayout(row)

    def set_buttons_enabled(self, on: bool) -> None:
        for w in (self.import_btn, self.generate_btn, self.take_btn, self.clear_btn):
            w.setEnabled(on)


class KeyframePanel(QWidget):
    first_mode_chosen = Signal(str, str)  #: segment id, "chain" | "still" | "none"
    import_requested = Signal(str, str)  #: segment id, "first" | "last"
    generate_requested = Signal(str, str)  #: segment id, "first" | "last"
    take_frame_requested = Signal(str, str, str)  #: segment id, "first" | "last", take id
    last_cleared = Signal(str)  #: segment id
    stills_requested = Signal(str, str)  #: segment id, "first" | "last": open the chooser

    def __init__(self, doc: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self._busy = False
        self._pixmaps: dict[tuple[str, float], QPixmap] = {}
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 4, 0, 4)
        v.setSpacing(6)
        head = QHBoxLayout()
        head.addWidget(caption("Keyframes"))
        head.addStretch(1)
        self.boundary_note = QLabel()
        self.boundary_note.setStyleSheet(theme.secondary_style())
        head.addWidget(self.boundary_note)
        v.addLayout(head)

        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(6)
        first_label = QLabel("First frame")
        first_label.setStyleSheet(theme.secondary_style())
        self.first_mode = QComboBox()
        for mode, label in FIRST_MODES:
            self.first_mode.addItem(label, mode)
        grid.addWidget(first_label, 0, 0)
        grid.addWidget(self.first_mode, 0, 1)
        self.first = _StillRow("first")
        self.first.clear_btn.hide()  # "None" in the list says it
        grid.addWidget(self.first, 1, 0, 1, 2)
        last_label = QLabel("Last frame")
        last_label.setStyleSheet(theme.secondary_style())
        grid.addWidget(last_label, 2, 0)
        self.last = _StillRow("last")
        grid.addWidget(self.last, 3, 0, 1, 2)
        grid.setColumnStretch(1, 1)
        v.addLayout(grid)

        self.first_mode.activated.connect(self._on_first_mode_activated)
        for row in (self.first, self.last):
            row.import_btn.clicked.connect(lambda _c=False, r=row: self._emit(
                self.import_requested, r.which))
            row.generate_btn.clicked.connect(lambda _c=False, r=row: self._emit(
                self.generate_requested, r.which))
            row.take_menu.aboutToShow.connect(lambda r=row: self._fill_take_menu(r))
            row.stills_btn.clicked.connect(lambda _c=False, r=row: self._emit(
                self.stills_requested, r.which))
        self.last.clear_btn.clicked.connect(self._on_last_clear)
        doc.storyboard_changed.connect(self.refresh)
        doc.selection_changed.connect(self.refresh)
        doc.takes_changed.connect(self.refresh)
        self.refresh()

    # ------------------------------------------------------------------ intents

    def _sid(self) -> str | None:
        sid = self.doc.current_id
        return sid if sid is not None and self.doc.storyboard.has_segment(sid) else None

    def _emit(self, signal: SignalInstance, which: str) -> None:
        sid = self._sid()
        if sid is not None:
            signal.emit(sid, which)

    def _on_first_mode_activated(self, _index: int) -> None:
        sid = self._sid()
        if sid is not None:
            self.first_mode_chosen.emit(sid, self.first_mode.currentData())
        self.refresh()  # an import that was cancelled leaves the list as it was

    def _on_last_clear(self) -> None:
        sid = self._sid()
        if sid is not None:
            self.last_cleared.emit(sid)

    def _fill_take_menu(self, row: _StillRow) -> None:
        """Every usable take of the film, newest segment first: any frame may become a
        still."""
        row.take_menu.clear()
        sb = self.doc.storyboard
        any_take = False
        for i, seg in enumerate(sb.segments):
            takes = [t for t in self.doc.takes_of(seg.id) if t.usable and t.file]
            for n, take in enumerate(takes, 1):
                chosen = " · chosen" if take.id == seg.chosen_take else ""
                act = row.take_menu.addAction(
                    f"{i + 1} · {seg.title or 'Untitled'} — take {n}{chosen}")
                act.triggered.connect(lambda _c=False, r=row, t=take.id: self._on_take_picked(
                    r, t))
                any_take = True
        if not any_take:
            act = row.take_menu.addAction("No take has been generated or imported yet")
            act.setEnabled(False)

    def _on_take_picked(self, row: _StillRow, take_id: str) -> None:
        sid = self._sid()
        if sid is not None:
            self.take_frame_requested.emit(sid, row.which, take_id)

    def set_busy(self, busy: bool) -> None:
        """While stills are being made, the buttons that make more wait."""
        self._busy = busy
        self.refresh()

    # ------------------------------------------------------------------ refresh

    def refresh(self) -> None:
        sid = self._sid()
        if sid is None:
            return
        sb = self.doc.storyboard
        index = sb.index_of(sid)
        seg = sb.segments[index]
        self._refresh_first(index, seg)
        self._refresh_last(index, seg)
        for row in (self.first, self.last):
            n = len(self.doc.stills_for(sid, row.which))
            row.stills_btn.setText(f"{n} still" if n == 1 else f"{n} stills")
            row.stills_btn.setVisible(n > 0)
        held = [f"{i + 1}→{i + 2}" for i in (index - 1, index) if sb.held_by_keyframe(i)]
        self.boundary_note.setText(("◆ held " + ", ".join(held)) if held else "")
        self.boundary_note.setToolTip("Boundaries of this segment held by a shared keyframe "
                                      "still: the shots on both sides generate at once"
                                      if held else "")

    def first_mode_value(self, index: int, seg: Segment) -> str:
        if seg.first_keyframe is not None:
            return "still"
        if seg.is_chained and index > 0:
            return "chain"
        return "none"

    def _refresh_first(self, index: int, seg: Segment) -> None:
        sb = self.doc.storyboard
        mode = self.first_mode_value(index, seg)
        self.first_mode.setCurrentIndex(self.first_mode.findData(mode))
        model = self.first_mode.model()
        assert isinstance(model, QStandardItemModel)  # a QComboBox's own model
        item = model.item(0)
        item.setEnabled(index > 0)
        item.setToolTip("The first segment has no previous take" if index == 0 else "")
        row = self.first
        row.set_buttons_enabled(not self._busy)
        row.generate_btn.setToolTip(
            "Make a still of this shot's opening from its own prompt and cast; the shot "
            "starts on it" if own_slot(sb, index, "first") else
            "Make a still of the moment the previous shot ends and this one begins; the "
            "previous shot ends on it too when its model can")
        if mode == "still":
            assert seg.first_keyframe is not None
            shared = index > 0 and sb.held_by_keyframe(index - 1)
            text = f"Starts on <b>{short_name(seg.first_keyframe)}</b>"
            text += (f" — shared with segment {index}'s last frame, so the two shots "
                     "generate at once" if shared else "")
            self._show(row, seg.first_keyframe, text)
        elif mode == "chain":
            where = {RefMode.LAST: "its last frame", RefMode.SHARPEST: "the sharpest of its "
                     "last frames", RefMode.AT_TIME: "the frame picked above"}.get(
                seg.ref_mode, "its last frame")
            # the reference-frame box above already shows that frame: no second, empty one
            row.thumb.hide()
            row.text.setText(f"{where[0].upper()}{where[1:]} of segment {index}'s take, shown "
                             "above. Import or generate a still to start on it instead.")
        else:
            row.thumb.hide()
            row.text.setText("A new shot: the model starts from the prompt alone.")

    def _refresh_last(self, index: int, seg: Segment) -> None:
        sb = self.doc.storyboard
        row = self.last
        spec = self.doc.catalog.get(seg.model)
        ok = spec is not None and spec.last_frame
        row.set_buttons_enabled(ok and not self._busy)
        last = index == len(sb.segments) - 1
        if ok:
            row.generate_btn.setToolTip(
                "Make a still of this shot's close from its own prompt and cast; the shot "
                "ends on it" + ("" if last else f" (segment {index + 2} is a new shot: to "
                                "hold the cut, generate its first frame)")
                if own_slot(sb, index, "last")
                else f"Hold the boundary {index + 1}→{index + 2}: this shot ends on a new "
                     f"still and segment {index + 2} starts on it")
            row.clear_btn.setVisible(seg.last_keyframe is not None)
            row.setToolTip("")
        if not ok:
            why = (f"{seg.model} is not in the catalog" if spec is None else
                   f"{spec.id} has no last-frame input")
            row.thumb.hide()
            row.text.setText(f"<span style='color:{theme.STALE.name()}'>Cannot end on a "
                             f"still: {why}.</span> Pick a model with last-frame input "
                             "(Veo 3.1, Seedance) to hold this boundary with a keyframe.")
            row.setToolTip(f"{why}; the model decides where the clip ends")
            row.clear_btn.setVisible(seg.last_keyframe is not None)
            row.clear_btn.setEnabled(seg.last_keyframe is not None)
            return
        if seg.last_keyframe:
            shared = sb.held_by_keyframe(index)
            text = f"Ends on <b>{short_name(seg.last_keyframe)}</b>"
            text += (f" — segment {index + 2} starts on it, so both generate at once"
                     if shared else "" if last else
                     f" — segment {index + 2} does not start on it yet")
            self._show(row, seg.last_keyframe, text)
        else:
            row.thumb.hide()
            row.text.setText("Ends wherever the model takes it.")

    def _show(self, row: _StillRow, still: str, text: str) -> None:
        row.thumb.show()
        row.text.setText(text)
        row.text.setToolTip(still)
        pix = self._pixmap(still)
        if pix.isNull():
            row.thumb.setPixmap(QPixmap())
            row.thumb.setText("missing")
        else:
            row.thumb.setPixmap(pix)

    def _pixmap(self, still: str) -> QPixmap:
        """The still scaled to the thumbnail (cached by path and modification time)."""
        try:
            path = self.doc.bundle.resolve(still)
            key = (str(path), path.stat().st_mtime)
        except (ProjectError, OSError):
            return QPixmap()
        pix = self._pixmaps.get(key)
        if pix is None:
            full = QPixmap(str(path))
            pix = full if full.isNull() else full.scaled(
                THUMB_W, THUMB_H, Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation)
            if len(self._pixmaps) > 64:
                self._pixmaps.clear()
            self._pixmaps[key] = pix
        return pix



def short_name(path: str, limit: int = 26) -> str:
    """A still's file name short enough for the dock: the middle gives way (the tooltip has
    the whole path)."""
    name = Path(path).name
    if len(name) <= limit:
        return name
    keep = (limit - 1) // 2
    return f"{name[:keep]}…{name[-keep:]}"
