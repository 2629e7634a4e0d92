"""The voice-over track of the export: each line heard at its time on the film's timeline
(after a crossfade and a trim), the music bed ducked under it, Smart still copying the
picture; and the CLI end to end, from the speech server to ``export --voiceover``."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from soraboard.cli import main
from soraboard.model.storyboard import DialogueLine, TransitionType
from soraboard.stitch.export import prepare_export, preset_summaries, run_export
from soraboard.stitch.plan import Soundtrack
from soraboard.stitch.voiceover import SpokenLine, VoiceClip
from soraboard.storage.bundle import Project, load_project
from tests.helpers.fake_speech_server import fake_speech_server
from tests.stitch.helpers import ClipSpec, ff, make_project, stream_durations

RATE = 48000


def _samples(path: Path) -> np.ndarray:
    raw = subprocess.run([ff(), "-v", "error", "-i", str(path), "-map", "0:a:0", "-f", "s16le",
                          "-ac", "1", "-ar", str(RATE), "-"], capture_output=True,
                         check=True).stdout
    return np.frombuffer(raw, np.int16).astype(np.float64) / 32768


def _band_rms(x: np.ndarray, start: float, end: float, hz: float) -> float:
    """RMS of the ``hz`` component (±40 Hz) between ``start`` and ``end`` seconds."""
    seg = x[int(start * RATE):int(end * RATE)]
    spectrum = np.fft.rfft(seg)
    freqs = np.fft.rfftfreq(len(seg), 1 / RATE)
    spectrum[(freqs < hz - 40) | (freqs > hz + 40)] = 0
    band = np.fft.irfft(spectrum, len(seg))
    return float(np.sqrt(np.mean(band ** 2)))


def _tone(path: Path, hz: int, seconds: float, codec: str = "libmp3lame") -> Path:
    subprocess.run([ff(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=frequency={hz}:sample_rate=24000:duration={seconds}",
                    "-c:a", codec, str(path)], check=True)
    return path


def _silent_film(tmp_path: Path) -> Project:
    """Three silent 2 s clips, a 0.5 s crossfade after the first, the third trimmed 0.5 s in:
    segment 2 starts at 1.5 s on the film, segment 3 at 3.5 s (its second 0.5)."""
    project = make_project(tmp_path, [ClipSpec("a.mp4", 2.0, "red", audio=False),
                                      ClipSpec("b.mp4", 2.0, "blue", audio=False),
                                      ClipSpec("c.mp4", 2.0, "green", audio=False,
                                               trim_in=0.5)],
                           transitions=[(TransitionType.CROSSFADE, 0.5)])
    sb = project.storyboard
    segs = list(sb.segments)
    segs[1] = segs[1].with_changes(dialogue=(DialogueLine("Mara", "Hello.", 0.5, 1.3),))
    segs[2] = segs[2].with_changes(dialogue=(DialogueLine("Tom", "Gone.", 0.2, 0.6),))
    project.bundle.save(replace(sb, segments=tuple(segs)))
    return load_project(project.bundle.path)


def test_the_voice_is_heard_at_its_time_and_the_music_ducks_under_it(tmp_path: Path) -> None:
    project = _silent_film(tmp_path)
    seg2, seg3 = project.storyboard.segments[1:]
    voice = [SpokenLine(seg2.id, 0.5, _tone(tmp_path / "hello.mp3", 1000, 0.8)),
             # starts in the trimmed-away part of its clip: left out, not begun mid-word
             SpokenLine(seg3.id, 0.2, _tone(tmp_path / "gone.mp3", 1000, 0.4))]
    music = Soundtrack(_tone(tmp_path / "bed.m4a", 220, 6.0, "aac"), fade_in=0, fade_out=0)
    prepared = prepare_export(project, "final", music=music, voice=voice)
    assert [(round(c.start, 3), round(c.limit, 3)) for c in prepared.plan.voice] == [(2.0, 1.5)]
    out = tmp_path / "film.mp4"
    run_export(prepared, out)
    frames, vdur, adur = stream_durations(out)
    assert frames == 150 and abs(adur - vdur) <= 1 / 30  # the voice does not lengthen the film
    x = _samples(out)
    inside = _band_rms(x, 2.1, 2.7, 1000)
    assert inside > 0.05
    for a, b in ((0.2, 1.8), (3.1, 4.9)):  # silent before the line and after it
        assert _band_rms(x, a, b, 1000) < inside / 20
    # it starts on its sample: 20 ms before the line nothing, 20 ms into it the voice
    assert _band_rms(x, 1.96, 1.99, 1000) < inside / 5 < _band_rms(x, 2.01, 2.04, 1000)
    # the music bed dips under the voice as it does under the clips' own sound
    assert _band_rms(x, 2.3, 2.7, 220) < 0.5 * _band_rms(x, 0.6, 1.4, 220)


def test_smart_still_copies_the_picture_with_a_voice_over(tmp_path: Path) -> None:
    project = make_project(tmp_path, [ClipSpec("a.mp4", 2.0, "red", audio=False, gop=30),
                                      ClipSpec("b.mp4", 2.0, "blue", audio=False, gop=30)])
    seg2 = project.storyboard.segments[1]
    voice = [SpokenLine(seg2.id, 0.5, _tone(tmp_path / "v.mp3", 1000, 0.5))]
    prepared = prepare_export(project, "smart", voice=voice)
    assert prepared.mode == "copy"
    out = tmp_path / "smart.mp4"
    run_export(prepared, out)
    x = _samples(out)
    assert _band_rms(x, 2.55, 2.95, 1000) > 20 * _band_rms(x, 0.5, 2.4, 1000)


def test_every_preset_of_the_export_dialog_carries_the_voice(tmp_path: Path) -> None:
    project = _silent_film(tmp_path)
    seg2 = project.storyboard.segments[1]
    voice = [SpokenLine(seg2.id, 0.5, tmp_path / "hello.mp3")]
    summaries = preset_summaries(project, voice=voice)
    assert {name: p.plan.voice for name, p in summaries.items()} == {
        name: (VoiceClip(tmp_path / "hello.mp3", 2.0, 1.5),) for name in summaries}
    assert all(not p.plan.voice for p in preset_summaries(project).values())


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_voiceover_then_export_with_it(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    project = _silent_film(tmp_path)
    film = tmp_path / "out.mp4"
    code, _, err = run(capsys, "export", str(project.bundle.path), "-o", str(film),
                       "--voiceover")
    assert code == 2 and "2 of 2 line(s) are not rendered" in err and not film.exists()
    audio = _tone(tmp_path / "tts.mp3", 1000, 0.8).read_bytes()
    with fake_speech_server(audio) as server:
        monkeypatch.setenv("SB_TTS_KEY", "sk-test-key-for-voices")
        assert run(capsys, "providers", "add", "voices", "--base-url", server.url,
                   "--key-env", "SB_TTS_KEY")[0] == 0
        assert run(capsys, "voiceover", str(project.bundle.path), "--provider", "voices",
                   "--yes")[0] == 0
        assert len(server.requests) == 2
    code, _, err = run(capsys, "export", str(project.bundle.path), "-o", str(film),
                       "--voiceover", "--no-subtitles")
    assert code == 0, err
    x = _samples(film)
    assert _band_rms(x, 2.1, 2.7, 1000) > 20 * _band_rms(x, 0.2, 1.8, 1000)
    # without the flag the film has no voice
    plain = tmp_path / "plain.mp4"
    assert run(capsys, "export", str(project.bundle.path), "-o", str(plain),
               "--no-subtitles")[0] == 0
    assert _band_rms(_samples(plain), 2.1, 2.7, 1000) < 0.001
