"""The .otio hand-off reads back in OpenTimelineIO with the takes, trims and transitions."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from soraboard.model.storyboard import TransitionType as T
from soraboard.stitch.export import prepare_export
from soraboard.stitch.otio import (
    UnknownNle,
    build_timeline,
    nle_losses,
    nle_target,
    write_nle,
    write_otio,
)
from soraboard.stitch.plan import ExportPlan
from soraboard.storage.bundle import Project
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


@pytest.fixture
def mixed(tmp_path: Path) -> tuple[Project, ExportPlan]:
    """A film with a crossfade, a wipe and a take at another rate (24 fps in a 30 fps film)."""
    project = make_project(tmp_path, [ClipSpec("a.mp4", 2.0, "red", trim_in=0.5),
                                      ClipSpec("b.mp4", 2.0, "blue", fps="24"),
                                      ClipSpec("c.mp4", 1.0, "lime")],
                           [(T.CROSSFADE, 0.5), (T.WIPE_LEFT, 0.4)])
    return project, prepare_export(project, "final").plan


def test_resolve_and_premiere_get_fcp7_xml_with_the_editors_effects(
        tmp_path: Path, mixed: tuple[Project, ExportPlan]) -> None:
    project, plan = mixed
    for name in ("resolve", "premiere"):
        target = nle_target(name)
        assert nle_losses(plan, target) == [
            f"segment 2 “Shot 2” → segment 3 “Shot 3”: the wipe left becomes Edge Wipe in "
            f"{target.editor} (its direction is the effect's default)"]
        out = write_nle(project, tmp_path / f"{name}.xml", target, plan)
        text = out.read_text("utf-8")
        assert "<effectid>Cross Dissolve</effectid>" in text
        assert "<effectid>Edge Wipe</effectid>" in text
        assert "<effectid>KGAudioTransCrossFade3dB</effectid>" in text
        tl = otio.adapters.read_from_file(str(out), "fcp_xml")
        assert [t.kind for t in tl.tracks] == ["Video", "Audio"]
        for track in tl.tracks:
            assert [type(i).__name__ for i in track] == [
                "Clip", "Transition", "Clip", "Transition", "Clip"]
            assert track.duration().to_frames() == plan.total_frames
            for clip in track.find_clips():
                _inside(clip)


@pytest.mark.parametrize("name", ["resolve", "premiere"])
def test_fcp7_effects_are_named_as_the_editors_write_them(tmp_path: Path, name: str) -> None:
    """Read back through OTIO's adapter: each transition's effect as Premiere's own FCP 7 XML
    names it (see the sources cited in soraboard/stitch/otio.py), the dip's colour included."""
    project = make_project(tmp_path, [ClipSpec(f"{k}.mp4", 1.0, "red") for k in range(5)],
                           [(T.CROSSFADE, 0.4), (T.FADE_BLACK, 0.4), (T.FADE_WHITE, 0.4),
                            (T.SLIDE_LEFT, 0.4)])
    plan = prepare_export(project, "final").plan
    out = write_nle(project, tmp_path / f"{name}.xml", name, plan)
    slide = "Edge Wipe" if name == "resolve" else "Push Slide"  # Resolve imports no slide
    # the names, as OpenTimelineIO's adapter reads them back
    video, audio = otio.adapters.read_from_file(str(out), "fcp_xml").tracks
    assert [t.name for t in video if isinstance(t, otio.schema.Transition)] == [
        "Cross Dissolve", "Dip to Color Dissolve", "Dip to Color Dissolve", slide]
    assert [t.name for t in audio if isinstance(t, otio.schema.Transition)] == [
        "Cross Fade (+3dB)", "Cross Fade ( 0dB)", "Cross Fade ( 0dB)", "Cross Fade (+3dB)"]
    # the ids, categories and the dip's colour (the adapter keeps no effect metadata)
    root = ET.parse(out).getroot()
    effects = [e for m in root.iter("video") for e in m.iter("effect")]
    assert [(e.findtext("name"), e.findtext("effectid"), e.findtext("effectcategory"),
             e.findtext("mediatype")) for e in effects] == [
        ("Cross Dissolve", "Cross Dissolve", "Dissolve", "video"),
        ("Dip to Color Dissolve", "Dip to Color Dissolve", "Dissolve", "video"),
        ("Dip to Color Dissolve", "Dip to Color Dissolve", "Dissolve", "video"),
        (slide, slide, "Wipe" if name == "resolve" else "Slide", "video")]
    for effect, channel in zip(effects[1:3], ["0", "255"]):  # black, then white
        param = effect.find("parameter")
        assert param is not None
        assert [c.tag for c in param] == ["parameterid", "name", "value"]
        assert (param.findtext("parameterid"), param.findtext("name")) == ("dipcolor", "Color")
        value = param.find("value")
        assert value is not None
        assert [(c.tag, c.text) for c in value] == [
            ("alpha", "255"), ("red", channel), ("green", channel), ("blue", channel)]
    sounds = [e for m in root.iter("audio") for e in m.iter("effect")]
    assert [(e.findtext("name"), e.findtext("effectid"), e.findtext("mediatype"),
             e.find("effectcategory")) for e in sounds] == [
        ("Cross Fade (+3dB)", "KGAudioTransCrossFade3dB", "audio", None),
        ("Cross Fade ( 0dB)", "KGAudioTransCrossFade0dB", "audio", None),
        ("Cross Fade ( 0dB)", "KGAudioTransCrossFade0dB", "audio", None),
        ("Cross Fade (+3dB)", "KGAudioTransCrossFade3dB", "audio", None)]
    # each transition in the DTD's order: timing first, then the effect
    for item in root.iter("transitionitem"):
        assert [c.tag for c in item][:3] == ["start", "end", "alignment"]
        assert [c.tag for c in item][-1] == "effect"
        effect = item.find("effect")
        assert effect is not None and [c.tag for c in effect][:2] == ["name", "effectid"]
    # a fade through white keeps its colour now: only the slide's direction is lost
    assert [line.split(": ", 1)[1] for line in nle_losses(plan, nle_target(name))] == [
        f"the slide left becomes {slide} in {nle_target(name).editor} ("
        + ("Resolve imports no slide from FCP 7 XML: an edge wipe in the effect's default "
           "direction)" if name == "resolve" else "its direction is the effect's default)")]


