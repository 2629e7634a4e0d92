"""The voice-over's data in a bundle: ``voiceover.json`` and the cache of rendered lines.

``voiceover.json`` holds the TTS model and the speaker → voice map (a speaker not in the map
gets a voice of their own by cast position); it is written only by ``soraboard voiceover`` and
the editor's voice-over controller, each holding the bundle lock.
A line's audio is ``media/voice/<hash>.mp3``, the hash of (model, voice, words), so a line
that did not change is never rendered (nor paid for) twice, and the export finds the audio
of the dialogue as it is now. Rendering is :mod:`soraboard.generation.voiceover`'s job.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from soraboard.model.dialogue import speakers

if TYPE_CHECKING:
    from soraboard.model.storyboard import Storyboard
    from soraboard.storage.bundle import Bundle

#: the default TTS model (OpenAI's; LiteLLM names its routes the same way)
DEFAULT_TTS_MODEL = "tts-1"
#: OpenAI's built-in voices, in the order speakers get them (alternating timbres)
VOICES = ("alloy", "onyx", "nova", "echo", "shimmer", "fable", "coral", "ash", "sage",
          "ballad", "verse")
SETTINGS_FILE = "voiceover.json"
CACHE_DIR = "voice"


@dataclass(frozen=True)
class VoiceoverSettings:
    """The project's voice-over: the TTS model and who speaks with which voice."""

    model: str = DEFAULT_TTS_MODEL
    voices: dict[str, str] = field(default_factory=dict)

    def voice_for(self, speaker: str, cast: tuple[str, ...] = ()) -> str:
        """The speaker's voice: from the map, else the cast position's default voice."""
        name = speaker.strip()
        if name in self.voices:
            return self.voices[name]
        at = cast.index(name) if name in cast else len(cast)
        return VOICES[at % len(VOICES)]


def load_settings(bundle: Bundle) -> VoiceoverSettings:
    """The bundle's ``voiceover.json`` (defaults when there is none); ValueError when bad."""
    file = bundle.path / SETTINGS_FILE
    if not file.exists():
        return VoiceoverSettings()
    try:
        data = json.loads(file.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{file}: not a readable voice-over file ({e})") from None
    model = data.get("model", DEFAULT_TTS_MODEL) if isinstance(data, dict) else None
    voices = data.get("voices", {}) if isinstance(data, dict) else None
    if (not isinstance(model, str) or not model.strip() or not isinstance(voices, dict)
            or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                       for k, v in voices.items())):
        raise ValueError(f"{file}: expected {{\"model\": \"tts-1\", \"voices\": "
                         "{\"Speaker\": \"voice\"}}")
    return VoiceoverSettings(model.strip(), {k.strip(): v.strip() for k, v in voices.items()})


def save_settings(bundle: Bundle, settings: VoiceoverSettings) -> None:
    from soraboard.storage.atomic import atomic_write_json

    atomic_write_json(bundle.path / SETTINGS_FILE,
                      {"model": settings.model, "voices": dict(sorted(settings.voices.items()))})


def cache_key(model: str, voice: str, text: str) -> str:
    """The cache name of a line's audio: the same model, voice and words, the same file."""
    words = " ".join(text.split())
    blob = json.dumps([model, voice, words], ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:32]


@dataclass(frozen=True)
class VoiceLine:
    """One line to speak, and where its audio is (or will be) in the bundle."""

    segment_id: str
    index: int  #: the line's place in its segment's dialogue
    speaker: str
    text: str
    voice: str
    model: str
    path: Path
    start: float = 0.0  #: seconds into the segment, where the line is said

    @property
    def cached(self) -> bool:
        return self.path.is_file() and self.path.stat().st_size > 0


def voice_lines(bundle: Bundle, sb: Storyboard, settings: VoiceoverSettings) -> list[VoiceLine]:
    """Every spoken line of the film with its voice and cache file, in film order."""
    cast = speakers(sb)
    folder = bundle.media_dir / CACHE_DIR
    out = []
    for seg in sb.segments:
        for k, d in enumerate(seg.dialogue):
            text = " ".join(d.text.split())
            if not text:
                continue
            voice = settings.voice_for(d.speaker, cast)
            path = folder / f"{cache_key(settings.model, voice, text)}.mp3"
            out.append(VoiceLine(seg.id, k, d.speaker.strip(), text, voice, settings.model,
                                 path, d.start))
    return out


def characters(lines: list[VoiceLine]) -> int:
    """What a TTS bill counts: the characters of the lines still to render."""
    return sum(len(v.text) for v in lines if not v.cached)
