"""Make real media files for tests with ffmpeg's lavfi sources (colours, test patterns, tones).

Every clip is made by the same ffmpeg soraboard uses, so tests need nothing else installed.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from soraboard.media.ffmpeg import find_ffmpeg


def make_clip(
    path: Path,
    *,
    duration: float = 2.0,
    size: str = "320x180",
    fps: str = "30",
    color: str | None = None,
    pattern: str = "testsrc2",
    audio: bool = True,
    tone_hz: int = 440,
    sample_rate: int = 48000,
    channels: int = 2,
    vcodec: str = "libx264",
    pix_fmt: str = "yuv420p",
    gop: int | None = None,
    extra_video_args: list[str] | None = None,
) -> Path:
    """A clip of exactly ``duration`` seconds: a solid ``color`` or a test ``pattern``,
    with an optional sine tone."""
    ff = find_ffmpeg().path
    src = (f"color=c={color}:size={size}:rate={fps}:duration={duration}" if color
           else f"{pattern}=size={size}:rate={fps}:duration={duration}")
    cmd = [ff, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", src]
    if audio:
        layout = {1: "mono", 2: "stereo", 6: "5.1"}[channels]
        cmd += ["-f", "lavfi", "-i",
                f"sine=frequency={tone_hz}:sample_rate={sample_rate}:duration={duration}"]
        cmd += ["-af", f"aformat=channel_layouts={layout}"]
    cmd += ["-c:v", vcodec, "-pix_fmt", pix_fmt]
    if vcodec == "libx264":
        cmd += ["-preset", "ultrafast"]
    if gop:
        cmd += ["-g", str(gop), "-keyint_min", str(gop)]
    cmd += extra_video_args or []
    if audio:
        cmd += ["-c:a", "aac", "-b:a", "96k"]
    cmd += ["-t", str(duration), str(path)]
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL)
    return path
