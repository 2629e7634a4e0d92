"""The open project, as the GUI sees it: storyboard + takes + undo stack + selection.

The Document is the only mutator of the model. Widgets call its intent methods; each pushes
an undoable :class:`~soraboard.undo.EditCommand` that applies a pure edit and emits a coarse
change signal; views refresh from it. Takes (paid results) are recorded outside the undo
history: undo can change which take a segment has chosen, never delete one.
"""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
import weakref
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from soraboard.catalog.catalog import Catalog, default_catalog
from soraboard.catalog.cost import CostReport, estimate
from soraboard.model import edits
from soraboard.model.edits import Edit, EditError
from soraboard.model.status import SegmentStatus, storyboard_status
from soraboard.model.storyboard import Character, Segment, Storyboard, StyleBible, Transition
from soraboard.model.take import StillRecord, Take
from soraboard.storage.atomic import atomic_write_json
from soraboard.storage.bundle import Bundle, Project, load_project, read_json_file
from soraboard.storage.codec import storyboard_from, storyboard_to_dict
from soraboard.storage.errors import ProjectError, SchemaError
from soraboard.storage.lock import BundleLock
from soraboard.storage.migrations import SCHEMA_VERSION
from soraboard.undo import EditCommand

log = logging.getLogger(__name__)

AUTOSAVE_FILE = "autosave.json"
#: how the editor's session names itself in the bundle lock
EDITOR_COMMAND = "the soraboard editor"


def _disconnect_clean_changed(stack: QUndoStack) -> None:
    with warnings.catch_warnings(), contextlib.suppress(RuntimeError, TypeError):
        warnings.simplefilter("ignore", RuntimeWarning)  # nothing left to disconnect
        stack.cleanChanged.disconnect()


