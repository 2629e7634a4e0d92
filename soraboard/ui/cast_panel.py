"""A segment's cast in the inspector: the style bible's entries as checkable chips with their
first image; checked = the segment lists it (its images go as references). Entries the
segment's prompt names but does not list are offered ("suggested: Mara — add"), never added
by themselves. When the segment's model takes no reference images, the panel says so."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLayout,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from soraboard.document import Document
from soraboard.model.prompt import suggest_cast
from soraboard.model.storyboard import CastKind, Character, Segment
from soraboard.storage.errors import ProjectError
from soraboard.ui import theme
from soraboard.ui.widgets import caption

KIND_LABELS = {CastKind.CHARACTER: "Character", CastKind.PROP: "Prop",
               CastKind.LOCATION: "Location"}

#: scaled images by (path, modification time, side): a cast image is read once per size
_THUMBS: dict[tuple[str, float, int], QPixmap] = {}


def cast_thumbnail(doc: Document, relative: str | None, side: int) -> QPixmap:
    """A square, centre-cropped thumbnail of a bundle image (a plain tile when there is
    none or it cannot be read). Small files, cached: fine on the GUI thread."""
    path: Path | None = None
    if relative:
        try:
            path = doc.bundle.resolve(relative)
        except ProjectError:
            path = None
    try:
        mtime = path.stat().st_mtime if path is not None else 0.0
    except OSError:
        path, mtime = None, 0.0
    key = (str(path), mtime, side)
    cached = _THUMBS.get(key)
    if cached is not None:
        return cached
    pix = QPixmap(str(path)) if path is not None else QPixmap()
    if pix.isNull():
        tile = QPixmap(side, side)
        tile.fill(theme.mix(theme.card(), theme.text(), 0.08))
        return tile
    pix = pix.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                     Qt.TransformationMode.SmoothTransformation)
    x, y = (pix.width() - side) // 2, (pix.height() - side) // 2
    pix = pix.copy(x, y, side, side)
    if len(_THUMBS) > 256:
        _THUMBS.clear()
    _THUMBS[key] = pix
    return pix


def _initials_tile(entry: Character, side: int) -> QPixmap:
    """No image yet: the entry's initial on a tile, so the chip still reads as a face."""
    tile = QPixmap(side, side)
    tile.fill(QColor(0, 0, 0, 0))
    p = QPainter(tile)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(theme.mix(theme.card(), theme.text(), 0.16))
    p.drawRoundedRect(0, 0, side, side, 4, 4)
    p.setPen(theme.text())
    p.drawText(tile.rect(), Qt.AlignmentFlag.AlignCenter, (entry.name.strip()[:1] or "?").upper())
    p.end()
    return tile


class FlowLayout(QLayout):
    """Chips wrap onto the next line when the inspector is narrow."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list = []  # type: ignore[type-arg]
        self._spacing = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item) -> None:  # type: ignore[no-untyped-def]
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int):  # type: ignore[no-untyped-def]
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int):  # type: ignore[no-untyped-def]
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._layout(width, apply=False)

    def setGeometry(self, rect) -> None:  # type: ignore[no-untyped-def]
        super().setGeometry(rect)
        self._layout(rect.width(), apply=True, x0=rect.x(), y0=rect.y())

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        return size

    def _layout(self, width: int, *, apply: bool, x0: int = 0, y0: int = 0) -> int:
        x, y, line = x0, y0, 0
        for item in self._items:
            hint = item.sizeHint()
            if x > x0 and x + hint.width() > x0 + width:
                x, y, line = x0, y + line + self._spacing, 0
            if apply:
                item.setGeometry(type(item.geometry())(x, y, hint.width(), hint.height()))
            x += hint.width() + self._spacing
            line = max(line, hint.height())
        return y + line - y0


class CastChip(QToolButton):
    """One cast entry: thumbnail and name; checked when the segment lists it."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.setCheckable(True)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setIconSize(QSize(28, 28))
        self.setAutoRaise(False)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self._shown: tuple[Character, str] | None = None

    def show_entry(self, doc: Document, entry: Character) -> None:
        # style sheets and pixmaps are not free: views refresh on every edit
        shown = (entry, theme.current())
        if self._shown == shown:
            return
        self._shown = shown
        first = entry.images[0] if entry.images else None
        pix = cast_thumbnail(doc, first, 28) if first else _initials_tile(entry, 28)
        self.setIcon(QIcon(pix))
        self.setText(entry.name)
        kind = KIND_LABELS[entry.kind].lower()
        n = len(entry.images)
        self.setToolTip(f"{entry.name} ({kind}, {n} image{'s' if n != 1 else ''})"
                        + (f": {entry.description}" if entry.description else ""))
        accent = theme.accent().name()
        self.setStyleSheet(
            "QToolButton { padding: 3px 8px 3px 3px; border-radius: 6px;"
            f" border: 1px solid {theme.card_border().name()}; }}"
            f" QToolButton:checked {{ border: 1px solid {accent};"
            f" background: {theme.mix(theme.card(), theme.accent(), 0.25).name()}; }}")


