"""Smart render: copied frames equal the source, the film decodes cleanly, lengths and sync hold."""

from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from soraboard.model.storyboard import TransitionType as T
from soraboard.stitch.export import prepare_export, run_export
from soraboard.stitch.plan import ExportPlan, Join, Source
from soraboard.stitch.runner import Progress
from soraboard.stitch.smart import (
    CopyPiece,
    SmartSource,
    Window,
    WindowPart,
    plan_smart,
    x264_params,
    x264_profile,
)
from tests.stitch.helpers import (
    ClipSpec,
    decode_errors,
    ff,
    frame_at,
    make_project,
    stream_durations,
)

MEDIUM = ("-preset", "medium", "-crf", "23")  # B-frames, CABAC: what real takes look like


def _md5s(path: Path) -> list[str]:
    """The decoded frames' MD5s, in display order."""
    out = subprocess.run([ff(), "-v", "error", "-i", str(path), "-map", "0:v:0", "-f", "framemd5",
                          "-"], capture_output=True, text=True, check=True).stdout
    return [ln.rsplit(",", 1)[1].strip() for ln in out.splitlines() if ln and not ln.startswith("#")]


def _check_copies(prepared: object, out: Path) -> int:
    """Every copied frame of the film equals its source frame; returns how many were checked."""
    smart = prepared.smart  # type: ignore[attr-defined]
    film = _md5s(out)
    pos = checked = 0
    sources: dict[int, list[str]] = {}
    for piece in smart.pieces:
        if isinstance(piece, CopyPiece):
            path = smart.plan.sources[piece.index].path
            src = sources.setdefault(piece.index, _md5s(path))
            assert film[pos:pos + piece.frames] == src[piece.start:piece.end]
            checked += piece.frames
        pos += piece.frames
    assert pos == len(film)
    # the header holds the one set of parameter sets (avc1): then every copied sample is its
    # take's packet, byte for byte — no delimiter, no repeated SPS/PPS added on the way
    banner = subprocess.run([ff(), "-hide_banner", "-i", str(out)], capture_output=True,
                            text=True).stderr
    if "(avc1 /" in banner:
        joined = "," + ",".join(h for _, h in _packets(out)) + ","
        for piece in smart.pieces:
            if isinstance(piece, CopyPiece):
                src = smart.sources[piece.index]
                hi = src.pts[piece.end] if piece.end < src.count else None
                run = [h for p, h in _packets(smart.plan.sources[piece.index].path)
                       if p >= src.pts[piece.start] and (hi is None or p < hi)]
                assert len(run) == piece.frames
                assert "," + ",".join(run) + "," in joined  # in decode order, in one run
    return checked


def _packets(path: Path) -> list[tuple[int, str]]:
    """(pts, MD5) of every video packet as stored, in decode order (the demuxer's pts)."""
    out = subprocess.run([ff(), "-v", "error", "-copyts", "-i", str(path), "-map", "0:v:0",
                          "-c", "copy", "-f", "framemd5", "-"], capture_output=True, text=True,
                         check=True).stdout
    rows = [ln.split(",") for ln in out.splitlines() if ln and not ln.startswith("#")]
    return [(int(r[2]), r[-1].strip()) for r in rows]


def test_smart_copies_outside_the_windows_bit_for_bit(tmp_path: Path) -> None:
    project = make_project(tmp_path, [
        ClipSpec("a.mp4", 3.0, None, gop=30, extra=MEDIUM),
        ClipSpec("b.mp4", 3.0, None, pattern="testsrc", gop=30, audio=False, extra=MEDIUM),
        ClipSpec("c.mp4", 3.0, None, pattern="rgbtestsrc", gop=30, extra=MEDIUM, trim_in=0.5),
        ClipSpec("d.mp4", 2.0, None, gop=30, extra=MEDIUM, tone_hz=660),
    ], [(T.CROSSFADE, 0.5), (T.CUT, 0), (T.WIPE_LEFT, 0.5)])
    prepared = prepare_export(project, "smart")
    assert prepared.fallback_reasons == [] and prepared.mode == "smart"
    # a copy starts on an IDR and ends after any closed run of frames in decode order (a
    # mini-GOP), so the windows reach from just before each transition to the next IDR
    assert prepared.summary == ("copies 6.9 s of the takes frame-exact, encodes 2.6 s "
                                "around 2 transitions")
    out = tmp_path / "smart.mp4"
    seen: list[Progress] = []
    result = run_export(prepared, out, on_progress=seen.append)
    assert decode_errors(out) == ""
    frames, vdur, adur = stream_durations(out)
    assert frames == prepared.plan.total_frames == 90 + 90 + 75 + 60 - 15 - 15
    assert vdur == pytest.approx(frames / 30, abs=1e-3) and abs(adur - vdur) <= 1 / 30
    assert _check_copies(prepared, out) == 206
    # the windows used the takes' own x264 settings: identical SPS/PPS, plain avc1
    assert result.notes == () and prepared.state.tag == "avc1"
    assert any(p.stage == "Encoding transition 2 of 2" for p in seen)
    assert seen[-1].fraction == 1.0


