"""Stills as takes of a slot (issue 17.1: "a still is a take too").

A *slot* is a place a still goes: a segment's first frame, its last frame, and, when both
shots of a boundary meet on one still, that boundary's shared keyframe. Each still asked of
an image model keeps a record (``stills/<id>.json``, :class:`~soraboard.model.take.StillRecord`)
saying which slot it was made for; making one again adds a record and a file and replaces
neither, so a slot collects its stills over time like a segment collects takes. Which one a
slot uses is the storyboard's business (``Segment.reference_image`` / ``last_keyframe``),
changed by the ordinary undoable edit :func:`soraboard.model.edits.choose_still`.
"""

from __future__ import annotations

from collections.abc import Mapping

from soraboard.model.storyboard import Storyboard
from soraboard.model.take import StillRecord

FIRST, LAST = "first", "last"


def side_boundary(sb: Storyboard, segment_id: str, which: str) -> int | None:
    """The boundary on ``which`` side of the segment (the one before its first frame, the one
    after its last frame), as the index of the segment before it; None at the film's ends."""
    index = sb.index_of(segment_id)
    b = index - 1 if which == FIRST else index
    return b if 0 <= b < len(sb.segments) - 1 else None


def own_slot(sb: Storyboard, index: int, which: str) -> bool:
    """Whether a still for ``segments[index]``'s ``which`` frame is made from that segment's
    own prompt (:func:`soraboard.generation.stills.segment_still`) rather than for the
    boundary on that side, which both shots meet on: the first frame of the first segment;
    the last frame of the last segment, or of one the next shot cuts away from (an
    independent shot whose boundary is not held: a shared still would tie the cut)."""
    if which == FIRST:
        return index == 0
    return index == len(sb.segments) - 1 or (
        not sb.segments[index + 1].is_chained and not sb.held_by_keyframe(index))


def current_still(sb: Storyboard, segment_id: str, which: str) -> str | None:
    """The still the slot uses now (bundle-relative), if it uses one."""
    seg = sb.segment(segment_id)
    return seg.first_keyframe if which == FIRST else seg.last_keyframe


def in_slot(record: StillRecord, sb: Storyboard, segment_id: str, which: str) -> bool:
    """Whether ``record`` was made for the segment's ``which`` frame: for that frame itself,
    or for the boundary on that side (whose keyframe both shots meet on)."""
    if record.role == which and record.segment_id == segment_id:
        return True
    b = side_boundary(sb, segment_id, which)
    return (b is not None and record.role == "boundary"
            and (record.segment_id, record.next_segment_id)
            == (sb.segments[b].id, sb.segments[b + 1].id))


def stills_for(sb: Storyboard, stills: Mapping[str, StillRecord], segment_id: str,
               which: str) -> list[StillRecord]:
    """The stills made for the segment's ``which`` frame (``"first"`` or ``"last"``), oldest
    first: every usable record made for that slot, and the record of the still the slot uses
    now whatever it was made for (an older record that names no slot, a still moved here).
    Failed and unanswered requests are not listed (the ledger still counts them)."""
    if not sb.has_segment(segment_id):
        return []
    current = current_still(sb, segment_id, which)
    return [r for r in sorted(stills.values(), key=lambda r: (r.created_at, r.id))
            if r.usable and (in_slot(r, sb, segment_id, which) or r.file == current)]


def record_of(stills: Mapping[str, StillRecord], file: str | None) -> StillRecord | None:
    """The newest usable record that made ``file`` (None: imported, cut from a take, or
    unknown)."""
    made = [r for r in stills.values() if r.usable and file is not None and r.file == file]
    return max(made, key=lambda r: (r.created_at, r.id)) if made else None
