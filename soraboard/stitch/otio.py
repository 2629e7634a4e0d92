"""Hand-off to editors: an OpenTimelineIO timeline of the film, and editor files made from it.

Tracks: *Video* — a clip per segment pointing at the take file (``file://`` URL), with its
trim as the source range, and a transition per non-cut boundary; *Audio* — the same clips'
sound with the film's audio joins (a crossfade where the picture dissolves, wipes or slides;
a fade through silence where it fades through a colour); *Music* — the music bed, when there
is one. OTIO transitions overlap their neighbours around the edit point and do not shorten
the track, so each clip's range is cut back by its side of the overlap — ``in_offset`` reaches
back into the incoming clip, ``out_offset`` on into the outgoing one — and the timeline lasts
exactly as long as the exported film. For an odd overlap the incoming clip gives the extra
frame: the handles stay inside each file.

Rates: the timeline has the film's; each clip's source range and each file's available range
are at the file's own rate (a 30 fps take in a 24 fps film keeps 30 fps frame numbers); the
references carry the picture's bounds (its displayed aspect ratio) too.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

from soraboard.model.storyboard import TransitionType
from soraboard.stitch.plan import ExportPlan, Source, build_plan
from soraboard.stitch.presets import FINAL
from soraboard.stitch.transitions import AudioJoin, audio_join, xfade_name
from soraboard.storage.atomic import atomic_write_text
from soraboard.storage.bundle import Project


def _shares(frames: int) -> tuple[int, int]:
    """(in_offset, out_offset) of an overlap of ``frames``: the incoming clip's share before
    the edit point, the outgoing clip's after it (the incoming one takes the odd frame)."""
    return frames - frames // 2, frames // 2


def _rt(value: Fraction | int, rate: Fraction) -> Any:
    import opentimelineio as otio

    exact = Fraction(value)
    return otio.opentime.RationalTime(
        int(exact) if exact.denominator == 1 else float(exact), float(rate))


def _file_rate(src: Source) -> Fraction:
    return src.src_fps


def _reference(src: Source) -> Any:
    import opentimelineio as otio

    if src.path is None or src.info is None:
        return otio.schema.MissingReference()
    rate = _file_rate(src)
    v = src.info.video
    frames = (v.frame_count if v is not None and v.frame_count
              else round(Fraction(src.info.duration).limit_denominator(1_000_000) * rate))
    ref = otio.schema.ExternalReference(
        target_url=src.path.absolute().as_uri(),
        available_range=otio.opentime.TimeRange(_rt(0, rate), _rt(frames, rate)))
    if v is not None and v.width and v.height:
        aspect = v.width * float(v.sar or 1) / v.height  # as displayed
        ref.available_image_bounds = otio.schema.Box2d(otio.schema.V2d(-aspect / 2, -0.5),
                                                       otio.schema.V2d(aspect / 2, 0.5))
        ref.metadata["soraboard"] = {"size": f"{v.width}x{v.height}", "fps": str(v.fps),
                                     "rotation": v.rotation}
    return ref


def _clip(src: Source, plan: ExportPlan, before: int, after: int, audio: bool) -> Any:
    """The clip of ``src`` without its shares of the neighbouring overlaps (film frames)."""
    import opentimelineio as otio

    film, rate = plan.format.fps, _file_rate(src)
    # the trim in is on a frame of the file (the plan snaps it there)
    first = round(Fraction(src.t_in).limit_denominator(1_000_000) * rate)
    start = first + Fraction(before) * rate / film
    length = Fraction(src.frames - before - after) * rate / film
    clip = otio.schema.Clip(
        name=src.label, media_reference=_reference(src),
        source_range=otio.opentime.TimeRange(_rt(start, rate), _rt(length, rate)),
        metadata={"soraboard": {"segment_id": src.segment_id, "take_id": src.take_id}})
    if audio and not src.has_audio:
        clip.metadata["soraboard"]["silent"] = True
    return clip