def test_fcpx_gets_final_cut_pros_own_transitions(tmp_path: Path,
                                                 mixed: tuple[Project, ExportPlan]) -> None:
    project, plan = mixed
    target = nle_target("fcpx")
    assert nle_losses(plan, target) == [
        "segment 2 “Shot 2” → segment 3 “Shot 3”: the wipe left becomes Cross Dissolve in "
        "Final Cut Pro (its own wipes and slides are not written: a cross dissolve)"]
    out = write_nle(project, tmp_path / "film.fcpxml", target, plan)
    text = out.read_text("utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>')
    assert 'hasAudio="1"' in text  # the takes' sound goes along
    root = ET.fromstring(text)
    effects = {e.get("id"): (e.get("name"), e.get("uid")) for e in root.iter("effect")}
    assert set(effects.values()) == {
        ("Cross Dissolve", "FxPlug:4731E73A-8DAC-4113-9A30-AE85B1761265")}
    spine = root.find(".//spine")
    assert spine is not None
    assert [e.tag for e in spine] == ["clip", "transition", "clip", "transition", "clip"]
    fps = plan.format.fps
    for k, join in enumerate(plan.joins):
        transition, after = spine[2 * k + 1], spine[2 * k + 2]
        filt = transition.find("filter-video")
        assert filt is not None and effects[filt.get("ref")][0] == "Cross Dissolve"
        # the overlap's frames of the film: from the incoming clip's share before its edit
        edit = Fraction((after.get("offset") or "0s").rstrip("s"))
        start = Fraction((transition.get("offset") or "").rstrip("s"))
        length = Fraction((transition.get("duration") or "").rstrip("s"))
        assert length * fps == join.frames
        # on a frame of the film, where its overlap starts; the edit point inside it, within
        # a frame of the incoming share (the 24 fps take's whole frames move it)
        assert start * fps == plan.start_frame(join.index + 1)
        assert abs((edit - start) * fps - (join.frames - join.frames // 2)) < 1
    # OpenTimelineIO's adapter still reads the file (it skips transitions)
    tl = otio.adapters.read_from_file(str(out), "fcpx_xml")
    for track in tl.tracks:
        assert [type(i).__name__ for i in track] == ["Clip", "Clip", "Clip"]
        # whole frames of the 24 fps take: within a frame of the film
        assert abs(track.duration().to_seconds() - plan.duration) <= 1 / 24


def test_edl_keeps_the_record_timecodes_of_the_film(tmp_path: Path,
                                                    mixed: tuple[Project, ExportPlan]) -> None:
    project, plan = mixed
    target = nle_target("edl")
    assert [line.split(": ", 1)[1] for line in nle_losses(plan, target)] == [
        "its source timecodes are counted at the film's 30 fps, not its own 24 fps "
        "(an EDL has one rate)",
        "the wipe left becomes a dissolve (D) in a CMX 3600 EDL (an EDL written through "
        "OpenTimelineIO has only dissolves)"]
    out = write_nle(project, tmp_path / "film.edl", target, plan)
    events = [ln.split() for ln in out.read_text("utf-8").splitlines() if ln[:3].isdigit()]
    # the last event ends where the film does; the dissolves start where the film's overlaps do
    assert events[-1][-1] == "00:00:03:18" and plan.total_frames == 108
    dissolves = [e for e in events if e[3] == "D"]
    assert [(e[4], e[-2]) for e in dissolves] == [("015", "00:00:01:00"), ("012", "00:00:02:18")]
    tl = otio.adapters.read_from_file(str(out), "cmx_3600")
    assert len(tl.tracks[0].find_clips()) == 3


def test_kdenlive_gets_an_otio_file_it_reads_itself(tmp_path: Path,
                                                    mixed: tuple[Project, ExportPlan]) -> None:
    project, plan = mixed
    out = write_nle(project, tmp_path / "film.otio", "kdenlive", plan)
    tl = otio.adapters.read_from_file(str(out), "otio_json")
    assert [t.name for t in tl.tracks] == ["Video", "Audio"]
    with pytest.raises(UnknownNle, match="unknown editor 'avid'; choose one of resolve"):
        nle_target("avid")


def test_export_nle_says_what_is_lost_then_writes_beside_the_film(
        tmp_path: Path, mixed: tuple[Project, ExportPlan],
        capsys: pytest.CaptureFixture[str]) -> None:
    from soraboard.cli import main

    project, _ = mixed
    film = tmp_path / "film.mp4"
    assert main(["export", str(project.bundle.path), "-o", str(film),
                 "--nle", "edl"]) == 0
    err = capsys.readouterr().err
    note = err.index("note: segment 2 “Shot 2” → segment 3 “Shot 3”: the wipe left becomes")
    assert note < err.index("export: ") < err.index(f"Wrote {tmp_path / 'film.edl'}")
    assert (tmp_path / "film.edl").is_file()


def test_the_music_bed_repeats_in_its_track_as_in_the_film(tmp_path: Path) -> None:
    import subprocess

    from soraboard.media.ffmpeg import find_ffmpeg
    from soraboard.stitch.plan import Soundtrack

    music = tmp_path / "theme.m4a"
    subprocess.run([find_ffmpeg().path, "-v", "error", "-f", "lavfi", "-i", "sine=d=1.5",
                    str(music)], check=True)
    project = make_project(tmp_path, [ClipSpec("a.mp4", 2.0, "red"),
                                      ClipSpec("b.mp4", 2.0, "blue", audio=False)],
                           [(T.FADE_WHITE, 0.5)])
    plan = prepare_export(project, "final", music=Soundtrack(music)).plan
    for name in ("resolve", "fcpx", "edl", "kdenlive"):
        target = nle_target(name)
        out = write_nle(project, tmp_path / f"film{target.suffix}", target, plan)
        otio.adapters.read_from_file(str(out), target.adapter)
    tl = otio.adapters.read_from_file(str(tmp_path / "film.otio"), "otio_json")
    bed = tl.tracks[2]
    assert bed.name == "Music" and len(bed) == 3  # 1.5 + 1.5 + 0.5 s: the film is 3.5 s
    assert [round(c.source_range.duration.to_seconds(), 3) for c in bed] == [1.5, 1.5, 0.5]
    assert all(c.available_range().duration.to_seconds() == pytest.approx(1.5, abs=0.03)
               for c in bed)


def test_fcpx_fades_through_a_colour_are_final_cut_pros_fade_to_color(tmp_path: Path) -> None:
    project = make_project(tmp_path, [ClipSpec(f"{k}.mp4", 1.0, "red") for k in range(3)],
                           [(T.FADE_BLACK, 0.4), (T.FADE_WHITE, 0.4)])
    plan = prepare_export(project, "final").plan
    target = nle_target("fcpx")
    assert nle_losses(plan, target) == [
        "segment 2 “Shot 2” → segment 3 “Shot 3”: the fade through white becomes Fade To "
        "Color in Final Cut Pro (its colour is the effect's default, black, not white)"]
    root = ET.parse(write_nle(project, tmp_path / "f.fcpxml", target, plan)).getroot()
    assert [(e.get("name"), e.get("uid")) for e in root.iter("effect")] == [
        ("Fade To Color", "FxPlug:F779C565-486D-4633-8035-0374B4DB8F5C")]
    assert [t.get("name") for t in root.iter("transition")] == ["Fade To Color"] * 2
