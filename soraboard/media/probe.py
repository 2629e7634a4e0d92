"""Probing media files with the ffmpeg binary alone.

The ``imageio-ffmpeg`` build ships no ffprobe, and we do not want a second binary to find,
check and bundle. So the probe reads two things ffmpeg itself prints:

* ``ffmpeg -i FILE`` (stderr): container, streams, codec and profile, pixel format, size,
  SAR, colour range, audio rate and layout;
* ``ffmpeg -i FILE -map 0:v:0 -c copy -f framemd5 -``: every video packet's pts and duration
  in the stream's time base — exact frame count, frame rate and duration without decoding
  (about 30 ms for a 12 s clip), immune to container frame-count metadata that lies.

Keyframe times come from the same listing after the ``noise=drop=not(key)`` bitstream
filter, which drops every packet that is not a keyframe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

from soraboard.media.ffmpeg import FFmpeg, FFmpegError, find_ffmpeg, run_ffmpeg


class MediaError(ValueError):
    """A file that is not usable media; the message says why in plain words."""


@dataclass(frozen=True)
class VideoStream:
    """The first video stream, as a player shows it: ``width`` x ``height`` and ``sar`` are
    those of the picture after its display matrix is applied (a phone clip stored as 1920x1080
    with a 90° rotation is 1080x1920 here, as ffmpeg decodes it: upright)."""

    codec: str
    profile: str
    pix_fmt: str
    width: int
    height: int
    sar: Fraction  #: sample (pixel) aspect ratio; 1 for square pixels
    fps: Fraction
    color_range: str  #: "tv", "pc" or ""
    time_base: Fraction | None = None
    frame_count: int | None = None
    duration: float | None = None  #: from the packets, when listed
    #: the display matrix's rotation, degrees counter-clockwise (0, 90, 180 or 270); the
    #: stored frames are turned by it when decoded, so only an unrotated stream can be copied
    rotation: int = 0
    #: colour as the banner prints it: ``bt709`` (matrix, primaries and transfer alike) or
    #: ``bt470bg/bt470bg/smpte170m``; "" when the file does not say
    color_space: str = ""

    @property
    def color_matrix(self) -> str:
        """The YUV matrix (``bt709``, ``bt470bg`` …), "" when the file does not say."""
        m = self.color_space.split("/")[0]
        return "" if m in ("unknown", "reserved") else m

    @property
    def display_width(self) -> int:
        """Width after applying the SAR (what a player shows)."""
        return round(self.width * self.sar)

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"


@dataclass(frozen=True)
class AudioStream:
    codec: str
    sample_rate: int
    channels: int
    layout: str


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    format_name: str
    duration: float  #: seconds (the video stream's when there is one)
    video: VideoStream | None
    audio: AudioStream | None

    @property
    def has_video(self) -> bool:
        return self.video is not None

    @property
    def has_audio(self) -> bool:
        return self.audio is not None


_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_INPUT = re.compile(r"^Input #0, ([^,]+(?:,[^,]+)*?), from ", re.MULTILINE)
_STREAM = re.compile(
    r"^\s*Stream #0:(\d+)(?:\[[^\]]*\])?(?:\([^)]*\))?: (Video|Audio|Data|Subtitle): (.*)$",
    re.MULTILINE)
_KNOWN_RATES = {"23.98": Fraction(24000, 1001), "29.97": Fraction(30000, 1001),
                "59.94": Fraction(60000, 1001), "47.95": Fraction(48000, 1001),
                "119.88": Fraction(120000, 1001)}
_LAYOUT_CHANNELS = {"mono": 1, "stereo": 2, "2.1": 3, "3.0": 4, "quad": 4, "4.0": 4,
                    "5.0": 5, "5.0(side)": 5, "5.1": 6, "5.1(side)": 6, "6.1": 7, "7.1": 8}


def _split_params(text: str) -> list[str]:
    """Split a stream description on commas that are not inside parentheses."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def _parse_video(desc: str) -> VideoStream:
    parts = _split_params(desc)
    head = parts[0]
    codec = head.split()[0]
    pm = re.search(r"\(([^)]*)\)", head)
    profile = pm.group(1) if pm and "/" not in pm.group(1) else ""
    pix_fmt, color_range, color_space, width, height = "", "", "", 0, 0
    sar = Fraction(1)
    fps = Fraction(0)
    for p in parts[1:]:
        m = re.match(r"^(\d+)x(\d+)", p)
        if m and not width:
            width, height = int(m.group(1)), int(m.group(2))
            sm = re.search(r"SAR (\d+):(\d+)", p)
            if sm and int(sm.group(2)) and int(sm.group(1)):
                sar = Fraction(int(sm.group(1)), int(sm.group(2)))
            continue
        if not pix_fmt and width == 0 and re.match(r"^[a-z0-9_]+(\(|$)", p):
            pix_fmt = p.split("(")[0]
            rm = re.search(r"\((tv|pc)\b", p)
            color_range = rm.group(1) if rm else ""
            inner = p.partition("(")[2].rstrip(")").split(", ")
            for token in inner:
                if token not in ("tv", "pc", "progressive") and re.match(
                        r"^[a-z0-9-]+(/[a-z0-9-]+/[a-z0-9-]+)?$", token) and not re.match(
                        r"^(top|bottom) ", token):
                    color_space = token
                    break
            continue
        m = re.match(r"^([\d.]+) fps$", p)
        if m:
            fps = _KNOWN_RATES.get(m.group(1)) or Fraction(m.group(1)).limit_denominator(1001)
            continue
        m = re.match(r"^([\d.]+k?) tbr$", p)
        if m and not fps and not m.group(1).endswith("k"):
            fps = _KNOWN_RATES.get(m.group(1)) or Fraction(m.group(1)).limit_denominator(1001)
    return VideoStream(codec, profile, pix_fmt, width, height, sar, fps, color_range,
                       color_space=color_space)


