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

:func:`write_nle` writes the file an editor imports (``resolve`` and ``premiere``: FCP 7 XML;
``fcpx``: FCPXML; ``edl``: CMX 3600; ``kdenlive``: the ``.otio`` itself, which Kdenlive reads
since 25.04 — its OTIO adapter is deprecated) through OpenTimelineIO's adapter for it, each
transition renamed to the editor's nearest effect (named as the editors' own files name them;
the FCPXML adapter writes no transitions, so Final Cut Pro's are added to its spine);
:func:`nle_losses` says beforehand which boundaries the target cannot express as they are and
what they become.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
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


def build_timeline(plan: ExportPlan, music_seconds: float | None = None) -> Any:
    """The ``opentimelineio.schema.Timeline`` of a plan (slates become gaps).

    ``music_seconds``: the music bed's length, so its track repeats it as the film does;
    unknown, it is one clip as long as the film."""
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
        timeline.tracks.append(_music_track(plan, music_seconds))
    return timeline


def _music_track(plan: ExportPlan, seconds: float | None) -> Any:
    """The music bed: the file again and again until the film ends (``-stream_loop``)."""
    import opentimelineio as otio

    assert plan.music is not None
    film = plan.format.fps
    total = Fraction(plan.total_frames)
    length = (Fraction(seconds).limit_denominator(1_000_000) * film if seconds and seconds > 0
              else total)
    track = otio.schema.Track(name="Music", kind=otio.schema.TrackKind.Audio)
    placed = Fraction(0)
    while placed < total:
        take = min(length, total - placed)
        track.append(otio.schema.Clip(
            name=plan.music.path.name,
            media_reference=otio.schema.ExternalReference(
                target_url=plan.music.path.absolute().as_uri(),
                available_range=otio.opentime.TimeRange(_rt(0, film), _rt(length, film))),
            source_range=otio.opentime.TimeRange(_rt(0, film), _rt(take, film)),
            metadata={"soraboard": {"fade_in": plan.music.fade_in,
                                    "fade_out": plan.music.fade_out,
                                    "volume": plan.music.volume, "duck": plan.music.duck}}))
        placed += take
    return track


def _music_seconds(plan: ExportPlan) -> float | None:
    if plan.music is None:
        return None
    from soraboard.media.probe import MediaError, probe

    try:
        return probe(plan.music.path, count_frames=False).duration or None
    except (MediaError, OSError):
        return None


def timeline_of(project: Project, plan: ExportPlan | None = None) -> Any:
    """The timeline of a loaded project (probes the takes unless ``plan`` is given)."""
    if plan is None:
        from soraboard.stitch.export import probe_takes

        files, probes, _ = probe_takes(project)
        plan = build_plan(project.storyboard, project.takes, files, probes, FINAL)
    return build_timeline(plan, _music_seconds(plan))


def write_otio(project: Project, path: Path, plan: ExportPlan | None = None) -> Path:
    """Write the project's timeline to ``path`` (atomically) and return it."""
    import opentimelineio as otio

    text: str = otio.adapters.write_to_string(timeline_of(project, plan), "otio_json")
    atomic_write_text(Path(path), text)
    return Path(path)



# ---------------------------------------------------------------------------- editors


@dataclass(frozen=True)
class NleTarget:
    """An editor soraboard hands the film to, through one OTIO adapter."""

    name: str  #: what ``--nle`` takes
    editor: str  #: for messages
    adapter: str  #: the OTIO adapter's name
    suffix: str  #: the file's extension


NLE_TARGETS: dict[str, NleTarget] = {t.name: t for t in (
    NleTarget("resolve", "DaVinci Resolve", "fcp_xml", ".xml"),
    NleTarget("premiere", "Premiere Pro", "fcp_xml", ".xml"),
    NleTarget("fcpx", "Final Cut Pro", "fcpx_xml", ".fcpxml"),
    # Kdenlive reads OTIO itself since 25.04; its adapter is deprecated by its authors
    NleTarget("kdenlive", "Kdenlive", "otio_json", ".otio"),
    NleTarget("edl", "a CMX 3600 EDL", "cmx_3600", ".edl"),
)}

