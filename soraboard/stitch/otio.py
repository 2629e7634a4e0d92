"""Hand-off to editors: an OpenTimelineIO ``.otio`` timeline of the film.

One video track: a clip per segment pointing at the take file (``file://`` URL), with its
trim as the source range, and a transition per non-cut boundary. OTIO transitions overlap
their neighbours symmetrically around the edit point and do not shorten the track, so each
clip's range is cut back by the half of the overlap on its side — the handles the transition
then reaches into are the frames the film itself blends — and the timeline lasts exactly as
long as the exported film. Crossfades become ``SMPTE_Dissolve`` (what Resolve and Premiere
import as a dissolve); the other types are ``Custom_Transition`` named after the soraboard type,
with the xfade name in the metadata.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from soraboard.model.storyboard import TransitionType
from soraboard.stitch.plan import ExportPlan, build_plan
from soraboard.stitch.presets import FINAL
from soraboard.stitch.transitions import xfade_name
from soraboard.storage.atomic import atomic_write_text
from soraboard.storage.bundle import Project


def build_timeline(plan: ExportPlan) -> Any:
    """The ``opentimelineio.schema.Timeline`` of a plan (slates are left out)."""
    import opentimelineio as otio

    rate = float(plan.format.fps)

    def rt(frames: float) -> Any:
        return otio.opentime.RationalTime(frames, rate)

    timeline = otio.schema.Timeline(name=plan.title)
    track = otio.schema.Track(name="Video", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    halves = [(j.frames // 2, j.frames - j.frames // 2) if not j.is_cut else (0, 0)
              for j in plan.joins]
    for i, src in enumerate(plan.sources):
        before = halves[i - 1][1] if i > 0 else 0  # the incoming transition's share
        after = halves[i][0] if i < len(halves) else 0
        start = round(src.t_in * rate) + before
        clip = otio.schema.Clip(
            name=src.label,
            source_range=otio.opentime.TimeRange(rt(start), rt(src.frames - before - after)),
            metadata={"soraboard": {"segment_id": src.segment_id, "take_id": src.take_id}})
        if src.path is not None and src.info is not None:
            clip.media_reference = otio.schema.ExternalReference(
                target_url=src.path.absolute().as_uri(),
                available_range=otio.opentime.TimeRange(
                    rt(0), rt(round(src.info.duration * rate))))
        else:
            clip.media_reference = otio.schema.MissingReference()
        if i > 0 and not plan.joins[i - 1].is_cut:
            j = plan.joins[i - 1]
            kind = (otio.schema.TransitionTypes.SMPTE_Dissolve
                    if j.type is TransitionType.CROSSFADE
                    else otio.schema.TransitionTypes.Custom)
            track.append(otio.schema.Transition(
                name=j.type.label, transition_type=kind,
                in_offset=rt(halves[i - 1][0]), out_offset=rt(halves[i - 1][1]),
                metadata={"soraboard": {"type": j.type.value, "xfade": xfade_name(j.type)}}))
        track.append(clip)
    return timeline


def write_otio(project: Project, path: Path, plan: ExportPlan | None = None) -> Path:
    """Write the project's timeline to ``path`` (atomically) and return it."""
    import opentimelineio as otio

    if plan is None:
        from soraboard.stitch.export import probe_takes

        files, probes, _ = probe_takes(project)
        plan = build_plan(project.storyboard, project.takes, files, probes, FINAL)
    text: str = otio.adapters.write_to_string(build_timeline(plan), "otio_json")
    atomic_write_text(Path(path), text)
    return Path(path)
