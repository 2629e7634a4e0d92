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
    from decimal import Decimal

    import openai

    from soraboard.model.storyboard import Storyboard
    from soraboard.storage.bundle import Bundle


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
                 cancelled: Callable[[], bool] | None = None,
                 ) -> tuple[int, int, list[str]]:
    """Render every line not cached yet: (rendered, already cached, errors). One failed line
    does not stop the others (each is its own request and its own file). ``cancelled`` is
    asked before each request: once it says yes no further line is sent (the one being
    spoken finishes, so what was paid for is kept)."""
    done = cached = 0
    errors: list[str] = []
    for line in lines:
        if line.cached:
            cached += 1
            continue
        if cancelled is not None and cancelled():
            break
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


def money(value: Decimal | None) -> str:
    """Dollars, sub-cent amounts as such (a few lines cost a fraction of a cent); None: the
    price is unknown, never shown as $0."""
    from decimal import Decimal

    from soraboard.catalog.cost import fmt_usd

    if value is None:
        return "an unknown amount"
    if 0 < value < Decimal("0.01"):
        return f"${value.quantize(Decimal('0.0001'))}"
    return fmt_usd(value)


def cost_line(bundle: Bundle, sb: Storyboard) -> str | None:
    """The voice-over's line in the cost estimate: what rendering the lines not rendered yet
    costs, and where the price comes from. None when the project has no voice-over set up
    (no ``voiceover.json``) or no dialogue."""
    from soraboard.catalog.tts import tts_price
    from soraboard.storage.voiceover import SETTINGS_FILE, characters, load_settings, voice_lines

    if not (bundle.path / SETTINGS_FILE).exists():
        return None
    try:
        settings = load_settings(bundle)
    except ValueError as e:
        return f"Voice-over: {e}"
    lines = voice_lines(bundle, sb, settings)
    if not lines:
        return None
    todo = sum(1 for v in lines if not v.cached)
    chars = characters(lines)
    price = tts_price(settings.model)
    return (f"Voice-over ({settings.model}): {todo} of {len(lines)} line(s) to render, "
            f"{chars} characters: {money(price.cost(chars))} ({price.label})")