def test_cut_only_compatible_clips_are_stream_copied(tmp_path: Path) -> None:
    project = make_project(tmp_path, [ClipSpec("a.mp4", 2.0, None, gop=30, extra=MEDIUM,
                                               trim_out=1.0),
                                      ClipSpec("b.mp4", 2.0, None, pattern="testsrc", gop=30,
                                               extra=MEDIUM, trim_in=1.0),
                                      ClipSpec("c.mp4", 2.0, "red", gop=30, extra=MEDIUM)])
    prepared = prepare_export(project, "smart")
    assert prepared.mode == "copy" and prepared.smart is not None
    assert prepared.summary.startswith("copies all 4.0 s of the takes frame-exact")
    work = tmp_path / "work"
    work.mkdir()
    # whole GOPs only: one ffmpeg run joins the takes straight from their files
    assert [s.label for s in prepared.steps(tmp_path / "x.mp4", work)][-1] == (
        "Copying 4.0 s of the takes, encoding the sound")
    out = tmp_path / "cut.mp4"
    run_export(prepared, out)
    assert decode_errors(out) == ""
    assert _check_copies(prepared, out) == 120
    frames, vdur, adur = stream_durations(out)
    assert frames == 120 and abs(adur - vdur) <= 1 / 30


def test_clips_from_different_encoder_settings_still_decode_cleanly(tmp_path: Path) -> None:
    # no B-frames next to B-frames, other GOP lengths: different delay and parameter sets
    project = make_project(tmp_path, [ClipSpec("fast.mp4", 2.0, None, gop=20,
                                               extra=(*MEDIUM, "-bf", "0")),
                                      ClipSpec("slow.mp4", 2.0, None, pattern="testsrc", gop=30,
                                               extra=MEDIUM)], [(T.CROSSFADE, 0.5)])
    prepared = prepare_export(project, "smart")
    out = tmp_path / "mixed.mp4"
    result = run_export(prepared, out)
    assert decode_errors(out) == ""
    assert stream_durations(out)[0] == 105
    assert _check_copies(prepared, out) > 0
    assert prepared.state.tag == "avc3" and "in band (avc3)" in result.notes[0]


def test_a_crossfade_between_a_copied_and_an_encoded_clip(tmp_path: Path) -> None:
    # the second clip has another size and rate: it is encoded whole, scaled and at 30 fps,
    # the crossfade window takes the first clip's tail; the rest of the first is copied
    project = make_project(tmp_path, [ClipSpec("a.mp4", 1.0, None, extra=MEDIUM),
                                      ClipSpec("b.mp4", 1.0, "blue", size="640x360", fps="25",
                                               tone_hz=1000)],
                           [(T.CROSSFADE, 0.5)])
    prepared = prepare_export(project, "smart")
    assert prepared.mode == "smart" and prepared.fallback_reasons == []
    assert [r.status for r in prepared.segments] == [
        "copied", "640x360, the film is 320x180; 25 fps, the film is 30 fps"]
    assert prepared.segments[1].text == ("segment 2 “Shot 2”: encoded — 640x360, the film is "
                                         "320x180; 25 fps, the film is 30 fps")
    assert prepared.summary.endswith("(1 of 2 takes whole, and around 1 transition)")
    out = tmp_path / "f.mp4"
    result = run_export(prepared, out)
    assert decode_errors(out) == ""
    frames, vdur, adur = stream_durations(out)
    assert frames == prepared.plan.total_frames == 45 and abs(adur - vdur) <= 1 / 30
    assert _check_copies(prepared, out) == prepared.smart.copied_frames > 0  # type: ignore[union-attr]
    assert [r.status for r in result.segments] == [r.status for r in prepared.segments]
    last = frame_at(out, 44).astype(int)  # the encoded clip, scaled to the film: all blue
    assert last[90, 5, 2] > 180 and last[90, 314, 2] > 180 and last[90, 160, 0] < 60


