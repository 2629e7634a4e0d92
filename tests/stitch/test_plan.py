"""The export plan is pure: golden tests of its decisions and of its ffmpeg argument lists."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from soraboard.media.probe import AudioStream, MediaInfo, VideoStream
from soraboard.model.storyboard import Segment, Storyboard, Transition
from soraboard.model.storyboard import TransitionType as T
from soraboard.model.take import RequestSnapshot, Take, TakeStatus
from soraboard.stitch.plan import ExportBlocked, Soundtrack, build_plan, encode_args
from soraboard.stitch.presets import FINAL, PREVIEW, preset


def _info(name: str, size: tuple[int, int] = (1280, 720), fps: int = 30, duration: float = 2.0,
          audio: bool = True, sar: Fraction = Fraction(1)) -> MediaInfo:
    v = VideoStream("h264", "High", "yuv420p", size[0], size[1], sar, Fraction(fps), "tv",
                    Fraction(1, 15360), round(duration * fps), duration)
    a = AudioStream("aac", 44100, 1, "mono") if audio else None
    return MediaInfo(Path(f"/m/{name}"), "mov,mp4", duration, v, a)


def _board(*transitions: Transition, n: int = 2, status: TakeStatus = TakeStatus.DONE,
           **seg: object) -> tuple[Storyboard, dict[str, Take]]:
    segs, takes = [], {}
    for i in range(n):
        t = Take(f"t{i}", f"s{i}", "import", RequestSnapshot("p", "sora-2", "1280x720", 2.0),
                 status, file=f"media/{i}.mp4")
        takes[t.id] = t
        fields = dict(seg) if i == 0 else {}
        segs.append(Segment(f"s{i}", "sora-2", "1280x720", 2.0, title=f"Shot {i + 1}",
                            chosen_take=t.id,
                            transition_out=transitions[i] if i < len(transitions) else Transition(),
                            **fields))  # type: ignore[arg-type]
    return Storyboard(title="Film", segments=tuple(segs)), takes


FILES = {f"t{i}": Path(f"/m/{i}.mp4") for i in range(4)}


def test_crossfade_plan_and_its_golden_argument_list() -> None:
    sb, takes = _board(Transition(T.CROSSFADE, 0.5), trim_in=0.25)
    probes = {"t0": _info("0.mp4"), "t1": _info("1.mp4", audio=False)}
    plan = build_plan(sb, takes, FILES, probes, FINAL)
    # the trim in (0.25 s, between frames 7 and 8) moves onto frame 7: the sound then starts
    # with the first picture used
    assert plan.sources[0].t_in == pytest.approx(7 / 30)
    assert [s.frames for s in plan.sources] == [53, 60]  # frames 7 to 59, and 2 s at 30 fps
    assert plan.joins[0].frames == 15
    assert plan.total_frames == 98 and plan.duration == pytest.approx(98 / 30)
    assert plan.total_samples == (98 * 1600)
    assert encode_args(plan, "/out/film.mp4") == [
        "-ss", "0.216667", "-t", "1.85", "-i", "/m/0.mp4",
        "-t", "2.066667", "-i", "/m/1.mp4",
        "-filter_complex",
        "[0:v:0]setpts=PTS-STARTPTS,setsar=1,fps=30,tpad=stop_mode=clone:stop=2,trim=end_frame=53,"
        "setpts=PTS-STARTPTS,format=yuv420p[v0];"
        "[0:a:0]asetpts=PTS-STARTPTS,atrim=start=0.016667,asetpts=PTS-STARTPTS,aresample=48000,"
        "aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=end_sample=84800[a0];"
        "[1:v:0]setpts=PTS-STARTPTS,setsar=1,fps=30,tpad=stop_mode=clone:stop=2,trim=end_frame=60,"
        "setpts=PTS-STARTPTS,format=yuv420p[v1];"
        "anullsrc=r=48000:cl=stereo,atrim=end_sample=96000[a1];"
        "[v0][v1]xfade=transition=fade:duration=0.5:offset=1.266667[vj0];"
        "[vj0]setparams=range=tv:color_primaries=bt709:color_trc=bt709:colorspace=bt709[vout];"
        "[a0][a1]acrossfade=ns=24000:c1=tri:c2=tri[aj0];[aj0]anull[aout]",
        "-map", "[vout]", "-map", "[aout]",
        "-c:v", "libx264", "-profile:v", "high", "-preset", "medium", "-crf", "18",
        "-pix_fmt", "yuv420p", "-r", "30", "-c:a", "aac", "-b:a", "192k", "-ar", "48000",
        "-ac", "2", "-movflags", "+faststart", "-f", "mp4", "/out/film.mp4"]


def test_mixed_inputs_are_scaled_and_padded_and_fades_dip_the_sound() -> None:
    sb, takes = _board(Transition(T.FADE_BLACK, 1.0), Transition(), n=3)
    probes = {"t0": _info("0.mp4", (1920, 1080), 24), "t1": _info("1.mp4", (640, 480), 30),
              "t2": _info("2.mp4", (720, 480), 30, sar=Fraction(32, 27))}
    plan = build_plan(sb, takes, FILES, probes, FINAL)
    assert plan.format.fps == 30 and plan.format.size == "1280x720"
    graph = encode_args(plan, "o.mp4")[encode_args(plan, "o.mp4").index("-filter_complex") + 1]
    chains = graph.split(";")
    assert chains[0] == (
        "[0:v:0]setpts=PTS-STARTPTS,scale=1280:720:force_original_aspect_ratio=decrease"
        ":force_divisible_by=2,pad=1280:720:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,fps=30,"
        "tpad=stop_mode=clone:stop=2,trim=end_frame=60,setpts=PTS-STARTPTS,format=yuv420p[v0]")
    assert chains[4].startswith("[2:v:0]setpts=PTS-STARTPTS,scale=trunc(iw*32/27/2)*2:ih,"
                                "scale=1280:720:force_original_aspect_ratio=decrease")
    assert "[v0][v1]xfade=transition=fadeblack:duration=1:offset=1[vj0]" in chains
    assert "[vj0][v2]concat=n=2:v=1:a=0,settb=1/30[vj1]" in chains
    # the dip: 1 s = 48000 samples; the first clip keeps 96000-48000+24000 samples and fades
    # its last 24000 out, the second drops its first 24000 and fades the next 24000 in
    assert "[a0]atrim=end_sample=72000,afade=t=out:ss=48000:ns=24000[aj0x]" in chains
    assert "[a1]atrim=start_sample=24000,asetpts=PTS-STARTPTS,afade=t=in:ss=0:ns=24000[aj0y]" in chains
    assert plan.total_frames == 150


def test_preview_is_640_wide_with_music_ducked_and_loudness() -> None:
    sb, takes = _board(Transition(T.WIPE_LEFT, 0.5))
    probes = {"t0": _info("0.mp4"), "t1": _info("1.mp4")}
    plan = build_plan(sb, takes, FILES, probes, PREVIEW, music=Soundtrack(Path("/m/theme.m4a")),
                      loudnorm=True)
    assert plan.format.size == "640x360"
    args = encode_args(plan, "o.mp4")
    assert args[args.index("-stream_loop"):args.index("-stream_loop") + 4] == [
        "-stream_loop", "-1", "-i", "/m/theme.m4a"]
    graph = args[args.index("-filter_complex") + 1].split(";")
    assert graph[-5:] == [
        "[2:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,"
        "atrim=end_sample=168000,asetpts=PTS-STARTPTS,afade=t=in:d=1.75,afade=t=out:st=1.75:d=1.75,"
        "volume=0.8[mus]",
        "[aj0]asplit=2[film][key]",
        "[mus][key]sidechaincompress=threshold=0.03:ratio=8:attack=20:release=400[duck]",
        "[film][duck]amix=inputs=2:duration=first:normalize=0[mixed]",
        "[mixed]loudnorm=I=-14:TP=-1.5:LRA=11,aresample=48000,apad,atrim=end_sample=168000[aout]"]
    assert "-preset" in args and args[args.index("-preset") + 1] == "veryfast"


def test_a_segment_without_a_usable_take_blocks_export_and_is_named() -> None:
    sb, takes = _board(n=3)
    takes["t1"] = takes["t1"].with_changes(status=TakeStatus.FAILED)
    sb = Storyboard(title="F", segments=(*sb.segments[:2],
                                         sb.segments[2].with_changes(chosen_take=None)))
    with pytest.raises(ExportBlocked) as ei:
        build_plan(sb, takes, FILES, {"t0": _info("0"), "t1": _info("1")})
    assert ei.value.problems == [
        "segment 2 “Shot 2” has no usable take (the chosen one is failed); generate or choose a take",
        "segment 3 “Shot 3” has no take; generate or choose a take"]
    # the sequence preview shows them as slates instead
    plan = build_plan(sb, takes, FILES, {"t0": _info("0")}, PREVIEW, allow_slates=True)
    assert [s.is_slate for s in plan.sources] == [False, True, True]
    assert plan.total_frames == 180


def test_a_transition_longer_than_its_clips_is_shortened_with_a_note() -> None:
    sb, takes = _board(Transition(T.CROSSFADE, 5.0))
    plan = build_plan(sb, takes, FILES, {"t0": _info("0"), "t1": _info("1", duration=1.0)})
    assert plan.joins[0].frames == 30
    assert plan.notes and "shortened to 1.00 s" in plan.notes[0]


def test_presets_by_name() -> None:
    assert preset("final") is FINAL and preset("preview") is PREVIEW
    assert preset("smart").smart
    with pytest.raises(ValueError, match="unknown preset 'best'"):
        preset("best")
