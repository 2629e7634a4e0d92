"""Re-planning a storyboard without losing the creator's work.

A planner marks every segment it makes with a fingerprint of what it wrote
(:func:`mark_planned`). A segment whose content still matches its fingerprint, and that has
no chosen take, is *untouched*: a new plan may replace it. Everything else — a shot the user
edited, wrote by hand or already generated — is kept exactly as it is (the same object, so
the same bytes on disk). :func:`replan` lines the new plan up with the storyboard position
by position and returns the merged storyboard with a diff the user sees before applying it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import Enum

from soraboard.model.storyboard import Character, Segment, Storyboard, StyleBible
from soraboard.model.timing import format_beat

#: what a planner writes into a segment (trim, reference frame and takes are the user's)
PLANNED_FIELDS = ("title", "model", "size", "duration", "scene", "cinematography", "actions",
                  "dialogue", "audio", "continuity", "transition_out", "cast")


def fingerprint(seg: Segment) -> str:
    """A short hash of the planner-written content of ``seg``."""
    data = {}
    for name in PLANNED_FIELDS:
        value: object = getattr(seg, name)
        if name == "actions":
            value = [format_beat(b) for b in seg.actions]
        elif name == "continuity":
            value = seg.continuity.value
        elif name == "transition_out":
            value = [seg.transition_out.type.value, seg.transition_out.duration]
        elif name == "dialogue":
            value = repr(value)
        elif name == "cast":
            if not seg.cast:
                continue  # as before the planner proposed a cast: older marks stay valid
            value = list(seg.cast)
        data[name] = value
    blob = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def mark_planned(sb: Storyboard) -> Storyboard:
    """Every segment marked as the planner's own, untouched work."""
    return replace(sb, segments=tuple(s.with_changes(planned=fingerprint(s))
                                      for s in sb.segments))


def untouched(seg: Segment, generated: Iterable[str] = ()) -> str:
    """"" when a re-plan may replace ``seg``, else the reason it is kept.

    ``generated``: ids of segments that have takes (paid or rendered work stays).
    """
    if seg.chosen_take is not None or seg.id in set(generated):
        return "it has takes"
    if seg.prompt_is_empty() and re.fullmatch(r"(?:segment\s*\d*)?", seg.title.strip(),
                                              re.IGNORECASE):
        return ""  # an empty placeholder ("Segment 1") holds nothing of the user's
    if seg.planned is None:
        return "you wrote it"
    if seg.planned != fingerprint(seg):
        return "you edited it"
    return ""


class Change(str, Enum):
    KEEP = "keep"
    REPLACE = "replace"
    SAME = "same"
    ADD = "add"
    REMOVE = "remove"


@dataclass(frozen=True)
class DiffLine:
    change: Change
    position: int  #: 1-based position in the merged storyboard (the old one for REMOVE)
    old: str = ""  #: title before
    new: str = ""  #: title after
    detail: str = ""  #: why it is kept, or which fields change

    def describe(self) -> str:
        n = self.position
        if self.change is Change.KEEP:
            return f"  keep     {n}. {self.old} — {self.detail}"
        if self.change is Change.SAME:
            return f"  same     {n}. {self.old}"
        if self.change is Change.ADD:
            return f"+ add      {n}. {self.new}"
        if self.change is Change.REMOVE:
            return f"- remove   {n}. {self.old}"
        title = self.old if self.old == self.new else f"{self.old} → {self.new}"
        return f"~ replace  {n}. {title} ({self.detail})"


@dataclass(frozen=True)
class Replan:
    storyboard: Storyboard
    diff: tuple[DiffLine, ...]

    @property
    def changes(self) -> int:
        return sum(d.change not in (Change.KEEP, Change.SAME) for d in self.diff)

    def describe(self) -> str:
        return "\n".join(d.describe() for d in self.diff)


def _changed_fields(old: Segment, new: Segment) -> list[str]:
    return [f.replace("_", " ") for f in PLANNED_FIELDS if getattr(old, f) != getattr(new, f)]


def _merge_bible(current: StyleBible, planned: StyleBible) -> StyleBible:
    """The user's bible wins field by field; characters it does not have yet are added."""
    known = {c.name.lower() for c in current.characters}
    extra: tuple[Character, ...] = tuple(c for c in planned.characters
                                         if c.name.lower() not in known)
    return StyleBible(style=current.style or planned.style,
                      palette=current.palette or planned.palette,
                      characters=current.characters + extra,
                      negative=current.negative or planned.negative)


def replan(current: Storyboard, planned: Storyboard,
           generated: Iterable[str] = ()) -> Replan:
    """Merge a new plan into ``current``: untouched segments are replaced (keeping their id,
    so their takes stay theirs), edited or generated ones kept as they are, surplus untouched
    ones removed, new ones appended."""
    gen = set(generated)
    out: list[Segment] = []
    diff: list[DiffLine] = []
    for i in range(max(len(current.segments), len(planned.segments))):
        cur = current.segments[i] if i < len(current.segments) else None
        new = planned.segments[i] if i < len(planned.segments) else None
        reason = untouched(cur, gen) if cur is not None else ""
        if cur is not None and reason:
            out.append(cur)
            diff.append(DiffLine(Change.KEEP, len(out), cur.title, cur.title, reason))
        elif new is not None:
            seg = new if cur is None else new.with_changes(id=cur.id, trim_in=cur.trim_in,
                                                            trim_out=cur.trim_out)
            out.append(seg)
            if cur is None:
                diff.append(DiffLine(Change.ADD, len(out), new=seg.title))
            elif fingerprint(cur) == fingerprint(seg):
                diff.append(DiffLine(Change.SAME, len(out), cur.title, seg.title))
            else:
                diff.append(DiffLine(Change.REPLACE, len(out), cur.title, seg.title,
                                     ", ".join(_changed_fields(cur, seg))))
        elif cur is not None:
            diff.append(DiffLine(Change.REMOVE, i + 1, cur.title))
    merged = replace(current, style=_merge_bible(current.style, planned.style),
                     segments=tuple(out))
    return Replan(merged, tuple(diff))