def test_when_nothing_can_be_copied_the_smart_preset_encodes_all_and_says_why(
        tmp_path: Path) -> None:
    project = make_project(tmp_path, [ClipSpec("a.mp4", 1.0, "red", size="640x360", fps="25"),
                                      ClipSpec("b.mp4", 1.0, "blue", fps="25")],
                           [(T.CROSSFADE, 0.5)], size="320x180")
    prepared = prepare_export(project, "smart")
    assert prepared.mode == "full" and prepared.smart is None
    assert prepared.fallback_reasons == [
        "segment 1 “Shot 1”: 640x360, the film is 320x180",
        # no IDR after the crossfade: ultrafast's one GOP starts at its first frame
        "segment 2 “Shot 2”: no IDR frame outside its transitions to start a copy from"]
    assert prepared.summary.startswith("full encode: segment 1 “Shot 1”: 640x360")
    assert "frame-exact" not in prepared.summary
    out = tmp_path / "f.mp4"
    result = run_export(prepared, out)
    assert stream_durations(out)[0] == 38 and decode_errors(out) == ""
    assert result.mode == "full" and [r.copied for r in result.segments] == [False, False]


def test_cuts_next_to_encoded_clips_keep_copies_exact_and_sound_in_sync(tmp_path: Path) -> None:
    # three takes in the film's format, a portrait phone clip and a 25 fps clip between them
    tones = [500, 1000, 1500, 2000, 2500]
    project = make_project(tmp_path, [
        ClipSpec("a.mp4", 1.5, None, gop=15, tone_hz=tones[0], extra=MEDIUM),
        ClipSpec("phone.mp4", 1.0, "lime", size="180x320", tone_hz=tones[1]),
        ClipSpec("b.mp4", 1.5, None, pattern="testsrc", gop=15, tone_hz=tones[2], extra=MEDIUM,
                 trim_in=0.5),
        ClipSpec("pal.mp4", 1.0, None, pattern="rgbtestsrc", fps="25", tone_hz=tones[3]),
        ClipSpec("c.mp4", 1.5, None, gop=15, tone_hz=tones[4], extra=MEDIUM, trim_out=1.2)])
    prepared = prepare_export(project, "smart")
    assert prepared.mode == "smart"
    assert [r.status for r in prepared.segments] == [
        "copied", "180x320 portrait, the film is 320x180", "copied",
        "25 fps, the film is 30 fps", "copied"]
    out = tmp_path / "mixed.mp4"
    result = run_export(prepared, out)
    assert decode_errors(out) == ""
    frames, vdur, adur = stream_durations(out)
    assert frames == prepared.plan.total_frames == 45 + 30 + 30 + 30 + 36
    assert vdur == pytest.approx(frames / 30, abs=1e-3) and abs(adur - vdur) <= 1 / 30
    assert _check_copies(prepared, out) >= 45 + 30 + 30
    # each tone starts where its picture does
    changes = _tone_changes(out, tones)
    assert len(changes) == 4
    for got, want in zip(changes, [1.5, 2.5, 3.5, 4.5]):
        assert abs(got - want) <= 1 / 30
    phone = frame_at(out, 60).astype(int)  # pillarboxed, never stretched
    assert phone[90, 160, 1] > 180 and phone[90, 20].max() < 30 and phone[90, 300].max() < 30
    assert result.segments[1].text == ("segment 2 “Shot 2”: encoded — 180x320 portrait, the "
                                       "film is 320x180")


def _src(i: int, count: int, idr_every: int, first: int = 0) -> SmartSource:
    return SmartSource(i, tuple(range(0, count * 512, 512)), Fraction(1, 15360),
                       frozenset(range(0, count, idr_every)), first)


