"""The timeline: segment cards on a time ruler, transition chips and link marks between them.

One custom-painted canvas in a scroll area rather than a widget per card: a 300-segment
storyboard lays out in O(n) arithmetic and paints only what is visible. Cards sit on the
film's own time axis (transitions overlap neighbours), so the ruler, the playhead of the
sequence preview and the cards agree.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, QSize, QSizeF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QFontMetrics,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPixmap,
    QWheelEvent,
)
from PySide6.QtWidgets import QScrollArea, QSizePolicy, QWidget

from soraboard.catalog.cost import fmt_usd, segment_cost
from soraboard.document import Document
from soraboard.model.status import SegmentState
from soraboard.model.storyboard import Segment, TransitionType
from soraboard.model.take import uses_own_footage
from soraboard.model.timing import fmt_seconds, used_duration
from soraboard.ui import theme
from soraboard.ui.icons import icon

RULER_H = 24
TOP = RULER_H + 10
CARD_H = 158
THUMB_H = 72
GAP = 3  # px either side of a boundary
LEFT = 12
ADD_W = 64
MIN_PPS, MAX_PPS, DEFAULT_PPS = 4.0, 80.0, 14.0

TRANSITION_GLYPH = {
    TransitionType.CUT: "|",
    TransitionType.FADE_BLACK: "▮",
    TransitionType.FADE_WHITE: "▯",
    TransitionType.CROSSFADE: "◐",
    TransitionType.WIPE_LEFT: "◧",
    TransitionType.WIPE_RIGHT: "◨",
    TransitionType.SLIDE_LEFT: "⇠",
    TransitionType.SLIDE_RIGHT: "⇢",
    TransitionType.CIRCLE_OPEN: "◎",
}
TRANSITION_SHORT = {
    TransitionType.CUT: "cut",
    TransitionType.FADE_BLACK: "fade black",
    TransitionType.FADE_WHITE: "fade white",
    TransitionType.CROSSFADE: "crossfade",
    TransitionType.WIPE_LEFT: "wipe ←",
    TransitionType.WIPE_RIGHT: "wipe →",
    TransitionType.SLIDE_LEFT: "slide ←",
    TransitionType.SLIDE_RIGHT: "slide →",
    TransitionType.CIRCLE_OPEN: "circle",
}


@dataclass(frozen=True)
class CardLayout:
    index: int
    segment_id: str
    start: float  #: film time where this card's own part starts
    end: float
    rect: QRect


class TimelineCanvas(QWidget):
    """The painted timeline. Emits intents; the main window turns them into Document calls."""

    activated = Signal(str)  #: a card was double-clicked
    add_requested = Signal()
    transition_clicked = Signal(str, QPoint)  #: segment id whose outgoing transition, global pos
    boundary_clicked = Signal(int, QPoint)  #: boundary after segments[i], global pos (its mark)
    seek_requested = Signal(float)  #: film time
    move_requested = Signal(str, int)  #: segment id, new index
    files_dropped = Signal(list, int)  #: paths, index to insert at
    context_menu_requested = Signal(QPoint)  #: global position (the selection is current)
    zoom_changed = Signal(float)

    def __init__(self, doc: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.pps = DEFAULT_PPS
        self.layouts: list[CardLayout] = []
        self._starts: list[float] = []
        self.playhead: float | None = None
        self.playing_id: str | None = None
        self._press: tuple[QPoint, str | None] | None = None
        self._drag_target: int | None = None
        self._scaled_cache: dict[tuple[int, int, int, float], QImage] = {}
        #: segment id → (segment, what the card showed, its picture)
        self._card_cache: dict[str, tuple[object, tuple[object, ...], QPixmap]] = {}
        self.thumbnail_provider: ThumbnailProvider | None = None
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAcceptDrops(True)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)
        self._font = QFont(self.font())
        self._small = QFont(self.font())
        self._small.setPointSizeF(max(self.font().pointSizeF() - 1.5, 7.0))
        self._bold = QFont(self.font())
        self._bold.setBold(True)
        doc.storyboard_changed.connect(self.relayout)
        doc.takes_changed.connect(self.update)
        doc.selection_changed.connect(self._on_selection_changed)
        self.relayout()

    # ------------------------------------------------------------------ layout

    def film_duration(self) -> float:
        if not self.layouts:
            return 0.0
        return self.layouts[-1].end

    def relayout(self) -> None:
        sb = self.doc.storyboard
        takes = self.doc.takes
        t = 0.0
        out: list[CardLayout] = []
        for i, seg in enumerate(sb.segments):
            used = used_duration(seg, takes)
            overlap = 0.0
            if i + 1 < len(sb.segments) and not seg.transition_out.is_cut:
                overlap = min(seg.transition_out.duration, used)
            start, end = t, t + max(used - overlap, 0.0)
            x0 = LEFT + round(start * self.pps) + GAP
            x1 = LEFT + round(end * self.pps) - GAP
            rect = QRect(x0, TOP, max(x1 - x0, 8), CARD_H)
            out.append(CardLayout(i, seg.id, start, end, rect))
            t = end
        self.layouts = out
        self._starts = [c.start for c in out]
        width = LEFT + round(t * self.pps) + GAP + ADD_W + 40
        self.setMinimumWidth(width)
        self.resize(width, max(self.height(), TOP + CARD_H + 16))
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(self.minimumWidth(), TOP + CARD_H + 16)

    def add_rect(self) -> QRect:
        x = LEFT + round(self.film_duration() * self.pps) + GAP + 6
        return QRect(x, TOP, ADD_W, CARD_H)

    def card_at(self, pos: QPoint) -> CardLayout | None:
        for c in self.layouts:
            if c.rect.contains(pos):
                return c
        return None

    def chip_rect(self, i: int) -> QRect | None:
        """The transition chip on the boundary after card ``i``."""
        if i + 1 >= len(self.layouts):
            return None
        seg = self.doc.storyboard.segments[i]
        label = self._chip_text(seg.transition_out.type, seg.transition_out.duration)
        w = QFontMetrics(self._small).horizontalAdvance(label) + 14
        x = LEFT + round(self.layouts[i].end * self.pps)
        return QRect(x - w // 2, TOP + THUMB_H - 9, w, 18)

    def mark_rect(self, i: int) -> QRect | None:
        """The mark on the boundary after card ``i`` that says how it is held."""
        if i + 1 >= len(self.layouts):
            return None
        x = LEFT + round(self.layouts[i].end * self.pps)
        y = TOP + THUMB_H // 2
        return QRect(x - 10, y - 9, 20, 18)

    def boundary_mode(self, i: int) -> str:
        """``keyframe``, ``chain`` or ``none``, as :func:`soraboard.generation.scheduler.
        boundary_modes` says it."""
        sb = self.doc.storyboard
        return "keyframe" if sb.held_by_keyframe(i) else \
            "chain" if sb.waits_on_previous(i + 1) else "none"

    def boundary_tooltip(self, i: int) -> str:
        sb = self.doc.storyboard
        a, b = i + 1, i + 2
        mode = self.boundary_mode(i)
        if mode == "keyframe":
            name = Path(sb.segments[i].last_keyframe or "").name
            return (f"Boundary {a}→{b}: held by a shared keyframe ({name}). Shot {a} ends on "
                    f"the still and shot {b} starts on it, so both generate at once. "
                    "Click for keyframe actions.")
        if mode == "chain":
            return (f"Boundary {a}→{b}: held by chaining. Shot {b} starts on shot {a}'s real "
                    f"last frame, so it waits for that clip. Click to hold it with a keyframe.")
        return (f"Boundary {a}→{b}: not held. Shot {b} is a new shot; nothing makes the two "
                "meet. Click to hold it with a keyframe.")

    @staticmethod
    def _chip_text(kind: TransitionType, duration: float) -> str:
        if kind is TransitionType.CUT or duration <= 0:
            return f"{TRANSITION_GLYPH[TransitionType.CUT]} cut"
        return f"{TRANSITION_GLYPH[kind]} {TRANSITION_SHORT[kind]} {fmt_seconds(duration)} s"

    def time_at(self, x: float) -> float:
        return max((x - LEFT) / self.pps, 0.0)

    def x_of(self, t: float) -> float:
        return LEFT + t * self.pps

    def index_at_time(self, t: float) -> int | None:
        if not self._starts:
            return None
        return max(bisect.bisect_right(self._starts, t) - 1, 0)

    def set_zoom(self, pps: float, anchor_x: float | None = None) -> None:
        pps = min(max(pps, MIN_PPS), MAX_PPS)
        if math.isclose(pps, self.pps):
            return
        self.pps = pps
        self.relayout()
        self.zoom_changed.emit(pps)

    # ------------------------------------------------------------------ external state

    def set_playhead(self, t: float | None) -> None:
        if t != self.playhead:
            self.playhead = t
            i = None if t is None else self.index_at_time(t)
            self.playing_id = None if i is None else self.layouts[i].segment_id
            self.update()

    def _on_selection_changed(self) -> None:
        self.update()

    # ------------------------------------------------------------------ painting

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        clip = event.rect()
        p.fillRect(clip, theme.surface())
        self._paint_ruler(p, clip)
        sb = self.doc.storyboard
        statuses = self.doc.statuses()
        selected = set(self.doc.selection)
        take_counts: dict[str, int] = {}
        for t in self.doc.takes.values():
            take_counts[t.segment_id] = take_counts.get(t.segment_id, 0) + 1
        for c in self.layouts:
            if c.rect.right() < clip.left() - 80 or c.rect.left() > clip.right() + 80:
                continue
            seg = sb.segments[c.index]
            self._draw_card(p, c, seg.id in selected, statuses[c.index].state,
                            statuses[c.index].progress, take_counts.get(seg.id, 0))
        for i in range(len(self.layouts) - 1):
            chip = self.chip_rect(i)
            if chip is not None and chip.intersects(clip.adjusted(-80, 0, 80, 0)):
                self._paint_boundary(p, i, chip)
        self._paint_add(p)
        if self._drag_target is not None:
            x = self._boundary_x(self._drag_target)
            p.setPen(QPen(theme.accent(), 3))
            p.drawLine(QPointF(x, TOP - 4), QPointF(x, TOP + CARD_H + 4))
        if self.playhead is not None:
            x = self.x_of(self.playhead)
            p.setPen(QPen(theme.PLAYHEAD, 2))
            p.drawLine(QPointF(x, 2), QPointF(x, TOP + CARD_H + 6))
            path = QPainterPath()
            path.moveTo(x - 5, 2)
            path.lineTo(x + 5, 2)
            path.lineTo(x, 9)
            path.closeSubpath()
            p.fillPath(path, theme.PLAYHEAD)
        p.end()

    def _boundary_x(self, index: int) -> float:
        if index >= len(self.layouts):
            return self.x_of(self.film_duration())
        return self.x_of(self.layouts[index].start)

    def _paint_ruler(self, p: QPainter, clip: QRect) -> None:
        p.setFont(self._small)
        p.setPen(theme.secondary_text())
        step = 10 if self.pps >= 8 else 30
        if self.pps >= 40:
            step = 5
        t0 = max(int(self.time_at(clip.left()) // step * step), 0)
        t1 = int(self.time_at(clip.right())) + step
        for t in range(t0, t1 + 1, step):
            x = self.x_of(t)
            p.drawLine(QPointF(x, RULER_H - 6), QPointF(x, RULER_H))
            label = f"{t // 60}:{t % 60:02d}" if t >= 60 else f"{t}s"
            p.drawText(QPointF(x + 3, RULER_H - 8), label)
        minor = step / 5
        p.setPen(theme.mix(theme.secondary_text(), theme.surface(), 0.5))
        t = t0
        while t <= t1:
            x = self.x_of(t)
            p.drawLine(QPointF(x, RULER_H - 3), QPointF(x, RULER_H))
            t += minor

    def _thumbnail(self, seg_index: int) -> QImage | None:
        seg = self.doc.storyboard.segments[seg_index]
        if self.thumbnail_provider is None:
            return None
        return self.thumbnail_provider.thumbnail_for(seg)

    def _draw_card(self, p: QPainter, c: CardLayout, selected: bool, state: SegmentState,
                   progress: float, take_count: int) -> None:
        """A card from the cache when nothing it shows has changed, else painted afresh into
        a pixmap: repaints during generation and scrolling cost a blit per unchanged card."""
        seg = self.doc.storyboard.segments[c.index]
        img = self._thumbnail(c.index)
        dpr = self.devicePixelRatioF()
        key = (c.index, c.rect.size().toTuple(), selected, seg.id == self.playing_id, state,
               round(progress * 100), take_count, None if img is None else img.cacheKey(),
               id(self.doc.catalog), self.palette().cacheKey(), dpr)
        hit = self._card_cache.get(seg.id)
        if hit is not None and hit[0] is seg and hit[1] == key:
            p.drawPixmap(c.rect.topLeft(), hit[2])
            return
        pix = QPixmap((QSizeF(c.rect.size()) * dpr).toSize())
        pix.setDevicePixelRatio(dpr)
        pix.fill(Qt.GlobalColor.transparent)
        cp = QPainter(pix)
        cp.setRenderHint(QPainter.RenderHint.Antialiasing)
        cp.translate(-c.rect.left(), -c.rect.top())
        self._paint_card(cp, c, selected, state, progress, take_count, img)
        cp.end()
        if len(self._card_cache) > 2 * max(len(self.layouts), 50):
            self._card_cache.clear()
        self._card_cache[seg.id] = (seg, key, pix)
        p.drawPixmap(c.rect.topLeft(), pix)

    def _paint_card(self, p: QPainter, c: CardLayout, selected: bool, state: SegmentState,
                    progress: float, take_count: int, img: QImage | None = None) -> None:
        sb = self.doc.storyboard
        seg = sb.segments[c.index]
        r = QRectF(c.rect)
        path = QPainterPath()
        path.addRoundedRect(r, 6, 6)
        p.fillPath(path, theme.card())
        # thumbnail
        thumb = QRectF(r.left(), r.top(), r.width(), THUMB_H)
        p.save()
        p.setClipPath(path)
        if img is not None and not img.isNull():
            scaled = self._scaled(img, thumb.size().toSize())
            sx = (scaled.width() / self.devicePixelRatioF() - thumb.width()) / 2
            sy = (scaled.height() / self.devicePixelRatioF() - thumb.height()) / 2
            p.drawImage(thumb.topLeft(), scaled,
                        QRectF(sx * self.devicePixelRatioF(), sy * self.devicePixelRatioF(),
                               thumb.width() * self.devicePixelRatioF(),
                               thumb.height() * self.devicePixelRatioF()))
        else:
            self._paint_slate(p, thumb)
        if state is SegmentState.GENERATING:
            p.fillRect(QRectF(thumb.left(), thumb.bottom() - 3, thumb.width(), 3),
                       theme.mix(theme.card(), theme.text(), 0.2))
            p.fillRect(QRectF(thumb.left(), thumb.bottom() - 3, thumb.width() * progress, 3),
                       theme.accent())
        p.restore()
        p.setFont(self._small)
        fm = QFontMetrics(self._small)
        # status pill, top-right
        status = theme.STATUS_LABEL[state]
        if state is SegmentState.GENERATING:
            status = f"{round(progress * 100)} %"
        elif state is SegmentState.DONE:
            status = "✓ done"
        elif state is SegmentState.STALE:
            status = "⚠ stale"
        elif state is SegmentState.FAILED:
            status = "✕ failed"
        elif state is SegmentState.UNKNOWN:
            # a create got no answer: it may be billed; the Jobs tab has the choices
            status = "? outcome unknown — may be billed"
            if fm.horizontalAdvance(status) + 20 > r.width():
                status = "? may be billed"
        w = fm.horizontalAdvance(status) + 12
        # take count, top-left, where it fits beside the status (the status matters more)
        tag = f"take {take_count}" if take_count == 1 else (
            f"{take_count} takes" if take_count else ("slate" if img is None else "no take"))
        if r.width() > fm.horizontalAdvance(tag) + 12 + w + 18:
            self._pill(p, QPointF(r.left() + 6, r.top() + 6), tag,
                       QColor(0, 0, 0, 150), QColor("#ffffff"))
        if r.width() > w + 8:
            col = theme.status_color(state)
            bg = QColor(col)
            bg.setAlpha(220)
            fg = QColor("#0b0c0e") if state in (SegmentState.DONE, SegmentState.STALE,
                                                SegmentState.UNKNOWN) else QColor(
                "#ffffff")
            self._pill(p, QPointF(r.right() - 6 - w, r.top() + 6), status, bg, fg)
        # text block
        x = r.left() + 8
        width = r.width() - 16
        y = r.top() + THUMB_H + 6
        if width > 12:
            p.setFont(self._bold)
            p.setPen(theme.text())
            title = f"{c.index + 1} · {seg.title or 'Untitled'}"
            p.drawText(QRectF(x, y, width, 18), Qt.AlignmentFlag.AlignLeft,
                       QFontMetrics(self._bold).elidedText(title, Qt.TextElideMode.ElideRight,
                                                           int(width)))
            p.setFont(self._small)
            p.setPen(theme.secondary_text())
            excerpt = " ".join((seg.scene or seg.cinematography or
                                " ".join(b.text for b in seg.actions)).split())
            lines = self._two_lines(excerpt, fm, int(width))
            for n, line in enumerate(lines):
                p.drawText(QPointF(x, y + 34 + n * (fm.height())), line)
            # badges and cost
            by = r.bottom() - 24
            bx = x
            spec = self.doc.catalog.get(seg.model)
            badges = [(seg.model, spec is not None and spec.retired is not None),
                      (f"{fmt_seconds(seg.duration)} s", False)]
            if uses_own_footage(seg, self.doc.takes):
                cost = "yours · $0"  # the creator's own footage: nothing to pay unless redone
            else:
                cost = fmt_usd(segment_cost(seg, self.doc.catalog).cost, "$?")
            cost_w = fm.horizontalAdvance(cost)
            for text, warn in badges:
                bw = fm.horizontalAdvance(text) + 10
                if bx + bw > r.right() - cost_w - 14:
                    break
                br = QRectF(bx, by, bw, 17)
                bg = theme.mix(theme.card(), theme.STALE if warn else theme.text(), 0.14)
                p.setBrush(bg)
                p.setPen(Qt.PenStyle.NoPen)
                p.drawRoundedRect(br, 4, 4)
                p.setPen(theme.STALE if warn else theme.text())
                p.drawText(br, Qt.AlignmentFlag.AlignCenter, text)
                bx += bw + 5
            if width > cost_w + 4:
                p.setPen(theme.text())
                p.setFont(self._bold)
                p.drawText(QRectF(r.right() - 8 - cost_w - 20, by, cost_w + 20, 17),
                           Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, cost)
        # border / selection / playing
        p.setBrush(Qt.BrushStyle.NoBrush)
        if selected:
            p.setPen(QPen(theme.accent(), 2))
            p.drawRoundedRect(r.adjusted(1, 1, -1, -1), 6, 6)
        elif seg.id == self.playing_id:
            p.setPen(QPen(theme.PLAYHEAD, 2))
            p.drawRoundedRect(r.adjusted(1, 1, -1, -1), 6, 6)
        else:
            p.setPen(QPen(theme.card_border(), 1))
            p.drawRoundedRect(r.adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)

    @staticmethod
    def _two_lines(text: str, fm: QFontMetrics, width: int) -> list[str]:
        words = text.split()
        lines: list[str] = []
        cur = ""
        for w in words:
            trial = f"{cur} {w}".strip()
            if fm.horizontalAdvance(trial) <= width or not cur:
                cur = trial
            else:
                lines.append(cur)
                cur = w
                if len(lines) == 1:
                    continue
            if len(lines) == 2:
                break
        if cur and len(lines) < 2:
            lines.append(cur)
        if len(lines) == 2:
            rest = " ".join(words)
            if not rest.endswith(lines[1]):
                lines[1] = fm.elidedText(lines[1] + " …", Qt.TextElideMode.ElideRight, width)
        return [fm.elidedText(line, Qt.TextElideMode.ElideRight, width) for line in lines[:2]]

    def _scaled(self, img: QImage, size: QSize) -> QImage:
        """The thumbnail scaled to a card (smooth scaling is costly: done once per size)."""
        dpr = self.devicePixelRatioF()
        key = (img.cacheKey(), size.width(), size.height(), dpr)
        hit = self._scaled_cache.get(key)
        if hit is None:
            hit = img.scaled(size * dpr, Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                             Qt.TransformationMode.SmoothTransformation)
            hit.setDevicePixelRatio(dpr)
            if len(self._scaled_cache) > 600:
                self._scaled_cache.clear()
            self._scaled_cache[key] = hit
        return hit

    def _paint_slate(self, p: QPainter, rect: QRectF) -> None:
        base = theme.mix(theme.card(), theme.text(), 0.06)
        p.fillRect(rect, base)
        p.save()
        p.setClipRect(rect)
        p.setPen(QPen(theme.mix(base, theme.text(), 0.07), 6))
        x = rect.left() - rect.height()
        while x < rect.right():
            p.drawLine(QPointF(x, rect.bottom()), QPointF(x + rect.height(), rect.top()))
            x += 16
        p.restore()

    def _pill(self, p: QPainter, at: QPointF, text: str, bg: QColor, fg: QColor) -> None:
        fm = QFontMetrics(self._small)
        rect = QRectF(at.x(), at.y(), fm.horizontalAdvance(text) + 12, fm.height() + 4)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(bg)
        p.drawRoundedRect(rect, 4, 4)
        p.setPen(fg)
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_boundary(self, p: QPainter, i: int, chip: QRect) -> None:
        sb = self.doc.storyboard
        seg = sb.segments[i]
        nxt = sb.segments[i + 1]
        x = self.x_of(self.layouts[i].end)
        y = TOP + THUMB_H / 2
        mode = self.boundary_mode(i)
        if mode == "keyframe":
            # a keyframe diamond: both shots meet on one still
            path = QPainterPath()
            path.moveTo(x, y - 9)
            path.lineTo(x + 9, y)
            path.lineTo(x, y + 9)
            path.lineTo(x - 9, y)
            path.closeSubpath()
            p.setPen(QPen(theme.surface(), 2))
            p.setBrush(theme.accent())
            p.drawPath(path)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(theme.surface())
            p.drawEllipse(QPointF(x, y), 2.5, 2.5)
        elif mode == "chain" or nxt.is_chained:
            # the link mark: two interlocked rings across the boundary
            p.setPen(QPen(theme.accent(), 2))
            p.setBrush(theme.surface())
            p.drawRoundedRect(QRectF(x - 9, y - 5, 11, 10), 5, 5)
            p.drawRoundedRect(QRectF(x - 2, y - 5, 11, 10), 5, 5)
        else:
            # not held: an open ring, struck through
            grey = theme.waiting()
            p.setPen(QPen(grey, 1.5))
            p.setBrush(theme.surface())
            p.drawEllipse(QPointF(x, y), 5.5, 5.5)
            p.drawLine(QPointF(x - 4, y + 4), QPointF(x + 4, y - 4))
        p.setFont(self._small)
        bg = theme.mix(theme.surface(), theme.text(), 0.12)
        p.setPen(QPen(theme.card_border(), 1))
        p.setBrush(bg)
        p.drawRoundedRect(QRectF(chip), 8, 8)
        p.setPen(theme.text())
        p.drawText(QRectF(chip), Qt.AlignmentFlag.AlignCenter,
                   self._chip_text(seg.transition_out.type, seg.transition_out.duration))

    def _paint_add(self, p: QPainter) -> None:
        r = QRectF(self.add_rect())
        pen = QPen(theme.card_border(), 1.2, Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(r.adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        icon("add").paint(p, r.center().toPoint().x() - 10, int(r.center().y()) - 10, 20, 20)

    # ------------------------------------------------------------------ interaction

    def _mark_at(self, pos: QPoint) -> int | None:
        for i in range(len(self.layouts) - 1):
            mark = self.mark_rect(i)
            if mark is not None and mark.contains(pos):
                return i
        return None

    def _chip_at(self, pos: QPoint) -> int | None:
        for i in range(len(self.layouts) - 1):
            chip = self.chip_rect(i)
            if chip is not None and chip.adjusted(-2, -2, 2, 2).contains(pos):
                return i
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        self.setFocus()
        if event.button() != Qt.MouseButton.LeftButton:
            if event.button() == Qt.MouseButton.RightButton:
                card = self.card_at(pos)
                if card is not None and card.segment_id not in self.doc.selection:
                    self.doc.select([card.segment_id])
            return
        if pos.y() < RULER_H:
            self.seek_requested.emit(self.time_at(pos.x()))
            return
        mark = self._mark_at(pos)
        if mark is not None:
            rect = self.mark_rect(mark)
            assert rect is not None
            self.boundary_clicked.emit(mark, self.mapToGlobal(rect.bottomLeft()))
            return
        chip = self._chip_at(pos)
        if chip is not None:
            self.transition_clicked.emit(self.doc.storyboard.segments[chip].id,
                                         self.mapToGlobal(self.chip_rect(chip).bottomLeft()))
            return
        if self.add_rect().contains(pos):
            self.add_requested.emit()
            return
        card = self.card_at(pos)
        mods = event.modifiers()
        if card is None:
            self._press = None
            return
        sel = self.doc.selection
        if mods & Qt.KeyboardModifier.ControlModifier:
            if card.segment_id in sel:
                sel.remove(card.segment_id)
            else:
                sel.append(card.segment_id)
            self.doc.select(sel)
        elif mods & Qt.KeyboardModifier.ShiftModifier and self.doc.current_id:
            a = self.doc.storyboard.index_of(self.doc.current_id)
            b = card.index
            lo, hi = min(a, b), max(a, b)
            ids = [s.id for s in self.doc.storyboard.segments[lo:hi + 1]]
            if a > b:
                ids.reverse()
            self.doc.select(ids)
        elif card.segment_id not in sel or len(sel) == 1:
            self.doc.select([card.segment_id])
        self._press = (pos, card.segment_id)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        if self._press is not None and event.buttons() & Qt.MouseButton.LeftButton:
            start, _sid = self._press
            if (pos - start).manhattanLength() > 8 or self._drag_target is not None:
                self._drag_target = self._drop_index(pos.x())
                self.update()
            return
        chip = self._chip_at(pos)
        mark = self._mark_at(pos)
        over_card = self.card_at(pos)
        if chip is not None or mark is not None or self.add_rect().contains(pos) \
                or pos.y() < RULER_H:
            self.setCursor(Qt.CursorShape.PointingHandCursor)
        else:
            self.unsetCursor()
        if mark is not None:
            self.setToolTip(self.boundary_tooltip(mark))
        elif over_card is not None:
            st = self.doc.statuses()[over_card.index]
            self.setToolTip(self._tooltip(over_card.index, st.describe()))
        elif chip is not None:
            seg = self.doc.storyboard.segments[chip]
            self.setToolTip(f"Transition into segment {chip + 2}: {seg.transition_out.describe()}"
                            " — click to change")
        else:
            self.setToolTip("")

    def _tooltip(self, index: int, status: str) -> str:
        seg = self.doc.storyboard.segments[index]
        chained = " · continues from the previous segment" if seg.is_chained else ""
        return f"{index + 1} · {seg.title}\n{status}{chained}"

    def _drop_index(self, x: float) -> int:
        t = self.time_at(x)
        for c in self.layouts:
            if t < (c.start + c.end) / 2:
                return c.index
        return len(self.layouts)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._press is not None and self._drag_target is not None:
            _start, sid = self._press
            if sid is not None:
                src = self.doc.storyboard.index_of(sid)
                dst = self._drag_target
                if dst > src:
                    dst -= 1
                if dst != src:
                    self.move_requested.emit(sid, dst)
        elif self._press is not None:
            _start, sid = self._press
            mods = event.modifiers()
            if sid is not None and not mods & (Qt.KeyboardModifier.ControlModifier
                                               | Qt.KeyboardModifier.ShiftModifier):
                self.doc.select([sid])
        self._press = None
        self._drag_target = None
        self.update()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        card = self.card_at(event.position().toPoint())
        if card is not None:
            self.activated.emit(card.segment_id)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        mark = self._mark_at(event.pos())
        if mark is not None:
            self.boundary_clicked.emit(mark, event.globalPos())
            return
        card = self.card_at(event.pos())
        if card is None:
            self.doc.select([])
        self.context_menu_requested.emit(event.globalPos())

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = event.angleDelta().y() / 120
            self.set_zoom(self.pps * (1.15 ** steps))
            event.accept()
        else:
            event.ignore()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        segs = self.doc.storyboard.segments
        if key in (Qt.Key.Key_Left, Qt.Key.Key_Right) and segs:
            i = self.doc.current_index()
            step = -1 if key == Qt.Key.Key_Left else 1
            j = 0 if i is None else min(max(i + step, 0), len(segs) - 1)
            if event.modifiers() & Qt.KeyboardModifier.AltModifier and i is not None:
                self.move_requested.emit(segs[i].id, j)
            else:
                self.doc.select([segs[j].id])
            event.accept()
            return
        if key == Qt.Key.Key_Home and segs:
            self.doc.select([segs[0].id])
            return
        if key == Qt.Key.Key_End and segs:
            self.doc.select([segs[-1].id])
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.doc.current_id:
            self.activated.emit(self.doc.current_id)
            return
        super().keyPressEvent(event)

    # ------------------------------------------------------------------ drag and drop of files

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if event.mimeData().hasUrls():
            self._drag_target = self._drop_index(event.position().x())
            self.update()
            event.acceptProposedAction()

    def dragLeaveEvent(self, event: object) -> None:
        self._drag_target = None
        self.update()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        index = self._drop_index(event.position().x())
        self._drag_target = None
        self.update()
        if paths:
            event.acceptProposedAction()
            self.files_dropped.emit([str(Path(p)) for p in paths], index)


class ThumbnailProvider(Protocol):
    """Where cards get their pictures (the main window's thumbnail service)."""

    def thumbnail_for(self, segment: Segment) -> QImage | None: ...


class TimelineView(QScrollArea):
    """The scrollable timeline, with Ctrl+wheel zoom and follow-the-selection scrolling."""

    def __init__(self, doc: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = TimelineCanvas(doc, self)
        self.setWidget(self.canvas)
        self.setWidgetResizable(False)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setMinimumHeight(TOP + CARD_H + 16 + self.horizontalScrollBar().sizeHint().height())
        doc.selection_changed.connect(self._follow_selection)
        self._follow = QTimer(self)
        self._follow.setSingleShot(True)
        self._follow.setInterval(0)
        self._follow.timeout.connect(self._scroll_to_current)

    def resizeEvent(self, event: object) -> None:  # type: ignore[override]
        super().resizeEvent(event)  # type: ignore[arg-type]
        self.canvas.resize(max(self.canvas.minimumWidth(), self.viewport().width()),
                           self.viewport().height())

    def _follow_selection(self) -> None:
        self._follow.start()

    def _scroll_to_current(self) -> None:
        cur = self.canvas.doc.current_id
        for c in self.canvas.layouts:
            if c.segment_id == cur:
                self.ensureVisible(c.rect.center().x(), c.rect.center().y(),
                                   c.rect.width() // 2 + 40, 0)
                break

    def follow_playhead(self, t: float) -> None:
        x = int(self.canvas.x_of(t))
        bar = self.horizontalScrollBar()
        vis_l, vis_r = bar.value(), bar.value() + self.viewport().width()
        if not vis_l + 40 <= x <= vis_r - 40:
            bar.setValue(max(x - self.viewport().width() // 3, 0))

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.canvas.wheelEvent(event)
            return
        # a vertical wheel scrolls the timeline sideways: it has no vertical extent
        bar = self.horizontalScrollBar()
        delta = event.angleDelta().y() or event.angleDelta().x()
        bar.setValue(bar.value() - delta)
        event.accept()