#: Final Cut Pro 7 XML effects (what Resolve and Premiere import): (name, category) per
#: transition, and what the effect's default parameters leave out. Names, ids and parameters
#: as the editors write them themselves, compared against:
#:
#: * a Premiere Pro export, OpenTimelineIO's ``tests/sample_data/premiere_example.xml``
#:   (AcademySoftwareFoundation/OpenTimelineIO): ``<name>``/``<effectid>`` "Cross Dissolve",
#:   ``<effectcategory>`` "Dissolve", ``<effecttype>`` transition, ``<mediatype>`` video;
#: * Premiere's FCP 7 XML transitions as public exporters written against its files emit
#:   them: "Dip to Color Dissolve" (same id) with its colour as parameter ``dipcolor``
#:   ("Color", alpha/red/green/blue 0-255); the audio cross fades "Cross Fade (+3dB)"
#:   ``KGAudioTransCrossFade3dB`` and "Cross Fade ( 0dB)" — with a space —
#:   ``KGAudioTransCrossFade0dB``, with no effect category;
#: * the DaVinci Resolve manual's "Supported transitions for imported EDL, XML, and AAF"
#:   (chapter "Preparing Timelines for Import"; a transcript in
#:   benwmerritt/rag-ask-resolve-editor, ``transcripts/davinci-manual``): from FCP 7 XML
#:   Resolve imports Cross Dissolve, Additive Dissolve, Dip to Color Dissolve, Edge Wipe,
#:   Venetian Blind Wipe, Clock Wipe, Center Wipe, Cross Iris, Diamond Iris and Oval Iris —
#:   no slide, so for Resolve a slide is written as the edge wipe it imports.
_FCP7: dict[TransitionType, tuple[str, str, str]] = {
    TransitionType.CROSSFADE: ("Cross Dissolve", "Dissolve", ""),
    TransitionType.FADE_BLACK: ("Dip to Color Dissolve", "Dissolve", ""),
    TransitionType.FADE_WHITE: ("Dip to Color Dissolve", "Dissolve", ""),
    TransitionType.WIPE_LEFT: ("Edge Wipe", "Wipe", "its direction is the effect's default"),
    TransitionType.WIPE_RIGHT: ("Edge Wipe", "Wipe", "its direction is the effect's default"),
    TransitionType.SLIDE_LEFT: ("Push Slide", "Slide", "its direction is the effect's default"),
    TransitionType.SLIDE_RIGHT: ("Push Slide", "Slide",
                                 "its direction is the effect's default"),
    TransitionType.CIRCLE_OPEN: ("Oval Iris", "Iris", ""),
}
#: the dip's colour (``dipcolor``: 0-255 per channel) for the fades through a colour
_DIP_COLOUR = {TransitionType.FADE_BLACK: 0, TransitionType.FADE_WHITE: 255}
_FCP7_AUDIO = {AudioJoin.CROSSFADE: ("Cross Fade (+3dB)", "KGAudioTransCrossFade3dB"),
               AudioJoin.DIP: ("Cross Fade ( 0dB)", "KGAudioTransCrossFade0dB")}
_SLIDES = (TransitionType.SLIDE_LEFT, TransitionType.SLIDE_RIGHT)


def _fcp7_video(target: NleTarget, kind: TransitionType) -> tuple[str, str, str]:
    """(effect name, category, what is lost) of a picture transition in ``target``."""
    if target.name == "resolve" and kind in _SLIDES:
        return ("Edge Wipe", "Wipe", "Resolve imports no slide from FCP 7 XML: an edge wipe "
                "in the effect's default direction")
    return _FCP7[kind]


