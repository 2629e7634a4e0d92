"""Rendering the voice-over off the GUI thread: one ``POST /audio/speech`` per line not cached
yet, through :func:`soraboard.generation.voiceover.render_lines`. The job reports each line as
it ends and a summary at the end; cancelling stops before the next request (the line being
spoken finishes and is kept: it is paid for). It never touches the Document: the rendered
files are the bundle's voice cache, which the controller and the export dialog read."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from PySide6.QtCore import QObject, QRunnable, Signal

from soraboard.redact import redact
from soraboard.storage.voiceover import VoiceLine

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VoiceoverResult:
    rendered: int  #: lines spoken now
    cached: int  #: lines that were rendered already (not sent)
    errors: tuple[str, ...]  #: one redacted message per failed line
    cancelled: bool  #: stopped before every line was sent


class VoiceoverSignals(QObject):
    #: lines ended so far (rendered or failed), lines to render, the failure (redacted) or ""
    line_ended = Signal(int, int, str)
    done = Signal(object)  #: VoiceoverResult
    failed = Signal(str)  #: nothing could be tried (the client could not be made); redacted


class VoiceoverJob(QRunnable):
    def __init__(self, lines: list[VoiceLine], *, provider: str, base_url: str,
                 api_key: str | None, timeout: float) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the controller keeps it referenced until it reports
        self.signals = VoiceoverSignals()
        self.cancel_event = threading.Event()
        self.lines = list(lines)
        self.provider, self.base_url, self.timeout = provider, base_url, timeout
        self._key = api_key
        self.todo = sum(1 for v in self.lines if not v.cached)

    def cancel(self) -> None:
        self.cancel_event.set()

    def run(self) -> None:
        from soraboard.generation.voiceover import SpeechClient, render_lines

        ended = 0

        def on_line(_line: VoiceLine, error: str | None) -> None:
            nonlocal ended
            ended += 1
            self.signals.line_ended.emit(ended, self.todo, redact(error) if error else "")

        try:
            client = SpeechClient(name=self.provider, base_url=self.base_url,
                                  api_key=self._key, timeout=self.timeout)
            done, cached, errors = render_lines(self.lines, client, on_line,
                                                self.cancel_event.is_set)
        except Exception as e:  # a bug or a client that cannot be made: shown, never lost
            log.exception("voice-over failed")
            self.signals.failed.emit(redact(str(e) or type(e).__name__))
            return
        cancelled = self.cancel_event.is_set() and done + len(errors) < self.todo
        self.signals.done.emit(VoiceoverResult(done, cached, tuple(redact(e) for e in errors),
                                               cancelled))
