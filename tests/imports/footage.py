"""Footage "from elsewhere" for the import tests, and measurements of exported films.

Every clip is made with lavfi in the test: a flat colour picture with one white flash and,
when it has sound, a tone burst starting on the same frame — so an export can be checked for
audio/video sync by finding both again.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from soraboard.media.ffmpeg import find_ffmpeg

#: how long the flash and the tone burst last (long enough to survive 60 → 25 fps)
FLASH = 0.12


@dataclass(frozen=True)
class Footage:
    """One test clip: container and codecs, picture and sound formats, and where its flash is."""

    name: str
    size: str = "320x180"
    fps: str = "25"  #: a rate ffmpeg reads ("30000/1001"); VFR clips drop frames from it
    duration: float = 1.2
    vcodec: tuple[str, ...] = ("-c:v", "libx264", "-preset", "ultrafast")
    pix_fmt: str = "yuv420p"
    #: audio: None = no sound; else (channel layout, sample rate, encoder args)
    audio: tuple[str, int, tuple[str, ...]] | None = ("stereo", 48000, ("-c:a", "aac"))
    color: str = "0x3060c0"
    flash_frame: int = 12  #: the first white frame (counted at ``fps``)
    vfr: bool = False
    sar: str | None = None  #: e.g. "4/3": pixels wider than tall
    extra: tuple[str, ...] = field(default=())

    @property
    def rate(self) -> Fraction:
        return Fraction(self.fps)

    @property
    def flash_time(self) -> float:
        """When the flash (and the tone) starts, in seconds into the clip."""
        return float(self.flash_frame / self.rate)


def _ff() -> str:
    return find_ffmpeg().path


def make_footage(folder: Path, spec: Footage) -> Path:
    """Write the clip ``spec`` describes into ``folder`` and return its path."""
    out = folder / spec.name
    t0 = spec.flash_time - 0.001  # a hair early: the flash frame's own timestamp is included
    t1 = spec.flash_time + FLASH - 0.001
    on = f"between(t,{t0:.6f},{t1:.6f})"
    vf = [f"drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='{on}'"]
    if spec.vfr:  # every third frame dropped, timestamps kept: a variable frame rate
        vf.append("select='not(eq(mod(n\\,3)\\,2))'")
    if spec.sar:
        vf.append(f"setsar={spec.sar}")
    cmd = [_ff(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
           "-i", f"color=c={spec.color}:size={spec.size}:rate={spec.fps}:duration={spec.duration}"]
    if spec.audio is not None:
        layout, rate, _ = spec.audio
        cmd += ["-f", "lavfi", "-i",
                f"sine=frequency=1000:sample_rate={rate}:duration={spec.duration}"]
    cmd += ["-vf", ",".join(vf), "-pix_fmt", spec.pix_fmt, *spec.vcodec]
    if spec.vfr:
        cmd += ["-fps_mode", "vfr"]
    if spec.audio is not None:
        layout, rate, args = spec.audio
        cmd += ["-af", f"volume=volume=0:enable='not({on})',aformat=channel_layouts={layout}",
                *args, "-ar", str(rate)]
    cmd += [*spec.extra, "-t", str(spec.duration), str(out)]
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL, capture_output=True)
    return out


#: the mixed footage of the export tests: every format family the issue names
MIXED = (
    Footage("phone.mp4", fps="30", flash_frame=15),
    Footage("camera.mov", fps="24000/1001", flash_frame=14,
            vcodec=("-c:v", "prores_ks", "-profile:v", "0"), pix_fmt="yuv422p10le",
            audio=("mono", 48000, ("-c:a", "pcm_s16le"))),
    Footage("drone.mkv", fps="30000/1001", flash_frame=16,
            vcodec=("-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=none"),
            audio=("5.1", 48000, ("-c:a", "aac"))),
    Footage("web.webm", fps="60", flash_frame=36,
            vcodec=("-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"),
            audio=("stereo", 48000, ("-c:a", "libopus"))),
    Footage("fullrange.mp4", fps="25", flash_frame=13, pix_fmt="yuvj420p",
            audio=("stereo", 44100, ("-c:a", "aac"))),
    Footage("tenbit.mp4", fps="25", flash_frame=11, pix_fmt="yuv420p10le", audio=None),
    Footage("anamorphic.mp4", size="240x180", sar="4/3", fps="25", flash_frame=14),
    Footage("portrait.mp4", size="180x320", fps="30", flash_frame=17),
    Footage("vfr.mp4", fps="30", vfr=True, flash_frame=18),
)


# ---------------------------------------------------------------------------- measuring


def decode_errors(path: Path) -> str:
    """What ``ffmpeg -v error -i FILE -f null -`` prints (nothing for a clean file)."""
    proc = subprocess.run([_ff(), "-hide_banner", "-nostdin", "-v", "error", "-i", str(path),
                           "-f", "null", "-"], capture_output=True, stdin=subprocess.DEVNULL)
    return (proc.stderr.decode("utf-8", "replace") + ("" if proc.returncode == 0 else
                                                      f"exit {proc.returncode}")).strip()


def frame_lumas(path: Path) -> list[tuple[float, float]]:
    """(time, average luma 0–255 of the centre) of every frame of the film (the centre: a
    pillarboxed picture has black bars at the sides)."""
    proc = subprocess.run(
        [_ff(), "-hide_banner", "-nostdin", "-v", "error", "-i", str(path), "-an", "-vf",
         "crop=iw/8:ih/8,signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-", "-f", "null", "-"],
        capture_output=True, check=True, stdin=subprocess.DEVNULL)
    out, t = [], 0.0
    for line in proc.stdout.decode().splitlines():
        m = re.search(r"pts_time:([\d.]+)", line)
        if m:
            t = float(m.group(1))
        m = re.search(r"YAVG=([\d.]+)", line)
        if m:
            out.append((t, float(m.group(1))))
    return out


def flash_starts(path: Path, threshold: float = 200.0) -> list[float]:
    """Times where a run of white frames begins."""
    starts, was = [], False
    for t, y in frame_lumas(path):
        bright = y >= threshold
        if bright and not was:
            starts.append(t)
        was = bright
    return starts


def beep_starts(path: Path) -> list[float]:
    """Times where a tone burst begins (the end of each silence)."""
    proc = subprocess.run(
        [_ff(), "-hide_banner", "-nostdin", "-i", str(path), "-vn", "-af",
         "silencedetect=n=-40dB:d=0.05", "-f", "null", "-"],
        capture_output=True, check=True, stdin=subprocess.DEVNULL)
    text = proc.stderr.decode("utf-8", "replace")
    return [float(x) for x in re.findall(r"silence_end: ([\d.]+)", text)]


def media_duration(path: Path) -> float:
    """The film's length from its packets (video stream)."""
    from soraboard.media.probe import probe

    return probe(path).duration


def frame_rgb(path: Path, seconds: float) -> np.ndarray:
    """The frame at ``seconds`` as an RGB array (height × width × 3)."""
    from soraboard.media.probe import probe

    info = probe(path, count_frames=False)
    assert info.video is not None
    w, h = info.video.width, info.video.height
    proc = subprocess.run([_ff(), "-hide_banner", "-nostdin", "-v", "error", "-ss",
                           f"{seconds:.4f}", "-i", str(path), "-frames:v", "1", "-f", "rawvideo",
                           "-pix_fmt", "rgb24", "-"], capture_output=True, check=True,
                          stdin=subprocess.DEVNULL)
    return np.frombuffer(proc.stdout, np.uint8)[: w * h * 3].reshape(h, w, 3)


def picture_columns(frame: np.ndarray, black: int = 24) -> tuple[int, int]:
    """First and last column (inclusive) where the middle row is not black."""
    row = frame[frame.shape[0] // 2].astype(int).max(axis=1)
    cols = np.nonzero(row > black)[0]
    return (int(cols[0]), int(cols[-1])) if cols.size else (-1, -1)