class CastPanel(QWidget):
    """The "Cast" section of the segment inspector."""

    #: the style bible tab should be shown (the panel's "Edit cast…" link)
    edit_cast_requested = Signal()

    def __init__(self, doc: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 4, 0, 0)
        v.setSpacing(4)
        head = QHBoxLayout()
        head.addWidget(caption("Cast · who and what appears"))
        head.addStretch(1)
        self.edit_link = QLabel('<a href="#">Edit cast…</a>')
        self.edit_link.linkActivated.connect(lambda _l: self.edit_cast_requested.emit())
        head.addWidget(self.edit_link)
        v.addLayout(head)
        self.empty = QLabel("No cast yet: add characters, props and locations in the style "
                            "bible, with reference images.")
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet(theme.secondary_style())
        v.addWidget(self.empty)
        self.chip_host = QWidget()
        self.chips_layout = FlowLayout(self.chip_host)
        v.addWidget(self.chip_host)
        self.chips: dict[str, CastChip] = {}
        self.suggest_row = QWidget()
        sr = QHBoxLayout(self.suggest_row)
        sr.setContentsMargins(0, 0, 0, 0)
        sr.setSpacing(6)
        self.suggest_label = QLabel()
        self.suggest_label.setStyleSheet(theme.secondary_style())
        sr.addWidget(self.suggest_label)
        self.suggest_buttons: list[QToolButton] = []
        self._suggested: list[str] | None = None
        self._suggest_layout = sr
        sr.addStretch(1)
        v.addWidget(self.suggest_row)
        self.model_note = QLabel()
        self.model_note.setWordWrap(True)
        self.model_note.setStyleSheet(f"color: {theme.STALE.name()};")
        v.addWidget(self.model_note)
        doc.storyboard_changed.connect(self.refresh)
        doc.selection_changed.connect(self.refresh)
        theme.notifier().changed.connect(self._on_theme_changed)
        self.refresh()

    def _on_theme_changed(self, _name: str) -> None:
        self.model_note.setStyleSheet(f"color: {theme.STALE.name()};")
        self._suggested = None  # the suggestion links take the new accent
        self.refresh()

    def _segment(self) -> Segment | None:
        sid = self.doc.current_id
        return self.doc.storyboard.segment(sid) if sid is not None else None

    # ------------------------------------------------------------------ intents

    def _on_chip_toggled(self, checked: bool) -> None:
        chip = self.sender()
        seg = self._segment()
        if not isinstance(chip, CastChip) or seg is None:
            return
        key = chip.name.strip().lower()
        names = [n for n in seg.cast if n.strip().lower() != key]
        if checked:
            # keep the style bible's order, so references go in a stable order
            wanted = {n.strip().lower() for n in names} | {key}
            names = [c.name for c in self.doc.storyboard.style.characters
                     if c.name.strip().lower() in wanted] + [
                n for n in names if n.strip().lower() not in
                {c.name.strip().lower() for c in self.doc.storyboard.style.characters}]
        self.doc.set_segment_cast(seg.id, names)

    def add_suggested(self, name: str) -> None:
        """List a suggested entry in the current segment (one undo step)."""
        seg = self._segment()
        if seg is not None and name not in seg.cast:
            self.doc.set_segment_cast(seg.id, [*seg.cast, name])

    def _on_suggestion_clicked(self) -> None:
        button = self.sender()
        if isinstance(button, QToolButton):
            self.add_suggested(str(button.property("cast_name")))

    # ------------------------------------------------------------------ refresh

    def suggestions(self) -> list[str]:
        """Entries the current segment's prompt names but does not list."""
        seg = self._segment()
        if seg is None:
            return []
        listed = {n.strip().lower() for n in seg.cast}
        return [n for n in suggest_cast(seg, self.doc.storyboard.style.characters)
                if n.strip().lower() not in listed]

    def refresh(self) -> None:
        seg = self._segment()
        if seg is None:
            return
        cast = self.doc.storyboard.style.characters
        self.empty.setVisible(not cast)
        self.chip_host.setVisible(bool(cast))
        names = [c.name for c in cast]
        if list(self.chips) != names:
            for chip in self.chips.values():
                self.chips_layout.removeWidget(chip)
                chip.hide()  # deleteLater waits for the event loop; gone from view now
                chip.deleteLater()
            self.chips = {}
            for entry in cast:
                chip = CastChip(entry.name, self.chip_host)
                chip.toggled.connect(self._on_chip_toggled)
                self.chips_layout.addWidget(chip)
                self.chips[entry.name] = chip
        listed = {n.strip().lower() for n in seg.cast}
        for entry in cast:
            chip = self.chips[entry.name]
            chip.show_entry(self.doc, entry)
            chip.blockSignals(True)
            chip.setChecked(entry.name.strip().lower() in listed)
            chip.blockSignals(False)
        self._refresh_suggestions()
        self._refresh_model_note(seg)
        self.chip_host.updateGeometry()

    def _refresh_suggestions(self) -> None:
        suggested = self.suggestions()
        if suggested == self._suggested:
            return
        self._suggested = suggested
        for b in self.suggest_buttons:
            self._suggest_layout.removeWidget(b)
            b.hide()
            b.deleteLater()
        self.suggest_buttons = []
        self.suggest_row.setVisible(bool(suggested))
        self.suggest_label.setText("Suggested (named in the prompt):")
        for i, name in enumerate(suggested):
            b = QToolButton(self.suggest_row)
            b.setText(f"{name} — add")
            b.setToolTip(f"The prompt names {name}; list it in this segment so its reference "
                         "images go with it")
            b.setProperty("cast_name", name)
            b.setAutoRaise(True)
            b.setStyleSheet(f"QToolButton {{ color: {theme.accent().name()}; }}")
            b.clicked.connect(self._on_suggestion_clicked)
            self._suggest_layout.insertWidget(1 + i, b)
            self.suggest_buttons.append(b)

    def _refresh_model_note(self, seg: Segment) -> None:
        sb = self.doc.storyboard
        index = sb.index_of(seg.id)
        try:
            takes = self.doc.catalog[seg.model].reference_images
        except KeyError:
            takes = None  # a model the catalog does not know: validate says so
        images = len(sb.cast_images(index))
        sent = len(sb.reference_images(index))
        note = ""
        if takes == 0 and sb.style.characters:
            note = (f"{seg.model} takes no reference images: the cast's images are not sent, "
                    "only the descriptions of those the prompt names.")
            if images:
                note += (f" Generate stops while this segment lists {images} "
                         f"image{'s' if images != 1 else ''}: pick a model that takes them, "
                         "or unlist the entries.")
        elif takes is not None and sent > takes:
            note = (f"{seg.model} takes {takes} reference image{'s' if takes != 1 else ''}; "
                    f"this segment has {sent} (its own, then its cast's): unlist some or "
                    "remove images before generating.")
        self.model_note.setText(note)
        self.model_note.setVisible(bool(note))