def test_plan_smart_windows_reach_from_the_last_idr_before_to_the_first_after() -> None:
    from soraboard.stitch.plan import OutputFormat

    def source(i: int, frames: int) -> Source:
        return Source(i, f"s{i}", "", f"t{i}", Path(f"/{i}.mp4"), None, 0.0, frames / 30, frames)

    plan = ExportPlan("F", (source(0, 100), source(1, 90), source(2, 60)),
                      (Join(0, T.CROSSFADE, 15, 0.5), Join(1, T.CUT, 0, 0.0)),
                      OutputFormat(320, 180, Fraction(30)))
    smart = plan_smart(plan, {0: _src(0, 100, 30), 1: _src(1, 100, 30, first=10),
                              2: _src(2, 70, 1000, first=5)})
    assert smart.pieces == (
        CopyPiece(0, 0, 60),  # the last IDR before the crossfade (frame 85) is 60
        Window((WindowPart(0, 60, 100), WindowPart(1, 10, 30)), (Join(0, T.CROSSFADE, 15, 0.5),)),
        CopyPiece(1, 30, 100),  # clip 1 uses frames 10–100, the end of its stream: copied
        Window((WindowPart(2, 5, 65),), ()),  # clip 2 starts after its only IDR: encoded
    )
    assert smart.window_ranges() == [(60, 105), (175, 235)]
    assert smart.copied_frames + smart.encoded_frames == plan.total_frames == 235


def test_profiles_map_to_libx264_names() -> None:
    assert x264_profile("Constrained Baseline") == "baseline"
    assert x264_profile("High") == "high" and x264_profile("High 4:2:2") == "high422"


def test_x264_params_reproduce_the_source_settings() -> None:
    opts = {"cabac": "1", "ref": "3", "deblock": "1:0:0", "analyse": "0x3:0x113", "bframes": "3",
            "b_pyramid": "2", "direct": "1", "rc": "crf", "crf": "23.0", "aq": "1:1.00",
            "chroma_qp_offset": "-2"}
    assert x264_params(opts, fast=False) == (
        "cabac=1:ref=3:deblock=0,0:bframes=3:b_pyramid=2:direct=spatial:crf=23.0:aq-mode=1:"
        "aq-strength=1.00")
    # faster search where it changes no header bit; a source already faster keeps its own
    fast = x264_params({**opts, "subme": "7", "trellis": "1", "rc_lookahead": "40"})
    assert "subme=2" in fast and "trellis=0" in fast and "rc_lookahead=10" in fast
    assert fast.endswith(":me=dia:partitions=none:chroma_qp_offset=-2")  # psy-RD share kept
    assert x264_params({**opts, "subme": "1"}).endswith(":me=dia:partitions=none")


def _tone_changes(path: Path, tones: list[int]) -> list[float]:
    """When the dominant tone switches from one clip's to the next (seconds, 5 ms steps)."""
    raw = subprocess.run([ff(), "-v", "error", "-i", str(path), "-map", "0:a:0", "-f", "s16le",
                          "-ac", "1", "-ar", "48000", "-"], capture_output=True, check=True).stdout
    x = np.frombuffer(raw, np.int16).astype(np.float64)
    hop, win = 240, 960
    times, current, k = [], 0, 0
    while k + win <= len(x) and current + 1 < len(tones):
        spectrum = np.abs(np.fft.rfft(x[k:k + win] * np.hanning(win)))
        freqs = np.fft.rfftfreq(win, 1 / 48000)
        if abs(freqs[spectrum.argmax()] - tones[current + 1]) < 60:
            times.append((k + win / 2) / 48000)
            current += 1
        k += hop
    return times


