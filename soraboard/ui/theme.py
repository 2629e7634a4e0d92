"""Colour roles, read from the application palette at paint time.

View ▸ Theme sets that palette: *Dark* (the default, the mock-up's roles), *Light* (the same
roles for a light room) or *System* (the desktop's palette and style, untouched). Status
colours are the only fixed hues (the design: done green, running accent blue, waiting grey,
stale amber, failed red); surfaces are derived from the palette's window and base.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from soraboard.model.status import SegmentState

ACCENT = QColor("#4c7dff")
DONE = QColor("#3ecf8e")
STALE = QColor("#f5a623")
FAILED = QColor("#ef5350")
PLAYHEAD = QColor("#ff5c5c")


@dataclass(frozen=True)
class Roles:
    """The palette roles of the mock-up (window, panels, cards, text, accent)."""

    window: str  #: window, timeline
    panel: str  #: docks, text fields
    panel_alt: str  #: alternating rows, the cost strip
    card: str  #: cards, buttons
    border: str  #: card and control borders
    text: str
    secondary: str  #: secondary text, placeholders
    accent: str = "#4c7dff"  #: selection, running, the primary button


DARK = Roles(window="#1b1c1f", panel="#222327", panel_alt="#26272b", card="#2a2c31",
             border="#373a41", text="#d7d9de", secondary="#979ca7")
#: the same roles for a light room: surfaces light, text dark, one accent
LIGHT = Roles(window="#eceef1", panel="#ffffff", panel_alt="#f5f6f8", card="#ffffff",
              border="#c9ccd3", text="#1b1c1f", secondary="#5f6470", accent="#3d6ef5")
THEMES = {"dark": "Dark", "light": "Light", "system": "System"}


def build_palette(roles: Roles) -> QPalette:
    """A complete QPalette from the roles (every group, disabled text dimmed)."""
    R = QPalette.ColorRole
    p = QPalette()
    text_c, window_c = QColor(roles.text), QColor(roles.window)
    colours = {
        R.Window: roles.window, R.WindowText: roles.text, R.Base: roles.panel,
        R.AlternateBase: roles.panel_alt, R.ToolTipBase: roles.card, R.ToolTipText: roles.text,
        R.PlaceholderText: roles.secondary, R.Text: roles.text, R.Button: roles.card,
        R.ButtonText: roles.text, R.BrightText: "#ffffff", R.Highlight: roles.accent,
        R.HighlightedText: "#ffffff", R.Link: roles.accent, R.LinkVisited: roles.accent,
        R.Light: mix(QColor(roles.card), QColor("#ffffff"), 0.15).name(),
        R.Midlight: mix(QColor(roles.card), QColor(roles.border), 0.5).name(),
        R.Mid: roles.border, R.Dark: mix(window_c, QColor("#000000"), 0.3).name(),
        R.Shadow: "#000000", R.Accent: roles.accent,
    }
    for role, colour in colours.items():
        p.setColor(role, QColor(colour))
    dim = mix(text_c, window_c, 0.55)
    for role in (R.WindowText, R.Text, R.ButtonText, R.PlaceholderText):
        p.setColor(QPalette.ColorGroup.Disabled, role, dim)
    p.setColor(QPalette.ColorGroup.Disabled, R.Highlight, mix(QColor(roles.accent), window_c, 0.5))
    return p


class _ThemeState(QObject):
    changed = Signal(str)  #: the theme now in use


_state: _ThemeState | None = None
_system: tuple[str, QPalette] | None = None  #: the desktop's style and palette, kept for System
_current = "system"


def notifier() -> _ThemeState:
    """Emits ``changed`` after a theme is applied (widgets with computed styles refresh)."""
    global _state
    if _state is None:
        _state = _ThemeState()
    return _state


def current() -> str:
    return _current


def apply(name: str) -> None:
    """Use theme ``name`` ("dark", "light", "system") for the whole application, live."""
    global _system, _current
    if name not in THEMES:
        raise ValueError(f"unknown theme {name!r}: use one of {', '.join(THEMES)}")
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    if _system is None:
        _system = (app.style().name(), QPalette(app.palette()))
    if name == "system":
        app.setStyle(QStyleFactory.create(_system[0]) or app.style())
        app.setPalette(_system[1])
    else:
        # Fusion draws with the palette everywhere (native styles may ignore it)
        if app.style().name().lower() != "fusion":
            app.setStyle("Fusion")
        app.setPalette(build_palette(DARK if name == "dark" else LIGHT))
    _current = name
    notifier().changed.emit(name)


def secondary_style() -> str:
    """A style sheet for secondary text that follows the theme."""
    return "color: palette(placeholder-text);"


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
    if _current != "system":
        return palette().color(QPalette.ColorRole.Button)
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

