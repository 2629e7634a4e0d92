"""Export presets: what the encoder is asked for.

*Final* is the film you share (H.264 High, CRF 18, yuv420p, AAC 192 kb/s, +faststart).
*Preview* is a quick draft, 640 px wide. *Smart* copies the takes' own frames, frame-exact, and
encodes only around transitions and the takes in another format (see
:mod:`soraboard.stitch.smart`); it falls back to Final's settings when nothing can be copied.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class PresetName(str, Enum):
    FINAL = "final"
    PREVIEW = "preview"
    SMART = "smart"


@dataclass(frozen=True)
class Preset:
    """Encoder settings of one preset."""

    name: PresetName
    label: str
    description: str
    #: output width in pixels (height follows the project's aspect); None = the project's size
    width: int | None
    video_args: tuple[str, ...]
    audio_args: tuple[str, ...]
    faststart: bool = True

    @property
    def smart(self) -> bool:
        return self.name is PresetName.SMART


_H264_FINAL = ("-c:v", "libx264", "-profile:v", "high", "-preset", "medium", "-crf", "18",
               "-pix_fmt", "yuv420p")
_AAC_192 = ("-c:a", "aac", "-b:a", "192k")

FINAL = Preset(PresetName.FINAL, "Final", "H.264 High CRF 18 · AAC 192 kb/s · full encode",
               None, _H264_FINAL, _AAC_192)
PREVIEW = Preset(PresetName.PREVIEW, "Preview", "640 px wide, fast — for sharing a draft", 640,
                 ("-c:v", "libx264", "-profile:v", "high", "-preset", "veryfast", "-crf", "26",
                  "-pix_fmt", "yuv420p"),
                 ("-c:a", "aac", "-aac_coder", "fast", "-b:a", "128k"))
#: Smart: windows are encoded to match the source (see smart.py); these are the audio settings
#: and the full-encode fallback. The fast AAC coder: audio is the critical path of a smart
#: export (measured 7.4 s of 12 s with the default coder on 58 s of stereo).
SMART = Preset(PresetName.SMART, "Smart — the picture is not encoded again",
               "copies the takes frame-exact, encodes only around transitions", None,
               _H264_FINAL, ("-c:a", "aac", "-aac_coder", "fast", "-b:a", "192k"))

PRESETS: dict[PresetName, Preset] = {p.name: p for p in (SMART, FINAL, PREVIEW)}


def preset(name: str | PresetName) -> Preset:
    """The preset called ``name`` (``final``, ``preview`` or ``smart``)."""
    try:
        return PRESETS[PresetName(name)]
    except ValueError:
        raise ValueError(f"unknown preset {name!r}; choose one of "
                         + ", ".join(p.value for p in PresetName)) from None