def test_cut_only_copies_the_picture_and_encodes_the_sound_in_sync(tmp_path: Path) -> None:
    tones = [500, 1000, 1500, 2000]
    project = make_project(tmp_path, [
        ClipSpec(f"{i}.mp4", 1.5, None, gop=15, tone_hz=hz, extra=MEDIUM,
                 trim_in=0.5 if i == 2 else 0.0) for i, hz in enumerate(tones)])
    prepared = prepare_export(project, "smart")
    assert prepared.mode == "copy"
    assert prepared.summary == ("copies all 5.5 s of the takes frame-exact (stream copy; the "
                                "sound is encoded in one pass, in sync at every cut)")
    work = tmp_path / "work"
    work.mkdir()
    # one ffmpeg run: the picture read straight from the takes, the sound encoded beside it
    assert [s.label for s in prepared.steps(tmp_path / "x.mp4", work)] == [
        "Copying 5.5 s of the takes, encoding the sound"]
    out = tmp_path / "cuts.mp4"
    run_export(prepared, out)
    assert decode_errors(out) == ""
    frames, vdur, adur = stream_durations(out)
    assert frames == 165 and abs(adur - vdur) <= 1 / 30
    # each tone starts where its picture does (a plain concat drifts ~32 ms per join)
    for got, want in zip(_tone_changes(out, tones), [1.5, 3.0, 4.0]):
        assert abs(got - want) <= 1 / 30
    assert len(_tone_changes(out, tones)) == 3
    assert _check_copies(prepared, out) == 165


def test_cancelling_a_smart_export_leaves_nothing_behind(tmp_path: Path) -> None:
    from soraboard.stitch.runner import CancelToken, ExportCancelled

    project = make_project(tmp_path, [ClipSpec("a.mp4", 4.0, None, "640x360", gop=120,
                                               extra=MEDIUM),
                                      ClipSpec("b.mp4", 4.0, None, "640x360", gop=120,
                                               extra=MEDIUM)],
                           [(T.CROSSFADE, 0.5)], size="640x360")
    prepared = prepare_export(project, "smart")
    assert prepared.mode == "smart"
    out = tmp_path / "film.mp4"
    out.write_bytes(b"earlier")
    token = CancelToken()
    stages: list[str] = []

    def on_progress(p: Progress) -> None:
        stages.append(p.stage)
        if p.stage.startswith("Encoding"):
            token.cancel()

    with pytest.raises(ExportCancelled):
        run_export(prepared, out, on_progress=on_progress, cancel=token)
    assert "Encoding transition 1 of 1" in stages
    assert out.read_bytes() == b"earlier"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_whole_takes_cut_together_are_joined_from_one_listing(tmp_path: Path) -> None:
    # no trim: the picture of every take comes from one concat listing, no seek
    tones = [500, 1500, 1000]
    project = make_project(tmp_path, [ClipSpec(f"{i}.mp4", 1.5, None, gop=15, tone_hz=hz,
                                               extra=MEDIUM) for i, hz in enumerate(tones)])
    prepared = prepare_export(project, "smart")
    work = tmp_path / "work"
    work.mkdir()
    (step,) = prepared.steps(tmp_path / "x.mp4", work)
    assert "inpoint" not in (work / "takes.ffconcat").read_text("utf-8")
    # the picture from the listing (the input after the three takes' sound), no audio file
    assert "3:v:0" in step.args and "-c:v" in step.args
    assert not any("audio.m4a" in a for a in step.args)
    out = tmp_path / "whole.mp4"
    run_export(prepared, out)
    assert decode_errors(out) == ""
    frames, vdur, adur = stream_durations(out)
    assert frames == 135 and abs(adur - vdur) <= 1 / 30
    assert _check_copies(prepared, out) == 135
    changes = _tone_changes(out, tones)
    assert len(changes) == 2
    for got, want in zip(changes, [1.5, 3.0]):
        assert abs(got - want) <= 1 / 30


def test_the_result_says_where_the_time_went(tmp_path: Path) -> None:
    project = make_project(tmp_path, [ClipSpec("a.mp4", 2.0, None, gop=30, extra=MEDIUM),
                                      ClipSpec("b.mp4", 2.0, None, gop=30, extra=MEDIUM)],
                           [(T.CROSSFADE, 0.5)])
    prepared = prepare_export(project, "smart")
    result = run_export(prepared, tmp_path / "film.mp4")
    labels = [label for label, _ in result.timings]
    assert labels == ["Mixing the sound", "Encoding transition 1 of 1",
                      "Copying 2.4 s of the takes", "Checking the joins", "Joining the pieces"]
    assert all(0 <= took <= result.elapsed for _, took in result.timings)