def _parse_audio(desc: str) -> AudioStream:
    parts = _split_params(desc)
    codec = parts[0].split()[0]
    rate, channels, layout = 0, 0, ""
    for p in parts[1:]:
        m = re.match(r"^(\d+) Hz$", p)
        if m:
            rate = int(m.group(1))
            continue
        if not layout and (p in _LAYOUT_CHANNELS or re.match(r"^\d+ channels", p)):
            layout = p
            m = re.match(r"^(\d+) channels", p)
            channels = int(m.group(1)) if m else _LAYOUT_CHANNELS[p]
    return AudioStream(codec, rate, channels, layout)


_ROTATION = re.compile(r"display ?matrix: rotation of (-?[\d.]+) degrees", re.IGNORECASE)


def _rotated(video: VideoStream, block: str) -> VideoStream:
    """Apply the display matrix printed in a stream's side data (``block``) to ``video``."""
    m = _ROTATION.search(block)
    if not m:
        return video
    turn = round(float(m.group(1)) / 90) * 90 % 360
    if turn in (90, 270):
        return replace(video, width=video.height, height=video.width, rotation=turn,
                       sar=1 / video.sar if video.sar else video.sar)
    return replace(video, rotation=turn)


def parse_banner(path: Path, text: str) -> MediaInfo:
    """Parse what ``ffmpeg -i`` prints (exposed for tests)."""
    if "Invalid data found when processing input" in text or "moov atom not found" in text:
        raise MediaError(f"{path.name}: not a video or audio file ffmpeg can read")
    if "No such file or directory" in text:
        raise MediaError(f"{path.name}: the file does not exist")
    if "Input #0" not in text:
        tail = [ln for ln in text.splitlines() if ln.strip()][-1:] or ["no output"]
        raise MediaError(f"{path.name}: ffmpeg cannot read it ({tail[0].strip()})")
    fm = _INPUT.search(text)
    fmt = fm.group(1) if fm else ""
    dm = _DURATION.search(text)
    duration = 0.0
    if dm:
        duration = int(dm.group(1)) * 3600 + int(dm.group(2)) * 60 + float(dm.group(3))
    video = audio = None
    streams = list(_STREAM.finditer(text))
    for k, m in enumerate(streams):
        kind, desc = m.group(2), m.group(3)
        if kind == "Video" and video is None and "attached pic" not in desc:
            # the stream's own lines (metadata, side data) run to the next stream's line
            end = streams[k + 1].start() if k + 1 < len(streams) else len(text)
            out = text.find("Output #", m.end(), end)
            end = out if out >= 0 else end
            video = _rotated(_parse_video(desc), text[m.end():end])
        elif kind == "Audio" and audio is None:
            audio = _parse_audio(desc)
    return MediaInfo(path, fmt, duration, video, audio)


@dataclass(frozen=True)
class PacketList:
    time_base: Fraction
    pts: tuple[int, ...]
    durations: tuple[int, ...]
    dts: tuple[int, ...] = ()  #: decode timestamps, in decode order like ``pts``

    def times(self) -> list[float]:
        return [float(p * self.time_base) for p in self.pts]

    def sorted_pts(self) -> list[int]:
        """Presentation timestamps in display order (frame ``k`` of the stream is ``[k]``)."""
        return sorted(self.pts)

    @property
    def first_delay(self) -> int:
        """pts − dts of the first packet (the B-frame reorder delay), in the time base."""
        return self.pts[0] - self.dts[0] if self.pts and self.dts else 0