#: Final Cut Pro's own transitions (FxPlug effects, by the uid FCPXML refers to them with):
#: OpenTimelineIO's FCPXML adapter writes none, so :func:`fcpx_transitions` adds them to the
#: spine. The uids as Final Cut Pro writes them: Cross Dissolve ``4731E73A-…`` — its default
#: video transition (``FFDefaultVideoTransition``), the same uid in the FCPXML of every public
#: exporter checked (five); Fade To Color ``F779C565-…`` — from a Resolve-exported FCPXML and
#: a list taken from Final Cut Pro's Filters.bundle. Their parameters (a colour, a direction)
#: are not written: the effects' defaults apply. The sound crossfades with the picture: a
#: spine transition fades the audio of the clips it joins.
_FCPX_DISSOLVE = ("Cross Dissolve", "FxPlug:4731E73A-8DAC-4113-9A30-AE85B1761265")
_FCPX_FADE = ("Fade To Color", "FxPlug:F779C565-486D-4633-8035-0374B4DB8F5C")
_FCPX_NOT_WRITTEN = "its own wipes and slides are not written: a cross dissolve"
_FCPX: dict[TransitionType, tuple[str, tuple[str, str], str]] = {
    TransitionType.CROSSFADE: ("Cross Dissolve", _FCPX_DISSOLVE, ""),
    TransitionType.FADE_BLACK: ("Fade To Color", _FCPX_FADE, ""),
    TransitionType.FADE_WHITE: ("Fade To Color", _FCPX_FADE,
                                "its colour is the effect's default, black, not white"),
    TransitionType.WIPE_LEFT: ("Cross Dissolve", _FCPX_DISSOLVE, _FCPX_NOT_WRITTEN),
    TransitionType.WIPE_RIGHT: ("Cross Dissolve", _FCPX_DISSOLVE, _FCPX_NOT_WRITTEN),
    TransitionType.SLIDE_LEFT: ("Cross Dissolve", _FCPX_DISSOLVE, _FCPX_NOT_WRITTEN),
    TransitionType.SLIDE_RIGHT: ("Cross Dissolve", _FCPX_DISSOLVE, _FCPX_NOT_WRITTEN),
    TransitionType.CIRCLE_OPEN: ("Cross Dissolve", _FCPX_DISSOLVE,
                                 "its own irises are not written: a cross dissolve"),
}


class UnknownNle(ValueError):
    """``--nle`` named no editor soraboard writes for."""


def nle_target(name: str) -> NleTarget:
    """The target called ``name`` (``resolve``, ``premiere``, ``fcpx``, ``kdenlive``, ``edl``)."""
    try:
        return NLE_TARGETS[name.strip().lower()]
    except KeyError:
        raise UnknownNle(f"unknown editor {name!r}; choose one of "
                         + ", ".join(NLE_TARGETS)) from None


def nle_mapping(target: NleTarget, kind: TransitionType) -> tuple[str, str]:
    """(what a transition becomes in the target, what is lost — "" when nothing is)."""
    if target.adapter == "fcp_xml":
        name, _, lost = _fcp7_video(target, kind)
        return name, lost
    if target.adapter == "cmx_3600":
        if kind is TransitionType.CROSSFADE:
            return "a dissolve (D)", ""
        return "a dissolve (D)", "an EDL written through OpenTimelineIO has only dissolves"
    if target.adapter == "otio_json":
        if kind is TransitionType.CROSSFADE:
            return "an SMPTE dissolve", ""
        return (f"OTIO's custom transition “{kind.label}”",
                "an editor that does not know it may make it a dissolve")
    if target.adapter == "fcpx_xml":
        name, _, lost = _FCPX[kind]
        return name, lost
    return ("a cut at the middle of the overlap",
            f"the {target.adapter} adapter of OpenTimelineIO writes no transitions")


def nle_losses(plan: ExportPlan, target: NleTarget) -> list[str]:
    """Per boundary the target cannot express as it is: which, and what it becomes."""
    out = []
    if target.adapter == "cmx_3600":
        for s in plan.sources:
            if s.src_fps != plan.format.fps:
                out.append(f"{s.label}: its source timecodes are counted at the film's "
                           f"{plan.format.fps_text} fps, not its own {s.src_fps} fps "
                           "(an EDL has one rate)")
    for j in plan.joins:
        if j.is_cut:
            continue
        became, lost = nle_mapping(target, j.type)
        if lost:
            a, b = plan.sources[j.index], plan.sources[j.index + 1]
            out.append(f"{a.label} → {b.label}: the {j.type.label.lower()} becomes {became} "
                       f"in {target.editor} ({lost})")
    return out


