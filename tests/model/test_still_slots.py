"""Stills as takes of a slot: which stills a segment's first or last frame was made from,
and choosing one as an ordinary undoable edit (both shots of a held boundary follow)."""

from __future__ import annotations

import pytest

from soraboard.model import edits
from soraboard.model.edits import EditError
from soraboard.model.still_slots import current_still, record_of, stills_for
from soraboard.model.storyboard import Continuity, RefMode, Segment, Storyboard
from soraboard.model.take import StillRecord


def film(held: bool = True) -> Storyboard:
    """Three chained shots; the boundary 1→2 held by ``media/stills/a.png`` when ``held``."""
    segs = [Segment(f"seg_{n}", "m", "640x360", 4.0, continuity=Continuity.CHAIN)
            for n in (1, 2, 3)]
    sb = Storyboard(segments=tuple(segs))
    return edits.hold_boundary(sb, 0, "media/stills/a.png").apply(sb) if held else sb


def rec(n: int, file: str, role: str | None, seg: str | None = None,
        nxt: str | None = None, status: str = "done") -> StillRecord:
    return StillRecord(f"still_{n:012x}", "animatic", "gpt-image-1", "640x360", f"p{n}",
                       status=status, cost="0", file=file, created_at=float(n), role=role,
                       segment_id=seg, next_segment_id=nxt)


RECORDS = {r.id: r for r in (
    rec(1, "media/stills/a.png", "boundary", "seg_1", "seg_2"),
    rec(2, "media/stills/b.png", "boundary", "seg_1", "seg_2"),
    rec(3, "media/stills/c.png", "boundary", "seg_2", "seg_3"),
    rec(4, "media/stills/d.png", "last", "seg_2"),
    rec(5, "media/stills/e.png", "boundary", "seg_1", "seg_2", status="failed"),
    rec(6, "media/cast/mara-1.png", "cast"),
    rec(7, "media/stills/old.png", None),  # an older record that names no slot
)}


def ids(records: list[StillRecord]) -> list[int]:
    return [int(r.id.removeprefix("still_"), 16) for r in records]


def test_each_slot_lists_the_stills_made_for_it_oldest_first() -> None:
    sb = film()
    # the boundary 1→2 is both segment 1's last frame and segment 2's first
    assert ids(stills_for(sb, RECORDS, "seg_1", "last")) == [1, 2]
    assert ids(stills_for(sb, RECORDS, "seg_2", "first")) == [1, 2]
    # segment 2's last frame: the boundary 2→3 and a still made for that frame alone
    assert ids(stills_for(sb, RECORDS, "seg_2", "last")) == [3, 4]
    assert ids(stills_for(sb, RECORDS, "seg_3", "first")) == [3]
    # the ends of the film have no boundary there; a failed request is never listed
    assert stills_for(sb, RECORDS, "seg_1", "first") == []
    assert stills_for(sb, RECORDS, "seg_3", "last") == []
    assert stills_for(sb, RECORDS, "seg_gone", "first") == []


def test_the_still_a_slot_uses_is_listed_whatever_its_record_says() -> None:
    sb = edits.choose_still(film(), "seg_3", "last", "media/stills/old.png").apply(film())
    assert ids(stills_for(sb, RECORDS, "seg_3", "last")) == [7]
    assert record_of(RECORDS, "media/stills/old.png") == RECORDS["still_000000000007"]
    assert record_of(RECORDS, "media/stills/e.png") is None  # failed: no still to show
    assert record_of(RECORDS, None) is None


def test_choosing_on_a_held_boundary_moves_both_shots_and_undoes_in_one_step() -> None:
    sb = film()
    edit = edits.choose_still(sb, "seg_2", "first", "media/stills/b.png")
    after = edit.apply(sb)
    assert after.segment("seg_1").last_keyframe == "media/stills/b.png"
    assert after.segment("seg_2").first_keyframe == "media/stills/b.png"
    assert after.held_by_keyframe(0) and edit.label == "Choose still"
    assert edit.revert(after) == sb
    # from the other side, the same
    other = edits.choose_still(sb, "seg_1", "last", "media/stills/b.png").apply(sb)
    assert other == after


def test_choosing_on_a_side_not_held_sets_that_frame_only() -> None:
    sb = film(held=False)
    first = edits.choose_still(sb, "seg_2", "first", "media/stills/b.png")
    after = first.apply(sb)
    assert current_still(after, "seg_2", "first") == "media/stills/b.png"
    assert after.segment("seg_2").ref_mode is RefMode.CUSTOM
    assert after.segment("seg_1").last_keyframe is None and not after.held_by_keyframe(0)
    assert first.revert(after) == sb
    last = edits.choose_still(sb, "seg_3", "last", "media/stills/c.png")
    assert last.apply(sb).segment("seg_3").last_keyframe == "media/stills/c.png"
    assert last.revert(last.apply(sb)) == sb
    with pytest.raises(EditError, match="first and a last"):
        edits.choose_still(sb, "seg_3", "middle", "media/stills/c.png")
    with pytest.raises(EditError, match="no segment"):
        edits.choose_still(sb, "seg_9", "first", "media/stills/c.png")
