"""Issue 18.2: a re-plan replaces only untouched segments and says what it changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from soraboard.model import edits
from soraboard.planner import plan_story_file
from soraboard.planner.replan import Change, fingerprint, replan, untouched
from soraboard.storage.bundle import Bundle, load_project
from soraboard.storage.codec import segment_to_dict

DATA = Path(__file__).parent / "data"
MODEL = "vertex_ai/veo-3.1-fast-generate-001"


def _bytes(seg: object) -> str:
    return json.dumps(segment_to_dict(seg), sort_keys=True)  # type: ignore[arg-type]


def test_planned_segments_are_marked_and_the_mark_survives_a_save(tmp_path: Path) -> None:
    sb = plan_story_file(DATA / "lighthouse-keeper.txt", 30, MODEL, planner="offline").storyboard
    assert all(s.planned == fingerprint(s) for s in sb.segments)
    assert all(untouched(s) == "" for s in sb.segments)
    Bundle.create(tmp_path / "L", sb)
    again = load_project(tmp_path / "L.soraboard").storyboard
    assert [s.planned for s in again.segments] == [s.planned for s in sb.segments]


def test_a_replan_keeps_edited_and_generated_segments_byte_identical() -> None:
    first = plan_story_file(DATA / "lighthouse-keeper.txt", 24, MODEL, planner="offline")
    sb = first.storyboard
    ids = [s.id for s in sb.segments]
    assert len(ids) >= 3
    sb = edits.set_segment_field(sb, ids[0], "scene", "My own lighthouse, my words.").apply(sb)
    sb = edits.set_segment_field(sb, ids[1], "chosen_take", "take_1").apply(sb)
    assert untouched(sb.segments[0]) == "you edited it"
    assert untouched(sb.segments[1]) == "it has takes"
    assert untouched(sb.segments[2]) == ""
    edited, generated = _bytes(sb.segments[0]), _bytes(sb.segments[1])

    new = plan_story_file(DATA / "lighthouse-keeper.txt", 48, MODEL, planner="offline")
    result = replan(sb, new.storyboard)
    merged = result.storyboard
    assert _bytes(merged.segments[0]) == edited
    assert _bytes(merged.segments[1]) == generated
    # the untouched third segment is the new plan's third (under its old id)
    assert merged.segments[2].id == ids[2]
    assert merged.segments[2].scene == new.storyboard.segments[2].scene
    assert len(merged.segments) == len(new.storyboard.segments)
    kinds = [d.change for d in result.diff]
    assert kinds[:2] == [Change.KEEP, Change.KEEP]
    text = result.describe()
    assert "keep     1." in text and "you edited it" in text and "it has takes" in text
    assert "+ add" in text or "~ replace" in text
    # a hand-written segment (no planner mark) is the user's too
    own = sb.new_segment(title="My shot", scene="A shot I wrote")
    assert untouched(own) == "you wrote it"
    # an empty placeholder is not
    assert untouched(sb.new_segment(title="Segment 1")) == ""


def test_a_replan_that_changes_nothing_says_so() -> None:
    sb = plan_story_file(DATA / "lighthouse-keeper.txt", 24, MODEL, planner="offline").storyboard
    again = replan(sb, sb)
    assert again.changes == 0 and {d.change for d in again.diff} == {Change.SAME}


def test_plan_into_a_project_prints_the_diff_and_applies_only_with_yes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from soraboard.cli import main

    story = str(DATA / "lighthouse-keeper.txt")
    assert main(["plan", story, "--length", "24", "--model", MODEL, "--planner", "offline",
                 "-o", str(tmp_path / "L")]) == 0
    bundle = tmp_path / "L.soraboard"
    sb = load_project(bundle).storyboard
    edited = edits.set_segment_field(sb, sb.segments[0].id, "title", "Mine").apply(sb)
    Bundle(bundle).save(edited)
    mine = _bytes(edited.segments[0])
    capsys.readouterr()
    args = ["plan", story, "--length", "48", "--model", MODEL, "--planner", "offline",
            "--into", str(bundle)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "keep     1. Mine — you edited it" in out and "nothing written" in out
    assert load_project(bundle).storyboard == edited  # a dry run by default
    assert main([*args, "--yes"]) == 0
    assert "Re-planned" in capsys.readouterr().out
    after = load_project(bundle).storyboard
    assert _bytes(after.segments[0]) == mine
    assert sum(s.duration for s in after.segments) > sum(s.duration for s in edited.segments)


def test_a_plan_lists_each_segment_s_cast_and_a_replan_leaves_an_edited_cast_alone() -> None:
    """Issue 17.8: the planner proposes the cast entries it finds (in the style bible) and
    lists in each segment the ones its prompt names; an edited segment keeps its cast."""
    sb = plan_story_file(DATA / "lighthouse-keeper.txt", 24, MODEL, planner="offline").storyboard
    assert [c.name for c in sb.style.characters] == ["Elias", "Boat"]
    # "At dawn, he finds the boat": "he" is Elias, the last named
    assert [s.cast for s in sb.segments] == [("Elias",), ("Elias", "Boat"), ("Elias", "Boat")]
    assert all(untouched(s) == "" for s in sb.segments)
    # The user takes Elias out of shot 2: the segment is theirs now, and a re-plan keeps it.
    sb = edits.set_segment_field(sb, sb.segments[1].id, "cast", ()).apply(sb)
    assert untouched(sb.segments[1]) == "you edited it"
    merged = replan(sb, plan_story_file(DATA / "lighthouse-keeper.txt", 24, MODEL,
                                        planner="offline").storyboard).storyboard
    assert [s.cast for s in merged.segments] == [("Elias",), (), ("Elias", "Boat")]
    # A segment marked before plans had a cast is still the planner's own: with no cast its
    # fingerprint is what it was (the value below is the one before cast was a planned field).
    from soraboard.model.storyboard import Segment

    before = Segment(id="seg_x", model="sora-2", size="1280x720", duration=4.0, title="Dawn",
                     scene="Elias at the lamp.")
    assert fingerprint(before) == "4fbfbc0a13da02df"
    assert fingerprint(before.with_changes(cast=("Elias",))) != "4fbfbc0a13da02df"