def nle_timeline(plan: ExportPlan, target: NleTarget) -> Any:
    """The film's timeline as the target's adapter should write it: each transition renamed
    to the editor's effect, or (targets without transitions) turned into a cut."""
    import opentimelineio as otio

    timeline = build_timeline(plan, _music_seconds(plan))
    for track in timeline.tracks:
        audio = track.kind == otio.schema.TrackKind.Audio
        for k in reversed(range(len(track))):
            item = track[k]
            if not isinstance(item, otio.schema.Transition):
                continue
            kind = TransitionType(item.metadata["soraboard"]["type"])
            if target.adapter == "fcp_xml":
                effect: dict[str, Any]
                if audio:  # Premiere writes no category for its audio transitions
                    name, effect_id = _FCP7_AUDIO[audio_join(kind)]
                    effect = {"name": name, "effectid": effect_id,
                              "effecttype": "transition", "mediatype": "audio"}
                else:
                    name, category, _ = _fcp7_video(target, kind)
                    effect = {"name": name, "effectid": name, "effectcategory": category,
                              "effecttype": "transition", "mediatype": "video"}
                    if kind in _DIP_COLOUR:
                        c = str(_DIP_COLOUR[kind])
                        effect["parameter"] = {"parameterid": "dipcolor", "name": "Color",
                                               "value": {"alpha": "255", "red": c,
                                                         "green": c, "blue": c}}
                item.name = name
                item.metadata["fcp_xml"] = {"effect": effect}
            elif target.adapter == "cmx_3600":
                item.transition_type = otio.schema.TransitionTypes.SMPTE_Dissolve
            elif target.adapter != "otio_json":
                # a cut where the overlap's middle is: the neighbours keep their ranges
                del track[k]
        for item in track:
            if isinstance(item, otio.schema.Clip):
                # whole frames of each file (a take at another rate than the film's can have
                # a fractional share of an overlap): editors' formats count frames
                r = item.source_range
                if target.adapter == "cmx_3600":  # an EDL counts every timecode at one rate
                    rate = float(plan.format.fps)
                    r = otio.opentime.TimeRange(r.start_time.rescaled_to(rate),
                                                r.duration.rescaled_to(rate))
                    ref = item.media_reference
                    if ref.available_range is not None:
                        a = ref.available_range
                        ref.available_range = otio.opentime.TimeRange(
                            a.start_time.rescaled_to(rate), a.duration.rescaled_to(rate))
                start = round(r.start_time.value)
                end = round(r.start_time.value + r.duration.value)
                item.source_range = otio.opentime.TimeRange(
                    otio.opentime.RationalTime(start, r.start_time.rate),
                    otio.opentime.RationalTime(end - start, r.start_time.rate))
    return timeline


def write_nle(project: Project, path: Path, target: NleTarget | str,
              plan: ExportPlan | None = None) -> Path:
    """Write the file ``target``'s editor imports (atomically) and return it."""
    import opentimelineio as otio

    t = target if isinstance(target, NleTarget) else nle_target(target)
    if plan is None:
        from soraboard.stitch.export import probe_takes

        files, probes, _ = probe_takes(project)
        plan = build_plan(project.storyboard, project.takes, files, probes, FINAL)
    with warnings.catch_warnings():
        # otio-fcp-adapter 1.0 tests an XML element's truth value, which Python 3.12 deprecates
        # (the result is still right): that one warning, by its message, nothing wider
        warnings.filterwarnings("ignore", message="Testing an element's truth value",
                                category=DeprecationWarning)
        text: str = otio.adapters.write_to_string(nle_timeline(plan, t), t.adapter)
    if t.adapter == "fcp_xml":
        text = fcp7_element_order(text)
    elif t.adapter == "fcpx_xml":
        text = fcpx_transitions(text, plan)
    atomic_write_text(Path(path), text)
    return Path(path)