def parse_framemd5(text: str, stream: int = 0) -> PacketList:
    tb = Fraction(1)
    pts: list[int] = []
    durs: list[int] = []
    dts: list[int] = []
    for line in text.splitlines():
        if line.startswith("#tb "):
            idx, _, val = line[4:].partition(":")
            if idx.strip() == str(stream):
                num, _, den = val.strip().partition("/")
                tb = Fraction(int(num), int(den or 1))
            continue
        if not line or line.startswith("#"):
            continue
        cols = [c.strip() for c in line.split(",")]
        if len(cols) >= 5 and cols[0] == str(stream):
            dts.append(int(cols[1]))
            pts.append(int(cols[2]))
            durs.append(int(cols[3]))
    return PacketList(tb, tuple(pts), tuple(durs), tuple(dts))


def list_packets(path: Path, ffmpeg: FFmpeg | None = None, keyframes_only: bool = False,
                 stream: str = "v:0", idr_only: bool = False) -> PacketList:
    """Every packet (or keyframe, or H.264 IDR access unit) of one stream, without decoding.

    ``idr_only`` keeps the packets that hold an IDR slice (NAL type 5): only those can start
    a stream copy — an open-GOP I frame is flagged as a keyframe but its leading pictures
    reference the previous GOP. Only meaningful for H.264.
    """
    path = Path(path)
    args = ["-i", str(path.absolute()), "-map", f"0:{stream}", "-c", "copy"]
    if idr_only:
        # filter_units empties every packet without an IDR slice; empty packets are dropped
        args += ["-bsf:v", "filter_units=pass_types=5"]
    elif keyframes_only:
        args += ["-bsf:v", "noise=drop=not(key)"]
    args += ["-f", "framemd5", "-"]
    try:
        proc = run_ffmpeg(args, ffmpeg=ffmpeg, timeout=120, what=f"listing packets of {path.name}")
    except FFmpegError as e:
        raise MediaError(f"{path.name}: cannot list its packets ({e})") from None
    return parse_framemd5(proc.stdout.decode("ascii", "replace"))


def keyframe_times(path: Path, ffmpeg: FFmpeg | None = None) -> list[float]:
    """Presentation times of the video keyframes, ascending."""
    return sorted(list_packets(path, ffmpeg, keyframes_only=True).times())


def idr_times(path: Path, ffmpeg: FFmpeg | None = None) -> list[float]:
    """Presentation times of the H.264 IDR frames, ascending (where a copy may start)."""
    return sorted(list_packets(path, ffmpeg, idr_only=True).times())


def probe(path: Path | str, ffmpeg: FFmpeg | None = None, count_frames: bool = True) -> MediaInfo:
    """Describe a media file; raises :class:`MediaError` for anything that is not usable."""
    path = Path(path)
    if not path.exists():
        raise MediaError(f"{path}: the file does not exist")
    if not path.is_file():
        raise MediaError(f"{path}: not a file")
    ff = ffmpeg or find_ffmpeg()
    import subprocess

    # absolute, so a name starting with "-" is never read as an option
    proc = subprocess.run([ff.path, "-hide_banner", "-nostdin", "-i", str(path.absolute())],
                          capture_output=True, stdin=subprocess.DEVNULL, timeout=60, check=False)
    info = parse_banner(path, proc.stderr.decode("utf-8", "replace"))
    if info.video is None or not count_frames:
        return info
    packets = list_packets(path, ff)
    if not packets.pts:
        raise MediaError(f"{path.name}: the video stream has no frames")
    tb = packets.time_base
    start = min(packets.pts)
    end = max(p + d for p, d in zip(packets.pts, packets.durations))
    duration = float((end - start) * tb)
    fps = info.video.fps
    if end > start:
        # The average over the whole stream: container time bases can be as coarse as 1 ms,
        # so single packet durations are rounded. Keep the banner's exact (NTSC) fraction
        # when it agrees within 2 %; otherwise (variable frame rate, a lying header) measure.
        measured = Fraction(len(packets.pts)) / ((end - start) * tb)
        if not fps or abs(float(measured) / float(fps) - 1) > 0.02:
            fps = measured.limit_denominator(1001)
    video = replace(info.video, time_base=tb, frame_count=len(packets.pts), duration=duration,
                    fps=fps)
    return MediaInfo(path, info.format_name, duration, video, info.audio)
