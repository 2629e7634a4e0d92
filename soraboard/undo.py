"""QUndoCommand wrappers around the pure model edits."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand

from soraboard.model.edits import Edit

if TYPE_CHECKING:
    from soraboard.model.storyboard import Storyboard

#: command ids for merging are small positive ints derived from the edit's merge key
_MERGE_IDS: dict[object, int] = {}


def _merge_id(key: object) -> int:
    if key is None:
        return -1
    return _MERGE_IDS.setdefault(key, len(_MERGE_IDS) + 1)


class EditCommand(QUndoCommand):
    """One undo step: applies ``edit`` on redo, reverts it on undo.

    Consecutive commands whose edits share a merge key (typing in one text field) merge into
    one, so undo takes back the whole word, not one letter.
    """

    def __init__(self, edit: Edit, get: Callable[[], Storyboard],
                 put: Callable[[Storyboard], None]) -> None:
        super().__init__(edit.label)
        self.edit = edit
        self._get = get
        self._put = put
        self._id = _merge_id(edit.merge_key())

    def redo(self) -> None:
        self._put(self.edit.apply(self._get()))

    def undo(self) -> None:
        self._put(self.edit.revert(self._get()))

    def id(self) -> int:
        return self._id

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, EditCommand) or other.id() != self._id or self._id < 0:
            return False
        merged = self.edit.merged(other.edit)
        if merged is None:
            return False
        self.edit = merged
        return True
