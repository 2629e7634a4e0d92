"""The style bible editor (style, palette, characters, negative prompt) and the storyboard's
own fields (title, budget). Everything here is repeated in every composed prompt."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from soraboard.document import Document
from soraboard.model.storyboard import Character, StyleBible
from soraboard.ui.icons import icon
from soraboard.ui.widgets import GrowingTextEdit, caption


class StyleBibleEditor(QWidget):
    def __init__(self, doc: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        v = QVBoxLayout(self)
        v.setContentsMargins(12, 10, 12, 12)
        v.setSpacing(6)
        v.addWidget(caption("Film title"))
        self.title = QLineEdit()
        v.addWidget(self.title)
        v.addWidget(caption("Budget (US $)"))
        self.budget = QLineEdit()
        self.budget.setPlaceholderText("no budget")
        v.addWidget(self.budget)
        v.addWidget(caption("Style"))
        self.style_text = GrowingTextEdit("Look and feel: film stock, lens, era, mood", 3)
        v.addWidget(self.style_text)
        v.addWidget(caption("Palette"))
        self.palette_text = QLineEdit()
        self.palette_text.setPlaceholderText("three to five colour anchors")
        v.addWidget(self.palette_text)
        v.addWidget(caption("Characters — described once, reused verbatim"))
        self.characters = QTableWidget(0, 2)
        self.characters.setHorizontalHeaderLabels(["Name", "Description"])
        self.characters.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.characters.horizontalHeader().setStretchLastSection(True)
        self.characters.verticalHeader().hide()
        self.characters.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.characters.setMinimumHeight(120)
        v.addWidget(self.characters, 1)
        row = QHBoxLayout()
        self.add_char = QPushButton(icon("add"), "Add character")
        self.remove_char = QPushButton(icon("delete"), "Remove")
        row.addWidget(self.add_char)
        row.addWidget(self.remove_char)
        row.addStretch(1)
        v.addLayout(row)
        v.addWidget(caption("Negative prompt (appended as “Avoid: …”)"))
        self.negative = GrowingTextEdit("what should never appear", 2)
        v.addWidget(self.negative)
        v.addStretch(0)

        self.title.textEdited.connect(lambda t: doc.set_storyboard_field("title", t))
        self.budget.editingFinished.connect(self._on_budget)
        self.style_text.textChanged.connect(self._commit)
        self.palette_text.textEdited.connect(lambda _t: self._commit())
        self.negative.textChanged.connect(self._commit)
        self.characters.itemChanged.connect(lambda _i: self._commit())
        self.add_char.clicked.connect(self._add_character)
        self.remove_char.clicked.connect(self._remove_character)
        doc.storyboard_changed.connect(self.refresh)
        self._refreshing = False
        self.refresh()

    def _on_budget(self) -> None:
        text = self.budget.text().strip().lstrip("$").replace(",", "")
        if not text:
            self.doc.set_storyboard_field("budget", None)
            return
        try:
            value = Decimal(text)
        except InvalidOperation:
            self.budget.setText(self.doc.storyboard.budget or "")
            self.budget.setToolTip(f"{text!r} is not an amount in dollars")
            return
        if value < 0 or not value.is_finite():
            self.budget.setText(self.doc.storyboard.budget or "")
            return
        self.doc.set_storyboard_field("budget", str(value.quantize(Decimal("0.01"))))

    def _characters(self) -> tuple[Character, ...]:
        out = []
        for r in range(self.characters.rowCount()):
            name = self.characters.item(r, 0)
            desc = self.characters.item(r, 1)
            n = name.text().strip() if name else ""
            d = desc.text().strip() if desc else ""
            if n or d:
                out.append(Character(n, d))
        return tuple(out)

    def _commit(self) -> None:
        if self._refreshing:
            return
        self.doc.set_style(StyleBible(
            style=self.style_text.toPlainText(),
            palette=self.palette_text.text(),
            characters=self._characters(),
            negative=self.negative.toPlainText(),
        ))

    def _add_character(self) -> None:
        style = self.doc.storyboard.style
        n = len(style.characters) + 1
        self.doc.set_style(StyleBible(style.style, style.palette,
                                      (*style.characters, Character(f"Character {n}", "")),
                                      style.negative))
        row = self.characters.rowCount() - 1
        self.characters.setCurrentCell(row, 0)
        self.characters.editItem(self.characters.item(row, 0))

    def _remove_character(self) -> None:
        rows = sorted({i.row() for i in self.characters.selectedIndexes()})
        if not rows:
            return
        style = self.doc.storyboard.style
        kept = tuple(c for i, c in enumerate(style.characters) if i not in rows)
        self.doc.set_style(StyleBible(style.style, style.palette, kept, style.negative))

    def refresh(self) -> None:
        self._refreshing = True
        sb = self.doc.storyboard
        if not self.title.hasFocus() and self.title.text() != sb.title:
            self.title.setText(sb.title)
        if not self.budget.hasFocus():
            self.budget.setText(sb.budget or "")
        style = sb.style
        self.style_text.set_text_if_different(style.style)
        if self.palette_text.text() != style.palette:
            self.palette_text.setText(style.palette)
        self.negative.set_text_if_different(style.negative)
        if self._characters() != style.characters or self.characters.rowCount() != len(
                style.characters):
            self.characters.blockSignals(True)
            self.characters.setRowCount(len(style.characters))
            for r, c in enumerate(style.characters):
                for col, text in enumerate((c.name, c.description)):
                    item = self.characters.item(r, col)
                    if item is None:
                        item = QTableWidgetItem()
                        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
                        self.characters.setItem(r, col, item)
                    if item.text() != text:
                        item.setText(text)
            self.characters.blockSignals(False)
        self._refreshing = False
