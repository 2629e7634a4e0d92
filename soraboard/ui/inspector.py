"""The segment inspector: everything about the selected segment, top to bottom in the order a
creator decides — title; model, size, duration; continuity and reference frame; action beats;
the composed prompt exactly as it will be sent; dialogue and audio; the transition into the
next segment; the buttons, whose labels carry the cost.

Every change goes through a Document intent method; the inspector never assigns to the model.
Refreshing from the document skips fields whose value already matches, so typing is never
interrupted by its own echo.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontDatabase, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from soraboard.catalog.cost import fmt_usd, regenerate_cost, segment_cost
from soraboard.document import Document
from soraboard.model.dialogue import (
    DialogueSyntaxError,
    dialogue_problems,
    format_dialogue,
    parse_dialogue,
)
from soraboard.model.prompt import compose_prompt
from soraboard.model.status import SegmentState
from soraboard.model.storyboard import Continuity, RefMode, Segment, Transition, TransitionType
from soraboard.model.take import chosen_take
from soraboard.model.timing import (
    BeatSyntaxError,
    clip_length,
    fmt_seconds,
    format_beats,
    parse_beats,
)
from soraboard.ui import theme
from soraboard.ui.beats import BeatStrip
from soraboard.ui.cast_panel import CastPanel
from soraboard.ui.icons import icon
from soraboard.ui.keyframe_panel import KeyframePanel
from soraboard.ui.widgets import GrowingTextEdit, Segmented, caption
from soraboard.workers.thumbnails import ThumbnailService

REF_MODES = [
    (RefMode.LAST, "Last frame"),
    (RefMode.SHARPEST, "Sharpest of the last frames"),
    (RefMode.AT_TIME, "A frame I pick"),
    (RefMode.CUSTOM, "A custom image"),
]


class SegmentInspector(QScrollArea):
    generate_requested = Signal(str)  #: segment id (generate or regenerate)
    cancel_requested = Signal(str)
    image_chosen = Signal(str, str)  #: segment id, image path (the window copies it in)
    pick_frame_requested = Signal(str)  #: segment id: open the frame picker on the previous take

    def __init__(self, doc: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        #: decodes the previous take's frame for the reference preview (set by the window)
        self.frames: ThumbnailService | None = None
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        self.setWidget(body)
        v = QVBoxLayout(body)
        v.setContentsMargins(12, 10, 12, 12)
        v.setSpacing(6)

        self.empty = QLabel("Select a segment on the timeline to edit it, or press Insert to "
                            "add one.")
        self.empty.setWordWrap(True)
        v.addWidget(self.empty)

        self.form = QWidget()
        f = QVBoxLayout(self.form)
        f.setContentsMargins(0, 0, 0, 0)
        f.setSpacing(6)
        v.addWidget(self.form)
        v.addStretch(1)

        self.heading = QLabel()
        self.heading.setWordWrap(True)
        f.addWidget(self.heading)

        f.addWidget(caption("Title"))
        self.title = QLineEdit()
        self.title.setPlaceholderText("A short name for this shot")
        f.addWidget(self.title)

        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.addWidget(caption("Model"), 0, 0)
        grid.addWidget(caption("Size"), 0, 1)
        self.model = QComboBox()
        self.model.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model.setMinimumContentsLength(12)
        self.size = QComboBox()
        grid.addWidget(self.model, 1, 0)
        grid.addWidget(self.size, 1, 1)
        grid.addWidget(caption("Duration"), 2, 0)
        grid.addWidget(caption("Continuity"), 2, 1)
        self.duration = Segmented()
        self.continuity = Segmented()
        self.continuity.set_options([("Chain", Continuity.CHAIN),
                                     ("Independent", Continuity.INDEPENDENT)])
        grid.addWidget(self.duration, 3, 0)
        grid.addWidget(self.continuity, 3, 1)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        f.addLayout(grid)
        self.model_note = QLabel()
        self.model_note.setWordWrap(True)
        f.addWidget(self.model_note)

        trim = QHBoxLayout()
        self.trim_in = QDoubleSpinBox()
        self.trim_out = QDoubleSpinBox()
        for w, prefix in ((self.trim_in, "in "), (self.trim_out, "out ")):
            w.setDecimals(2)
            w.setSingleStep(0.1)
            w.setSuffix(" s")
            w.setPrefix(prefix)
            w.setKeyboardTracking(False)
        trim.addWidget(caption("Trim"))
        trim.addWidget(self.trim_in, 1)
        trim.addWidget(self.trim_out, 1)
        f.addLayout(trim)

        # reference frame
        ref = QHBoxLayout()
        self.ref_thumb = QLabel()
        self.ref_thumb.setFixedSize(96, 54)
        self.ref_thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.ref_thumb.setStyleSheet("background: palette(base); border-radius: 3px;")
        ref.addWidget(self.ref_thumb)
        refcol = QVBoxLayout()
        self.ref_text = QLabel()
        self.ref_text.setWordWrap(True)
        refcol.addWidget(self.ref_text)
        row = QHBoxLayout()
        self.ref_mode = QComboBox()
        for mode, label in REF_MODES:
            self.ref_mode.addItem(label, mode)
        self.ref_time = QDoubleSpinBox()
        self.ref_time.setDecimals(2)
        self.ref_time.setSuffix(" s")
        self.ref_time.setKeyboardTracking(False)
        self.ref_image_btn = QPushButton(icon("image"), "Choose…")
        self.ref_pick_btn = QPushButton(icon("image"), "Pick…")
        self.ref_pick_btn.setToolTip("See the previous take's frames and pick the one this "
                                     "segment starts from")
        row.addWidget(self.ref_mode, 1)
        row.addWidget(self.ref_time)
        row.addWidget(self.ref_pick_btn)
        row.addWidget(self.ref_image_btn)
        refcol.addLayout(row)
        ref.addLayout(refcol, 1)
        self.ref_box = QWidget()
        self.ref_box.setLayout(ref)
        f.addWidget(self.ref_box)
        self.face_warning = QLabel()
        self.face_warning.setWordWrap(True)
        self.face_warning.setStyleSheet(f"color: {theme.STALE.name()};")
        self.face_warning.hide()
        f.addWidget(self.face_warning)
        self.cast_panel = CastPanel(doc)  # who and what appears (soraboard/ui/cast_panel.py)
        f.addWidget(self.cast_panel)
        self.keyframes = KeyframePanel(doc)  # first / last frame stills (issue 17.3)
        f.addWidget(self.keyframes)

        f.addWidget(caption("Actions · drag to retime"))
        self.beat_strip = BeatStrip()
        f.addWidget(self.beat_strip)
        self.beats_text = GrowingTextEdit("[0–4 s] what happens first\n[4–8 s] then …", 3)
        f.addWidget(self.beats_text)
        self.beats_error = QLabel()
        self.beats_error.setStyleSheet(f"color: {theme.FAILED.name()};")
        self.beats_error.setWordWrap(True)
        self.beats_error.hide()
        f.addWidget(self.beats_error)

        f.addWidget(caption("Scene"))
        self.scene = GrowingTextEdit("Where we are, who is there, what it looks like", 3)
        f.addWidget(self.scene)
        f.addWidget(caption("Cinematography"))
        self.cinematography = GrowingTextEdit("Camera, framing, movement, light", 2)
        f.addWidget(self.cinematography)

        head = QHBoxLayout()
        head.addWidget(caption("Composed prompt"))
        head.addStretch(1)
        self.prompt_len = QLabel()
        head.addWidget(self.prompt_len)
        f.addLayout(head)
        self.prompt = GrowingTextEdit("", 7)
        self.prompt.setReadOnly(True)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(max(self.font().pointSizeF() - 1, 7))
        self.prompt.setFont(mono)
        f.addWidget(self.prompt)

        da = QGridLayout()
        da.addWidget(caption("Dialogue"), 0, 0)
        da.addWidget(caption("Audio"), 0, 1)
        self.dialogue = GrowingTextEdit("", 2)
        self.audio = GrowingTextEdit("Ambience, effects, music", 2)
        da.addWidget(self.dialogue, 1, 0)
        da.addWidget(self.audio, 1, 1)
        f.addLayout(da)
        # problems with the typed lines (red) or with their timing (a warning, amber)
        self.dialogue_note = QLabel()
        self.dialogue_note.setWordWrap(True)
        self.dialogue_note.hide()
        f.addWidget(self.dialogue_note)

        into = QFormLayout()
        trow = QHBoxLayout()
        self.transition = QComboBox()
        for t in TransitionType:
            self.transition.addItem(t.label, t)
        self.transition_duration = QDoubleSpinBox()
        self.transition_duration.setDecimals(2)
        self.transition_duration.setSingleStep(0.25)
        self.transition_duration.setRange(0.0, 6.0)
        self.transition_duration.setSuffix(" s")
        self.transition_duration.setKeyboardTracking(False)
        trow.addWidget(self.transition, 1)
        trow.addWidget(self.transition_duration)
        into.addRow(caption("Into next"), trow)
        self.into_box = QWidget()
        self.into_box.setLayout(into)
        f.addWidget(self.into_box)

        buttons = QHBoxLayout()
        self.generate_btn = QPushButton(icon("generate"), "Generate")
        self.cancel_btn = QPushButton(icon("cancel"), "Cancel job")
        buttons.addWidget(self.generate_btn)
        buttons.addWidget(self.cancel_btn)
        buttons.addStretch(1)
        f.addLayout(buttons)
        self.status_line = QLabel()
        self.status_line.setWordWrap(True)
        f.addWidget(self.status_line)

        self._beats_timer = QTimer(self)
        self._beats_timer.setSingleShot(True)
        self._beats_timer.setInterval(400)
        self._beats_timer.timeout.connect(self._commit_beats_text)
        self._dialogue_timer = QTimer(self)
        self._dialogue_timer.setSingleShot(True)
        self._dialogue_timer.setInterval(400)
        self._dialogue_timer.timeout.connect(self._commit_dialogue_text)
        self._connect()
        doc.storyboard_changed.connect(self.refresh)
        doc.selection_changed.connect(self.refresh)
        doc.takes_changed.connect(self.refresh)
        self.refresh()

    # ------------------------------------------------------------------ wiring

    def _sid(self) -> str | None:
        return self.doc.current_id

    def _set(self, field: str, value: object) -> None:
        sid = self._sid()
        if sid is not None:
            self.doc.set_field(sid, field, value)

    def _connect(self) -> None:
        self.title.textEdited.connect(lambda t: self._set("title", t))
        for name in ("scene", "cinematography", "audio"):
            w: GrowingTextEdit = getattr(self, name)
            w.textChanged.connect(lambda n=name, w=w: self._set(n, w.toPlainText()))
        self.dialogue.textChanged.connect(self._dialogue_timer.start)
        self.model.activated.connect(self._on_model_activated)
        self.size.activated.connect(lambda _i: self._set("size", self.size.currentData()))
        self.duration.changed.connect(self._on_duration_changed)
        self.continuity.changed.connect(lambda v: self._set("continuity", v))
        self.trim_in.valueChanged.connect(lambda v: self._set("trim_in", round(v, 3)))
        self.trim_out.valueChanged.connect(self._on_trim_out)
        self.ref_mode.activated.connect(self._on_ref_mode)
        self.ref_pick_btn.clicked.connect(self._on_pick_frame)
        self.ref_time.valueChanged.connect(lambda v: self._set("ref_time", round(v, 3)))
        self.ref_image_btn.clicked.connect(self._choose_image)
        self.beat_strip.beats_edited.connect(lambda beats: self._set("actions", beats))
        self.beat_strip.dialogue_edited.connect(lambda lines: self._set("dialogue", lines))
        self.beats_text.textChanged.connect(self._beats_timer.start)
        self.transition.activated.connect(self._on_transition)
        self.transition_duration.valueChanged.connect(lambda _v: self._on_transition())
        self.generate_btn.clicked.connect(lambda: self._emit(self.generate_requested))
        self.cancel_btn.clicked.connect(lambda: self._emit(self.cancel_requested))

    def _emit(self, signal: Signal) -> None:  # type: ignore[type-arg]
        sid = self._sid()
        if sid is not None:
            signal.emit(sid)  # type: ignore[attr-defined]

    def _on_model_activated(self, _index: int) -> None:
        sid = self._sid()
        model_id = self.model.currentData()
        spec = self.doc.catalog.get(model_id)
        if sid is None or spec is None:
            return
        seg = self.doc.storyboard.segment(sid)
        changes: dict[str, object] = {"model": model_id}
        if not spec.allows_duration(seg.duration):
            changes["duration"] = min(spec.durations, key=lambda d: (abs(d - seg.duration), -d))
        if not spec.allows_size(seg.size):
            same_shape = [s for s in spec.sizes if _landscape(s) == _landscape(seg.size)]
            changes["size"] = (same_shape or list(spec.sizes))[0]
        self.doc.set_fields(sid, **changes)

    def _on_duration_changed(self, value: object) -> None:
        sid = self._sid()
        if sid is None or not isinstance(value, float):
            return
        seg = self.doc.storyboard.segment(sid)
        changes: dict[str, object] = {"duration": value}
        if seg.trim_out is not None and seg.trim_out > value:
            changes["trim_out"] = None
        # beats that would fall outside the new length are squeezed to fit
        if seg.actions and max(b.end for b in seg.actions) > value:
            factor = value / max(b.end for b in seg.actions)
            changes["actions"] = tuple(b.__class__(round(b.start * factor, 2),
                                                   round(b.end * factor, 2), b.text)
                                       for b in seg.actions)
        self.doc.set_fields(sid, **changes)

    def _on_trim_out(self, value: float) -> None:
        sid = self._sid()
        if sid is None:
            return
        length = clip_length(self.doc.storyboard.segment(sid), self.doc.takes)
        self._set("trim_out", None if value >= length - 1e-6 else round(value, 3))

    def _on_pick_frame(self) -> None:
        sid = self._sid()
        if sid is not None:
            self.pick_frame_requested.emit(sid)

    def _on_ref_mode(self, _index: int) -> None:
        mode = self.ref_mode.currentData()
        self._set("ref_mode", mode)
        if mode is RefMode.CUSTOM:
            sid = self._sid()
            if sid and not self.doc.storyboard.segment(sid).reference_image:
                self._choose_image()

    def _choose_image(self) -> None:
        sid = self._sid()
        if sid is None:
            return
        path, _ = QFileDialog.getOpenFileName(self, "Reference image", "",
                                              "Images (*.png *.jpg *.jpeg *.webp)")
        if path:
            self.image_chosen.emit(sid, path)

    def _commit_dialogue_text(self) -> None:
        sid = self._sid()
        if sid is None:
            return
        seg = self.doc.storyboard.segment(sid)
        try:
            lines = parse_dialogue(self.dialogue.toPlainText(), seg.duration)
        except DialogueSyntaxError as e:
            self._show_dialogue_note(str(e), error=True)
            return
        if lines != seg.dialogue:
            self._set("dialogue", lines)
        self._refresh_dialogue_note(self.doc.storyboard.segment(sid))

    def _show_dialogue_note(self, text: str, *, error: bool) -> None:
        colour = theme.FAILED if error else theme.STALE
        self.dialogue_note.setStyleSheet(f"color: {colour.name()};")
        self.dialogue_note.setText(text)
        self.dialogue_note.setVisible(bool(text))

    def _refresh_dialogue_note(self, seg: Segment) -> None:
        self._show_dialogue_note("\n".join(dialogue_problems(seg.dialogue, seg.duration)),
                                 error=False)

    def _commit_beats_text(self) -> None:
        try:
            beats = parse_beats(self.beats_text.toPlainText())
        except BeatSyntaxError as e:
            self.beats_error.setText(str(e))
            self.beats_error.show()
            return
        self.beats_error.hide()
        self._set("actions", beats)

    def _on_transition(self, _index: int = 0) -> None:
        sid = self._sid()
        if sid is None:
            return
        kind = self.transition.currentData()
        dur = 0.0 if kind is TransitionType.CUT else self.transition_duration.value()
        if kind is not TransitionType.CUT and dur <= 0:
            dur = 0.5
        self.doc.set_transition(sid, Transition(kind, round(dur, 3)))

    # ------------------------------------------------------------------ refresh

    def refresh(self) -> None:
        sid = self._sid()
        sb = self.doc.storyboard
        if sid is None or not sb.has_segment(sid):
            self.form.hide()
            self.empty.show()
            return
        self.empty.hide()
        self.form.show()
        index = sb.index_of(sid)
        seg = sb.segments[index]
        status = self.doc.statuses()[index]
        n_sel = len(self.doc.selection)
        more = f" · {n_sel} selected, editing this one" if n_sel > 1 else ""
        bold = QFont(self.heading.font())
        bold.setBold(True)
        self.heading.setFont(bold)
        self.heading.setText(f"Segment {index + 1} of {len(sb.segments)}{more}")

        if self.title.text() != seg.title and not self.title.hasFocus():
            self.title.setText(seg.title)
        elif self.title.text() != seg.title:
            pos = self.title.cursorPosition()
            self.title.setText(seg.title)
            self.title.setCursorPosition(min(pos, len(seg.title)))
        self._refresh_model(seg)
        self.continuity.set_value(seg.continuity)
        first = index == 0
        self.continuity.setEnabled(True)
        chain_btn = self.continuity.button_for(Continuity.CHAIN)
        if chain_btn is not None:
            chain_btn.setEnabled(not first or seg.is_chained)
            chain_btn.setToolTip("The first segment has nothing to continue from" if first else
                                 "Start from a frame of the previous segment's chosen take")

        length = clip_length(seg, self.doc.takes)
        for w in (self.trim_in, self.trim_out):
            w.blockSignals(True)
            w.setRange(0.0, length)
        self.trim_in.setValue(seg.trim_in)
        self.trim_out.setValue(length if seg.trim_out is None else seg.trim_out)
        for w in (self.trim_in, self.trim_out):
            w.blockSignals(False)

        self._refresh_reference(index, seg)

        self.beat_strip.set_beats(seg.actions, seg.duration, seg.dialogue)
        if not self.beats_text.hasFocus() or not self._beats_timer.isActive():
            try:
                current = parse_beats(self.beats_text.toPlainText())
            except BeatSyntaxError:
                current = None
            if (current != seg.actions and not self.beats_text.hasFocus()) or (current != seg.actions and self.beats_error.isHidden()):
                self.beats_text.set_text_if_different(format_beats(seg.actions))
        for name in ("scene", "cinematography", "audio"):
            getattr(self, name).set_text_if_different(getattr(seg, name))
        if not self.dialogue.hasFocus() and not self._dialogue_timer.isActive():
            try:
                typed = parse_dialogue(self.dialogue.toPlainText(), seg.duration)
            except DialogueSyntaxError:
                typed = None
            if typed != seg.dialogue:
                self.dialogue.set_text_if_different(format_dialogue(seg.dialogue))
            self._refresh_dialogue_note(seg)
        spec = self.doc.catalog.get(seg.model)
        limit = spec.prompt_max_chars if spec else None
        composed = compose_prompt(sb, index, limit)
        self.prompt.set_text_if_different(composed.text)
        self.prompt_len.setText(f"{composed.length:,} / {limit:,}" if limit
                                else f"{composed.length:,} characters")
        self.prompt_len.setStyleSheet(f"color: {theme.FAILED.name()};" if composed.over_limit
                                      else "")
        dialogue_hint = dialogue_placeholder(seg.duration)
        self.dialogue.setPlaceholderText(dialogue_hint)

        last = index == len(sb.segments) - 1
        self.into_box.setEnabled(not last)
        self.into_box.setToolTip("The last segment has no transition after it" if last else "")
        self.transition.setCurrentIndex(self.transition.findData(seg.transition_out.type))
        self.transition_duration.blockSignals(True)
        self.transition_duration.setValue(seg.transition_out.duration)
        self.transition_duration.setEnabled(seg.transition_out.type is not TransitionType.CUT)
        self.transition_duration.blockSignals(False)

        running = status.state in (SegmentState.GENERATING, SegmentState.QUEUED)
        has_take = any(t.segment_id == seg.id for t in self.doc.takes.values())
        # says exactly what the click runs and what the confirmation will say it costs
        if has_take:
            rc = regenerate_cost(sb, self.doc.catalog, index)
            extra = f" (+ stale {', '.join(str(i + 1) for i in rc.stale_after)})" \
                if rc.stale_after else ""
            self.generate_btn.setText(f"Regenerate {index + 1}{extra} · est. "
                                      f"{rc.amount.describe()}")
        else:
            self.generate_btn.setText(
                f"Generate · est. {fmt_usd(segment_cost(seg, self.doc.catalog).cost)}")
        self.generate_btn.setEnabled(not running)
        self.cancel_btn.setVisible(running)
        color = theme.status_color(status.state)
        self.status_line.setText(f"<span style='color:{color.name()}'>●</span> "
                                 f"{status.describe()}")

    def _refresh_model(self, seg: Segment) -> None:
        cat = self.doc.catalog
        ids = list(cat)
        if seg.model not in cat:
            ids.append(seg.model)
        labels = []
        for mid in ids:
            spec = cat.get(mid)
            if spec is None:
                labels.append((f"{mid} · unknown model", mid))
                continue
            rate = spec.price_per_second(seg.size)
            price = f"${rate:.2f}/s" if rate is not None else "price unknown"
            retired = " · retired" if spec.retired else ""
            labels.append((f"{mid} · {price}{retired}", mid))
        if [self.model.itemData(i) for i in range(self.model.count())] != ids or [
                self.model.itemText(i) for i in range(self.model.count())] != [t for t, _ in labels]:
            self.model.clear()
            for text, mid in labels:
                spec = cat.get(mid)
                self.model.addItem(icon("warning", theme.STALE) if spec is not None and spec.retired
                                   else icon("film"), text, mid)
        self.model.setCurrentIndex(self.model.findData(seg.model))
        spec = cat.get(seg.model)
        sizes = list(spec.sizes) if spec else [seg.size]
        if seg.size not in sizes:
            sizes.append(seg.size)
        if [self.size.itemData(i) for i in range(self.size.count())] != sizes:
            self.size.clear()
            for s in sizes:
                rate = spec.price_per_second(s) if spec else None
                self.size.addItem(s.replace("x", "×") + (f" · ${rate:.2f}/s" if rate else ""), s)
        self.size.setCurrentIndex(self.size.findData(seg.size))
        durations = list(spec.durations) if spec else [seg.duration]
        if seg.duration not in durations:
            durations.append(seg.duration)
        self.duration.set_options([(f"{fmt_seconds(d)} s", float(d)) for d in sorted(durations)])
        self.duration.set_value(float(seg.duration))
        if spec is not None and spec.retired:
            self.model_note.setText(f"<span style='color:{theme.STALE.name()}'>⚠ {spec.id} was "
                                    f"retired upstream on {spec.retired}.</span> "
                                    "A gateway may still route it; the animatic backend always "
                                    "can.")
            self.model_note.show()
        elif spec is None:
            self.model_note.setText(f"<span style='color:{theme.FAILED.name()}'>Unknown model "
                                    "— add it to models.json or pick another.</span>")
            self.model_note.show()
        else:
            self.model_note.hide()

    def _refresh_reference(self, index: int, seg: Segment) -> None:
        sb = self.doc.storyboard
        chained = seg.is_chained and index > 0
        custom = seg.ref_mode is RefMode.CUSTOM
        # a still to start on is shown by the keyframe section below
        self.ref_box.setVisible(chained and not custom)
        self.ref_mode.setCurrentIndex(self.ref_mode.findData(seg.ref_mode))
        self.ref_mode.setEnabled(chained or custom)
        self.ref_time.setVisible(seg.ref_mode is RefMode.AT_TIME)
        self.ref_pick_btn.setVisible(chained and seg.ref_mode is RefMode.AT_TIME)
        self.ref_image_btn.setVisible(custom or not chained)
        prev = sb.segments[index - 1] if index > 0 else None
        prev_usable = False
        pt = None
        if prev is not None and prev.chosen_take:
            pt = self.doc.takes.get(prev.chosen_take)
            prev_usable = pt is not None and pt.usable
        self.ref_pick_btn.setEnabled(prev_usable)
        self.ref_pick_btn.setToolTip(
            "See the previous take's frames and pick the one this segment starts from"
            if prev_usable else f"Segment {index} has no take to pick from yet")
        if prev is not None:
            self.ref_time.blockSignals(True)
            self.ref_time.setRange(0.0, clip_length(prev, self.doc.takes))
            self.ref_time.setValue(seg.ref_time or 0.0)
            self.ref_time.blockSignals(False)
        pix = QPixmap()
        if custom and seg.reference_image:
            try:
                pix = QPixmap(str(self.doc.bundle.resolve(seg.reference_image)))
            except Exception:
                pix = QPixmap()
            text = f"Starts from the image <b>{seg.reference_image.split('/')[-1]}</b>"
        elif chained and prev is not None:
            mine = chosen_take(seg, self.doc.takes)
            if mine is not None and mine.request.reference_file:
                try:  # the exact frame this segment's take was sent
                    pix = QPixmap(str(self.doc.bundle.resolve(mine.request.reference_file)))
                except Exception:
                    pix = QPixmap()
            where = {RefMode.LAST: "last frame", RefMode.SHARPEST: "sharpest of the last frames",
                     RefMode.AT_TIME: f"frame at {fmt_seconds(seg.ref_time)} s"
                     if seg.ref_time is not None else "last frame until you pick one",
                     RefMode.CUSTOM: "custom image"}[seg.ref_mode]
            prev_take = chosen_take(prev, self.doc.takes)
            ready = "" if prev_take is not None and prev_take.usable else \
                " — waits for its take"
            text = f"Starts from <b>segment {index}</b>, {where}{ready}"
            if pix.isNull() and prev_usable and pt is not None and pt.file:
                pix = self._previous_frame(pt.file, seg, prev)
        elif seg.reference_image:
            text = f"Starts from the image <b>{seg.reference_image.split('/')[-1]}</b>"
        else:
            text = "A new shot"
        self.ref_text.setText(text)
        if pix.isNull():
            self.ref_thumb.setText("no frame\nyet")
        else:
            self.ref_thumb.setPixmap(pix.scaled(self.ref_thumb.size(),
                                                Qt.AspectRatioMode.KeepAspectRatio,
                                                Qt.TransformationMode.SmoothTransformation))

    def _previous_frame(self, file: str, seg: Segment, prev: Segment) -> QPixmap:
        """Until this segment has a take, the card shows the frame it will start from: the
        picked time, else the end of the previous take (decoded off the GUI thread; the
        inspector looks again when the thumbnail service reports new pictures)."""
        if self.frames is None:
            return QPixmap()
        length = clip_length(prev, self.doc.takes)
        at = seg.ref_time if seg.ref_mode is RefMode.AT_TIME and seg.ref_time is not None \
            else max(length - 1 / 30, 0.0)
        try:
            path = self.doc.bundle.resolve(file)
        except Exception:
            return QPixmap()
        img = self.frames.get(path, round(at, 2))
        if img is None:
            if self.frames.pending(path, round(at, 2)) and not self._waiting_frame:
                self._waiting_frame = True
                self.frames.updated.connect(self._frame_arrived)
            return QPixmap()
        return QPixmap.fromImage(img)

    _waiting_frame = False

    def _frame_arrived(self) -> None:
        assert self.frames is not None
        self.frames.updated.disconnect(self._frame_arrived)
        self._waiting_frame = False
        index = self.doc.current_index()
        if index is not None:
            self._refresh_reference(index, self.doc.storyboard.segments[index])

    def set_face_warning(self, text: str | None) -> None:
        self.face_warning.setVisible(bool(text))
        self.face_warning.setText(text or "")


def dialogue_placeholder(duration: float) -> str:
    """What fits in the shot's length: about one short spoken line per 4 seconds."""
    n = max(1, int(duration // 4))
    d = f"{fmt_seconds(duration)} s"
    fits = (f"at most one fits {d}" if n == 1 else f"one or two lines fit {d}" if n == 2
            else f"up to {n} lines fit {d}")
    return f'[0–2 s] Name: "a short line" — {fits}'


def _landscape(size: str) -> bool:
    w, _, h = size.partition("x")
    return w.isdigit() and h.isdigit() and int(w) >= int(h)