def _transition(kind: TransitionType, frames: int, rate: Fraction, audio: bool) -> Any:
    import opentimelineio as otio

    inside, outside = _shares(frames)
    meta: dict[str, Any] = {"type": kind.value, "xfade": xfade_name(kind)}
    if audio:
        join = audio_join(kind)
        meta = {"type": kind.value, "audio": join.value}
        dissolve = join is AudioJoin.CROSSFADE
        name = "Cross fade" if dissolve else "Fade through silence"
    else:
        dissolve = kind is TransitionType.CROSSFADE
        name = kind.label
    return otio.schema.Transition(
        name=name,
        transition_type=(otio.schema.TransitionTypes.SMPTE_Dissolve if dissolve
                         else otio.schema.TransitionTypes.Custom),
        in_offset=_rt(inside, rate), out_offset=_rt(outside, rate),
        metadata={"soraboard": meta})


def build_timeline(plan: ExportPlan) -> Any:
    """The ``opentimelineio.schema.Timeline`` of a plan (slates become gaps)."""
    import opentimelineio as otio

    film = plan.format.fps
    timeline = otio.schema.Timeline(name=plan.title,
                                    global_start_time=otio.opentime.RationalTime(0, float(film)))
    timeline.metadata["soraboard"] = {"fps": str(film), "size": plan.format.size}
    for kind, name in ((otio.schema.TrackKind.Video, "Video"),
                       (otio.schema.TrackKind.Audio, "Audio")):
        audio = kind == otio.schema.TrackKind.Audio
        track = otio.schema.Track(name=name, kind=kind)
        timeline.tracks.append(track)
        for i, src in enumerate(plan.sources):
            j_in = plan.joins[i - 1] if i > 0 else None
            j_out = plan.joins[i] if i < len(plan.joins) else None
            before = _shares(j_in.frames)[0] if j_in is not None and not j_in.is_cut else 0
            after = _shares(j_out.frames)[1] if j_out is not None and not j_out.is_cut else 0
            if j_in is not None and not j_in.is_cut:
                track.append(_transition(j_in.type, j_in.frames, film, audio))
            if src.path is None or (audio and not src.has_audio):
                # a slate, or a take without sound (silence in the film): nothing to point at
                gap = otio.schema.Gap(source_range=otio.opentime.TimeRange(
                    _rt(0, film), _rt(src.frames - before - after, film)))
                gap.metadata["soraboard"] = {"segment_id": src.segment_id}
                track.append(gap)
                continue
            track.append(_clip(src, plan, before, after, audio))
    if plan.music is not None:
        music = otio.schema.Track(name="Music", kind=otio.schema.TrackKind.Audio)
        music.append(otio.schema.Clip(
            name=plan.music.path.name,
            media_reference=otio.schema.ExternalReference(
                target_url=plan.music.path.absolute().as_uri()),
            source_range=otio.opentime.TimeRange(_rt(0, film), _rt(plan.total_frames, film)),
            metadata={"soraboard": {"fade_in": plan.music.fade_in,
                                    "fade_out": plan.music.fade_out,
                                    "volume": plan.music.volume, "duck": plan.music.duck,
                                    "loops": True}}))
        timeline.tracks.append(music)
    return timeline


def timeline_of(project: Project, plan: ExportPlan | None = None) -> Any:
    """The timeline of a loaded project (probes the takes unless ``plan`` is given)."""
    if plan is None:
        from soraboard.stitch.export import probe_takes

        files, probes, _ = probe_takes(project)
        plan = build_plan(project.storyboard, project.takes, files, probes, FINAL)
    return build_timeline(plan)


def write_otio(project: Project, path: Path, plan: ExportPlan | None = None) -> Path:
    """Write the project's timeline to ``path`` (atomically) and return it."""
    import opentimelineio as otio

    text: str = otio.adapters.write_to_string(timeline_of(project, plan), "otio_json")
    atomic_write_text(Path(path), text)
    return Path(path)

