"""The voice-over from the GUI (issue 18.5): the dialogue spoken by the provider's
text-to-speech voices, one voice per speaker, into the bundle's voice cache, as
``soraboard voiceover`` does — the same lines, the same cache, the same price, asked first.

The editor's session already holds the bundle lock, so rendering takes no second one; a
Document that holds none (a test, a window that could not lock) takes it for the render."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThreadPool, Signal

from soraboard.catalog.cost import fmt_usd
from soraboard.document import Document
from soraboard.generation.providers import ANIMATIC
from soraboard.generation.voiceover import money
from soraboard.storage.lock import BundleLock, LockHeld
from soraboard.storage.voiceover import (
    SETTINGS_FILE,
    VoiceLine,
    VoiceoverSettings,
    characters,
    load_settings,
    save_settings,
    voice_lines,
)
from soraboard.ui.ask import Ask
from soraboard.ui.controllers import SettingsGetter, plural

if TYPE_CHECKING:
    from soraboard.workers.voiceover import VoiceoverJob

LOCK_COMMAND = "the soraboard editor (voice-over)"


@dataclass(frozen=True)
class VoiceoverState:
    """The project's voice-over as it is now: settings, every line, which are rendered."""

    settings: VoiceoverSettings
    lines: tuple[VoiceLine, ...]
    configured: bool  #: ``voiceover.json`` exists (else the CLI's defaults apply)

    @property
    def todo(self) -> list[VoiceLine]:
        return [v for v in self.lines if not v.cached]

    @property
    def characters(self) -> int:
        return characters(list(self.lines))

    @property
    def cost(self) -> Decimal | None:
        from soraboard.catalog.tts import tts_price

        return tts_price(self.settings.model).cost(self.characters)

    @property
    def price_label(self) -> str:
        from soraboard.catalog.tts import tts_price

        return tts_price(self.settings.model).label

    def speakers(self) -> list[tuple[str, str]]:
        """(speaker, voice) of everyone who speaks, by name."""
        return sorted({(v.speaker or "(no speaker)", v.voice) for v in self.lines})

    def voices_text(self) -> str:
        return ", ".join(f"{s} → {v}" for s, v in self.speakers())


