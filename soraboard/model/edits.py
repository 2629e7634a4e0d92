"""Every user operation on a storyboard, as a pure edit object.

An edit is built against the storyboard it will change (the builder functions at the bottom
check their arguments and capture what ``revert`` needs), then::

    after = edit.apply(before)
    assert edit.revert(after) == before

Edits never touch takes: paid results live outside the undo history. ``ChooseTake`` only
changes which take a segment uses.

Consecutive edits with equal :meth:`Edit.merge_key` can be merged into one (typing in a text
field becomes one undo step); the GUI's ``QUndoCommand.mergeWith`` calls :meth:`Edit.merged`.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from soraboard.model.storyboard import (
    MAX_CAST_IMAGES,
    SEGMENT_FIELDS,
    Character,
    RefMode,
    Segment,
    Storyboard,
    StyleBible,
    Transition,
    new_segment_id,
)


class EditError(ValueError):
    """An edit that cannot be built (unknown segment, bad index, unknown field)."""


class Edit:
    """Base class. Subclasses are frozen dataclasses."""

    label: str = "Edit"

    def apply(self, sb: Storyboard) -> Storyboard:
        raise NotImplementedError

    def revert(self, sb: Storyboard) -> Storyboard:
        raise NotImplementedError

    def merge_key(self) -> Hashable | None:
        """Edits with the same non-None key may merge (see :meth:`merged`)."""
        return None

    def merged(self, later: Edit) -> Edit | None:
        """One edit equivalent to ``self`` then ``later``, or None when they cannot merge."""
        return None


def _without(sb: Storyboard, ids: set[str]) -> Storyboard:
    return replace(sb, segments=tuple(s for s in sb.segments if s.id not in ids))


def _replace_segment(sb: Storyboard, seg: Segment) -> Storyboard:
    i = sb.index_of(seg.id)
    segs = list(sb.segments)
    segs[i] = seg
    return replace(sb, segments=tuple(segs))


@dataclass(frozen=True)
class InsertSegments(Edit):
    index: int
    segments: tuple[Segment, ...]
    label: str = "Add segment"

    def apply(self, sb: Storyboard) -> Storyboard:
        segs = list(sb.segments)
        segs[self.index:self.index] = self.segments
        return replace(sb, segments=tuple(segs))

    def revert(self, sb: Storyboard) -> Storyboard:
        return _without(sb, {s.id for s in self.segments})


@dataclass(frozen=True)
class DeleteSegments(Edit):
    #: (index before deletion, segment), ascending by index
    removed: tuple[tuple[int, Segment], ...]
    label: str = "Delete segment"

    def apply(self, sb: Storyboard) -> Storyboard:
        return _without(sb, {s.id for _, s in self.removed})

    def revert(self, sb: Storyboard) -> Storyboard:
        segs = list(sb.segments)
        for index, seg in self.removed:  # ascending: each index is valid once the earlier are back
            segs.insert(index, seg)
        return replace(sb, segments=tuple(segs))


@dataclass(frozen=True)
class MoveSegment(Edit):
    segment_id: str
    from_index: int
    to_index: int
    label: str = "Move segment"

    @staticmethod
    def _move(sb: Storyboard, src: int, dst: int) -> Storyboard:
        segs = list(sb.segments)
        seg = segs.pop(src)
        segs.insert(dst, seg)
        return replace(sb, segments=tuple(segs))

    def apply(self, sb: Storyboard) -> Storyboard:
        return self._move(sb, self.from_index, self.to_index)

    def revert(self, sb: Storyboard) -> Storyboard:
        return self._move(sb, self.to_index, self.from_index)


@dataclass(frozen=True)
class SetSegmentField(Edit):
    segment_id: str
    field: str
    old: Any
    new: Any
    label: str = "Edit segment"

    def apply(self, sb: Storyboard) -> Storyboard:
        seg = sb.segment(self.segment_id)
        return _replace_segment(sb, seg.with_changes(**{self.field: self.new}))

    def revert(self, sb: Storyboard) -> Storyboard:
        seg = sb.segment(self.segment_id)
        return _replace_segment(sb, seg.with_changes(**{self.field: self.old}))

    def merge_key(self) -> Hashable | None:
        # Only free text merges: typing in a field is one undo step; a model change is not.
        if isinstance(self.new, str) and self.field in _TEXT_FIELDS:
            return ("segment", self.segment_id, self.field)
        return None

    def merged(self, later: Edit) -> Edit | None:
        if (isinstance(later, SetSegmentField) and later.merge_key() is not None
                and later.merge_key() == self.merge_key()):
            return replace(self, new=later.new)
        return None


_TEXT_FIELDS = frozenset({"title", "scene", "cinematography", "dialogue", "audio"})
_STORYBOARD_FIELDS = frozenset({"title", "default_model", "default_size", "budget", "style"})


@dataclass(frozen=True)
class SetStoryboardField(Edit):
    field: str
    old: Any
    new: Any
    label: str = "Edit storyboard"

    def apply(self, sb: Storyboard) -> Storyboard:
        return replace(sb, **{self.field: self.new})

    def revert(self, sb: Storyboard) -> Storyboard:
        return replace(sb, **{self.field: self.old})

    def merge_key(self) -> Hashable | None:
        if self.field in ("title", "style"):
            return ("storyboard", self.field)
        return None

    def merged(self, later: Edit) -> Edit | None:
        if (isinstance(later, SetStoryboardField) and later.merge_key() is not None
                and later.merge_key() == self.merge_key()):
            return replace(self, new=later.new)
        return None


@dataclass(frozen=True)
class Macro(Edit):
    """Several edits as one undo step (multi-select delete, a drop of several files …)."""

    edits: tuple[Edit, ...]
    label: str = "Edit"

    def apply(self, sb: Storyboard) -> Storyboard:
        for e in self.edits:
            sb = e.apply(sb)
        return sb

    def revert(self, sb: Storyboard) -> Storyboard:
        for e in reversed(self.edits):
            sb = e.revert(sb)
        return sb


# ---------------------------------------------------------------------------------------------
# Builders: check arguments against the current storyboard, capture what revert needs.


def _check_index(sb: Storyboard, index: int, *, allow_end: bool) -> None:
    top = len(sb.segments) if allow_end else len(sb.segments) - 1
    if not 0 <= index <= top:
        raise EditError(f"position {index + 1} is outside the storyboard (1–{top + 1})")


def _require(sb: Storyboard, segment_id: str) -> int:
    try:
        return sb.index_of(segment_id)
    except KeyError:
        raise EditError(f"no segment with id {segment_id!r}") from None


def add_segment(sb: Storyboard, segment: Segment | None = None, index: int | None = None) -> Edit:
    """Insert ``segment`` (default: a new draft on the storyboard's defaults) at ``index``
    (default: the end)."""
    index = len(sb.segments) if index is None else index
    _check_index(sb, index, allow_end=True)
    segment = segment or sb.new_segment(title=f"Segment {len(sb.segments) + 1}")
    if sb.has_segment(segment.id):
        raise EditError(f"segment id {segment.id!r} is already in the storyboard")
    return InsertSegments(index, (segment,), label="Add segment")


def insert_segments(sb: Storyboard, index: int, segments: Sequence[Segment],
                    label: str = "Add segments") -> Edit:
    _check_index(sb, index, allow_end=True)
    ids = [s.id for s in segments]
    if len(set(ids)) != len(ids) or any(sb.has_segment(i) for i in ids):
        raise EditError("segment ids must be new and unique")
    return InsertSegments(index, tuple(segments), label=label)


def duplicate_segment(sb: Storyboard, segment_id: str) -> Edit:
    """A copy right after the original, with a new id and no chosen take."""
    i = _require(sb, segment_id)
    src = sb.segments[i]
    title = f"{src.title} (copy)" if src.title else ""
    copy = src.with_changes(id=new_segment_id(), chosen_take=None, title=title)
    return InsertSegments(i + 1, (copy,), label="Duplicate segment")


def delete_segments(sb: Storyboard, segment_ids: Iterable[str]) -> Edit:
    wanted = set(segment_ids)
    for sid in wanted:
        _require(sb, sid)
    if not wanted:
        raise EditError("nothing to delete")
    removed = tuple((i, s) for i, s in enumerate(sb.segments) if s.id in wanted)
    label = "Delete segment" if len(removed) == 1 else f"Delete {len(removed)} segments"
    return DeleteSegments(removed, label=label)


def move_segment(sb: Storyboard, segment_id: str, to_index: int) -> Edit:
    i = _require(sb, segment_id)
    _check_index(sb, to_index, allow_end=False)
    return MoveSegment(segment_id, i, to_index)


def set_segment_field(sb: Storyboard, segment_id: str, field: str, value: Any,
                      label: str | None = None) -> SetSegmentField:
    i = _require(sb, segment_id)
    if field not in SEGMENT_FIELDS:
        raise EditError(f"segments have no field {field!r}")
    old = getattr(sb.segments[i], field)
    return SetSegmentField(segment_id, field, old, value,
                           label=label or f"Edit {field.replace('_', ' ')}")


def set_segment_fields(sb: Storyboard, segment_id: str, **values: Any) -> Edit:
    """Several fields of one segment in one undo step (e.g. model and a duration it allows)."""
    edits = tuple(set_segment_field(sb, segment_id, f, v) for f, v in values.items())
    if len(edits) == 1:
        return edits[0]
    return Macro(edits, label="Edit segment")


def hold_boundary(sb: Storyboard, index: int, still: str | None) -> Edit:
    """Keyframe mode at the boundary after ``segments[index]``: that shot ends on ``still``
    and the next one starts on it (one undo step). ``still=None`` releases the boundary: the
    next shot goes back to starting on the previous clip's last frame."""
    if not 0 <= index < len(sb.segments) - 1:
        raise EditError(f"there is no boundary after segment {index + 1}")
    before, after = sb.segments[index], sb.segments[index + 1]
    if still is None:
        edits: list[Edit] = [set_segment_field(sb, before.id, "last_keyframe", None)]
        if after.is_chained and after.ref_mode is RefMode.CUSTOM:
            edits += [set_segment_field(sb, after.id, "ref_mode", RefMode.LAST),
                      set_segment_field(sb, after.id, "reference_image", None)]
        return Macro(tuple(edits), label="Release keyframe")
    edits = [set_segment_field(sb, before.id, "last_keyframe", still),
             set_segment_field(sb, after.id, "reference_image", still)]
    if after.is_chained:
        edits.append(set_segment_field(sb, after.id, "ref_mode", RefMode.CUSTOM))
    return Macro(tuple(edits), label="Hold boundary with a keyframe")


def choose_still(sb: Storyboard, segment_id: str, which: str, still: str) -> Edit:
    """Make ``still`` (bundle-relative) the segment's ``which`` (``"first"`` or ``"last"``)
    frame, one undo step. On a side held by a shared keyframe both shots take it, so the
    boundary stays held. The stills themselves are never touched (they may be paid for)."""
    i = _require(sb, segment_id)
    if which not in ("first", "last"):
        raise EditError(f"a segment has a first and a last frame, not {which!r}")
    label = "Choose still"
    b = i - 1 if which == "first" else i
    if sb.held_by_keyframe(b):
        held = hold_boundary(sb, b, still)
        assert isinstance(held, Macro)
        return replace(held, label=label)
    if which == "last":
        return set_segment_field(sb, segment_id, "last_keyframe", still, label)
    return set_segment_fields_labelled(sb, segment_id, label, reference_image=still,
                                       ref_mode=RefMode.CUSTOM)


def set_segment_fields_labelled(sb: Storyboard, segment_id: str, label: str,
                                **values: Any) -> Edit:
    """The fields of one segment that change, in one undo step named ``label``."""
    seg = sb.segments[_require(sb, segment_id)]
    edits = tuple(set_segment_field(sb, segment_id, f, v, label) for f, v in values.items()
                  if getattr(seg, f) != v)
    return edits[0] if len(edits) == 1 else Macro(edits, label=label)


def set_transition(sb: Storyboard, segment_id: str, transition: Transition) -> Edit:
    """The transition from ``segment_id`` into the next segment."""
    return set_segment_field(sb, segment_id, "transition_out", transition, "Change transition")


def choose_take(sb: Storyboard, segment_id: str, take_id: str | None) -> Edit:
    return set_segment_field(sb, segment_id, "chosen_take", take_id, "Choose take")


def set_storyboard_field(sb: Storyboard, field: str, value: Any,
                         label: str | None = None) -> SetStoryboardField:
    if field not in _STORYBOARD_FIELDS:
        raise EditError(f"the storyboard has no editable field {field!r}")
    return SetStoryboardField(field, getattr(sb, field), value,
                              label=label or f"Edit {field.replace('_', ' ')}")


def set_style_bible(sb: Storyboard, style: StyleBible) -> Edit:
    return set_storyboard_field(sb, "style", style, "Edit style bible")


# ---------------------------------------------------------------------------------------------
# The cast (the style bible's characters, props and locations) and the segments that list it.


@dataclass(frozen=True)
class SetCast(Edit):
    """The style bible's cast entries, old and new. Typing in one entry's description merges
    (``key``); adding, removing, renaming or an image does not."""

    old: tuple[Character, ...]
    new: tuple[Character, ...]
    key: Hashable | None = None
    label: str = "Edit cast"

    def apply(self, sb: Storyboard) -> Storyboard:
        return replace(sb, style=replace(sb.style, characters=self.new))

    def revert(self, sb: Storyboard) -> Storyboard:
        return replace(sb, style=replace(sb.style, characters=self.old))

    def merge_key(self) -> Hashable | None:
        return None if self.key is None else ("cast", self.key)

    def merged(self, later: Edit) -> Edit | None:
        if (isinstance(later, SetCast) and self.key is not None
                and later.merge_key() == self.merge_key()):
            return replace(self, new=later.new)
        return None


def _cast_key(name: str) -> str:
    return name.strip().lower()


def _check_cast_entry(sb: Storyboard, entry: Character, skip: int | None) -> None:
    if not entry.name.strip():
        raise EditError("a cast entry needs a name")
    for i, c in enumerate(sb.style.characters):
        if i != skip and _cast_key(c.name) == _cast_key(entry.name):
            raise EditError(f"the cast already has an entry named {c.name!r}")
    if len(entry.images) > MAX_CAST_IMAGES:
        raise EditError(f"a cast entry holds at most {MAX_CAST_IMAGES} images")


def _check_cast_index(sb: Storyboard, index: int) -> None:
    if not 0 <= index < len(sb.style.characters):
        raise EditError(f"there is no cast entry {index + 1}")


def add_cast_entry(sb: Storyboard, entry: Character) -> Edit:
    """Append ``entry`` to the style bible's cast (its name must be new)."""
    _check_cast_entry(sb, entry, None)
    return SetCast(sb.style.characters, (*sb.style.characters, entry),
                   label=f"Add {entry.kind.value} {entry.name.strip()}")


def set_cast_entry(sb: Storyboard, index: int, entry: Character) -> Edit:
    """Replace cast entry ``index``. A new name is carried into every segment that lists the
    old one, in the same undo step; description typing merges into one step."""
    _check_cast_index(sb, index)
    before = sb.style.characters[index]
    if before.name != entry.name:
        _check_cast_entry(sb, entry, index)
    elif len(entry.images) > MAX_CAST_IMAGES:  # an older file's odd name stays editable
        raise EditError(f"a cast entry holds at most {MAX_CAST_IMAGES} images")
    cast = list(sb.style.characters)
    cast[index] = entry
    renamed = before.name != entry.name
    key = None if renamed or before.description == entry.description else (index, "description")
    label = (f"Rename {before.name} to {entry.name}" if renamed
             else f"Edit {entry.name}")
    change = SetCast(sb.style.characters, tuple(cast), key, label=label)
    if not renamed:
        return change
    old = _cast_key(before.name)
    follows: list[Edit] = [change]
    for seg in sb.segments:
        if any(_cast_key(n) == old for n in seg.cast):
            names = tuple(entry.name if _cast_key(n) == old else n for n in seg.cast)
            follows.append(SetSegmentField(seg.id, "cast", seg.cast, names))
    return Macro(tuple(follows), label=label)


def remove_cast_entry(sb: Storyboard, index: int) -> Edit:
    """Remove cast entry ``index`` and take it off every segment that lists it (one step).
    Its image files stay in the bundle (undo brings the entry back with them)."""
    _check_cast_index(sb, index)
    gone = sb.style.characters[index]
    cast = tuple(c for i, c in enumerate(sb.style.characters) if i != index)
    steps: list[Edit] = [SetCast(sb.style.characters, cast)]
    for seg in sb.segments:
        kept = tuple(n for n in seg.cast if _cast_key(n) != _cast_key(gone.name))
        if kept != seg.cast:
            steps.append(SetSegmentField(seg.id, "cast", seg.cast, kept))
    return Macro(tuple(steps), label=f"Remove {gone.name}")


def set_segment_cast(sb: Storyboard, segment_id: str, names: Sequence[str]) -> Edit:
    """Who and what appears in a segment (names of cast entries, each once)."""
    return set_segment_field(sb, segment_id, "cast", tuple(dict.fromkeys(names)),
                             "Edit segment cast")
