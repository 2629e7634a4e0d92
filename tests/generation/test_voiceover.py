"""Voice-over: each dialogue line through the real ``openai`` client's ``POST /audio/speech``
against a loopback server that records every request; one voice per speaker; a cache that
never pays for an unchanged line twice; the price said (and asked) first."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from soraboard.catalog.tts import _table, tts_price
from soraboard.cli import main
from soraboard.model.storyboard import DialogueLine
from soraboard.storage.bundle import Bundle, load_project
from soraboard.storage.voiceover import VOICES, cache_key
from tests.helpers.fake_speech_server import FakeSpeechServer, fake_speech_server
from tests.stitch.helpers import ClipSpec, ff, make_project

KEY = "sk-test-voice-0123456789abcdef"


def tone_mp3(path: Path, hz: int = 1000, seconds: float = 1.0) -> bytes:
    subprocess.run([ff(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=frequency={hz}:sample_rate=24000:duration={seconds}",
                    "-c:a", "libmp3lame", "-b:a", "64k", str(path)], check=True)
    return path.read_bytes()


def talking_project(root: Path, lines: list[list[DialogueLine]]) -> Bundle:
    project = make_project(root, [ClipSpec(f"c{i}.mp4", 2.0, "gray", audio=False)
                                  for i in range(len(lines))])
    sb = project.storyboard
    sb = replace(sb, segments=tuple(s.with_changes(dialogue=tuple(d))
                                for s, d in zip(sb.segments, lines, strict=True)))
    project.bundle.save(sb)
    return project.bundle


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def speech(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
           capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    with fake_speech_server(tone_mp3(tmp_path / "tone.mp3")) as server:
        monkeypatch.setenv("SB_TTS_KEY", KEY)
        assert run(capsys, "providers", "add", "voices", "--base-url", server.url,
                   "--key-env", "SB_TTS_KEY")[0] == 0
        yield server


def test_tts_prices_have_a_source_and_unknown_is_never_zero() -> None:
    assert tts_price("tts-1").cost(1_000_000) == Decimal("15")
    assert tts_price("openai/tts-1-hd").cost(1_000_000) == Decimal("30")
    assert tts_price("elevenlabs/eleven_v3").cost(100) is None
    assert tts_price("gpt-4o-mini-tts").cost(100) is None  # billed by tokens, not characters
    for price in _table().values():
        assert price.source and price.date


def test_voiceover_renders_each_line_once_with_a_voice_per_speaker(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], speech: FakeSpeechServer) -> None:
    bundle = talking_project(tmp_path, [
        [DialogueLine("Mara", "Is anyone there?", 0.5, 1.5)],
        [DialogueLine("Tom", "Only the sea.", 0.2, 1.0),
         DialogueLine("Mara", "Then we wait.", 1.0, 1.9)]])
    chars = len("Is anyone there?") + len("Only the sea.") + len("Then we wait.")

    # the amount first; without --yes (no terminal to ask on) nothing is sent
    code, _, err = run(capsys, "voiceover", str(bundle.path), "--provider", "voices")
    assert code == 2 and "add --yes" in err
    assert f"3 of 3 line(s) to render, {chars} characters" in err
    assert f"${(Decimal('0.000015') * chars).quantize(Decimal('0.0001'))}" in err
    assert "OpenAI API pricing page" in err and "Mara → alloy" in err and "Tom → onyx" in err
    assert speech.requests == []

    code, out, err = run(capsys, "voiceover", str(bundle.path), "--provider", "voices", "--yes")
    assert code == 0, err
    assert "Rendered 3 line(s)" in out
    assert speech.paths == ["/v1/audio/speech"] * 3
    assert [(r["model"], r["voice"], r["input"]) for r in speech.requests] == [
        ("tts-1", "alloy", "Is anyone there?"), ("tts-1", "onyx", "Only the sea."),
        ("tts-1", "alloy", "Then we wait.")]
    assert all(r["response_format"] == "mp3" for r in speech.requests)
    assert all(h["authorization"] == f"Bearer {KEY}" for h in speech.headers)
    voice_dir = bundle.media_dir / "voice"
    files = sorted(p.name for p in voice_dir.iterdir())
    assert files == sorted(f"{cache_key('tts-1', v, t)}.mp3" for v, t in [
        ("alloy", "Is anyone there?"), ("onyx", "Only the sea."), ("alloy", "Then we wait.")])
    assert (voice_dir / files[0]).read_bytes() == speech.audio
    saved = (bundle.path / "voiceover.json").read_text()
    assert json.loads(saved) == {"model": "tts-1", "voices": {}} and KEY not in saved

    # unchanged: nothing is sent again
    code, out, err = run(capsys, "voiceover", str(bundle.path), "--provider", "voices")
    assert code == 0 and "nothing was sent" in out and "0 of 3 line(s)" in err
    assert len(speech.requests) == 3

    # one line changed: only it is sent; a speaker given another voice: only their lines
    project = load_project(bundle.path)
    sb = project.storyboard
    seg = sb.segments[1]
    sb = replace(sb, segments=(sb.segments[0], seg.with_changes(dialogue=(
        seg.dialogue[0], DialogueLine("Mara", "Then we wait here.", 1.0, 1.9)))))
    bundle.save(sb)
    assert run(capsys, "voiceover", str(bundle.path), "--provider", "voices", "--yes")[0] == 0
    assert [r["input"] for r in speech.requests[3:]] == ["Then we wait here."]
    assert run(capsys, "voiceover", str(bundle.path), "--provider", "voices", "--yes",
               "--voice", "Tom=verse")[0] == 0
    assert [(r["voice"], r["input"]) for r in speech.requests[4:]] == [("verse", "Only the sea.")]
    assert json.loads((bundle.path / "voiceover.json").read_text())["voices"] == {"Tom": "verse"}


def test_an_unknown_price_is_said_and_asked_and_a_refusal_leaves_no_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], speech: FakeSpeechServer) -> None:
    bundle = talking_project(tmp_path, [[DialogueLine("Mara", "Hello there.", 0.0, 1.0)]])
    code, _, err = run(capsys, "voiceover", str(bundle.path), "--provider", "voices",
                       "--model", "eleven_v3")
    assert code == 2 and "an unknown amount" in err and "$0" not in err
    assert speech.requests == [] and not (bundle.path / "voiceover.json").exists()

    speech.status, speech.error = 400, f"voice 'x' not found (key {KEY})"
    code, out, err = run(capsys, "voiceover", str(bundle.path), "--provider", "voices",
                         "--voice", "Mara=x", "--yes")
    assert code == 1 and "voice 'x' not found" in err and KEY not in err + out
    assert len(speech.requests) == 1
    assert list((bundle.media_dir / "voice").iterdir()) == []  # no partial file

    assert run(capsys, "voiceover", str(bundle.path), "--voice", "Mara", "--provider",
               "voices")[0] == 2
    assert len(VOICES) >= 8


def test_the_cost_estimate_prices_the_voice_over(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    bundle = talking_project(tmp_path, [[DialogueLine("Mara", "Hello there.", 0.0, 1.0)]])
    code, out, _ = run(capsys, "cost", str(bundle.path))
    assert code == 0 and "Voice-over" not in out  # not set up: no line
    settings = bundle.path / "voiceover.json"
    settings.write_text(json.dumps({"model": "tts-1-hd", "voices": {"Mara": "nova"}}))
    out = run(capsys, "cost", str(bundle.path))[1]
    assert ("Voice-over (tts-1-hd): 1 of 1 line(s) to render, 12 characters: $0.0004 "
            "(OpenAI API pricing page: TTS HD $30.00 per 1M characters (2025-10))") in out
    settings.write_text(json.dumps({"model": "eleven_v3", "voices": {}}))
    out = run(capsys, "cost", str(bundle.path))[1]
    assert "12 characters: an unknown amount (eleven_v3: price not in the catalog)" in out
    # a rendered line costs nothing more
    line = bundle.media_dir / "voice" / f"{cache_key('eleven_v3', 'alloy', 'Hello there.')}.mp3"
    line.parent.mkdir(parents=True)
    line.write_bytes(b"ID3")
    assert "0 of 1 line(s) to render, 0 characters: $0.00" in run(capsys, "cost",
                                                                   str(bundle.path))[1]
    settings.write_text("{\"model\": 3}")
    out = run(capsys, "cost", str(bundle.path))[1]
    assert "Voice-over: " in out and "voiceover.json: expected" in out
