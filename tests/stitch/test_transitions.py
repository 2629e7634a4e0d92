"""Every transition type, rendered by the real ffmpeg: lengths, sync and what the middle shows."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from soraboard.model.storyboard import TransitionType as T
from soraboard.stitch.export import prepare_export, run_export
from soraboard.stitch.transitions import XFADE_NAMES, AudioJoin, audio_join, xfade_name
from tests.stitch.helpers import (
    ClipSpec,
    decode_errors,
    ff,
    frame_at,
    make_project,
    stream_durations,
)

FPS = 30
LEN = 1.0  # each clip
D = 0.5  # each transition


def _is_red(px: np.ndarray) -> bool:
    return bool(px[0] > 180 and px[1] < 60 and px[2] < 60)


def _is_blue(px: np.ndarray) -> bool:
    return bool(px[2] > 180 and px[0] < 60 and px[1] < 60)


def _rms(path: Path, start: float, length: float) -> float:
    raw = subprocess.run([ff(), "-v", "error", "-ss", f"{start:.4f}", "-t", f"{length:.4f}", "-i",
                          str(path), "-map", "0:a:0", "-f", "s16le", "-ac", "1", "-ar", "48000", "-"],
                         capture_output=True, check=True).stdout
    a = np.frombuffer(raw, np.int16).astype(np.float64)
    return float(np.sqrt(np.mean(a * a))) if a.size else 0.0


def test_every_type_but_cut_has_an_xfade_name_and_an_audio_join() -> None:
    assert set(XFADE_NAMES) == set(T) - {T.CUT}
    assert xfade_name(T.CROSSFADE) == "fade"
    assert audio_join(T.CUT) is AudioJoin.CUT
    assert audio_join(T.FADE_BLACK) is AudioJoin.DIP and audio_join(T.FADE_WHITE) is AudioJoin.DIP
    assert audio_join(T.WIPE_LEFT) is AudioJoin.CROSSFADE


@pytest.mark.parametrize("kind", list(T))
def test_transition_renders_with_exact_length_sync_and_middle(tmp_path: Path, kind: T) -> None:
    project = make_project(tmp_path, [ClipSpec("red.mp4", LEN, "red", tone_hz=440),
                                      ClipSpec("blue.mp4", LEN, "blue", tone_hz=880)],
                           [(kind, 0 if kind is T.CUT else D)])
    out = tmp_path / "out.mp4"
    run_export(prepare_export(project, "final"), out)
    overlap = 0 if kind is T.CUT else round(D * FPS)
    frames, vdur, adur = stream_durations(out)
    assert frames == 2 * FPS - overlap
    assert vdur == pytest.approx((2 * FPS - overlap) / FPS, abs=1e-6)
    assert abs(adur - vdur) <= 1 / FPS
    assert decode_errors(out) == ""
    # the middle of the transition (or the frames either side of a cut)
    mid_frame = FPS - overlap + overlap // 2
    mid = mid_frame / FPS
    if kind is T.CUT:
        assert _is_red(frame_at(out, FPS - 1)[90, 160])
        assert _is_blue(frame_at(out, FPS)[90, 160])
        return
    img = frame_at(out, mid_frame).astype(int)
    centre, left, right = img[90, 160], img[90, 20], img[90, 300]
    if kind is T.CROSSFADE:  # half red, half blue: purple
        assert 90 < centre[0] < 170 and 90 < centre[2] < 170 and centre[1] < 40
    elif kind is T.FADE_BLACK:
        assert img.mean() < 40
    elif kind is T.FADE_WHITE:
        assert img.mean() > 200
    elif kind in (T.WIPE_LEFT, T.SLIDE_LEFT):  # the new picture comes in from the right
        assert _is_red(left) and _is_blue(right)
    elif kind in (T.WIPE_RIGHT, T.SLIDE_RIGHT):
        assert _is_blue(left) and _is_red(right)
    elif kind is T.CIRCLE_OPEN:  # blue in the middle, red still in the corners
        assert _is_blue(centre) and _is_red(img[3, 3]) and _is_red(img[176, 316])
    # and before/after the transition the clips are themselves
    assert _is_red(frame_at(out, FPS - overlap - 1)[90, 160])
    assert _is_blue(frame_at(out, FPS)[90, 160])
    # audio follows the picture: a dip to silence at a colour, overlapping sound otherwise
    quiet = _rms(out, mid - 0.02, 0.04)
    if kind in (T.FADE_BLACK, T.FADE_WHITE):
        assert quiet < 0.1 * _rms(out, 0.1, 0.2)
    else:
        assert quiet > 0.3 * _rms(out, 0.1, 0.2)


@pytest.mark.parametrize("preset", ["final", "preview"])
def test_a_cut_followed_by_a_dissolve_exports(tmp_path: Path, preset: str) -> None:
    """Regression: concat hands xfade a different time base; a cut then a crossfade failed."""
    project = make_project(tmp_path, [ClipSpec("red.mp4", LEN, "red", tone_hz=440),
                                      ClipSpec("green.mp4", LEN, "green", tone_hz=660),
                                      ClipSpec("blue.mp4", LEN, "blue", tone_hz=880)],
                           [(T.CUT, 0), (T.CROSSFADE, D)])
    out = tmp_path / "out.mp4"
    run_export(prepare_export(project, preset), out)
    frames, vdur, adur = stream_durations(out)
    assert frames == 3 * FPS - round(D * FPS)
    assert abs(adur - vdur) <= 1 / FPS
    assert decode_errors(out) == ""
