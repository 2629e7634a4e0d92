"""The scratch voice: dialogue read aloud offline by eSpeak NG, for the animatic.

eSpeak NG comes from the ``espeakng-loader`` wheel, which ships ``libespeak-ng`` and its
voice data inside the Python package, so ``pip install soraboard`` is all it needs: no system
package, no network. It is called through ctypes (``espeak_Initialize`` with synchronous
output and a synth callback collecting the samples); the library keeps global state, so calls
are serialised by a lock, and :func:`speak_lines` runs them in a fresh interpreter so the same
line always gives the same samples.

Each speaker gets a voice of their own (:func:`voice_name`): a variant of the English voice
chosen by the speaker's place in the cast, so the same character sounds the same in every
segment. Speech runs at the natural ~150 words a minute, so a line too long for its time is
*heard* to overrun, which is what a rehearsal is for.
"""

from __future__ import annotations

import ctypes
import logging
import threading
import wave
from array import array
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: words a minute: 2.5 words a second, the pace the length check assumes
RATE_WPM = 150
#: one voice per speaker, by cast position: male and female variants, then more of each
VOICES = ("en+m3", "en+f3", "en+m1", "en+f2", "en+m5", "en+f4", "en+m7", "en+f1", "en+m2",
          "en+f5", "en+m4", "en+m6")

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_RATE, _PITCH = 1, 3
_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                             ctypes.c_void_p)

_lock = threading.Lock()
_state: dict[str, Any] = {}


class VoiceUnavailable(RuntimeError):
    """eSpeak NG could not be loaded; the message says why."""


def voice_index(speaker: str, cast: tuple[str, ...] = ()) -> int:
    """The speaker's voice: their place in ``cast`` (the film's speakers in order), else a
    stable hash of the name (when only one segment is known)."""
    name = speaker.strip()
    if name in cast:
        return cast.index(name)
    import zlib

    return len(cast) + zlib.crc32(name.lower().encode("utf-8")) % len(VOICES)


def voice_name(index: int) -> str:
    """The eSpeak voice of the ``index``-th speaker (0-based; wraps after twelve)."""
    return VOICES[index % len(VOICES)]


def _library() -> tuple[Any, int]:
    """(the loaded library, its sample rate), initialised once per process."""
    if "lib" in _state:
        return _state["lib"], _state["rate"]
    if "error" in _state:
        raise VoiceUnavailable(_state["error"])
    try:
        import espeakng_loader

        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        data = Path(espeakng_loader.get_data_path())
    except (ImportError, OSError, RuntimeError) as e:
        _state["error"] = f"eSpeak NG is not available ({e})"
        raise VoiceUnavailable(_state["error"]) from None
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    # the path is the folder that holds espeak-ng-data
    rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0,
                                 str(data.parent).encode(), _INITIALIZE_DONT_EXIT)
    if rate <= 0:
        _state["error"] = f"eSpeak NG did not start (its data is in {data})"
        raise VoiceUnavailable(_state["error"])
    chunks: list[bytes] = []

    def collect(wav: Any, count: int, _events: Any) -> int:
        if wav and count > 0:
            chunks.append(ctypes.string_at(wav, count * 2))
        return 0

    callback = _CALLBACK(collect)
    lib.espeak_SetSynthCallback(callback)
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                 ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
    _state.update(lib=lib, rate=rate, chunks=chunks, callback=callback)  # keep the callback
    return lib, rate


def synthesize(text: str, voice: str) -> tuple[bytes, int]:
    """``text`` spoken by ``voice``: (16-bit mono little-endian samples, sample rate)."""
    with _lock:
        lib, rate = _library()
        chunks: list[bytes] = _state["chunks"]
        chunks.clear()
        if lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise VoiceUnavailable(f"eSpeak NG has no voice {voice!r}")
        lib.espeak_SetParameter(_RATE, RATE_WPM, 0)
        # the breathy variants add noise from eSpeak's own generator, seeded from the clock
        # unless it is given a seed
        if hasattr(lib, "espeak_ng_SetRandSeed"):
            lib.espeak_ng_SetRandSeed(ctypes.c_long(1))
        data = text.encode("utf-8") + b"\0"
        buf = ctypes.create_string_buffer(data)
        err = lib.espeak_Synth(buf, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        lib.espeak_Synchronize()
        if err != 0:
            raise VoiceUnavailable(f"eSpeak NG could not speak the line (error {err})")
        pcm = b"".join(chunks)
        chunks.clear()
    return pcm, rate


def write_wav(text: str, voice: str, dest: Path) -> float:
    """Speak ``text`` into the WAV file ``dest``; returns its length in seconds."""
    pcm, rate = synthesize(text, voice)
    samples = array("h")
    samples.frombytes(pcm)
    with wave.open(str(dest), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return len(samples) / rate


def speak_lines(lines: list[tuple[str, str, Path]], timeout: float = 120) -> list[float]:
    """Speak every (text, voice, WAV path); returns the lengths in seconds.

    eSpeak NG carries state from one utterance to the next (the same line said twice in one
    process comes out a few samples apart), and its noise generator is seeded from the clock
    unless told otherwise (:func:`synthesize` seeds it). So each line is spoken by a fresh
    interpreter of its own (about 0.1 s), which keeps the animatic byte-identical run to run.
    A frozen build, which has no interpreter to start, speaks them in-process (audibly the
    same, not bit-identical).
    """
    import json
    import subprocess
    import sys

    if not lines:
        return []
    if getattr(sys, "frozen", False):
        return [write_wav(text, voice, Path(dest)) for text, voice, dest in lines]
    lengths: list[float] = []
    for text, voice, dest in lines:
        request = json.dumps([[text, voice, str(dest)]]).encode()
        try:
            proc = subprocess.run([sys.executable, "-m", __name__], input=request,
                                  capture_output=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise VoiceUnavailable(f"the scratch voice did not run ({e})") from None
        if proc.returncode != 0:
            tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [
                "no output"]
            raise VoiceUnavailable(f"the scratch voice failed: {tail[0]}")
        lengths.extend(json.loads(proc.stdout))
    return lengths


def _main() -> int:
    import json
    import sys

    jobs = json.loads(sys.stdin.read())
    try:
        lengths = [write_wav(text, voice, Path(dest)) for text, voice, dest in jobs]
    except VoiceUnavailable as e:
        print(str(e), file=sys.stderr)
        return 1
    print(json.dumps(lengths))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
