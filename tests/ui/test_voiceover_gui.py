"""The voice-over from the GUI (issue 18.5): Generate ▸ Render Voice-over… says what is
rendered and what the rest costs, asks, and renders in a worker through the real ``openai``
client against a loopback speech server; the export dialog's Voice-over box puts the track in
the film (heard at the line's time); the cost strip prices it as ``soraboard cost`` does."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from soraboard.cli import main
from soraboard.document import Document
from soraboard.model.storyboard import DialogueLine
from soraboard.settings import Settings
from soraboard.stitch.presets import PresetName
from soraboard.storage.bundle import load_project
from soraboard.storage.lock import LOCK_FILE
from soraboard.storage.voiceover import SETTINGS_FILE, cache_key
from soraboard.ui.controllers.voiceover import VoiceoverController
from soraboard.ui.cost_panel import CostPanel
from soraboard.ui.export_dialog import ExportDialog
from soraboard.workers.thumbnails import ThumbnailService
from tests.helpers.fake_speech_server import FakeSpeechServer, fake_speech_server
from tests.stitch.test_voiceover import _band_rms, _samples, _silent_film, _tone
from tests.ui.scripted_ask import ScriptedAsk

KEY = "sk-test-voice-gui-0123456789abcdef"
#: _silent_film's lines: Mara "Hello." in segment 2, Tom "Gone." in segment 3
CHARS = len("Hello.") + len("Gone.")


@pytest.fixture
def speech(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSpeechServer]:
    audio = _tone(tmp_path / "tts.mp3", 1000, 0.8).read_bytes()
    with fake_speech_server(audio) as server:
        monkeypatch.setenv("SB_TTS_KEY", KEY)
        assert main(["providers", "add", "voices", "--base-url", server.url,
                     "--key-env", "SB_TTS_KEY"]) == 0
        yield server


@pytest.fixture
def doc(tmp_path: Path) -> Document:
    return Document(load_project(_silent_film(tmp_path / "film").bundle.path))


def _settings() -> Settings:
    return Settings(provider="voices", autosave_seconds=0)


def _render(qtbot: QtBot, vo: VoiceoverController) -> list[tuple[str, bool]]:
    ended: list[tuple[str, bool]] = []
    vo.finished.connect(lambda text, failed: ended.append((text, failed)))
    assert vo.render()
    qtbot.waitUntil(lambda: bool(ended), timeout=60_000)
    assert not vo.running
    return ended


def _voice_files(doc: Document) -> list[str]:
    folder = doc.bundle.media_dir / "voice"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_render_asks_with_the_price_a_no_sends_nothing_and_rendered_lines_are_not_paid_again(
        qtbot: QtBot, doc: Document, speech: FakeSpeechServer) -> None:
    ask = ScriptedAsk([False])
    vo = VoiceoverController(doc, _settings, ask)
    assert not vo.render()  # declined
    assert speech.requests == [] and _voice_files(doc) == []
    assert not (doc.bundle.path / SETTINGS_FILE).exists()
    question = ask.asked[0]
    price = f"${(Decimal('0.000015') * CHARS).quantize(Decimal('0.0001'))}"
    assert question.startswith(f"confirm: Render the voice-over for {price}?")
    assert f"2 lines of dialogue: 2 to render, {CHARS} characters with tts-1" in question
    assert "OpenAI API pricing page" in question
    assert "Mara → alloy, Tom → onyx" in question and "default voices" in question

    ask.answers = [True]
    progress: list[tuple[int, int]] = []
    vo.progress.connect(lambda a, b: progress.append((a, b)))
    ended = _render(qtbot, vo)
    assert ended == [("Voice-over: rendered 2 lines", False)]
    assert progress[0] == (0, 2) and progress[-1] == (2, 2)
    assert [(r["voice"], r["input"]) for r in speech.requests] == [
        ("alloy", "Hello."), ("onyx", "Gone.")]
    assert _voice_files(doc) == sorted([f"{cache_key('tts-1', 'alloy', 'Hello.')}.mp3",
                                        f"{cache_key('tts-1', 'onyx', 'Gone.')}.mp3"])
    assert KEY not in (doc.bundle.path / SETTINGS_FILE).read_text()

    # all rendered: nothing asked, nothing sent
    messages: list[str] = []
    vo.message.connect(lambda text, _ms: messages.append(text))
    assert not vo.render()
    assert len(ask.asked) == 2 and len(speech.requests) == 2
    assert "nothing was sent" in messages[-1]

    # one line changed: it alone is priced and sent; the other is said to be kept
    seg = doc.storyboard.segments[1]
    doc.set_fields(seg.id, dialogue=(DialogueLine("Mara", "Hello again.", 0.5, 1.3),))
    ask.answers = [True]
    _render(qtbot, vo)
    assert "1 line already rendered (kept, not paid again); 1 to render, 12 characters" \
        in ask.asked[-1]
    assert [r["input"] for r in speech.requests[2:]] == ["Hello again."]


def test_a_provider_failure_is_shown_redacted_and_loses_nothing(
        qtbot: QtBot, doc: Document, speech: FakeSpeechServer) -> None:
    ask = ScriptedAsk([True])
    vo = VoiceoverController(doc, _settings, ask)
    _render(qtbot, vo)
    before = _voice_files(doc)
    assert len(before) == 2

    seg = doc.storyboard.segments[1]
    doc.set_fields(seg.id, dialogue=(DialogueLine("Mara", "Hello there.", 0.5, 1.3),))
    speech.status, speech.error = 400, f"voice 'alloy' not found (key {KEY})"
    ask.answers = [True]
    ended = _render(qtbot, vo)
    assert ended[0][1] is True and "1 line failed" in ended[0][0]
    warning = ask.asked[-1]
    assert warning.startswith("warn: Some voice-over lines were not rendered")
    assert "voice 'alloy' not found" in warning and KEY not in "\n".join(ask.asked)
    assert _voice_files(doc) == before  # the rendered lines kept, no partial file

    speech.status = 200  # the next render sends only the missing line
    ask.answers = [True]
    _render(qtbot, vo)
    assert [r["input"] for r in speech.requests] == ["Hello.", "Gone.", "Hello there.",
                                                     "Hello there."]


def test_cancel_stops_before_the_next_line_and_keeps_what_was_rendered(
        qtbot: QtBot, doc: Document, speech: FakeSpeechServer) -> None:
    speech.delay = 0.6
    vo = VoiceoverController(doc, _settings, ScriptedAsk([True]))
    done: list[object] = []
    vo.finished.connect(lambda text, _f: done.append(text))
    assert vo.render() and vo.running
    vo.cancel()  # while the first line is being spoken (or before it is sent)
    qtbot.waitUntil(lambda: bool(done), timeout=30_000)
    assert "cancelled" in str(done[0])
    assert len(speech.requests) <= 1
    assert len(_voice_files(doc)) == len(speech.requests)


def test_the_session_lock_is_not_taken_twice(qtbot: QtBot, doc: Document,
                                             speech: FakeSpeechServer) -> None:
    from soraboard.storage.lock import BundleLock

    doc.hold_lock()
    lock_path = doc.bundle.path / LOCK_FILE
    vo = VoiceoverController(doc, _settings, ScriptedAsk([True]))
    seen: list[int] = []
    vo.progress.connect(lambda *_a: seen.append(BundleLock._held.get(lock_path, 0)))
    _render(qtbot, vo)
    assert seen and set(seen) == {1}  # the editor's hold only
    assert lock_path.exists()
    doc.release_lock()
    assert not lock_path.exists()


def test_no_provider_offers_the_settings_and_sends_nothing(
        doc: Document, speech: FakeSpeechServer) -> None:
    ask = ScriptedAsk([True])
    vo = VoiceoverController(doc, lambda: Settings(autosave_seconds=0), ask)
    opened: list[bool] = []
    vo.settings_requested.connect(lambda: opened.append(True))
    assert not vo.render()
    assert opened == [True] and speech.requests == []
    assert "needs a provider" in ask.asked[0]


def test_export_dialog_offers_the_voice_only_when_every_line_is_rendered_and_puts_it_in_the_film(
        qtbot: QtBot, doc: Document, speech: FakeSpeechServer, tmp_path: Path) -> None:
    dlg = ExportDialog(doc.snapshot(), ThumbnailService())
    qtbot.addWidget(dlg)
    dlg.show()
    requested: list[bool] = []
    dlg.voiceover_requested.connect(lambda: requested.append(True))
    assert not dlg.voiceover.isEnabled() and not dlg.render_voice_btn.isHidden()
    assert "2 of 2 lines not rendered" in dlg.voiceover_note.text()
    dlg.voiceover.setChecked(True)  # even forced, a missing line exports no voice
    assert dlg.spoken_lines() == []
    dlg.render_voice_btn.click()
    assert requested == [True]

    vo = VoiceoverController(doc, _settings, ScriptedAsk([True]))
    vo.changed.connect(dlg.refresh_voiceover)
    _render(qtbot, vo)
    assert dlg.voiceover.isEnabled() and dlg.render_voice_btn.isHidden()
    assert dlg.voiceover.isChecked()  # Render Voice-over… was clicked here: ticked once ready

    dlg.select_preset(PresetName.SMART)
    qtbot.waitUntil(lambda: dlg.export_btn.isEnabled() and len(dlg.prepared) == 3,
                    timeout=60_000)
    assert all(p.plan.voice for p in dlg.prepared.values())
    assert "Voice-over: 1 line of 2 starts in a trimmed-away part" in dlg.notes.text()
    film = tmp_path / "film.mp4"
    dlg.dest.setText(str(film))
    dlg.start_export()
    qtbot.waitUntil(lambda: dlg.result_path is not None or "failed" in dlg.stage.text(),
                    timeout=60_000)
    assert dlg.result_path == film, dlg.stage.text()
    # "Gone." starts in the trimmed-away part of its clip: one line is in the film
    assert "voice-over track: 1 line spoken" in dlg.stage.text()
    x = _samples(film)
    assert _band_rms(x, 2.1, 2.7, 1000) > 20 * _band_rms(x, 0.2, 1.8, 1000)

    # a line changed since: the box goes off with the reason
    (doc.bundle.media_dir / "voice" / f"{cache_key('tts-1', 'onyx', 'Gone.')}.mp3").unlink()
    dlg.refresh_voiceover()
    assert not dlg.voiceover.isEnabled() and not dlg.voiceover.isChecked()
    assert "1 of 2 lines not rendered" in dlg.voiceover_note.text()
    dlg.runner.wait(30_000)


def test_the_cost_strip_prices_the_voice_over_beside_the_estimate(
        qtbot: QtBot, doc: Document, speech: FakeSpeechServer) -> None:
    panel = CostPanel(doc)
    qtbot.addWidget(panel)
    estimate = panel.estimate.text()
    assert panel.voiceover.isHidden()  # not set up: no line, as in `soraboard cost`
    vo = VoiceoverController(doc, _settings, ScriptedAsk([True]))
    vo.changed.connect(panel.refresh)
    _render(qtbot, vo)
    assert not panel.voiceover.isHidden()
    assert "Voice-over (tts-1): 0 of 2 line(s) to render, 0 characters: $0.00" \
        in panel.voiceover.text()
    seg = doc.storyboard.segments[1]
    doc.set_fields(seg.id, dialogue=(DialogueLine("Mara", "Hello again.", 0.5, 1.3),))
    assert "1 of 2 line(s) to render, 12 characters: $0.0002" in panel.voiceover.text()
    assert panel.estimate.text() == estimate  # beside the clips' estimate, never added to it


def test_the_window_wires_the_menu_the_cost_strip_and_the_export_dialog(
        qtbot: QtBot, doc: Document, speech: FakeSpeechServer) -> None:
    from soraboard.ui.main_window import MainWindow

    ask = ScriptedAsk([True])
    win = MainWindow(doc, _settings(), ask=ask)
    qtbot.addWidget(win)
    win.show()
    acts = win.actions_by_id
    assert not acts["generate.voiceover_cancel"].isEnabled()
    acts["generate.voiceover"].trigger()
    assert ask.asked[0].startswith("confirm: Render the voice-over for $")
    assert acts["generate.voiceover_cancel"].isEnabled()
    assert not acts["generate.voiceover"].isEnabled()
    qtbot.waitUntil(lambda: acts["generate.voiceover"].isEnabled(), timeout=60_000)
    assert len(speech.requests) == 2
    assert "0 of 2 line(s) to render" in win.cost_panel.voiceover.text()
    win.export_film()
    dlg = win.export_dialog
    assert dlg.voiceover.isEnabled()
    dlg.close()
    win.thumbnails.wait()
    doc.undo_stack.setClean()


def test_a_new_voice_for_a_speaker_renders_only_their_lines_again(
        qtbot: QtBot, doc: Document, speech: FakeSpeechServer) -> None:
    ask = ScriptedAsk([True, True])
    vo = VoiceoverController(doc, _settings, ask)
    _render(qtbot, vo)
    vo.save_voices("tts-1", {"Tom": "verse"})
    assert vo.state().configured and "Mara → alloy, Tom → verse" in vo.state().voices_text()
    _render(qtbot, vo)
    assert "default voices" not in ask.asked[-1] and "1 to render" in ask.asked[-1]
    assert [(r["voice"], r["input"]) for r in speech.requests[2:]] == [("verse", "Gone.")]
