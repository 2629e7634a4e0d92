"""The style bible editor (style, palette, cast, negative prompt) and the storyboard's own
fields (title, budget). Everything here is repeated in every composed prompt.

The cast is characters, props and locations, each with a name, a description (used in prompts)
and up to ``MAX_CAST_IMAGES`` reference images (sent to models that take them, for every
segment that lists the entry). Every change is one undoable Document edit; image files are
imported and sheets made by the window's cast controller (this widget asks by signal)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from soraboard.document import Document
from soraboard.model.edits import EditError
from soraboard.model.storyboard import MAX_CAST_IMAGES, CastKind, Character, StyleBible
from soraboard.ui import theme
from soraboard.ui.cast_panel import KIND_LABELS, cast_thumbnail
from soraboard.ui.icons import icon
from soraboard.ui.widgets import GrowingTextEdit, caption

THUMB = 64


class CastThumb(QLabel):
    """One reference image, with a small button that takes it off the entry."""

    remove_clicked = Signal(str)  #: bundle-relative path

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path = ""
        self.setFixedSize(THUMB, THUMB)
        self.restyle()
        self.remove = QToolButton(self)
        self.remove.setIcon(icon("cancel"))
        self.remove.setIconSize(QSize(12, 12))
        self.remove.setFixedSize(18, 18)
        self.remove.setAutoRaise(True)
        self.remove.setStyleSheet("QToolButton { background: rgba(0,0,0,150); border: none; "
                                  "border-radius: 9px; }")
        self.remove.move(THUMB - 20, 2)
        self.remove.clicked.connect(self._on_remove_clicked)

    def restyle(self) -> None:
        self.setStyleSheet(f"border: 1px solid {theme.card_border().name()}; "
                           "border-radius: 4px;")

    def show_image(self, doc: Document, path: str) -> None:
        self.path = path
        self.setPixmap(cast_thumbnail(doc, path, THUMB))
        self.setToolTip(path.split("/")[-1])
        self.remove.setToolTip(f"Remove {path.split('/')[-1]} from this entry (the file stays "
                               "in the project; undo brings it back)")

    def _on_remove_clicked(self) -> None:
        self.remove_clicked.emit(self.path)


class CastEntryCard(QFrame):
    """One cast entry: kind, name, description, its images and what to do with them."""

    changed = Signal(object)  #: the edited Character (description, kind, images)
    renamed = Signal(str)  #: the new name (the editor renames and reports a clash)
    remove_requested = Signal()
    image_add_requested = Signal()
    image_remove_requested = Signal(str)
    sheet_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry: Character | None = None
        self.setObjectName("castCard")
        self._restyle()
        theme.notifier().changed.connect(self._on_theme_changed)
        v = QVBoxLayout(self)
        v.setContentsMargins(8, 8, 8, 8)
        v.setSpacing(6)
        top = QHBoxLayout()
        self.kind = QComboBox()
        for kind in CastKind:
            self.kind.addItem(KIND_LABELS[kind], kind)
        self.name = QLineEdit()
        self.name.setPlaceholderText("name, as the prompts say it")
        self.remove_btn = QToolButton()
        self.remove_btn.setIcon(icon("delete"))
        self.remove_btn.setAutoRaise(True)
        self.remove_btn.setToolTip("Remove this entry (and unlist it from every segment)")
        top.addWidget(self.kind)
        top.addWidget(self.name, 1)
        top.addWidget(self.remove_btn)
        v.addLayout(top)
        self.error = QLabel()
        self.error.setStyleSheet(f"color: {theme.FAILED.name()};")
        self.error.setWordWrap(True)
        self.error.hide()
        v.addWidget(self.error)
        self.description = GrowingTextEdit("described once, reused verbatim in every prompt "
                                           "that names it", 2)
        v.addWidget(self.description)
        images = QHBoxLayout()
        images.setSpacing(6)
        self.thumbs_host = QWidget()
        self.thumbs = QHBoxLayout(self.thumbs_host)
        self.thumbs.setContentsMargins(0, 0, 0, 0)
        self.thumbs.setSpacing(6)
        self.thumb_widgets: list[CastThumb] = []
        images.addWidget(self.thumbs_host)
        buttons = QVBoxLayout()
        buttons.setSpacing(4)
        self.add_image = QPushButton(icon("image"), "Add image…")
        self.make_sheet = QPushButton(icon("generate"), "Make sheet")
        buttons.addWidget(self.add_image)
        buttons.addWidget(self.make_sheet)
        images.addLayout(buttons)
        images.addStretch(1)
        v.addLayout(images)
        self.no_images = QLabel()
        self.no_images.setStyleSheet(theme.secondary_style())
        self.no_images.setWordWrap(True)
        v.addWidget(self.no_images)

        self.kind.activated.connect(self._on_kind_activated)
        self.name.editingFinished.connect(self._on_name_edited)
        self.description.textChanged.connect(self._on_description_changed)
        self.remove_btn.clicked.connect(self.remove_requested)
        self.add_image.clicked.connect(self.image_add_requested)
        self.make_sheet.clicked.connect(self.sheet_requested)

    def _restyle(self) -> None:
        self.setStyleSheet(f"QFrame#castCard {{ background: {theme.card().name()}; "
                           f"border: 1px solid {theme.card_border().name()}; "
                           "border-radius: 6px; }")

    def _on_theme_changed(self, _name: str) -> None:
        self._restyle()
        for thumb in self.thumb_widgets:
            thumb.restyle()

    def _on_kind_activated(self, _index: int) -> None:
        if self.entry is not None:
            self.changed.emit(replace(self.entry, kind=self.kind.currentData()))

    def _on_name_edited(self) -> None:
        self.name.setModified(False)
        if self.entry is not None and self.name.text().strip() != self.entry.name:
            self.renamed.emit(self.name.text().strip())

    def _on_description_changed(self) -> None:
        if self.entry is not None:
            self.changed.emit(replace(self.entry, description=self.description.toPlainText()))

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def show_entry(self, doc: Document, entry: Character, *, making_sheet: bool) -> None:
        self.entry = entry
        # not while the user is typing a new name (undo from the menu still shows through)
        if self.name.text() != entry.name and not (self.name.hasFocus()
                                                   and self.name.isModified()):
            self.name.setText(entry.name)
            self.show_error("")
        self.description.set_text_if_different(entry.description)
        self.kind.setCurrentIndex(self.kind.findData(entry.kind))
        while len(self.thumb_widgets) < len(entry.images):
            thumb = CastThumb(self.thumbs_host)
            thumb.remove_clicked.connect(self.image_remove_requested)
            self.thumbs.addWidget(thumb)
            self.thumb_widgets.append(thumb)
        while len(self.thumb_widgets) > len(entry.images):
            thumb = self.thumb_widgets.pop()
            self.thumbs.removeWidget(thumb)
            thumb.hide()
            thumb.deleteLater()
        for thumb, path in zip(self.thumb_widgets, entry.images):
            thumb.show_image(doc, path)
        self.thumbs_host.setVisible(bool(entry.images))
        full = len(entry.images) >= MAX_CAST_IMAGES
        self.add_image.setEnabled(not full)
        self.make_sheet.setEnabled(not full and not making_sheet)
        self.make_sheet.setText("Making sheet…" if making_sheet else "Make sheet")
        kind = KIND_LABELS[entry.kind].lower()
        self.make_sheet.setToolTip(
            f"Make reference images of this {kind} from its description with the image "
            "model (offline placeholders in animatic mode; priced first otherwise)")
        self.add_image.setToolTip(f"Import a picture of this {kind} into the project "
                                  f"(up to {MAX_CAST_IMAGES})")
        self.no_images.setText(
            "No reference images: models that take them get only the description."
            if not entry.images else
            f"{len(entry.images)} of {MAX_CAST_IMAGES} images · sent to models that take "
            "reference images, for every segment that lists it")


class StyleBibleEditor(QWidget):
    #: cast entry index: import image files into it (the window's cast controller asks which)
    image_add_requested = Signal(int)
    image_remove_requested = Signal(int, str)  #: entry index, bundle-relative path
    sheet_requested = Signal(int)  #: entry index: make its sheet

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
        v.addWidget(caption("Cast — characters, props and locations"))
        self.cast_host = QWidget()
        self.cast_layout = QVBoxLayout(self.cast_host)
        self.cast_layout.setContentsMargins(0, 0, 0, 0)
        self.cast_layout.setSpacing(6)
        self.cast_cards: list[CastEntryCard] = []
        v.addWidget(self.cast_host)
        self.cast_empty = QLabel("No cast yet. Name who and what returns across shots; give "
                                 "them reference images so models that take them keep them "
                                 "the same.")
        self.cast_empty.setWordWrap(True)
        self.cast_empty.setStyleSheet(theme.secondary_style())
        v.addWidget(self.cast_empty)
        row = QGridLayout()
        row.setHorizontalSpacing(6)
        self.add_buttons: dict[CastKind, QPushButton] = {}
        for col, kind in enumerate(CastKind):
            b = QPushButton(icon("add"), f"Add {KIND_LABELS[kind].lower()}")
            b.setProperty("cast_kind", kind.value)
            b.clicked.connect(self._on_add_clicked)
            row.addWidget(b, 0, col)
            self.add_buttons[kind] = b
        row.setColumnStretch(3, 1)
        v.addLayout(row)
        #: entries whose sheet is being made (names, lower case), from the cast controller
        self._making: set[str] = set()
        v.addWidget(caption("Negative prompt (appended as “Avoid: …”)"))
        self.negative = GrowingTextEdit("what should never appear", 2)
        v.addWidget(self.negative)
        v.addStretch(0)

        self.title.textEdited.connect(lambda t: doc.set_storyboard_field("title", t))
        self.budget.editingFinished.connect(self._on_budget)
        self.style_text.textChanged.connect(self._commit)
        self.palette_text.textEdited.connect(lambda _t: self._commit())
        self.negative.textChanged.connect(self._commit)
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

    def _commit(self) -> None:
        if self._refreshing:
            return
        style = self.doc.storyboard.style
        self.doc.set_style(StyleBible(
            style=self.style_text.toPlainText(),
            palette=self.palette_text.text(),
            characters=style.characters,
            negative=self.negative.toPlainText(),
        ))

    # ------------------------------------------------------------------ cast

    def add_entry(self, kind: CastKind = CastKind.CHARACTER) -> int:
        """Add a cast entry of ``kind`` with a fresh name; its index (the name is ready to
        type over)."""
        taken = {c.name.strip().lower() for c in self.doc.storyboard.style.characters}
        base = KIND_LABELS[kind]
        n = 1
        while f"{base} {n}".lower() in taken:
            n += 1
        self.doc.add_cast_entry(Character(f"{base} {n}", "", kind))
        index = len(self.doc.storyboard.style.characters) - 1
        card = self.cast_cards[index]
        card.name.setFocus()
        card.name.selectAll()
        return index

    def _on_add_clicked(self) -> None:
        button = self.sender()
        if isinstance(button, QPushButton):
            self.add_entry(CastKind(str(button.property("cast_kind"))))

    def rename_entry(self, index: int, name: str) -> str | None:
        """Rename entry ``index`` (the segments that list it follow); the reason when
        refused (empty, or another entry's name)."""
        entry = self.doc.storyboard.style.characters[index]
        try:
            self.doc.set_cast_entry(index, replace(entry, name=name))
        except EditError as e:
            return str(e)
        return None

    def set_sheets_running(self, names: Iterable[str]) -> None:
        """The entries whose sheet is being made (their button says so)."""
        self._making = {n.strip().lower() for n in names}
        self.refresh()

    def _card_index(self) -> int | None:
        card = self.sender()
        return self.cast_cards.index(card) if card in self.cast_cards else None

    def _on_card_changed(self, entry: Character) -> None:
        i = self._card_index()
        if i is not None and not self._refreshing:
            self.doc.set_cast_entry(i, entry)

    def _on_card_renamed(self, name: str) -> None:
        i = self._card_index()
        if i is None:
            return
        problem = self.rename_entry(i, name)
        card = self.cast_cards[i]
        if problem:
            card.show_error(f"Not renamed: {problem}.")
            card.name.setText(self.doc.storyboard.style.characters[i].name)
        else:
            card.show_error("")

    def _on_card_remove(self) -> None:
        i = self._card_index()
        if i is not None:
            self.doc.remove_cast_entry(i)

    def _on_card_add_image(self) -> None:
        i = self._card_index()
        if i is not None:
            self.image_add_requested.emit(i)

    def _on_card_remove_image(self, path: str) -> None:
        i = self._card_index()
        if i is not None:
            self.image_remove_requested.emit(i, path)

    def _on_card_sheet(self) -> None:
        i = self._card_index()
        if i is not None:
            self.sheet_requested.emit(i)

    def _sync_cards(self, count: int) -> None:
        while len(self.cast_cards) < count:
            card = CastEntryCard(self.cast_host)
            card.changed.connect(self._on_card_changed)
            card.renamed.connect(self._on_card_renamed)
            card.remove_requested.connect(self._on_card_remove)
            card.image_add_requested.connect(self._on_card_add_image)
            card.image_remove_requested.connect(self._on_card_remove_image)
            card.sheet_requested.connect(self._on_card_sheet)
            self.cast_layout.addWidget(card)
            self.cast_cards.append(card)
        while len(self.cast_cards) > count:
            card = self.cast_cards.pop()
            self.cast_layout.removeWidget(card)
            card.hide()
            card.deleteLater()

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
        self._sync_cards(len(style.characters))
        for card, entry in zip(self.cast_cards, style.characters):
            card.show_entry(self.doc, entry,
                            making_sheet=entry.name.strip().lower() in self._making)
        self.cast_empty.setVisible(not style.characters)
        self._refreshing = False
