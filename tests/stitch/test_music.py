"""A music bed fades in and out, ducks under the clips' own sound; loudness normalises to -14 LUFS."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from soraboard.stitch.export import prepare_export, run_export
from soraboard.stitch.plan import Soundtrack
from tests.stitch.helpers import ClipSpec, ff, make_project, stream_durations


def _samples(path: Path) -> np.ndarray:
    raw = subprocess.run([ff(), "-v", "error", "-i", str(path), "-map", "0:a:0", "-f", "s16le",
                          "-ac", "1", "-ar", "48000", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.int16).astype(np.float64) / 32768


def _level(x: np.ndarray, start: float, length: float, hz: float) -> float:
    """Amplitude of the ``hz`` component between ``start`` and ``start + length`` seconds."""
    seg = x[int(start * 48000):int((start + length) * 48000)]
    spectrum = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
    freqs = np.fft.rfftfreq(len(seg), 1 / 48000)
    band = (freqs > hz - 15) & (freqs < hz + 15)
    return float(spectrum[band].max() / len(seg))


def _music(path: Path, seconds: float) -> Path:
    subprocess.run([ff(), "-v", "error", "-f", "lavfi", "-i",
                    f"sine=frequency=220:sample_rate=44100:duration={seconds}", "-c:a", "aac",
                    str(path)], check=True)
    return path


def test_music_fades_in_and_ducks_under_the_clips_sound(tmp_path: Path) -> None:
    project = make_project(tmp_path, [ClipSpec("talk.mp4", 2.0, "red", tone_hz=1000),
                                      ClipSpec("quiet.mp4", 2.0, "blue", audio=False)])
    music = Soundtrack(_music(tmp_path / "theme.m4a", 1.5), fade_in=0.5, fade_out=0.5)
    out = tmp_path / "film.mp4"
    run_export(prepare_export(project, "final", music=music), out)
    frames, vdur, adur = stream_durations(out)
    assert frames == 120 and abs(adur - vdur) <= 1 / 30  # the short music looped to the end
    x = _samples(out)
    under_talk = _level(x, 1.0, 0.5, 220)
    alone = _level(x, 2.8, 0.5, 220)
    assert alone > 2 * under_talk  # ducked while the clip has its own sound
    assert _level(x, 1.0, 0.5, 1000) > 0.01  # and the clip's own sound is there
    assert _level(x, 0.0, 0.1, 220) < 0.5 * alone  # fading in
    assert _level(x, 3.9, 0.1, 220) < 0.5 * alone  # fading out


def test_loudnorm_brings_the_film_to_minus_14_lufs(tmp_path: Path) -> None:
    project = make_project(tmp_path, [ClipSpec("a.mp4", 3.0, "red"), ClipSpec("b.mp4", 3.0, "blue")])
    out = tmp_path / "loud.mp4"
    run_export(prepare_export(project, "final", loudnorm=True), out)
    frames, vdur, adur = stream_durations(out)
    assert frames == 180 and abs(adur - vdur) <= 1 / 30
    report = subprocess.run([ff(), "-hide_banner", "-nostats", "-i", str(out), "-map", "0:a:0",
                             "-af", "ebur128", "-f", "null", "-"],
                            capture_output=True, text=True).stderr
    lufs = float(re.findall(r"I:\s+(-?[\d.]+) LUFS", report)[-1])
    assert lufs == pytest.approx(-14, abs=1.5)
