"""A still of a segment's own first or last frame (issue 17.3), where no boundary is shared:
made from that segment's prompt and cast, journaled and regenerated like a boundary's."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from soraboard.catalog.catalog import ImageModelSpec
from soraboard.generation.stills import regenerate_still, segment_still
from soraboard.model import edits
from soraboard.model.prompt import frame_prompt
from soraboard.model.still_slots import own_slot, stills_for
from soraboard.model.storyboard import Beat, Character, Continuity, Storyboard
from soraboard.storage.bundle import Bundle, load_project
from tests.generation.conftest import seg
from tests.generation.test_still_takes import PaidStills


def _film() -> Storyboard:
    a = seg(1).with_changes(
        scene="A rainy street at night. Neon signs flicker.",
        cinematography="Low angle, slow push in",
        actions=(Beat(0, 1, "Mara unlocks her bike"), Beat(0, 0.5, "a bus passes"),
                 Beat(1, 2, "Mara rides off into the rain")))
    b = seg(2, chain=True)
    sb = Storyboard(segments=(a, b))
    sb = replace(sb, style=replace(sb.style, style="35mm film", characters=(
        Character("Mara", "a cyclist in a yellow coat",
                  images=("media/cast/a.png", "media/cast/b.png", "media/cast/c.png")),
        Character("Jon", "a tall man", images=("media/cast/j.png",)))))
    return edits.set_segment_cast(sb, a.id, ["Mara"]).apply(sb)


def test_the_first_frame_s_prompt_is_the_opening_and_the_last_frame_s_the_close() -> None:
    sb = _film()
    first = frame_prompt(sb, 0, "first")
    assert "this shot begins" in first
    assert "Scene: A rainy street at night. Neon signs flicker." in first
    assert "Cinematography: Low angle, slow push in." in first
    assert "Opening: Mara unlocks her bike." in first and "Opening: a bus passes." in first
    assert "rides off" not in first
    assert "Style: 35mm film" in first and "Mara: a cyclist in a yellow coat" in first
    assert "Jon" not in first
    last = frame_prompt(sb, 0, "last")
    assert "this shot ends" in last and "Closing: Mara rides off into the rain." in last
    assert "unlocks" not in last and "Scene:" not in last
    assert "Mara: a cyclist in a yellow coat" in last
    # deterministic, and other roles are refused
    assert frame_prompt(sb, 0, "first") == first
    with pytest.raises(ValueError):
        frame_prompt(sb, 0, "boundary")
    # a shot without beats closes on its scene's first sentence
    plain = sb.segments[0].with_changes(actions=())
    sb2 = replace(sb, segments=(plain, sb.segments[1]))
    assert "Closing: A rainy street at night." in frame_prompt(sb2, 0, "last")


@pytest.mark.parametrize("role", ["first", "last"])
def test_a_segment_s_own_still_is_journaled_in_its_slot_and_regenerates(
        tmp_path: Path, role: str) -> None:
    sb = _film()
    bundle = Bundle.create(tmp_path / "Film", sb)
    (bundle.media_dir / "cast").mkdir(parents=True)
    for n in "abcj":
        (bundle.media_dir / "cast" / f"{n}.png").write_bytes(b"png")
    spec = ImageModelSpec("img", "Img", Decimal("0.04"), sizes=("1024x576",),
                          reference_images=2)
    backend = PaidStills()
    still = segment_still(bundle, sb, 0, backend, role, "img", spec, Decimal("0.04"))
    [req] = backend.requests
    # the segment's own cast, capped by the model; at its size, asked at the nearest allowed
    assert req.references == (bundle.resolve("media/cast/a.png"),
                              bundle.resolve("media/cast/b.png"))
    assert req.cast == ("Mara",) and req.size == "320x180" and req.api_size == "1024x576"
    assert req.prompt == frame_prompt(sb, 0, role)
    [record] = bundle.load_stills()[0].values()
    assert (record.role, record.segment_id, record.next_segment_id) == (role, "seg_01", None)
    assert record.file == still and record.status == "done" and record.cost == "0.04"
    assert bundle.resolve(still).is_file()
    # the chooser lists it for that frame only
    project = load_project(bundle.path)
    assert [r.id for r in stills_for(sb, project.stills, "seg_01", role)] == [record.id]
    other = "last" if role == "first" else "first"
    assert stills_for(sb, project.stills, "seg_01", other) == []
    # regenerating asks the same again, into the same slot, keeping the first
    again = regenerate_still(bundle, record, backend, Decimal("0.04"))
    assert (again.role, again.segment_id) == (role, "seg_01") and again.file != still
    a, b = backend.requests
    assert (a.prompt, a.references, a.api_size) == (b.prompt, b.references, b.api_size)
    assert b.variant == 1
    project = load_project(bundle.path)
    assert [r.file for r in stills_for(sb, project.stills, "seg_01", role)] == \
        [still, again.file]


def test_which_frames_are_a_segment_s_own() -> None:
    sb = Storyboard(segments=(seg(1), seg(2, chain=True), seg(3), seg(4, chain=True)))
    assert [own_slot(sb, i, "first") for i in range(4)] == [True, False, False, False]
    # the last shot, and a shot the next one cuts away from
    assert [own_slot(sb, i, "last") for i in range(4)] == [False, True, False, True]
    held = edits.hold_boundary(sb, 1, "media/stills/k.png").apply(sb)
    assert held.segments[2].continuity is Continuity.INDEPENDENT
    assert not own_slot(held, 1, "last")  # a held cut stays the boundary's


def test_the_keyframes_command_makes_a_segment_s_own_first_or_last_frame(
        tmp_path: Path, test_catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from soraboard.catalog.catalog import reset_default_catalog
    from soraboard.cli import main
    from tests.generation.test_keyframe_mode import keyframed
    from tests.generation.test_keyframes import KEYFRAME_MODEL

    test_catalog.write_text(json.dumps({"models": [KEYFRAME_MODEL]}), "utf-8")
    reset_default_catalog()
    sb = keyframed(2, set(), model="test-keyframes")
    sb = replace(sb, segments=(sb.segments[0], sb.segments[1].with_changes(
        model="test-video")))
    bundle = Bundle.create(tmp_path / "Film", sb)
    assert main(["keyframes", str(bundle.path), "--first", "1", "--provider", "animatic"]) == 0
    assert "segment 1 starts on media/stills/" in capsys.readouterr().out
    after = load_project(bundle.path)
    first = after.storyboard.segments[0].first_keyframe
    assert first is not None and bundle.resolve(first).is_file()
    assert [(r.role, r.segment_id) for r in after.stills.values()] == [("first", "seg_01")]
    assert not after.storyboard.held_by_keyframe(0)
    # the last frame: only where the model has last-frame input
    assert main(["keyframes", str(bundle.path), "--last", "2", "--provider", "animatic"]) == 2
    assert "cannot end on a still: 2 (test-video)" in capsys.readouterr().err
    assert main(["keyframes", str(bundle.path), "--last", "1", "--provider", "animatic"]) == 0
    after = load_project(bundle.path)
    last = after.storyboard.segments[0].last_keyframe
    assert last is not None and last != first
    assert sorted((r.role, r.segment_id) for r in after.stills.values()) == [
        ("first", "seg_01"), ("last", "seg_01")]
    assert main(["keyframes", str(bundle.path), "--first", "3", "--provider", "animatic"]) == 2
    assert "there is no segment 3" in capsys.readouterr().err