class Document(QObject):
    #: the storyboard changed (any edit, undo or redo)
    storyboard_changed = Signal()
    #: a take was recorded or updated (generation progress, a new take, an import)
    takes_changed = Signal()
    #: the selected segments changed
    selection_changed = Signal()
    #: the file name or the modified flag changed
    file_state_changed = Signal()

    def __init__(self, project: Project, catalog: Catalog | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._project = project
        self.catalog = catalog or default_catalog()
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self.file_state_changed)
        # When Python frees this Document, the stack goes with its attributes, and the stack's
        # destructor clears it, which emits cleanChanged into the half-freed Document: PySide
        # crashed there (or raised "Signal source has been deleted"). Weak-reference callbacks
        # run before the attributes are cleared, so the connection is cut first.
        weakref.finalize(self, _disconnect_clean_changed, self.undo_stack)
        self._selection: list[str] = []
        self._status_cache: tuple[int, int, list[SegmentStatus]] | None = None
        self._takes_version = 0
        self._lock: BundleLock | None = None
        #: storyboard.json as this document last read or wrote it (to notice other writers)
        self._disk_digest = self._digest_on_disk()

    # ------------------------------------------------------------------ state

    @property
    def project(self) -> Project:
        return self._project

    def snapshot(self) -> Project:
        """The project as it is now, for a worker: later edits do not reach it."""
        return Project(self.bundle, self.storyboard, dict(self.takes))

    @property
    def bundle(self) -> Bundle:
        return self._project.bundle

    @property
    def storyboard(self) -> Storyboard:
        return self._project.storyboard

    @property
    def takes(self) -> dict[str, Take]:
        return self._project.takes

    @property
    def title(self) -> str:
        return self.storyboard.title or self.bundle.name

    def is_modified(self) -> bool:
        return not self.undo_stack.isClean()

    def statuses(self) -> list[SegmentStatus]:
        """Derived status of every segment (cached until the storyboard or a take changes)."""
        key = (id(self.storyboard), self._takes_version)
        if self._status_cache is None or self._status_cache[:2] != key:
            self._status_cache = (*key, storyboard_status(self.storyboard, self.takes))
        return self._status_cache[2]

    def cost(self) -> CostReport:
        return estimate(self.storyboard, self.catalog, self.takes, self.statuses(),
                        stills=self._project.stills)

    def _put(self, sb: Storyboard) -> None:
        self._project.storyboard = sb
        # keep the selection to segments that still exist
        kept = [s for s in self._selection if sb.has_segment(s)]
        if kept != self._selection:
            self._selection = kept
            self.selection_changed.emit()
        self.storyboard_changed.emit()

    # ------------------------------------------------------------------ selection

    @property
    def selection(self) -> list[str]:
        return list(self._selection)

    @property
    def current_id(self) -> str | None:
        return self._selection[-1] if self._selection else None

    def current_index(self) -> int | None:
        cid = self.current_id
        return None if cid is None else self.storyboard.index_of(cid)

    def select(self, segment_ids: Iterable[str]) -> None:
        ids = [s for s in dict.fromkeys(segment_ids) if self.storyboard.has_segment(s)]
        if ids != self._selection:
            self._selection = ids
            self.selection_changed.emit()

    # ------------------------------------------------------------------ intents

    def apply(self, edit: Edit) -> None:
        """Push one undoable edit."""
        self.undo_stack.push(EditCommand(edit, lambda: self.storyboard, self._put))

    def try_apply(self, build: Any, *args: Any, **kwargs: Any) -> str | None:
        """Build and push an edit; returns the error message instead of raising."""
        try:
            self.apply(build(self.storyboard, *args, **kwargs))
        except EditError as e:
            return str(e)
        return None

    def add_segment(self, index: int | None = None) -> Segment:
        sb = self.storyboard
        at = len(sb.segments) if index is None else index
        seg = sb.new_segment(title=f"Segment {len(sb.segments) + 1}")
        if 0 < at <= len(sb.segments):
            prev = sb.segments[at - 1]
            seg = seg.with_changes(model=prev.model, size=prev.size, duration=prev.duration)
        self.apply(edits.add_segment(sb, seg, at))
        self.select([seg.id])
        return seg

    def insert_segments(self, index: int, segments: Sequence[Segment], label: str) -> None:
        self.apply(edits.insert_segments(self.storyboard, index, segments, label))
        self.select([s.id for s in segments])

    def duplicate(self, segment_ids: Sequence[str]) -> None:
        if not segment_ids:
            return
        self.undo_stack.beginMacro("Duplicate" if len(segment_ids) == 1
                                   else f"Duplicate {len(segment_ids)} segments")
        new_ids = []
        for sid in sorted(segment_ids, key=self.storyboard.index_of, reverse=True):
            before = {s.id for s in self.storyboard.segments}
            self.apply(edits.duplicate_segment(self.storyboard, sid))
            new_ids += [s.id for s in self.storyboard.segments if s.id not in before]
        self.undo_stack.endMacro()
        self.select(new_ids)

    def delete(self, segment_ids: Sequence[str]) -> None:
        if segment_ids:
            index = min(self.storyboard.index_of(s) for s in segment_ids)
            self.apply(edits.delete_segments(self.storyboard, segment_ids))
            segs = self.storyboard.segments
            if segs:
                self.select([segs[min(index, len(segs) - 1)].id])

    def move(self, segment_id: str, to_index: int) -> None:
        if self.storyboard.index_of(segment_id) != to_index:
            self.apply(edits.move_segment(self.storyboard, segment_id, to_index))

    def set_field(self, segment_id: str, field: str, value: Any) -> None:
        if getattr(self.storyboard.segment(segment_id), field) != value:
            self.apply(edits.set_segment_field(self.storyboard, segment_id, field, value))

    def set_fields(self, segment_id: str, **values: Any) -> None:
        seg = self.storyboard.segment(segment_id)
        changed = {k: v for k, v in values.items() if getattr(seg, k) != v}
        if changed:
            self.apply(edits.set_segment_fields(self.storyboard, segment_id, **changed))

    def set_transition(self, segment_id: str, transition: Transition) -> None:
        if self.storyboard.segment(segment_id).transition_out != transition:
            self.apply(edits.set_transition(self.storyboard, segment_id, transition))

    def set_style(self, style: StyleBible) -> None:
        if self.storyboard.style != style:
            self.apply(edits.set_style_bible(self.storyboard, style))

    def add_cast_entry(self, entry: Character) -> None:
        self.apply(edits.add_cast_entry(self.storyboard, entry))

    def set_cast_entry(self, index: int, entry: Character) -> None:
        """Replace cast entry ``index`` (a rename follows into the segments; raises
        :class:`EditError` for an empty or duplicate name)."""
        if self.storyboard.style.characters[index] != entry:
            self.apply(edits.set_cast_entry(self.storyboard, index, entry))

    def remove_cast_entry(self, index: int) -> None:
        self.apply(edits.remove_cast_entry(self.storyboard, index))

    def set_segment_cast(self, segment_id: str, names: Sequence[str]) -> None:
        if self.storyboard.segment(segment_id).cast != tuple(dict.fromkeys(names)):
            self.apply(edits.set_segment_cast(self.storyboard, segment_id, names))

    def set_storyboard_field(self, field: str, value: Any) -> None:
        if getattr(self.storyboard, field) != value:
            self.apply(edits.set_storyboard_field(self.storyboard, field, value))

    def choose_take(self, segment_id: str, take_id: str | None) -> None:
        if self.storyboard.segment(segment_id).chosen_take != take_id:
            self.apply(edits.choose_take(self.storyboard, segment_id, take_id))

    def choose_still(self, segment_id: str, which: str, still: str) -> None:
        """Make ``still`` the segment's first or last frame (both shots of a held boundary
        follow), one undo step; nothing happens when it is already the one."""
        from soraboard.model.still_slots import current_still

        if current_still(self.storyboard, segment_id, which) != still:
            self.apply(edits.choose_still(self.storyboard, segment_id, which, still))

    def stills_for(self, segment_id: str, which: str) -> list[StillRecord]:
        """The stills made for the segment's first or last frame, oldest first."""
        from soraboard.model.still_slots import stills_for

        return stills_for(self.storyboard, self._project.stills, segment_id, which)

    # ------------------------------------------------------------------ takes (not undoable)

    def record_take(self, take: Take) -> None:
        """A take was written to the bundle by the engine or an import: show it."""
        self.record_takes([take])

    def record_takes(self, takes: Iterable[Take]) -> None:
        """Several take updates at once (progress of parallel jobs): one ``takes_changed``."""
        changed = False
        for take in takes:
            self._project.takes[take.id] = take
            changed = True
        if changed:
            self._takes_version += 1
            self.takes_changed.emit()

    def reload_stills(self) -> None:
        """Stills were journaled in the bundle since the project was read (a cast sheet, a
        keyframe): count them in the ledger and the cost strip. Not undoable: they may be paid
        for. Emits ``takes_changed``, which is what the cost views follow."""
        stills, _problems = self.bundle.load_stills()
        if stills != self._project.stills:
            self._project.stills = stills
            self._takes_version += 1
            self.takes_changed.emit()

    def takes_of(self, segment_id: str) -> list[Take]:
        return sorted((t for t in self.takes.values() if t.segment_id == segment_id),
                      key=lambda t: (t.created_at, t.id))

    # ------------------------------------------------------------------ files

    def hold_lock(self) -> None:
        """Lock the bundle for this editor session (until :meth:`release_lock`), so no other
        soraboard writes it meanwhile; raises :class:`~soraboard.storage.lock.LockHeld`
        naming the process that does."""
        if self._lock is None:
            lock = BundleLock(self.bundle, EDITOR_COMMAND)
            lock.acquire()
            self._lock = lock

    def release_lock(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    @property
    def holds_lock(self) -> bool:
        return self._lock is not None

    def _digest_on_disk(self) -> str | None:
        import hashlib

        try:
            return hashlib.sha256(self.bundle.storyboard_file.read_bytes()).hexdigest()
        except OSError:
            return None

    def changed_on_disk(self) -> bool:
        """Whether storyboard.json is no longer what this document read or saved: another
        program (a hand edit, a sync tool, a soraboard that ignored the lock) wrote it."""
        return self._digest_on_disk() != self._disk_digest

    def save(self) -> None:
        """Write storyboard.json (atomically, previous version to history)."""
        self.bundle.save(self.storyboard)
        self._disk_digest = self._digest_on_disk()
        self.undo_stack.setClean()
        self.discard_autosave()
        self.file_state_changed.emit()

    def save_as(self, path: Path | str) -> None:
        """Copy the project (takes and media included) to a new bundle and continue there."""
        import shutil

        target = Bundle(path)
        if target.path.exists():
            raise ProjectError(target.path, "already exists; choose another name")
        shutil.copytree(self.bundle.path, target.path,
                        ignore=shutil.ignore_patterns(AUTOSAVE_FILE, "*.lock", ".*.tmp",
                                                      ".*.part", ".*.part.*"))
        locked = self._lock is not None
        if locked:  # the session's lock moves with it
            lock = BundleLock(target, EDITOR_COMMAND)
            lock.acquire()
            self.release_lock()
            self._lock = lock
        self._project.bundle = target
        self.save()

    @property
    def autosave_file(self) -> Path:
        return self.bundle.path / AUTOSAVE_FILE

    def autosave(self) -> bool:
        """Write unsaved changes beside storyboard.json (never over it). True when written."""
        if not self.is_modified():
            return False
        atomic_write_json(self.autosave_file, {
            "schema_version": SCHEMA_VERSION, "saved_at": time.time(),
            "storyboard": storyboard_to_dict(self.storyboard)})
        return True

    def discard_autosave(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.autosave_file.unlink()

    def recover_autosave(self) -> bool:
        """Replace the storyboard by the autosaved one, as one undoable step."""
        sb = read_autosave(self.bundle)
        if sb is None or sb == self.storyboard:
            return False
        self.apply(_ReplaceStoryboard(self.storyboard, sb))
        return True

    @classmethod
    def open(cls, path: Path | str, catalog: Catalog | None = None) -> Document:
        return cls(load_project(path), catalog)


def read_autosave(bundle: Bundle) -> Storyboard | None:
    """The autosaved storyboard when its content differs from storyboard.json, else None.

    Content, not file times: a command that wrote storyboard.json after a crash makes the
    autosave look older, yet the edits in it were never saved."""
    f = bundle.path / AUTOSAVE_FILE
    try:
        doc = read_json_file(f)
        assert isinstance(doc, dict)
        sb = storyboard_from(doc["storyboard"])
    except (OSError, ValueError, KeyError, TypeError, AssertionError, SchemaError,
            ProjectError):
        return None
    try:
        current = bundle.load_storyboard()
    except ProjectError:
        return sb
    return None if sb == current else sb


def _fields(a: object, b: object, names: Iterable[str]) -> list[str]:
    return [n.replace("_", " ") for n in names if getattr(a, n) != getattr(b, n)]


_SEGMENT_FIELDS = ("title", "scene", "cinematography", "actions", "dialogue", "audio",
                   "duration", "model", "size", "trim_in", "trim_out", "continuity",
                   "ref_mode", "ref_time", "reference_image", "cast", "chosen_take",
                   "transition_out")


def autosave_differences(saved: Storyboard | None, autosaved: Storyboard,
                         limit: int = 8) -> list[str]:
    """What recovering the autosave would change, one short line each (at most ``limit``)."""
    if saved is None:
        return ["the saved storyboard cannot be read; the autosave replaces it"]
    lines: list[str] = []
    changed = _fields(saved, autosaved, ("title", "default_model", "default_size", "budget"))
    if changed:
        lines.append("project " + ", ".join(changed))
    if saved.style != autosaved.style:
        lines.append("style bible")

    def name(seg: Segment, sb: Storyboard) -> str:
        return f"{sb.index_of(seg.id) + 1} “{seg.title or 'untitled'}”"

    old = {s.id: s for s in saved.segments}
    new = {s.id: s for s in autosaved.segments}
    for seg in autosaved.segments:
        if seg.id not in old:
            lines.append(f"segment {name(seg, autosaved)} only in the autosave")
        elif seg != old[seg.id]:
            lines.append(f"segment {name(seg, autosaved)}: "
                         + ", ".join(_fields(old[seg.id], seg, _SEGMENT_FIELDS)))
    lines += [f"segment {name(seg, saved)} only in the saved file"
              for seg in saved.segments if seg.id not in new]
    if not lines and [s.id for s in saved.segments] != [s.id for s in autosaved.segments]:
        lines.append("the order of the segments")
    if len(lines) > limit:
        lines = [*lines[:limit - 1], f"and {len(lines) - limit + 1} more differences"]
    return lines


class _ReplaceStoryboard(Edit):
    """Recovering an autosave: one undo step back to what was on disk."""

    label = "Recover autosaved changes"

    def __init__(self, old: Storyboard, new: Storyboard) -> None:
        self.old = old
        self.new = new

    def apply(self, sb: Storyboard) -> Storyboard:
        return self.new

    def revert(self, sb: Storyboard) -> Storyboard:
        return self.old
