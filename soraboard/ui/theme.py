"""Colour roles, derived from the system palette (light or dark), never a second theme.

Status colours are the only fixed hues (the design: done green, running accent blue, waiting
grey, stale amber, failed red); surfaces are derived from the palette's window and base.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from soraboard.model.status import SegmentState

ACCENT = QColor("#4c7dff")
DONE = QColor("#3ecf8e")
STALE = QColor("#f5a623")
FAILED = QColor("#ef5350")
PLAYHEAD = QColor("#ff5c5c")


def palette() -> QPalette:
    return QApplication.palette()


def is_dark() -> bool:
    return palette().color(QPalette.ColorRole.Window).lightnessF() < 0.5


def mix(a: QColor, b: QColor, t: float) -> QColor:
    """``a`` moved ``t`` of the way towards ``b``."""
    return QColor.fromRgbF(a.redF() + (b.redF() - a.redF()) * t,
                           a.greenF() + (b.greenF() - a.greenF()) * t,
                           a.blueF() + (b.blueF() - a.blueF()) * t,
                           a.alphaF() + (b.alphaF() - a.alphaF()) * t)


def text() -> QColor:
    return palette().color(QPalette.ColorRole.WindowText)


def secondary_text() -> QColor:
    return mix(text(), palette().color(QPalette.ColorRole.Window), 0.4)


def surface() -> QColor:
    """Panels and the timeline background."""
    return palette().color(QPalette.ColorRole.Window)


def card() -> QColor:
    w = palette().color(QPalette.ColorRole.Window)
    return w.lighter(112) if is_dark() else palette().color(QPalette.ColorRole.Base)


def card_border() -> QColor:
    return mix(card(), text(), 0.18)


def waiting() -> QColor:
    return mix(text(), surface(), 0.45)


def accent() -> QColor:
    """The platform's highlight when it is a real colour, else the design's blue."""
    h = palette().color(QPalette.ColorRole.Highlight)
    return h if h.saturationF() > 0.25 else ACCENT


STATUS_LABEL = {
    SegmentState.DRAFT: "draft",
    SegmentState.QUEUED: "queued",
    SegmentState.GENERATING: "generating",
    SegmentState.DONE: "done",
    SegmentState.FAILED: "failed",
    SegmentState.STALE: "stale",
    SegmentState.CANCELLED: "cancelled",
    SegmentState.UNKNOWN: "may be billed",
}


def status_color(state: SegmentState) -> QColor:
    if state is SegmentState.DONE:
        return DONE
    if state is SegmentState.GENERATING:
        return accent()
    if state in (SegmentState.STALE, SegmentState.UNKNOWN):
        return STALE
    if state is SegmentState.FAILED:
        return FAILED
    if state in (SegmentState.QUEUED, SegmentState.CANCELLED):
        return waiting()
    return mix(text(), surface(), 0.6)

