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
                  "dialogue", "audio", "continuity", "transition_out", "cast",
                  "keyframe_proposed")


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
        elif name == "keyframe_proposed" and not seg.keyframe_proposed:
            continue  # likewise for marks made before plans proposed keyframes
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
    #: cast entries the plan adds to the style bible (the bible's own are never rewritten)
    cast_added: tuple[Character, ...] = ()

    @property
    def changes(self) -> int:
        """Segments replaced, added or removed."""
        return sum(d.change not in (Change.KEEP, Change.SAME) for d in self.diff)

    @property
    def changes_anything(self) -> bool:
        return bool(self.changes or self.cast_added)

    @property
    def keyframes(self) -> list[int]:
        """Boundaries of the merged storyboard proposed for a keyframe still, not held yet."""
        return self.storyboard.proposed_keyframes()

    def describe(self) -> str:
        lines = [d.describe() for d in self.diff]
        if self.cast_added:
            lines.append("+ cast     " + ", ".join(f"{c.name} ({c.kind.value})"
                                                   for c in self.cast_added))
        if self.keyframes:
            lines.append("  proposed keyframe stills at boundaries "
                         + describe_boundaries(self.keyframes)
                         + " (nothing is made or spent until you make keyframes)")
        return "\n".join(lines)


def describe_boundaries(boundaries: Iterable[int]) -> str:
    """"1→2, 3→4" for the boundaries after segments 0 and 2."""
    return ", ".join(f"{i + 1}→{i + 2}" for i in boundaries)


def _changed_fields(old: Segment, new: Segment) -> list[str]:
    return [f.replace("_", " ") for f in PLANNED_FIELDS if getattr(old, f) != getattr(new, f)]


def _new_cast(current: StyleBible, planned: StyleBible) -> tuple[Character, ...]:
    """The plan's cast entries the bible does not have yet (names compared case-blind)."""
    known = {c.name.strip().lower() for c in current.characters}
    return tuple(c for c in planned.characters if c.name.strip().lower() not in known)


def _merge_bible(current: StyleBible, planned: StyleBible) -> StyleBible:
    """The user's bible wins field by field; its cast entries stay exactly as they are (an
    entry the user edited or added is never rewritten); entries it does not have yet are
    added."""
    return StyleBible(style=current.style or planned.style,
                      palette=current.palette or planned.palette,
                      characters=current.characters + _new_cast(current, planned),
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
    kept = {d.position - 1 for d in diff if d.change is Change.KEEP}
    for n, seg in enumerate(out):
        # a proposal to hold the cut into a shot the user kept as a new shot no longer holds
        if n not in kept and seg.keyframe_proposed and (
                n == len(out) - 1 or not out[n + 1].is_chained):
            seg = seg.with_changes(keyframe_proposed=False)
            out[n] = seg.with_changes(planned=fingerprint(seg))
    merged = replace(current, style=_merge_bible(current.style, planned.style),
                     segments=tuple(out))
    return Replan(merged, tuple(diff), _new_cast(current.style, planned.style))
