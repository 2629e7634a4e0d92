"""The animatic backend: exact size and duration, deterministic, $0, text that needs escaping."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

import cv2
import numpy as np

from soraboard.generation.animatic import AnimaticBackend, colour_for, render_animatic
from soraboard.generation.backend import Beat, JobStatus, VideoRequest
from soraboard.media.probe import probe

TRICKY = "It's 50% \"done\": C:\\path; [a,b] {x} %{pts} \\n ok"


def test_exact_size_duration_and_format(tmp_path: Path) -> None:
    out = tmp_path / "a.mp4"
    req = VideoRequest("p", "sora-2", "320x180", 3.0, title=TRICKY,
                       beats=(Beat(0, 1.5, TRICKY), Beat(1.5, 3, "second: 100%")), key="seg_a")
    render_animatic(req, out)
    info = probe(out)
    assert info.video is not None and info.audio is not None
    assert info.video.size == "320x180" and info.video.codec == "h264"
    assert info.video.pix_fmt == "yuv420p"
    assert abs(info.duration - 3.0) < 1e-6 and info.video.frame_count == 72
    assert (info.audio.codec, info.audio.sample_rate, info.audio.channels) == ("aac", 48000, 2)
    head = out.read_bytes()[:4096]
    assert head.find(b"moov") < head.find(b"mdat") or b"mdat" not in head  # faststart


def test_same_request_same_bytes_and_different_segments_differ(tmp_path: Path) -> None:
    req = VideoRequest("p", "sora-2", "320x180", 2.0, title="Title", key="seg_a",
                       beats=(Beat(0, 2, "beat"),))
    a, b, c = tmp_path / "a.mp4", tmp_path / "b.mp4", tmp_path / "c.mp4"
    render_animatic(req, a)
    render_animatic(req, b)
    render_animatic(VideoRequest("p", "sora-2", "320x180", 2.0, title="Title", key="seg_b",
                                 beats=(Beat(0, 2, "beat"),)), c)
    digest = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (a, b, c)]
    assert digest[0] == digest[1] != digest[2]
    assert colour_for("seg_a") != colour_for("seg_b")


def test_the_reference_image_is_the_background(tmp_path: Path) -> None:
    ref = tmp_path / "ref.png"
    img = np.zeros((180, 320, 3), np.uint8)
    img[:, :] = (0, 200, 0)  # green (BGR)
    cv2.imwrite(str(ref), img)
    out = tmp_path / "r.mp4"
    render_animatic(VideoRequest("p", "sora-2", "320x180", 2.0, reference=ref, title="T"), out)
    cap = cv2.VideoCapture(str(out))
    ok, first = cap.read()
    cap.release()
    assert ok
    centre = first[90, 40].astype(int)  # away from the title and the bar
    assert centre[1] > 150 and centre[0] < 60 and centre[2] < 60


def test_backend_protocol_costs_nothing_and_accepts_every_model(tmp_path: Path) -> None:
    from soraboard.catalog.catalog import default_catalog

    backend = AnimaticBackend(latency=0.0)
    for model in default_catalog():
        req = VideoRequest("p", model, "320x180", 2.0)
        assert backend.price(req) == Decimal(0)
        assert backend.capabilities(model) is not None
    state = backend.submit(VideoRequest("p", "sora-2", "320x180", 2.0))
    assert state.status is JobStatus.COMPLETED
    assert backend.poll(state.job_id).status is JobStatus.COMPLETED
    assert backend.find_jobs(VideoRequest("p", "sora-2", "320x180", 2.0), 0) == []


def test_simulated_latency_reports_progress() -> None:
    backend = AnimaticBackend(latency=60)
    state = backend.submit(VideoRequest("p", "sora-2", "320x180", 2.0))
    assert state.status is JobStatus.QUEUED
    polled = backend.poll(state.job_id)
    assert polled.status is JobStatus.RUNNING and 0 <= polled.progress < 1


# ----------------------------------------------------------------- readable chained animatics
#
# The text mask of a frame is where it differs from the same request rendered without its
# overlay (``overlay=False``: same background, same push-in, no text, ticks or bar), so the
# checks below need no OCR: they look at exactly the pixels the text (and its box) changed.

LONG = ("The striker cuts inside past two defenders, looks up once at the goalkeeper and "
        "curls the ball with the inside of her right foot towards the far top corner")
W, H = 320, 180
BAR_ROWS = 2 * max(H // 40, 3)  # the progress bar and its ticks (not text) sit below this


def _frame(path: Path, seconds: float) -> np.ndarray:
    from soraboard.generation.frames import frame_at

    return np.asarray(frame_at(path, seconds))


def _text_mask(with_text: np.ndarray, bare: np.ndarray) -> np.ndarray:
    diff = np.abs(with_text.astype(int) - bare.astype(int)).max(axis=2) > 30
    diff[H - BAR_ROWS:, :] = False
    return diff


def _inside_title_safe(mask: np.ndarray) -> bool:
    ys, xs = np.nonzero(mask)
    return bool(xs.min() >= 0.1 * W and xs.max() < 0.9 * W
                and ys.min() >= 0.1 * H and ys.max() < 0.9 * H)


def test_long_title_and_caption_wrap_inside_the_title_safe_area(tmp_path: Path) -> None:
    req = VideoRequest("p", "sora-2", f"{W}x{H}", 4.0, title="A rather long title: " + LONG,
                       beats=(Beat(0, 4, LONG),), key="seg_long")
    text, bare = tmp_path / "t.mp4", tmp_path / "b.mp4"
    render_animatic(req, text)
    render_animatic(req, bare, overlay=False)
    mask = _text_mask(_frame(text, 1.0), _frame(bare, 1.0))
    assert mask.sum() > 0.05 * W * H  # the text is drawn, not dropped
    assert _inside_title_safe(mask)
    # wrapped: the caption (lower half) covers several lines' height, not one line
    rows = np.nonzero(mask[H // 2:].any(axis=1))[0]
    assert rows.max() - rows.min() > 2 * (H // 18)


def test_the_clip_ends_on_the_bare_picture(tmp_path: Path) -> None:
    from soraboard.generation.frames import last_frames, sharpest_of_last

    req = VideoRequest("p", "sora-2", f"{W}x{H}", 4.0, title="Title",
                       beats=(Beat(0, 4, "all the way to the end"),), key="seg_end")
    text, bare = tmp_path / "t.mp4", tmp_path / "b.mp4"
    render_animatic(req, text)
    render_animatic(req, bare, overlay=False)
    for a, b in zip(last_frames(text, 8), last_frames(bare, 8)):
        assert not _text_mask(np.asarray(a), np.asarray(b)).any()
    assert not _text_mask(np.asarray(sharpest_of_last(text)),
                          np.asarray(sharpest_of_last(bare))).any()
    assert _text_mask(_frame(text, 3.0), _frame(bare, 3.0)).any()  # text until the tail


def _pattern(path: Path) -> None:
    img = np.zeros((H, W, 3), np.uint8)
    img[:, : W // 2] = (40, 170, 40)  # green left half (BGR)
    img[:, W // 2:] = (170, 60, 40)  # blue right half
    cv2.imwrite(str(path), img)


def _chain(tmp_path: Path, name: str, n: int, overlay: bool) -> list[Path]:
    from soraboard.generation.frames import last_frame, save_png

    ref = tmp_path / f"{name}_ref0.png"
    _pattern(ref)
    clips = []
    for k in range(n):
        clip = tmp_path / f"{name}{k}.mp4"
        render_animatic(VideoRequest("p", "sora-2", f"{W}x{H}", 4.0, reference=ref,
                                     title=f"Shot {k + 1}: the long walk home",
                                     beats=(Beat(0, 2, "She crosses the square in the rain"),
                                            Beat(2, 4, LONG)), key="seg_chain"),
                        clip, overlay=overlay)
        ref = tmp_path / f"{name}_ref{k + 1}.png"
        save_png(last_frame(clip), ref)
        clips.append(clip)
    return clips


def test_ten_chained_shots_never_stack_text_and_keep_the_picture(tmp_path: Path) -> None:
    shown = _chain(tmp_path, "text", 10, overlay=True)
    bare = _chain(tmp_path, "bare", 10, overlay=False)
    areas = []
    for k in (0, 9):
        # the picture each shot hands on is the one a text-free rehearsal hands on
        ref_text = cv2.imread(str(tmp_path / f"text_ref{k + 1}.png")).astype(int)
        ref_bare = cv2.imread(str(tmp_path / f"bare_ref{k + 1}.png")).astype(int)
        assert (np.abs(ref_text - ref_bare).max(axis=2) > 30).mean() < 0.002
        for t in (1.0, 3.0):
            mask = _text_mask(_frame(shown[k], t), _frame(bare[k], t))
            assert _inside_title_safe(mask)
            areas.append(mask.sum())
    # shot 10 shows as much text as shot 1 (none carried over), so it reads the same
    assert abs(areas[2] - areas[0]) < 0.15 * areas[0]
    assert abs(areas[3] - areas[1]) < 0.15 * areas[1]
    # the carried-over picture is still there after ten push-ins: green left, blue right
    last = _frame(shown[9], 3.9).astype(int)
    left, right = last[:, : W // 5].mean(axis=(0, 1)), last[:, -W // 5:].mean(axis=(0, 1))
    assert left[1] > left[0] + 60 and right[0] > right[1] + 60


# ----------------------------------------------------------------- the scratch voice (18.5)


def _audio(path: Path, rate: int = 8000) -> np.ndarray:
    from soraboard.media.ffmpeg import find_ffmpeg, run_ffmpeg

    proc = run_ffmpeg(["-i", str(path), "-ac", "1", "-ar", str(rate), "-f", "s16le", "-"],
                      ffmpeg=find_ffmpeg(), what="decoding the test audio")
    return np.frombuffer(proc.stdout, np.int16).astype(float) / 32768


def _rms(a: np.ndarray, start: float, end: float, rate: int = 8000) -> float:
    part = a[int(start * rate):int(end * rate)]
    return float(np.sqrt((part ** 2).mean()))


SPOKEN = (Beat(0, 8, "Nadia walks the line of containers."),
          Beat(2, 4, "Hello? Harbour security.", "Nadia", 0),
          Beat(5, 7, "Please don't tell them I'm here.", "Tomas", 1))


def test_the_scratch_voice_is_heard_at_the_dialogue_times_and_only_then(tmp_path: Path) -> None:
    out = tmp_path / "v.mp4"
    render_animatic(VideoRequest("p", "sora-2", "320x180", 8.0, title="Harbour", beats=SPOKEN,
                                 key="seg_v"), out)
    a = _audio(out)
    bed = _rms(a, 0.2, 1.8)
    assert bed > 0  # the tone bed is still there, under the voice
    for start, end in ((2, 4), (5, 7)):
        assert _rms(a, start, end) > 5 * bed, (start, end)
    assert _rms(a, 7.4, 7.9) < 1.5 * bed  # quiet again after the last line
    # the spoken line is on screen while it is said
    bare = tmp_path / "b.mp4"
    render_animatic(VideoRequest("p", "sora-2", "320x180", 8.0, title="Harbour", beats=SPOKEN,
                                 key="seg_v"), bare, overlay=False)
    mid = _text_mask(_frame(out, 3.0), _frame(bare, 3.0))[int(0.35 * H):int(0.62 * H)]
    assert mid.sum() > 200
    # and a clip with dialogue is still the same bytes run to run
    again = tmp_path / "v2.mp4"
    render_animatic(VideoRequest("p", "sora-2", "320x180", 8.0, title="Harbour", beats=SPOKEN,
                                 key="seg_v"), again)
    assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256(again.read_bytes()).digest()


def test_a_segment_without_dialogue_stays_silent_apart_from_the_bed(tmp_path: Path) -> None:
    out = tmp_path / "s.mp4"
    render_animatic(VideoRequest("p", "sora-2", "320x180", 8.0, title="Quiet",
                                 beats=SPOKEN[:1], key="seg_v"), out)
    a = _audio(out)
    levels = [_rms(a, s + 0.1, s + 0.9) for s in range(8)]
    assert max(levels) < 1.5 * min(levels)  # the bed alone, level all the way


def test_one_voice_per_speaker_the_same_in_every_segment(tmp_path: Path) -> None:
    from soraboard.generation.engine import job_for
    from soraboard.generation.scratch_voice import speak_lines, voice_name
    from soraboard.model.storyboard import Character, DialogueLine, Storyboard, StyleBible

    sb = Storyboard(style=StyleBible(characters=(Character("Nadia", "a dock inspector"),
                                                 Character("Tomas", "a boy"))))
    segs = (sb.new_segment(duration=4.0, scene="x",
                           dialogue=(DialogueLine("Tomas", "Please.", 0, 1),)),
            sb.new_segment(duration=4.0, scene="y",
                           dialogue=(DialogueLine("Nadia", "Hello?", 0, 1),
                                     DialogueLine("Tomas", "Here.", 2, 3),
                                     DialogueLine("Stranger", "Who?", 3, 4))))
    from dataclasses import replace

    sb = replace(sb, segments=segs)
    spoken = [[(b.speaker, b.voice) for b in job_for(sb, i).beats if b.speaker]
              for i in range(2)]
    assert spoken == [[("Tomas", 1)], [("Nadia", 0), ("Tomas", 1), ("Stranger", 2)]]
    assert len({voice_name(v) for v in (0, 1, 2)}) == 3
    # two voices saying the same words sound different
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    speak_lines([("Same time tomorrow?", voice_name(0), a),
                 ("Same time tomorrow?", voice_name(1), b)])
    assert a.read_bytes() != b.read_bytes()


def test_a_chained_shot_opens_on_the_bare_picture_it_continues(tmp_path: Path) -> None:
    ref = tmp_path / "ref.png"
    _pattern(ref)
    req = VideoRequest("p", "sora-2", f"{W}x{H}", 4.0, reference=ref, title="Title",
                       beats=(Beat(0, 4, "from the very start"),), key="seg_head")
    text, bare = tmp_path / "t.mp4", tmp_path / "b.mp4"
    render_animatic(req, text)
    render_animatic(req, bare, overlay=False)
    assert not _text_mask(_frame(text, 0.0), _frame(bare, 0.0)).any()  # the seam: no text
    assert _text_mask(_frame(text, 0.5), _frame(bare, 0.5)).any()  # then the text comes in
