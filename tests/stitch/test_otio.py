"""The .otio hand-off reads back in OpenTimelineIO with the takes, trims and transitions."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest

from soraboard.model.storyboard import TransitionType as T
from soraboard.stitch.export import prepare_export
from soraboard.stitch.otio import build_timeline, write_otio
from tests.stitch.helpers import ClipSpec, make_project


def test_otio_timeline_round_trips_with_trims_and_transitions(tmp_path: Path) -> None:
    project = make_project(tmp_path, [ClipSpec("a b.mp4", 2.0, "red", trim_in=0.5),
                                      ClipSpec("b.mp4", 2.0, "blue", trim_out=1.5),
                                      ClipSpec("c.mp4", 1.0, "lime")],
                           [(T.CROSSFADE, 0.5), (T.FADE_BLACK, 0.4)])
    plan = prepare_export(project, "final").plan
    out = write_otio(project, tmp_path / "film.otio", plan=plan)
    tl = otio.adapters.read_from_file(str(out))
    track = tl.tracks[0]
    kinds = [type(item).__name__ for item in track]
    assert kinds == ["Clip", "Transition", "Clip", "Transition", "Clip"]
    a, x1, b, x2, c = track
    assert c.source_range.duration.to_frames() == 30 - 6  # its share of the fade
    assert a.media_reference.target_url == (project.bundle.media_dir / "a b.mp4").as_uri()
    # clip a: trim in 0.5 s = frame 15, 45 frames used, the dissolve takes 7 of them
    assert a.source_range.start_time.to_frames() == 15
    assert a.source_range.duration.to_frames() == 45 - 7
    assert x1.transition_type == otio.schema.TransitionTypes.SMPTE_Dissolve
    # the incoming clip takes the odd frame: it starts 8 frames in, the outgoing one has 7
    assert (x1.in_offset.to_frames(), x1.out_offset.to_frames()) == (8, 7)
    assert b.source_range.start_time.to_frames() == 8
    assert x2.transition_type == otio.schema.TransitionTypes.Custom
    assert x2.metadata["soraboard"]["xfade"] == "fadeblack"
    # the timeline lasts as long as the film
    assert tl.duration().to_seconds() == pytest.approx(plan.duration)
    assert plan.total_frames == 45 + 45 + 30 - 15 - 12


def _inside(clip: otio.schema.Clip) -> None:
    """The clip's visible range — its range plus the handles transitions reach into — is
    media the file has."""
    seen, have = clip.visible_range(), clip.available_range()
    assert seen.start_time.to_seconds() >= have.start_time.to_seconds() - 1e-9, clip.name
    assert seen.end_time_exclusive().to_seconds() <= (
        have.end_time_exclusive().to_seconds() + 1e-9), clip.name


@pytest.mark.parametrize("seconds", [0.5, 0.4, 1.0 / 3])  # 15, 12 and 10 frames at 30 fps
def test_handles_stay_inside_the_files_for_odd_and_even_overlaps(tmp_path: Path,
                                                                 seconds: float) -> None:
    project = make_project(tmp_path, [ClipSpec(f"{k}.mp4", 1.0, "red") for k in range(3)],
                           [(T.CROSSFADE, seconds), (T.WIPE_LEFT, seconds)])
    plan = prepare_export(project, "final").plan
    tl = otio.adapters.read_from_string(
        otio.adapters.write_to_string(build_timeline(plan), "otio_json"), "otio_json")
    for track in tl.tracks:
        clips = [c for c in track if isinstance(c, otio.schema.Clip)]
        assert len(clips) == 3
        for clip in clips:
            _inside(clip)
        assert track.duration().to_frames() == plan.total_frames
    # an odd overlap: the incoming clip's share first
    n = plan.joins[0].frames
    x = tl.tracks[0][1]
    assert (x.in_offset.to_frames(), x.out_offset.to_frames()) == (n - n // 2, n // 2)


def test_ranges_are_at_each_files_rate_and_sound_has_its_own_track(tmp_path: Path) -> None:
    project = make_project(tmp_path, [
        ClipSpec("a.mp4", 2.0, "red", fps="24"),
        ClipSpec("b.mp4", 2.0, "blue", fps="30", trim_in=0.5, size="240x180"),
        ClipSpec("c.mp4", 2.0, "lime", fps="24", audio=False),
        ClipSpec("d.mp4", 2.0, "red", fps="24")],
        [(T.FADE_BLACK, 0.5), (T.CUT, 0.0), (T.SLIDE_LEFT, 0.25)])
    plan = prepare_export(project, "final").plan
    assert plan.format.fps == 24
    tl = build_timeline(plan)
    assert tl.global_start_time.rate == 24
    video, audio = tl.tracks
    assert (video.kind, audio.kind) == (otio.schema.TrackKind.Video, otio.schema.TrackKind.Audio)
    b = video[2]
    # the 30 fps take keeps its own frame numbers: trim in 0.5 s = frame 15 of 60
    assert b.source_range.start_time.rate == 30
    assert b.available_range().duration == otio.opentime.RationalTime(60, 30)
    assert b.source_range.start_time.to_frames() == 15 + 7  # and the fade's incoming share
    bounds = b.media_reference.available_image_bounds
    assert (bounds.max.x - bounds.min.x, bounds.max.y - bounds.min.y) == pytest.approx(
        (4 / 3, 1.0))
    # the sound follows the picture: a fade through black dips it, a slide crossfades it;
    # the take without sound is silence (a gap) between them
    kinds = [type(item).__name__ for item in audio]
    assert kinds == ["Clip", "Transition", "Clip", "Gap", "Transition", "Clip"]
    assert audio[1].metadata["soraboard"]["audio"] == "dip"
    assert audio[1].transition_type == otio.schema.TransitionTypes.Custom
    assert audio[4].transition_type == otio.schema.TransitionTypes.SMPTE_Dissolve
    for a, v in zip([audio[0], audio[2], audio[5]], [video[0], video[2], video[5]]):
        assert a.source_range == v.source_range
        assert a.media_reference.target_url == v.media_reference.target_url
    assert audio.duration().to_seconds() == pytest.approx(plan.duration)
    assert video.duration().to_seconds() == pytest.approx(plan.duration)
