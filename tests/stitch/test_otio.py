"""The .otio hand-off reads back in OpenTimelineIO with the takes, trims and transitions."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest

from soraboard.model.storyboard import TransitionType as T
from soraboard.stitch.export import prepare_export
from soraboard.stitch.otio import write_otio
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
    assert (x1.in_offset.to_frames(), x1.out_offset.to_frames()) == (7, 8)
    assert b.source_range.start_time.to_frames() == 8
    assert x2.transition_type == otio.schema.TransitionTypes.Custom
    assert x2.metadata["soraboard"]["xfade"] == "fadeblack"
    # the timeline lasts as long as the film
    assert tl.duration().to_seconds() == pytest.approx(plan.duration)
    assert plan.total_frames == 45 + 45 + 30 - 15 - 12
