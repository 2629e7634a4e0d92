"""The beat editor: timed actions drawn as blocks on a strip of the segment's length.

Drag a block to move it, drag its edges to retime it; one undo step per drag. Times snap to
0.5 s (Shift: 0.1 s) because prompts are read by a model, not a frame counter.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from soraboard.model.storyboard import Beat
from soraboard.model.timing import fmt_seconds
from soraboard.ui import theme

BEAT_COLORS = [QColor("#4c7dff"), QColor("#2f9e8f"), QColor("#8e5bd6"), QColor("#c9731f"),
               QColor("#2b8fd6"), QColor("#b8458a")]
EDGE = 6  # px grab zone at a block's ends


class BeatStrip(QWidget):
    beats_edited = Signal(tuple)  #: the new beats (a tuple of Beat) after a drag

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.duration = 12.0
        self.beats: tuple[Beat, ...] = ()
        self._drag: tuple[int, str, float, Beat] | None = None  # index, part, press t, original
        self.setMouseTracking(True)
        self.setMinimumHeight(44)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(300, 44)

    def set_beats(self, beats: tuple[Beat, ...], duration: float) -> None:
        if self._drag is None and (beats, duration) != (self.beats, self.duration):
            self.beats = beats
            self.duration = max(duration, 0.1)
            self.update()

    def _x(self, t: float) -> float:
        return 4 + (self.width() - 8) * t / self.duration

    def _t(self, x: float) -> float:
        return (x - 4) / max(self.width() - 8, 1) * self.duration

    def _rect(self, b: Beat) -> QRectF:
        return QRectF(self._x(b.start), 16, max(self._x(b.end) - self._x(b.start), 2),
                      self.height() - 20)

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
        p.end()

    def _hit(self, x: float, y: float) -> tuple[int, str] | None:
        for i in reversed(range(len(self.beats))):
            r = self._rect(self.beats[i])
            if not (r.top() <= y <= r.bottom()):
                continue
            if abs(x - r.left()) <= EDGE:
                return i, "start"
            if abs(x - r.right()) <= EDGE:
                return i, "end"
            if r.left() < x < r.right():
                return i, "body"
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        hit = self._hit(pos.x(), pos.y())
        if hit is not None and event.button() == Qt.MouseButton.LeftButton:
            i, part = hit
            self._drag = (i, part, self._t(pos.x()), self.beats[i])

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._drag is None:
            hit = self._hit(pos.x(), pos.y())
            if hit is None:
                self.unsetCursor()
                self.setToolTip("")
            else:
                self.setCursor(Qt.CursorShape.SizeHorCursor if hit[1] != "body"
                               else Qt.CursorShape.OpenHandCursor)
                b = self.beats[hit[0]]
                self.setToolTip(f"[{fmt_seconds(b.start)}–{fmt_seconds(b.end)} s] {b.text}\n"
                                "Drag to move, drag an edge to retime")
            return
        i, part, t0, orig = self._drag
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
        beats = list(self.beats)
        beats[i] = Beat(round(start, 3), round(end, 3), orig.text)
        self.beats = tuple(beats)
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag is not None:
            i, _part, _t0, orig = self._drag
            self._drag = None
            if self.beats[i] != orig:
                self.beats_edited.emit(self.beats)
