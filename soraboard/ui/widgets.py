"""Small reusable widgets: segmented buttons, section captions, elided labels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from soraboard.ui import theme


class Segmented(QWidget):
    """A row of exclusive buttons (durations, chain / independent)."""

    changed = Signal(object)  #: the chosen value

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self._values: list[Any] = []
        self._group.idClicked.connect(lambda i: self.changed.emit(self._values[i]))

    def set_options(self, options: Sequence[tuple[str, Any]]) -> None:
        if [v for _, v in options] == self._values and all(
                b.text() == t for b, (t, _) in zip(self._group.buttons(), options)):
            return
        for b in self._group.buttons():
            self._group.removeButton(b)
            # out of the layout and hidden now: deleteLater alone left the old row on screen
            # beside the new one until the event loop ran (4 s 6 s 8 s 4 s 8 s 12 s)
            self._layout.removeWidget(b)
            b.hide()
            b.deleteLater()
        self._values = []
        for i, (text, value) in enumerate(options):
            b = QToolButton(self)
            b.setText(text)
            b.setCheckable(True)
            b.setAutoRaise(False)
            b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            self._group.addButton(b, i)
            self._layout.addWidget(b)
            self._values.append(value)

    def set_value(self, value: Any) -> None:
        for i, v in enumerate(self._values):
            btn = self._group.button(i)
            btn.blockSignals(True)
            btn.setChecked(v == value)
            btn.blockSignals(False)

    def value(self) -> Any:
        i = self._group.checkedId()
        return None if i < 0 else self._values[i]

    def button_for(self, value: Any) -> QToolButton | None:
        for i, v in enumerate(self._values):
            if v == value:
                b = self._group.button(i)
                return b if isinstance(b, QToolButton) else None
        return None


def caption(text: str) -> QLabel:
    """A small upper-case section caption, as in the design."""
    label = QLabel(text.upper())
    f = QFont(label.font())
    f.setPointSizeF(max(f.pointSizeF() - 1.5, 7.0))
    f.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 0.6)
    label.setFont(f)
    label.setStyleSheet(theme.secondary_style())  # follows View ▸ Theme
    return label


class GrowingTextEdit(QPlainTextEdit):
    """A plain text field that is a few lines tall and says what it is for when empty."""

    def __init__(self, placeholder: str = "", lines: int = 3, parent: QWidget | None = None):
        super().__init__(parent)
        self.setPlaceholderText(placeholder)
        self.setTabChangesFocus(True)
        fm = QFontMetrics(self.font())
        self.setFixedHeight(fm.lineSpacing() * lines + 14)

    def set_text_if_different(self, text: str) -> None:
        """Replace the text without losing the cursor when the user is typing the same text."""
        if self.toPlainText() != text:
            self.blockSignals(True)
            cursor = self.textCursor()
            pos = cursor.position()
            self.setPlainText(text)
            cursor = self.textCursor()
            cursor.setPosition(min(pos, len(text)))
            self.setTextCursor(cursor)
            self.blockSignals(False)