#: the FCP 7 XML (xmeml) order of the elements OpenTimelineIO's adapter writes from metadata,
#: which it sorts by name: a transition's effect after its timing, an effect's name first
_XMEML_ORDER = {
    "transitionitem": ("start", "end", "alignment", "cutPointTicks", "rate", "effect"),
    "effect": ("name", "effectid", "effectcategory", "effecttype", "mediatype", "wipecode",
               "wipeaccuracy", "startratio", "endratio", "reverse", "parameter"),
    "parameter": ("parameterid", "name", "value"),
}


def fcp7_element_order(text: str) -> str:
    """The adapter's FCP 7 XML with each transition's elements in the order Premiere writes
    them (strict readers expect the DTD's order; others do not mind)."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(text)
    for tag, order in _XMEML_ORDER.items():
        for element in root.iter(tag):
            if tag == "parameter" and element.find("parameterid") is None:
                continue
            children = list(element)
            rank = {name: k for k, name in enumerate(order)}
            children.sort(key=lambda c: rank.get(c.tag, len(order)))
            for child in children:
                element.remove(child)
            element.extend(children)
            if tag == "parameter":
                value = element.find("value")
                if value is not None and value.find("alpha") is not None:
                    argb = {c.tag: c for c in value}
                    for c in list(value):
                        value.remove(c)
                    value.extend(argb[k] for k in ("alpha", "red", "green", "blue")
                                 if k in argb)
    ET.indent(root, space="    ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE xmeml>\n' + ET.tostring(
        root, encoding="unicode") + "\n"


def _fcpx_time(text: str | None) -> Fraction:
    """An FCPXML time (``0s``, ``2s``, ``1001/30000s``) in seconds."""
    value = (text or "0s").rstrip("s")
    return Fraction(value) if value else Fraction(0)


def _fcpx_text(seconds: Fraction) -> str:
    return f"{seconds.numerator}s" if seconds.denominator == 1 else (
        f"{seconds.numerator}/{seconds.denominator}s")


def fcpx_transitions(text: str, plan: ExportPlan) -> str:
    """The adapter's FCPXML with a Final Cut Pro transition at every join that is not a cut:
    centred as the film's overlap is (its incoming share before the edit point), each
    referring to an ``effect`` resource by the uid Final Cut Pro uses (see ``_FCPX``).

    The adapter writes one spine item per segment at the edit points the overlaps' middles
    make; a spine that does not line up with the plan is left as it is (cuts)."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(text)
    resources, spine = root.find("resources"), root.find(".//spine")
    if resources is None or spine is None:
        return text
    items = [e for e in spine if e.tag in ("clip", "asset-clip", "gap", "ref-clip")]
    if len(items) != len(plan.sources) or len(list(spine)) != len(items):
        return text
    frame = 1 / plan.format.fps
    ids: dict[str, str] = {}
    used = {e.get("id") for e in resources}
    for j in reversed(plan.joins):
        if j.is_cut or j.frames <= 0:
            continue
        name, (effect_name, uid), _ = _FCPX[j.type]
        if uid not in ids:
            n = len(used) + 1
            while f"r{n}" in used:
                n += 1
            ids[uid] = f"r{n}"
            used.add(ids[uid])
            ET.SubElement(resources, "effect", {"id": ids[uid], "name": effect_name,
                                                "uid": uid})
        edit = _fcpx_time(items[j.index + 1].get("offset"))
        inside, _ = _shares(j.frames)
        # on the sequence's frame grid (a take at another rate has whole frames of its own:
        # the adapter's edit point can fall between two of the film's)
        start = round((edit - inside * frame) / frame) * frame
        transition = ET.Element("transition", {
            "name": name, "offset": _fcpx_text(start),
            "duration": _fcpx_text(j.frames * frame)})
        ET.SubElement(transition, "filter-video", {"ref": ids[uid], "name": effect_name})
        spine.insert(list(spine).index(items[j.index + 1]), transition)
    ET.indent(root, space="    ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n\n' + ET.tostring(
        root, encoding="unicode") + "\n"
