"""The beat editor: timed actions drawn as blocks on a strip of the segment's length, and
the spoken lines in a lane of their own below them (when the segment has dialogue).

Drag a block to move it, drag its edges to retime it; one undo step per drag. Times snap to
0.5 s (Shift: 0.1 s) because prompts are read by a model, not a frame counter.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from soraboard.model.storyboard import Beat, DialogueLine
from soraboard.model.timing import fmt_seconds
from soraboard.ui import theme

BEAT_COLORS = [QColor("#4c7dff"), QColor("#2f9e8f"), QColor("#8e5bd6"), QColor("#c9731f"),
               QColor("#2b8fd6"), QColor("#b8458a")]
EDGE = 6  # px grab zone at a block's ends
LANE = 24  # px height of the action lane when a dialogue lane is below it
SPOKEN_COLOR = QColor("#5a6270")

ACTIONS, SPOKEN = "actions", "dialogue"


class BeatStrip(QWidget):
    beats_edited = Signal(tuple)  #: the new beats (a tuple of Beat) after a drag
    dialogue_edited = Signal(tuple)  #: the new lines (a tuple of DialogueLine) after a drag

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.duration = 12.0
        self.beats: tuple[Beat, ...] = ()
        self.dialogue: tuple[DialogueLine, ...] = ()
        # lane, index, part, press t, original
        self._drag: tuple[str, int, str, float, Any] | None = None
        self.setMouseTracking(True)
        self.setMinimumHeight(44)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(300, 44 + (LANE + 2 if self.dialogue else 0))

    def set_beats(self, beats: tuple[Beat, ...], duration: float,
                  dialogue: tuple[DialogueLine, ...] = ()) -> None:
        if self._drag is None and (beats, duration, dialogue) != (
                self.beats, self.duration, self.dialogue):
            lanes_changed = bool(dialogue) != bool(self.dialogue)
            self.beats = beats
            self.dialogue = dialogue
            self.duration = max(duration, 0.1)
            if lanes_changed:
                self.setMinimumHeight(self.sizeHint().height())
                self.updateGeometry()
            self.update()

    def _items(self, lane: str) -> tuple[Any, ...]:
        return self.beats if lane == ACTIONS else self.dialogue

    def _x(self, t: float) -> float:
        return 4 + (self.width() - 8) * t / self.duration

    def _t(self, x: float) -> float:
        return (x - 4) / max(self.width() - 8, 1) * self.duration

    def _lane(self, lane: str) -> tuple[float, float]:
        """(top, height) of a lane: actions fill the strip unless there is dialogue."""
        if not self.dialogue:
            return 16, self.height() - 20
        if lane == ACTIONS:
            return 16, LANE
        return 16 + LANE + 2, self.height() - 22 - LANE

    def _rect(self, b: Any, lane: str = ACTIONS) -> QRectF:
        top, height = self._lane(lane)
        return QRectF(self._x(b.start), top, max(self._x(b.end) - self._x(b.start), 2), height)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        track = QRectF(4, 16, self.width() - 8, self.height() - 20)
        p.setPen(QPen(theme.card_border(), 1))
        p.setBrush(theme.mix(theme.surface(), theme.text(), 0.05))
        p.drawRoundedRect(track, 4, 4)
        small = self.font()
        small.setPointSizeF(max(small.pointSizeF() - 2, 7))
        p.setFont(small)
        fm = QFontMetrics(small)
        step = 1.0 if self.duration <= 12 else 2.0
        t = 0.0
        p.setPen(theme.secondary_text())
        while t <= self.duration + 1e-9:
            x = self._x(t)
            p.drawLine(QPointF(x, 12), QPointF(x, 15))
            if abs(t - round(t / 4) * 4) < 1e-9 or t == self.duration:
                p.drawText(QPointF(x - fm.horizontalAdvance(fmt_seconds(t)) / 2, 10),
                           fmt_seconds(t))
            t += step
        for i, b in enumerate(self.beats):
            r = self._rect(b).adjusted(1, 2, -1, -2)
            color = BEAT_COLORS[i % len(BEAT_COLORS)]
            outside = b.start < 0 or b.end > self.duration + 1e-9 or b.end <= b.start
            p.setPen(QPen(theme.FAILED, 2) if outside else Qt.PenStyle.NoPen)
            p.setBrush(color)
            p.drawRoundedRect(r, 3, 3)
            p.setPen(QColor("#ffffff"))
            label = f"{fmt_seconds(b.start)}–{fmt_seconds(b.end)} s {b.text}"
            p.drawText(r.adjusted(5, 0, -3, 0), Qt.AlignmentFlag.AlignVCenter,
                       fm.elidedText(label, Qt.TextElideMode.ElideRight, int(r.width()) - 8))
        for d in self.dialogue:  # the spoken lines, in their own lane
            r = self._rect(d, SPOKEN).adjusted(1, 2, -1, -2)
            outside = d.start < 0 or d.end > self.duration + 1e-9 or d.end <= d.start
            p.setPen(QPen(theme.FAILED, 2) if outside else Qt.PenStyle.NoPen)
            p.setBrush(SPOKEN_COLOR)
            p.drawRoundedRect(r, 3, 3)
            p.setPen(QColor("#ffffff"))
            label = (f"{d.speaker}: " if d.speaker else "") + f"“{d.text}”"
            p.drawText(r.adjusted(5, 0, -3, 0), Qt.AlignmentFlag.AlignVCenter,
                       fm.elidedText(label, Qt.TextElideMode.ElideRight, int(r.width()) - 8))
        p.end()

    def _hit(self, x: float, y: float) -> tuple[str, int, str] | None:
        for lane in (SPOKEN, ACTIONS):
            items = self._items(lane)
            for i in reversed(range(len(items))):
                r = self._rect(items[i], lane)
                if not (r.top() <= y <= r.bottom()):
                    continue
                if abs(x - r.left()) <= EDGE:
                    return lane, i, "start"
                if abs(x - r.right()) <= EDGE:
                    return lane, i, "end"
                if r.left() < x < r.right():
                    return lane, i, "body"
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        hit = self._hit(pos.x(), pos.y())
        if hit is not None and event.button() == Qt.MouseButton.LeftButton:
            lane, i, part = hit
            self._drag = (lane, i, part, self._t(pos.x()), self._items(lane)[i])

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._drag is None:
            hit = self._hit(pos.x(), pos.y())
            if hit is None:
                self.unsetCursor()
                self.setToolTip("")
            else:
                self.setCursor(Qt.CursorShape.SizeHorCursor if hit[2] != "body"
                               else Qt.CursorShape.OpenHandCursor)
                b = self._items(hit[0])[hit[1]]
                who = f"{b.speaker}: " if hit[0] == SPOKEN and b.speaker else ""
                self.setToolTip(f"[{fmt_seconds(b.start)}–{fmt_seconds(b.end)} s] {who}{b.text}"
                                "\nDrag to move, drag an edge to retime")
            return
        lane, i, part, t0, orig = self._drag
        snap = 0.1 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 0.5
        dt = round((self._t(pos.x()) - t0) / snap) * snap
        start, end = orig.start, orig.end
        if part == "body":
            length = end - start
            start = min(max(start + dt, 0.0), max(self.duration - length, 0.0))
            end = start + length
        elif part == "start":
            start = min(max(start + dt, 0.0), end - snap)
        else:
            end = max(min(end + dt, self.duration), start + snap)
        items = list(self._items(lane))
        items[i] = replace(orig, start=round(start, 3), end=round(end, 3))
        if lane == ACTIONS:
            self.beats = tuple(items)
        else:
            self.dialogue = tuple(items)
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag is not None:
            lane, i, _part, _t0, orig = self._drag
            self._drag = None
            if self._items(lane)[i] != orig:
                if lane == ACTIONS:
                    self.beats_edited.emit(self.beats)
                else:
                    self.dialogue_edited.emit(self.dialogue)
