"""Voice-over: the dialogue rendered by a text-to-speech model, for the export's voice track.

A provider profile whose server answers the OpenAI-compatible ``POST /audio/speech`` (OpenAI
itself, or LiteLLM routing to OpenAI, ElevenLabs or Azure voices) reads each dialogue line
with the official ``openai`` client, one voice per speaker (:mod:`soraboard.storage.voiceover`
holds the voice map and the cache: a line whose model, voice and words did not change is
never sent again). The client is created with ``max_retries=0`` (a retried request is paid
again, the SDK's retries carry no idempotency key) and each answer is streamed to a temp file
that takes the cache name only when complete.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from soraboard.generation.errors import GenerationError
from soraboard.storage.voiceover import VoiceLine

if TYPE_CHECKING:
    import openai


class SpeechClient:
    """``POST /audio/speech`` through the official ``openai`` client (one profile)."""

    def __init__(self, *, name: str, base_url: str, api_key: str | None,
                 timeout: float = 120.0) -> None:
        import openai

        from soraboard.generation.openai_backend import NO_KEY

        self.name = name
        self._client: openai.OpenAI = openai.OpenAI(
            base_url=base_url, api_key=api_key or NO_KEY, max_retries=0, timeout=timeout)

    def render(self, line: VoiceLine) -> Path:
        """Speak ``line`` into its cache file (atomically); returns the file."""
        from soraboard.generation.openai_backend import map_error

        line.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = line.path.with_name(f".{line.path.name}.{os.getpid()}.part")
        try:
            with self._client.audio.speech.with_streaming_response.create(
                    model=line.model, voice=line.voice, input=line.text,
                    response_format="mp3") as response, tmp.open("wb") as f:
                for chunk in response.iter_bytes(1 << 16):
                    f.write(chunk)
                f.flush()
                os.fsync(f.fileno())
            if tmp.stat().st_size == 0:
                raise GenerationError("the speech server sent no audio")
            os.replace(tmp, line.path)
        except GenerationError:
            raise
        except OSError as e:
            raise GenerationError(f"cannot write the voice file: {e}") from None
        except Exception as e:
            raise map_error(e, "speech") from None
        finally:
            tmp.unlink(missing_ok=True)
        return line.path


def render_lines(lines: list[VoiceLine], client: SpeechClient,
                 on_line: Callable[[VoiceLine, str | None], None] | None = None,
                 ) -> tuple[int, int, list[str]]:
    """Render every line not cached yet: (rendered, already cached, errors). One failed line
    does not stop the others (each is its own request and its own file)."""
    done = cached = 0
    errors: list[str] = []
    for line in lines:
        if line.cached:
            cached += 1
            continue
        try:
            client.render(line)
        except GenerationError as e:
            errors.append(f"{line.speaker or 'line'}: {e}")
            if on_line is not None:
                on_line(line, str(e))
            continue
        done += 1
        if on_line is not None:
            on_line(line, None)
    return done, cached, errors
