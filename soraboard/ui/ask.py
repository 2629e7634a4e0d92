"""Every question the app asks the creator goes through one ``Ask``.

Controllers get an ``Ask`` and receive plain answers (``bool``, a path, ``None``); they never
open a dialog themselves. ``DialogAsk`` is the only class that opens message boxes and file
dialogs for them; tests pass a scripted ``Ask`` instead (tests/ui/scripted_ask.py).
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QMessageBox, QWidget

if TYPE_CHECKING:
    from soraboard.catalog.catalog import Catalog
    from soraboard.model.storyboard import Storyboard

Btn = QMessageBox.StandardButton

PROJECT_FILTER = "soraboard project (*.soraboard)"


class Unsaved(Enum):
    SAVE = "save"
    DISCARD = "discard"
    CANCEL = "cancel"


class Ask(Protocol):
    def confirm(self, title: str, text: str, *, yes: str = "", default_yes: bool = True) -> bool:
        """Yes (or the ``yes`` button: "close", "open") against Cancel."""
        ...

    def yes_no(self, title: str, text: str) -> bool: ...

    def unsaved(self, title: str, text: str) -> Unsaved: ...

    def inform(self, title: str, text: str) -> None: ...

    def warn(self, title: str, text: str) -> None: ...

    def error(self, title: str, text: str) -> None: ...

    def save_path(self, title: str, start: Path, filter: str = PROJECT_FILTER) -> Path | None: ...

    def folder(self, title: str) -> Path | None: ...

    def open_paths(self, title: str, filter: str) -> list[str]: ...

    def text(self, title: str, label: str) -> str | None:
        """A line of text, or None when cancelled or left empty."""
        ...

    def plan_story(self, catalog: Catalog, model: str,
                   size: str) -> tuple[Storyboard, bool] | None:
        """The story dialog: a planned storyboard and whether it becomes a new project."""
        ...


_BUTTONS = {"": Btn.Yes, "close": Btn.Close, "open": Btn.Open}


class DialogAsk:
    """Asks with Qt's message boxes and file dialogs, parented to ``parent``."""

    def __init__(self, parent: QWidget) -> None:
        self.parent = parent

    def confirm(self, title: str, text: str, *, yes: str = "", default_yes: bool = True) -> bool:
        ok = _BUTTONS[yes]
        if yes == "open":  # the offer to fix something after a failure
            answer = QMessageBox.warning(self.parent, title, text, ok | Btn.Cancel)
        else:
            answer = QMessageBox.question(self.parent, title, text, ok | Btn.Cancel,
                                          ok if default_yes else Btn.Cancel)
        return bool(answer == ok)

    def yes_no(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self.parent, title, text, Btn.Yes | Btn.No, Btn.Yes)
        return bool(answer == Btn.Yes)

    def unsaved(self, title: str, text: str) -> Unsaved:
        answer = QMessageBox.question(self.parent, title, text,
                                      Btn.Save | Btn.Discard | Btn.Cancel, Btn.Save)
        if answer == Btn.Save:
            return Unsaved.SAVE
        if answer == Btn.Discard:
            return Unsaved.DISCARD
        return Unsaved.CANCEL

    def inform(self, title: str, text: str) -> None:
        QMessageBox.information(self.parent, title, text)

    def warn(self, title: str, text: str) -> None:
        QMessageBox.warning(self.parent, title, text)

    def error(self, title: str, text: str) -> None:
        QMessageBox.critical(self.parent, title, text)

    def save_path(self, title: str, start: Path, filter: str = PROJECT_FILTER) -> Path | None:
        path, _ = QFileDialog.getSaveFileName(self.parent, title, str(start), filter)
        return Path(path) if path else None

    def folder(self, title: str) -> Path | None:
        path = QFileDialog.getExistingDirectory(self.parent, title)
        return Path(path) if path else None

    def open_paths(self, title: str, filter: str) -> list[str]:
        paths, _ = QFileDialog.getOpenFileNames(self.parent, title, "", filter)
        return list(paths)

    def text(self, title: str, label: str) -> str | None:
        value, ok = QInputDialog.getText(self.parent, title, label)
        return value.strip() if ok and value.strip() else None

    def plan_story(self, catalog: Catalog, model: str,
                   size: str) -> tuple[Storyboard, bool] | None:
        from soraboard.ui.story_dialog import StoryDialog

        dlg = StoryDialog(catalog, model, size, self.parent)
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return None
        planned = dlg.edited_storyboard()
        if planned is None:
            return None
        return planned, dlg.new_project.isChecked()
