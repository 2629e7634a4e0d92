"""Icons for every action: small SVG line drawings, drawn in the palette's text colour.

Drawing them from SVG (rather than shipping PNGs) keeps them crisp at any device pixel
ratio, and colouring them from the palette keeps them right on light and dark systems.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QIconEngine, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

# 24x24 viewBox, stroke-only shapes (round caps and joins); "C" is replaced by the colour.
_SHAPES: dict[str, str] = {
    "new": '<path d="M14 3H6a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V9z"/>'
           '<path d="M14 3v6h6M12 12v6M9 15h6"/>',
    "open": '<path d="M3 7a2 2 0 0 1 2-2h4l2 2h8a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z"/>',
    "save": '<path d="M5 3h11l5 5v11a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z"/>'
            '<path d="M7 3v5h8V3M7 21v-7h10v7"/>',
    "undo": '<path d="M9 14 4 9l5-5"/><path d="M4 9h10.5a5.5 5.5 0 0 1 0 11H11"/>',
    "redo": '<path d="m15 14 5-5-5-5"/><path d="M20 9H9.5a5.5 5.5 0 0 0 0 11H13"/>',
    "add": '<rect x="3" y="5" width="18" height="14" rx="2"/><path d="M12 9v6M9 12h6"/>',
    "duplicate": '<rect x="8" y="8" width="13" height="13" rx="2"/>'
                 '<path d="M4 16V5a2 2 0 0 1 2-2h11"/>',
    "delete": '<path d="M3 6h18M8 6V4h8v2M6 6l1 14a2 2 0 0 0 2 2h6a2 2 0 0 0 2-2l1-14"/>',
    "story": '<path d="M4 4h10l6 6v10a1 1 0 0 1-1 1H4z"/><path d="M8 12h8M8 16h6M8 8h4"/>',
    "generate": '<path d="M12 3l1.8 4.7L18.5 9.5l-4.7 1.8L12 16l-1.8-4.7L5.5 9.5l4.7-1.8z"/>'
                '<path d="M19 15l.8 2.2L22 18l-2.2.8L19 21l-.8-2.2L16 18l2.2-.8z"/>',
    "export": '<path d="M12 15V3M7 8l5-5 5 5"/><path d="M5 13v6a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2v-6"/>',
    "play": '<path d="M7 4l13 8-13 8z"/>',
    "pause": '<path d="M7 4v16M17 4v16"/>',
    "frame-back": '<path d="M18 5l-9 7 9 7z"/><path d="M6 5v14"/>',
    "frame-forward": '<path d="M6 5l9 7-9 7z"/><path d="M18 5v14"/>',
    "skip-start": '<path d="M19 5 9 12l10 7zM5 5v14"/>',
    "skip-end": '<path d="M5 5l10 7-10 7zM19 5v14"/>',
    "settings": '<circle cx="12" cy="12" r="3"/><path d="M12 2v3M12 19v3M4.9 4.9l2.1 2.1M17 17l2.1 '
                '2.1M2 12h3M19 12h3M4.9 19.1 7 17M17 7l2.1-2.1"/>',
    "link": '<path d="M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1"/>'
            '<path d="M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1"/>',
    "loop": '<path d="M17 2l3 3-3 3"/><path d="M4 11V9a4 4 0 0 1 4-4h12"/>'
            '<path d="M7 22l-3-3 3-3"/><path d="M20 13v2a4 4 0 0 1-4 4H4"/>',
    "compare": '<rect x="3" y="4" width="8" height="16" rx="1"/><rect x="13" y="4" width="8" '
               'height="16" rx="1"/>',
    "remix": '<path d="M4 20 20 4M14 4h6v6M4 4l6 6M14 14l6 6M20 14v6h-6"/>',
    "folder": '<path d="M3 7a2 2 0 0 1 2-2h4l2 2h8a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z"/>',
    "cancel": '<circle cx="12" cy="12" r="9"/><path d="m9 9 6 6M15 9l-6 6"/>',
    "retry": '<path d="M3 12a9 9 0 1 0 3-6.7L3 8"/><path d="M3 3v5h5"/>',
    "zoom-in": '<circle cx="11" cy="11" r="7"/><path d="m21 21-5-5M11 8v6M8 11h6"/>',
    "zoom-out": '<circle cx="11" cy="11" r="7"/><path d="m21 21-5-5M8 11h6"/>',
    "info": '<circle cx="12" cy="12" r="9"/><path d="M12 16v-5M12 8h.01"/>',
    "warning": '<path d="M12 3 2 20h20z"/><path d="M12 10v4M12 17h.01"/>',
    "provider": '<rect x="3" y="4" width="18" height="6" rx="1"/><rect x="3" y="14" width="18" '
                'height="6" rx="1"/><path d="M7 7h.01M7 17h.01"/>',
    "film": '<rect x="3" y="4" width="18" height="16" rx="2"/><path d="M7 4v16M17 4v16M3 9h4M3 '
            '15h4M17 9h4M17 15h4"/>',
    "quit": '<path d="M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4M16 17l5-5-5-5M21 12H9"/>',
    "history": '<path d="M3 12a9 9 0 1 0 3-6.7L3 8"/><path d="M3 3v5h5M12 7v5l3 3"/>',
    "select-all": '<rect x="3" y="3" width="18" height="18" rx="2" stroke-dasharray="3 3"/>',
    "import": '<path d="M12 3v12M7 10l5 5 5-5"/><path d="M5 15v4a2 2 0 0 0 2 2h10a2 2 0 0 0 '
              '2-2v-4"/>',
    "image": '<rect x="3" y="4" width="18" height="16" rx="2"/><circle cx="9" cy="10" r="2"/>'
             '<path d="m21 16-5-5L5 20"/>',
    "stop": '<rect x="5" y="5" width="14" height="14" rx="1"/>',
    "about": '<circle cx="12" cy="12" r="9"/><path d="M12 16v-5M12 8h.01"/>',
    "key": '<circle cx="8" cy="15" r="4"/><path d="m11 12 9-9M17 6l3 3M15 8l2 2"/>',
    "check": '<path d="M4 12l5 5L20 6"/>',
    "keyframe": '<path d="M12 3 21 12 12 21 3 12z"/><circle cx="12" cy="12" r="2"/>',
}


def _svg(name: str, color: QColor) -> QByteArray:
    body = _SHAPES[name]
    return QByteArray(
        (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" '
         f'stroke="{color.name()}" stroke-width="1.8" stroke-linecap="round" '
         f'stroke-linejoin="round">{body}</svg>').encode())


class _SvgIconEngine(QIconEngine):
    """Renders one shape at whatever size and device pixel ratio is asked, coloured by mode."""

    def __init__(self, name: str, color: QColor | None = None) -> None:
        super().__init__()
        self.name = name
        self.color = color

    def _color(self, mode: QIcon.Mode) -> QColor:
        pal = QApplication.palette()
        base = self.color or pal.color(QPalette.ColorRole.WindowText)
        if mode == QIcon.Mode.Disabled:
            return pal.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
        if mode == QIcon.Mode.Selected:
            return pal.color(QPalette.ColorRole.HighlightedText)
        return base

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        renderer = QSvgRenderer(_svg(self.name, self._color(mode)))
        renderer.render(painter, QRectF(rect))

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State,
                     scale: float) -> QPixmap:
        # Qt caches pixmaps only for its own icon engines: without this every repaint of a
        # toolbar parsed and rendered the SVG again on the GUI thread
        key = (self.name, self._color(mode).name(), size.width(), size.height(), scale)
        pm = _PIXMAPS.get(key)
        if pm is not None:
            return pm
        pm = QPixmap(size * scale)
        pm.setDevicePixelRatio(scale)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.paint(p, QRect(0, 0, size.width(), size.height()), mode, state)
        p.end()
        if len(_PIXMAPS) > 2000:
            _PIXMAPS.clear()
        _PIXMAPS[key] = pm
        return pm

    def clone(self) -> QIconEngine:
        return _SvgIconEngine(self.name, self.color)


_CACHE: dict[tuple[str, str], QIcon] = {}
#: rendered icons by (shape, colour, width, height, scale)
_PIXMAPS: dict[tuple[str, str, int, int, float], QPixmap] = {}


def icon(name: str, color: QColor | None = None) -> QIcon:
    """The icon ``name`` (see ``_SHAPES``), in the palette's text colour unless given one."""
    key = (name, color.name() if color else "")
    if key not in _CACHE:
        _CACHE[key] = QIcon(_SvgIconEngine(name, color))
    return _CACHE[key]


def names() -> list[str]:
    return list(_SHAPES)