class VoiceoverController(QObject):
    message = Signal(str, int)  #: status-bar text, ms
    progress = Signal(int, int)  #: lines ended, lines to render
    running_changed = Signal(bool)
    #: the voice cache or the voices changed (the export dialog and the cost strip re-read)
    changed = Signal()
    finished = Signal(str, bool)  #: summary, any line failed
    settings_requested = Signal()  #: the creator wants to set up a provider

    def __init__(self, doc: Document, settings: SettingsGetter, ask: Ask,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.settings = settings
        self.ask = ask
        self.job: VoiceoverJob | None = None
        self._lock: BundleLock | None = None

    # ------------------------------------------------------------------ state

    def state(self) -> VoiceoverState:
        """Raises ValueError when ``voiceover.json`` is unreadable (it names the problem)."""
        bundle = self.doc.bundle
        settings = load_settings(bundle)
        return VoiceoverState(settings, tuple(voice_lines(bundle, self.doc.storyboard, settings)),
                              (bundle.path / SETTINGS_FILE).exists())

    @property
    def running(self) -> bool:
        return self.job is not None

    def save_voices(self, model: str, voices: dict[str, str]) -> None:
        """Keep the model and the speakers' voices in ``voiceover.json`` (a changed voice
        makes that speaker's lines new lines: rendered, and paid, again). Raises ValueError
        (a bad file), OSError, or LockHeld (another soraboard writes the project)."""
        current = load_settings(self.doc.bundle)
        new = replace(current, model=model.strip() or current.model,
                      voices={k.strip(): v.strip() for k, v in voices.items()
                              if k.strip() and v.strip()})
        if self.doc.holds_lock:  # the editor's session: its lock covers this write
            save_settings(self.doc.bundle, new)
        else:
            with BundleLock(self.doc.bundle, LOCK_COMMAND):
                save_settings(self.doc.bundle, new)
        self.changed.emit()

    # ------------------------------------------------------------------ render

    def render(self) -> bool:
        """Say what is rendered and what the rest costs, ask, then render in a worker.
        False when nothing started (nothing to say, all rendered, declined, no provider)."""
        from soraboard.generation.providers import ProviderError, get_key, get_profile

        if self.job is not None:
            self.message.emit("The voice-over is being rendered already.", 5000)
            return False
        try:
            state = self.state()
        except ValueError as e:
            self.ask.warn("Voice-over", str(e))
            return False
        if not state.lines:
            self.ask.inform("Voice-over", "Nothing to say: no segment has dialogue. Write "
                            "the lines in a segment's Dialogue section first.")
            return False
        todo = state.todo
        cached = len(state.lines) - len(todo)
        if not todo:
            self.message.emit(f"All {plural(len(state.lines), 'line')} of the voice-over "
                              "are rendered already; nothing was sent.", 6000)
            return False
        provider = self.settings().provider
        if provider in (None, "", ANIMATIC):
            if self.ask.confirm(
                    "The voice-over needs a provider",
                    "The voice-over is spoken by a provider that serves OpenAI-compatible "
                    "POST /audio/speech (OpenAI, or LiteLLM routing to OpenAI, ElevenLabs or "
                    "Azure voices). The offline animatic has no voices. Open the settings to "
                    "choose a provider?", yes="open"):
                self.settings_requested.emit()
            return False
        assert provider is not None
        try:
            profile = get_profile(provider)
        except ProviderError as e:
            self.ask.warn("Voice-over", str(e))
            return False
        key = get_key(profile)
        if key is None and profile.needs_key:
            where = f"${profile.key_env} or " if profile.key_env else ""
            self.ask.warn("Voice-over", f"Provider {provider!r} needs an API key: set "
                          f"{where}the key in Settings.")
            return False
        cost = state.cost
        defaults = "" if state.configured else (
            "\n(These are the default voices; change them with Generate ▸ Voice-over "
            "Voices…)")
        kept = (f"{plural(cached, 'line')} already rendered (kept, not paid again); "
                if cached else "")
        text = (f"{plural(len(state.lines), 'line')} of dialogue: {kept}{len(todo)} to "
                f"render, {state.characters} characters with {state.settings.model} through "
                f"{profile.name}: {money(cost)} ({state.price_label}).\n\n"
                f"Voices: {state.voices_text()}{defaults}")
        if not self.ask.confirm(f"Render the voice-over for {money(cost)}?", text):
            return False
        remaining = self.doc.cost().remaining
        over = cost is not None and remaining is not None and cost > remaining
        if over and not self.ask.confirm(
                "Over budget", f"The voice-over costs {money(cost)}, more than the "
                f"{fmt_usd(max(remaining or Decimal(0), Decimal(0)))} left of the budget. "
                "Render anyway?", default_yes=False):
            return False
        return self._start(state, profile.name, profile.base_url, key,
                           max(profile.timeout, 60.0))

    def _start(self, state: VoiceoverState, provider: str, base_url: str, key: str | None,
               timeout: float) -> bool:
        from soraboard.workers.voiceover import VoiceoverJob

        if not self.doc.holds_lock:  # the editor's session holds it: never a second take
            lock = BundleLock(self.doc.bundle, LOCK_COMMAND)
            try:
                lock.acquire()
            except LockHeld as e:
                self.ask.warn("Voice-over", str(e))
                return False
            self._lock = lock
        try:
            save_settings(self.doc.bundle, state.settings)  # as the CLI does: the voices used
        except OSError as e:
            self._release()
            self.ask.warn("Voice-over", f"Cannot write {SETTINGS_FILE}: {e}")
            return False
        job = VoiceoverJob(list(state.lines), provider=provider, base_url=base_url,
                           api_key=key, timeout=timeout)
        job.signals.line_ended.connect(self._on_line_ended)
        job.signals.done.connect(self._on_done)
        job.signals.failed.connect(self._on_failed)
        self.job = job
        self.running_changed.emit(True)
        self.progress.emit(0, job.todo)
        self.message.emit(f"Voice-over: rendering {plural(job.todo, 'line')} with "
                          f"{provider}…", 0)
        QThreadPool.globalInstance().start(job)
        return True

    def cancel(self) -> None:
        """Stop before the next line (the one being spoken is finished and kept)."""
        if self.job is not None:
            self.job.cancel()
            self.message.emit("Voice-over: stopping after the current line…", 0)

    def close(self) -> None:
        self.cancel()

    # ------------------------------------------------------------------ worker reports

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _end(self) -> None:
        self.job = None
        self._release()
        self.running_changed.emit(False)
        self.changed.emit()

    def _on_line_ended(self, ended: int, total: int, error: str) -> None:
        self.progress.emit(ended, total)
        if not error:
            self.message.emit(f"Voice-over: {ended} of {total} line(s)…", 0)

    def _on_done(self, result: object) -> None:
        from soraboard.workers.voiceover import VoiceoverResult

        assert isinstance(result, VoiceoverResult)
        self._end()
        kept = f", {result.cached} already rendered" if result.cached else ""
        summary = f"Voice-over: rendered {plural(result.rendered, 'line')}{kept}"
        if result.cancelled:
            summary += " — cancelled; the rendered lines are kept"
        if result.errors:
            summary += f"; {plural(len(result.errors), 'line')} failed"
            self.ask.warn(
                "Some voice-over lines were not rendered",
                "\n".join(result.errors[:8])
                + ("\n…" if len(result.errors) > 8 else "")
                + "\n\nThe lines that were rendered are kept; Render Voice-over… again sends "
                "only the missing ones.")
        self.message.emit(summary, 10000)
        self.finished.emit(summary, bool(result.errors))

    def _on_failed(self, message: str) -> None:
        self._end()
        self.ask.warn("The voice-over was not rendered", message)
        self.message.emit("Voice-over failed", 10000)
        self.finished.emit(f"Voice-over failed: {message}", True)
