"""Flash-and-beep footage, and where the flashes and beeps of a film land.

A flash clip is black with a white frame every ``period`` frames (at frame ``phase`` of each
period) and silent with a beep of the same length starting on the first sample of each white
frame. After an export, :func:`measure` decodes the film with a given ffmpeg binary and lists
each flash's time (the frame's pts) and each beep's onset (the first sample above a threshold,
from the first audio frame's pts): A − V at every flash is then the sync error of the export.

Two decoders: the ffmpeg soraboard uses, and a system ffmpeg when one is installed at
``/usr/bin`` (Debian's 5.1 — an older libavformat that applies MP4 edit lists its own way).
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from soraboard.media.ffmpeg import find_ffmpeg

SYSTEM_FFMPEG = Path("/usr/bin/ffmpeg")
SYSTEM_FFPROBE = Path("/usr/bin/ffprobe")
RATE = 48000


def second_decoder() -> str | None:
    """A system ffmpeg other than the one soraboard runs (None: none installed)."""
    if not SYSTEM_FFMPEG.is_file() or not os.access(SYSTEM_FFMPEG, os.X_OK):
        return None
    if os.path.realpath(find_ffmpeg().path) == os.path.realpath(SYSTEM_FFMPEG):
        return None
    return str(SYSTEM_FFMPEG)


def _rate(fps: str) -> Fraction:
    return Fraction(fps) if "/" not in fps else Fraction(*map(int, fps.split("/")))


def make_flash_clip(path: Path, *, seconds: float, fps: str = "30", size: str = "320x180",
                    period: int = 15, phase: int = 3, tone: int = 3000,
                    x264: tuple[str, ...] = ("-preset", "ultrafast"),
                    extra: tuple[str, ...] = ()) -> Path:
    """A clip of ``seconds``: a white frame at every frame ``n`` with ``n % period == phase``
    and a beep (``tone`` Hz) lasting that frame, starting on its first sample."""
    r = _rate(fps)
    # the frame a sample belongs to: floor(n * fps / RATE) (+ a hair against rounding)
    frame = f"floor(n*{r.numerator}/({r.denominator}*{RATE})+1e-9)"
    beep = f"if(eq(mod({frame}\\,{period})\\,{phase})\\,0.5*sin(2*PI*{tone}*t)\\,0)"
    video = (f"color=c=black:s={size}:r={fps}:d={seconds},"
             f"drawbox=c=white:t=fill:enable='eq(mod(n\\,{period})\\,{phase})'")
    audio = f"aevalsrc=exprs={beep}|{beep}:s={RATE}:d={seconds}"
    cmd = [find_ffmpeg().path, "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
           "-f", "lavfi", "-i", video, "-f", "lavfi", "-i", audio,
           "-c:v", "libx264", "-pix_fmt", "yuv420p", *x264, *extra,
           "-c:a", "aac", "-b:a", "128k", "-t", str(seconds), str(path)]
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL)
    return path


@dataclass
class Measured:
    """What one decoder makes of a film: frame and sample timing, flashes and beeps."""

    video_start: float
    video_end: float  #: the last frame's pts + its duration
    frames: int
    audio_start: float
    audio_end: float
    flashes: list[float]  #: pts of each white frame
    beeps: list[float]  #: onset of each beep

    def offsets(self) -> list[float]:
        """A − V (seconds) at every flash: its nearest beep's onset minus the flash time."""
        out = []
        for f in self.flashes:
            out.append(min(self.beeps, key=lambda b: abs(b - f)) - f if self.beeps else 1e9)
        return out


_PTS = re.compile(r"\bn:\s*(\d+)\s+pts:\s*(-?\d+)\s+pts_time:\s*(-?[\d.e+-]+)")
_MEAN = re.compile(r"mean:\[(\d+)")
_SAMPLES = re.compile(r"nb_samples:\s*(\d+)")


def measure(film: Path, ffmpeg: str | None = None) -> Measured:
    """Decode ``film`` with ``ffmpeg`` (default: soraboard's) keeping its timestamps."""
    ff = ffmpeg or find_ffmpeg().path
    head = [ff, "-hide_banner", "-nostdin", "-copyts", "-i", str(film)]
    # two runs: the two filters' log lines would interleave in one
    vlog = subprocess.run([*head, "-map", "0:v:0", "-vf", "showinfo", "-fps_mode", "passthrough",
                           "-f", "null", "-"], capture_output=True, text=True, check=True).stderr
    with tempfile.TemporaryDirectory(prefix="flashbeep-") as tmp:
        pcm = Path(tmp) / "a.f32"
        alog = subprocess.run([*head, "-map", "0:a:0", "-af", "ashowinfo", "-c:a", "pcm_f32le",
                               "-ac", "1", "-f", "f32le", str(pcm)],
                              capture_output=True, text=True, check=True).stderr
        x = np.fromfile(pcm, np.float32)
    vlines = [ln for ln in vlog.splitlines() if "Parsed_showinfo" in ln and " n:" in ln]
    alines = [ln for ln in alog.splitlines() if "Parsed_ashowinfo" in ln and " n:" in ln]
    vts, means = [], []
    for ln in vlines:
        m, mm = _PTS.search(ln), _MEAN.search(ln)
        assert m and mm, ln
        vts.append(float(m.group(3)))
        means.append(int(mm.group(1)))
    a0 = _PTS.search(alines[0])
    assert a0, alines[0]
    astart = float(a0.group(3))
    samples = sum(int(m.group(1)) for m in map(_SAMPLES.search, alines) if m)
    assert samples == len(x), (samples, len(x))
    step = vts[-1] - vts[-2] if len(vts) > 1 else 0.0
    flashes = [t for t, y in zip(vts, means) if y > 128]
    # a beep starts at a loud sample after at least 20 ms of quiet
    loud = np.flatnonzero(np.abs(x) > 0.1)
    starts = loud[np.concatenate(([True], np.diff(loud) > RATE // 50))] if len(loud) else loud
    beeps = [astart + int(k) / RATE for k in starts]
    return Measured(vts[0], vts[-1] + step, len(vts), astart, astart + len(x) / RATE,
                    flashes, beeps)
