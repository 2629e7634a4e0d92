"""Smart render: copy the takes' frames unchanged (frame-exact), encode only around transitions.

How (measured facts in the team's smart-render notes):

* every frame outside a transition window is stream-copied; a copy starts only at an IDR
  frame and ends after a closed run of frames in decode order (a mini-GOP: nothing kept
  refers to a frame after it) or at the end of the stream, and is cut by dropping packets on
  their pts with the ``noise`` bitstream filter — exact, where ``-ss/-to`` with ``-c copy``
  were off by two packets;
* each window — from just before a transition to the first IDR after it — is encoded with
  the source's own x264 settings (read from the SEI x264 writes into every clip), so its
  SPS/PPS usually come out byte-identical; when they do not, the film is tagged ``avc3``
  (parameter sets in band) and the summary says so;
* every piece is MPEG-TS (one 1/90000 time base) and the concat demuxer joins them into MP4;
  pieces whose B-frame delay differs are evened out with ``setts``; the windows are encoded
  concurrently (two at a time on two cores);
* the audio is encoded in one pass over the whole film, in parallel with the video, for
  every film (cuts only too): AAC packets last 1024 samples, so copied takes' sound could
  only start on a 21.3 ms grid, never on the first frame of each take; the one-pass encode
  starts with its priming packet and puts every join on its sample (tests/stitch/test_sync);
* a film of cuts between whole GOPs is one ffmpeg run: the picture copied straight from the
  takes (concat demuxer with ``inpoint``/``duration``, the unused packets dropped by number,
  ``-copyts`` so that the takes' audio priming does not delay it) while the same process
  decodes, joins and encodes the sound on its own threads — no audio file, no second pass.

Per segment: a take in another format than the film (codec, size, pixel shape, frame rate,
pixel format, H.264 profile — the reference is the film's size and rate and the profile of
most of the copyable footage) is encoded whole, normalised like the windows and with the
copied takes' x264 settings, and :meth:`SmartPlan.segments` says why. Only when nothing at
all can be copied does the export fall back to a full encode, saying why segment by segment.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import cached_property
from pathlib import Path

from soraboard.media.ffmpeg import FFmpeg, FFmpegError, run_ffmpeg, stderr_tail
from soraboard.media.probe import MediaError, PacketList, parse_framemd5
from soraboard.stitch.plan import ExportPlan, Join, OutputFormat, Part, Source, timeline_graph
from soraboard.stitch.runner import OUTPUT, Step

#: x264 options (as its SEI prints them) that are passed back to x264 for the windows; the
#: ones left out are derived by x264 itself (chroma_qp_offset) or not settable (analyse)
_X264_KEYS = ("cabac", "ref", "deblock", "subme", "psy", "mixed_ref", "me_range", "chroma_me",
              "trellis", "8x8dct", "fast_pskip", "bframes", "b_pyramid", "b_adapt", "direct",
              "weightb", "weightp", "keyint", "keyint_min", "scenecut", "rc_lookahead",
              "crf", "qcomp", "aq", "open_gop", "mbtree")
_DIRECT = {"0": "none", "1": "spatial", "2": "temporal", "3": "auto"}


def x264_options(path: Path, limit: int = 1 << 20) -> dict[str, str]:
    """The options x264 wrote into the clip's SEI (empty for other encoders)."""
    with open(path, "rb") as f:
        head = f.read(limit)
    m = re.search(rb"x264 - core \d+.*? - options: ([ -~]+)", head)
    if not m:
        return {}
    out: dict[str, str] = {}
    for item in m.group(1).decode("ascii").split(" "):
        key, eq, value = item.partition("=")
        if eq:
            out[key] = value
    return out


#: search settings that change no SPS/PPS bit (measured: the parameter sets stay identical)
#: but make the windows several times cheaper; applied only when faster than the source's
_FAST = {"me": "dia", "subme": "2", "trellis": "0", "rc_lookahead": "10", "mixed_ref": "0"}


def x264_params(options: Mapping[str, str], fast: bool = True) -> str:
    """``-x264-params`` reproducing the source's encoder settings, as far as they can be set.

    With ``fast``, motion search and lookahead are turned down where that leaves the
    bitstream headers unchanged (the export still checks, and says so when they differ).
    """
    params = []
    options = dict(options)
    extra: list[str] = []
    if fast:
        psy_rd_dropped = int(options.get("subme", "0")) >= 6
        for key, value in _FAST.items():
            if key == "me" or int(options.get(key, "0") or 0) > int(value):
                options[key] = value
        # no sub-partition search: the windows are short blends; measured 20 % faster
        extra.append("partitions=none")
        if psy_rd_dropped and "chroma_qp_offset" in options:
            # below subme 6 x264 applies no psy-RD, and psy-RD is what moved the chroma QP
            # offset the SEI prints: pass that final value, so the PPS stays identical
            extra.append(f"chroma_qp_offset={options['chroma_qp_offset']}")
    for key in (*_X264_KEYS, "me"):
        if key not in options:
            continue
        value = options[key]
        if key == "deblock":
            on, _, rest = value.partition(":")
            value = rest.replace(":", ",") if on == "1" else "0"
            key = "deblock" if on == "1" else "no-deblock"
            if key == "no-deblock":
                params.append("no-deblock=1")
                continue
        elif key == "direct":
            value = _DIRECT.get(value, value)
        elif key == "aq":
            mode, _, strength = value.partition(":")
            params.append(f"aq-mode={mode}")
            if strength:
                params.append(f"aq-strength={strength}")
            continue
        elif key in ("rc_lookahead", "crf") and options.get("rc") != "crf":
            continue
        params.append(f"{key}={value}")
    return ":".join(params + extra)


@dataclass(frozen=True)
class SmartSource:
    """What the smart plan needs to know about one take: its frames and where IDRs are.

    A take that cannot be copied into the film (``reason`` says why) has one "frame" per film
    frame it lasts, no IDR, and ``offset`` = its trim in: it is encoded whole, normalised to
    the film's format like the transition windows.
    """

    index: int
    pts: tuple[int, ...]  #: presentation timestamps in display order (frame k is pts[k])
    time_base: Fraction
    idr: frozenset[int]  #: frame indices of IDR frames
    first: int  #: index of the first used frame
    x264: str = ""  #: ``-x264-params`` matching the source; "" = not an x264 clip
    delay: Fraction = Fraction(0)  #: B-frame delay (pts − dts of the first packet), seconds
    parameter_sets: bytes = b""  #: the SPS/PPS (Annex B), to compare with the windows'
    #: the video packets' pts in decode (file) order; empty when unknown
    decode_pts: tuple[int, ...] = ()
    reason: str = ""  #: why the take is encoded whole rather than copied ("" = copyable)
    offset: Fraction = Fraction(0)  #: seconds into the file of ``pts[0]``'s frame (see above)
    #: stream types in file order ("video", "audio", …) for a one-pass concat of the takes
    streams: tuple[str, ...] = ()
    file_start: Fraction | None = None  #: the file's start time, seconds (None: unknown)

    @property
    def count(self) -> int:
        return len(self.pts)

    @property
    def copyable(self) -> bool:
        return not self.reason

    def time(self, frame: int) -> Fraction:
        """Presentation time of frame ``frame`` (relative to the stream's first frame)."""
        return self.offset + (self.pts[frame] - self.pts[0]) * self.time_base

    def seconds(self, frame: int) -> float:
        """Presentation time of frame ``frame`` (its pts, relative to the stream's start)."""
        return float(self.time(frame))

    @cached_property
    def ends(self) -> frozenset[int]:
        """Frame indices ``k`` where a copy may end: frames ``[…, k)`` are exactly a prefix of
        the stream in decode order, so none of them refers to a frame after the cut (a frame
        can only refer to frames decoded before it). Every mini-GOP ends at one; without the
        decode order, only IDR frames are known to be such points."""
        if not self.decode_pts or not self.copyable:
            return self.idr
        index = {p: k for k, p in enumerate(self.pts)}
        out, top = set(), -1
        for seen, p in enumerate(self.decode_pts, start=1):
            k = index.get(p)
            if k is None:
                return self.idr
            top = max(top, k)
            if seen == top + 1:
                out.add(top + 1)
        return frozenset(out | self.idr)


@dataclass(frozen=True)
class CopyPiece:
    """Frames ``[start, end)`` of source ``index``, stream-copied."""

    index: int
    start: int
    end: int

    @property
    def frames(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class WindowPart:
    index: int
    start: int  #: first source frame
    end: int


@dataclass(frozen=True)
class Window:
    """A run of frames re-encoded: parts of consecutive sources with the joins between them."""

    parts: tuple[WindowPart, ...]
    joins: tuple[Join, ...]

    @property
    def frames(self) -> int:
        return sum(p.end - p.start for p in self.parts) - sum(
            j.frames for j in self.joins if not j.is_cut)

    @property
    def transitions(self) -> int:
        return sum(1 for j in self.joins if not j.is_cut)


Piece = CopyPiece | Window


@dataclass(frozen=True)
class SegmentReport:
    """What the smart export does with one segment's take: copied, or encoded and why."""

    index: int
    segment_id: str
    label: str  #: ``segment 3 “Harbour”``
    copied_seconds: float
    encoded_seconds: float  #: whole take, or its share of the windows around transitions
    reason: str = ""  #: why the take is encoded whole ("" = copied)

    @property
    def copied(self) -> bool:
        return not self.reason

    @property
    def status(self) -> str:
        """``copied`` or the reason it was encoded, e.g. ``HEVC, the film is H.264``."""
        return "copied" if self.copied else self.reason

    @property
    def text(self) -> str:
        """``segment 2 “Shot 2”: encoded — 1080x1920 portrait, the film is 1280x720``."""
        if not self.copied:
            return f"{self.label}: encoded — {self.reason}"
        extra = (f", {self.encoded_seconds:.1f} s encoded around its transitions"
                 if self.encoded_seconds > 0 else "")
        return f"{self.label}: copied ({self.copied_seconds:.1f} s frame-exact{extra})"


#: why a take that could be copied was not: no IDR frame outside its transition windows
NO_IDR = "no IDR frame outside its transitions to start a copy from"


@dataclass(frozen=True)
class SmartPlan:
    """The pieces of a smart export, in film order."""

    plan: ExportPlan
    sources: Mapping[int, SmartSource]
    pieces: tuple[Piece, ...]
    profile: str = ""  #: the film's H.264 profile (the copied takes'); "" = the first part's
    x264: str = ""  #: ``-x264-params`` for windows without a copied take in them

    @property
    def windows(self) -> list[Window]:
        return [p for p in self.pieces if isinstance(p, Window)]

    @property
    def copied_frames(self) -> int:
        return sum(p.frames for p in self.pieces if isinstance(p, CopyPiece))

    @property
    def encoded_frames(self) -> int:
        return sum(p.frames for p in self.windows)

    @property
    def copied_seconds(self) -> float:
        return self.plan.format.seconds(self.copied_frames)

    @property
    def encoded_seconds(self) -> float:
        return self.plan.format.seconds(self.encoded_frames)

    @property
    def encoded_takes(self) -> int:
        """Takes encoded whole (another format than the film's, or no IDR to copy from)."""
        return sum(1 for r in self.segments() if not r.copied)

    def segments(self) -> list[SegmentReport]:
        """Per segment: copied, or encoded and why (for the CLI and the export dialog)."""
        fmt = self.plan.format
        copied: dict[int, int] = {}
        encoded: dict[int, int] = {}
        for piece in self.pieces:
            if isinstance(piece, CopyPiece):
                copied[piece.index] = copied.get(piece.index, 0) + piece.frames
            else:
                for part in piece.parts:
                    encoded[part.index] = encoded.get(part.index, 0) + part.end - part.start
        out = []
        for s in self.plan.sources:
            src = self.sources[s.index]
            reason = src.reason or ("" if copied.get(s.index) else NO_IDR)
            out.append(SegmentReport(s.index, s.segment_id, s.label,
                                     fmt.seconds(copied.get(s.index, 0)),
                                     fmt.seconds(encoded.get(s.index, 0)), reason))
        return out

    def summary(self) -> str:
        """``copies 55.4 s of the takes frame-exact, encodes 4.6 s around 2 transitions``."""
        if not self.windows:
            return (f"copies all {self.copied_seconds:.1f} s of the takes frame-exact "
                    "(stream copy; the sound is encoded in one pass, in sync at every cut)")
        n = self.plan.transitions_count
        whole = self.encoded_takes
        if whole:
            total = len(self.plan.sources)
            around = f", and around {n} transition{'s' if n != 1 else ''}" if n else ""
            return (f"copies {self.copied_seconds:.1f} s of the takes frame-exact, encodes "
                    f"{self.encoded_seconds:.1f} s ({whole} of {total} takes whole{around})")
        around = f" around {n} transition{'s' if n != 1 else ''}" if n else " at trim points"
        return (f"copies {self.copied_seconds:.1f} s of the takes frame-exact, encodes "
                f"{self.encoded_seconds:.1f} s{around}")

    def window_ranges(self) -> list[tuple[int, int]]:
        """Film frame ranges ``[start, end)`` that are re-encoded (for tests and reports)."""
        out, pos = [], 0
        for p in self.pieces:
            if isinstance(p, Window):
                out.append((pos, pos + p.frames))
            pos += p.frames
        return out


def _next_idr(src: SmartSource, frame: int) -> int | None:
    cands = [k for k in src.idr if k >= frame]
    return min(cands) if cands else None


def _last_cut_point(src: SmartSource, frame: int) -> int | None:
    """The last place ≤ ``frame`` where a copy may end: after a closed run of frames in decode
    order (see :attr:`SmartSource.ends`), or at the stream's end."""
    cands = [k for k in src.ends if k <= frame]
    if frame >= src.count:
        cands.append(src.count)
    return max(cands) if cands else None


def plan_smart(plan: ExportPlan, sources: Mapping[int, SmartSource], *, profile: str = "",
               x264: str = "") -> SmartPlan:
    """Split the film into copies and windows (pure: golden-tested).

    A take that cannot be copied (``SmartSource.reason``) has no IDR: it is one window with
    the transitions on either side. ``profile`` and ``x264`` are the film's reference H.264
    profile and x264 settings, for windows that hold no copyable take.
    """
    tokens: list[tuple[str, object]] = []
    n = len(plan.sources)
    for i, s in enumerate(plan.sources):
        src = sources[i]
        a, b = src.first, src.first + s.frames
        d_in = plan.joins[i - 1].frames if i > 0 and not plan.joins[i - 1].is_cut else 0
        d_out = plan.joins[i].frames if i < n - 1 and not plan.joins[i].is_cut else 0
        c_start = _next_idr(src, a + d_in)
        c_end = _last_cut_point(src, b - d_out)
        if c_start is not None and c_end is not None and c_start < c_end:
            tokens.append(("E", WindowPart(i, a, c_start)))
            tokens.append(("C", CopyPiece(i, c_start, c_end)))
            tokens.append(("E", WindowPart(i, c_end, b)))
        else:  # no IDR to start a copy from: the whole clip is encoded (windows merge)
            tokens.append(("E", WindowPart(i, a, b)))
        if i < n - 1:
            tokens.append(("J", plan.joins[i]))
    pieces: list[Piece] = []
    parts: list[WindowPart] = []
    joins: list[Join] = []
    pending: Join | None = None

    def close() -> None:
        nonlocal parts, joins
        if parts:
            pieces.append(Window(tuple(parts), tuple(joins)))
        parts, joins = [], []

    for kind, item in tokens:
        if kind == "J":
            assert isinstance(item, Join)
            pending = item
        elif kind == "C":
            assert isinstance(item, CopyPiece)
            close()
            pending = None
            pieces.append(item)
        else:
            assert isinstance(item, WindowPart)
            if item.end <= item.start:
                continue
            if parts:
                assert pending is not None
                joins.append(pending)
            pending = None
            parts.append(item)
    close()
    return SmartPlan(plan, sources, tuple(pieces), profile, x264)


# ---------------------------------------------------------------------------- analysis


_CODEC_NAMES = {"h264": "H.264", "hevc": "HEVC", "prores": "ProRes", "vp9": "VP9",
                "vp8": "VP8", "av1": "AV1", "mpeg4": "MPEG-4", "mpeg2video": "MPEG-2",
                "mjpeg": "Motion JPEG", "dnxhd": "DNxHD"}


def _fps_text(fps: Fraction) -> str:
    return f"{float(fps):.3f}".rstrip("0").rstrip(".")


def copy_problem(source: Source, fmt: OutputFormat, profile: str | None = None) -> str:
    """Why this take's frames cannot be copied into a film of format ``fmt`` ("" = they can),
    film-relative: ``1080x1920 portrait, the film is 1280x720; 25 fps, the film is 30 fps``.

    ``profile``: the film's H.264 profile (the reference), when it is known.
    """
    v = source.info.video if source.info is not None else None
    if source.is_slate or v is None:
        return "no take to copy"
    why = []
    if v.codec != "h264":
        why.append(f"{_CODEC_NAMES.get(v.codec, v.codec)}, the film is H.264")
    if (v.width, v.height) != (fmt.width, fmt.height):
        shape = " portrait" if v.height > v.width and fmt.width >= fmt.height else ""
        why.append(f"{v.width}x{v.height}{shape}, the film is {fmt.size}")
    if v.sar != 1:
        why.append(f"non-square pixels (SAR {v.sar.numerator}:{v.sar.denominator})")
    if v.color_range == "pc" and not v.pix_fmt.startswith("yuvj"):  # yuvj: said below
        why.append("full-range colour, the film is limited (TV) range")
    if v.color_matrix not in ("", "bt709"):
        why.append(f"{v.color_matrix} colour, the film is BT.709")
    if v.rotation:
        # its frames are stored turned: copied, they would play sideways or mixed sizes
        why.append(f"stored rotated ({v.rotation}° display matrix)")
    if v.fps != fmt.fps:
        why.append(f"{_fps_text(v.fps)} fps, the film is {_fps_text(fmt.fps)} fps")
    if v.pix_fmt != fmt.pix_fmt:
        full = " (full range)" if v.pix_fmt.startswith("yuvj") else ""
        why.append(f"{v.pix_fmt}{full}, the film is {fmt.pix_fmt}")
    if not why and profile is not None and v.profile != profile:
        why.append(f"H.264 {v.profile or 'of an unknown profile'}, the film is {profile}")
    return "; ".join(why)


def reference_profile(plan: ExportPlan) -> str | None:
    """The H.264 profile of most of the copyable footage (by used length; ties: the first),
    None when no take matches the film's codec, size, pixel shape, rate and pixel format."""
    seconds: dict[str, float] = {}
    for s in plan.sources:
        if copy_problem(s, plan.format) == "":
            assert s.info is not None and s.info.video is not None
            seconds[s.info.video.profile] = (seconds.get(s.info.video.profile, 0.0)
                                             + s.t_out - s.t_in)
    if not seconds:
        return None
    return max(seconds, key=lambda k: seconds[k])


def compatibility_problems(plan: ExportPlan) -> list[str]:
    """Why each take that cannot be copied into this film cannot (empty = all can)."""
    profile = reference_profile(plan)
    out = []
    for s in plan.sources:
        why = copy_problem(s, plan.format, profile)
        if why:
            out.append(f"{s.label}: {why}")
    return out


@dataclass(frozen=True)
class ClipFacts:
    """What one ffmpeg run tells about a take file (cached by path, size and mtime)."""

    video: PacketList | None
    idr: PacketList | None
    audio: PacketList | None
    parameter_sets: bytes
    streams: tuple[str, ...]
    start: Fraction | None = None  #: the file's start time (the banner's ``start:``)


_FACTS: dict[tuple[str, int, int, bool, bool], ClipFacts] = {}
_FACTS_LOCK = threading.Lock()
_STREAM_LINE = re.compile(r"^\s*Stream #0:(\d+)\S*: (Video|Audio|Data|Subtitle|Attachment):",
                          re.MULTILINE)


def clip_facts(path: Path, ffmpeg: FFmpeg, *, video: bool = True,
               audio: bool = False) -> ClipFacts:
    """Packets (all, IDR only), AAC packets and SPS/PPS of a take, listed in one ffmpeg run
    without decoding (timestamps as the demuxer gives them: ``-copyts``). Cached while the
    file keeps its size and modification time, so preparing every preset and then the
    export lists each take once."""
    st = path.stat()
    key = (str(path.absolute()), st.st_size, st.st_mtime_ns, video, audio)
    with _FACTS_LOCK:
        hit = _FACTS.get(key)
    if hit is not None:
        return hit
    with tempfile.TemporaryDirectory(prefix="soraboard-smart-") as tmp:
        d = Path(tmp)
        args = ["-copyts", "-i", str(path.absolute())]
        if video:
            args += ["-map", "0:v:0", "-c", "copy", "-f", "framemd5", str(d / "v.md5"),
                     "-map", "0:v:0", "-c", "copy", "-bsf:v", "filter_units=pass_types=5",
                     "-f", "framemd5", str(d / "idr.md5"),
                     "-map", "0:v:0", "-c", "copy", "-bsf:v",
                     "h264_mp4toannexb,filter_units=pass_types=7-8", "-frames:v", "1",
                     "-f", "h264", str(d / "ps.h264")]
        if audio:
            args += ["-map", "0:a:0", "-c", "copy", "-f", "framemd5", str(d / "a.md5")]
        if not video and not audio:
            args += ["-map", "0", "-c", "copy", "-frames", "0", "-f", "null", "-"]
        proc = _run_info(args, ffmpeg, f"listing the packets of {path.name}")
        streams = tuple(m.group(2).lower() for m in _STREAM_LINE.finditer(
            proc.split("Output #0")[0]))

        def listing(name: str) -> PacketList | None:
            f = d / name
            return parse_framemd5(f.read_text("ascii", "replace")) if f.is_file() else None

        ps = d / "ps.h264"
        m = re.search(r"Duration: [^,]*, start: (-?[\d.]+)", proc)
        facts = ClipFacts(listing("v.md5"), listing("idr.md5"), listing("a.md5"),
                          annexb_parameter_sets(ps.read_bytes()) if ps.is_file() else b"",
                          streams, Fraction(m.group(1)) if m else None)
    with _FACTS_LOCK:
        if len(_FACTS) > 512:
            _FACTS.clear()
        _FACTS[key] = facts
    return facts


def _run_info(args: Sequence[str], ffmpeg: FFmpeg, what: str) -> str:
    """Run ffmpeg (log level info: the input's banner is wanted); return its stderr."""
    try:
        proc = run_ffmpeg(["-y", *args], ffmpeg=ffmpeg, timeout=120, what=what, loglevel="info")
    except FFmpegError as e:
        if e.returncode is None:  # stopped by the timeout
            raise MediaError(f"{what} took too long") from None
        raise MediaError(f"{what} failed: {stderr_tail(e.stderr, 3)}") from None
    return proc.stderr.decode("utf-8", "replace")


def _source_of(s: Source, packets: PacketList, idr: PacketList, x264: str) -> SmartSource:
    pts = tuple(packets.sorted_pts())
    tb = packets.time_base
    half = Fraction(1, 2) / (s.src_fps * tb)  # half a frame, in time-base units
    want = Fraction(s.t_in) / tb + pts[0]
    first = next((k for k, p in enumerate(pts) if p >= want - half), len(pts))
    idr_pts = set(idr.pts)
    return SmartSource(s.index, pts, tb, frozenset(k for k, p in enumerate(pts) if p in idr_pts),
                       first, x264, decode_pts=packets.pts)


def _constant_rate(src: SmartSource, fps: Fraction) -> bool:
    """Whether every frame of the take lasts one film frame (within 2 % or a tick)."""
    step = 1 / (fps * src.time_base)
    slack = max(Fraction(1), step / 50)
    return all(abs(b - a - step) <= slack for a, b in zip(src.pts, src.pts[1:]))


def encoded_source(s: Source, fmt: OutputFormat, reason: str) -> SmartSource:
    """A take encoded whole: one "frame" per film frame, starting at its trim in."""
    return SmartSource(s.index, tuple(range(s.frames)), 1 / fmt.fps, frozenset(), 0,
                       reason=reason, offset=Fraction(s.t_in).limit_denominator(1_000_000))


@dataclass
class Analysis:
    """Each take as the smart plan sees it, and the film's reference H.264 parameters."""

    sources: dict[int, SmartSource]
    profile: str | None  #: None: no take matches the film: nothing can be copied
    x264: str = ""  #: the reference take's ``-x264-params`` (windows of encoded takes use it)
    problems: list[str] = field(default_factory=list)  #: ``segment 2 “x”: why`` per encoded take


def analyse(plan: ExportPlan, ffmpeg: FFmpeg) -> Analysis:
    """List each take's frames and IDRs; say per take whether it can be copied and why not."""
    fmt = plan.format
    profile = reference_profile(plan)
    out: dict[int, SmartSource] = {}
    problems: list[str] = []
    weight: dict[str, float] = {}
    for s in plan.sources:
        why = copy_problem(s, fmt, profile)
        facts: ClipFacts | None = None
        if s.path is not None and not why:
            try:
                facts = clip_facts(s.path, ffmpeg)
            except (MediaError, OSError) as e:
                why = why or f"cannot list its packets ({one_line_error(e)})"
        src: SmartSource
        if not why and facts is not None and facts.video and facts.idr and facts.video.pts:
            assert s.path is not None
            src = _source_of(s, facts.video, facts.idr, x264_params(x264_options(s.path)))
            src = replace(src, delay=facts.video.first_delay * facts.video.time_base,
                          parameter_sets=facts.parameter_sets, streams=facts.streams,
                          file_start=facts.start)
            if src.first + s.frames > src.count:
                why = (f"has {src.count - src.first} frames from its trim in, "
                       f"the film needs {s.frames}")
            elif not _constant_rate(src, fmt.fps):
                why = "a variable frame rate, the film's is constant"
            else:
                weight[src.x264] = weight.get(src.x264, 0.0) + s.t_out - s.t_in
        elif not why:
            why = "its packets cannot be listed"
        if why:
            src = encoded_source(s, fmt, why)
            problems.append(f"{s.label}: {why}")
        out[s.index] = src
    x264 = max(weight, key=lambda k: weight[k]) if weight else ""
    return Analysis(out, profile if weight else None, x264, problems)


def one_line_error(e: BaseException) -> str:
    return " ".join(str(e).split())[:200]


def annexb_parameter_sets(data: bytes) -> bytes:
    """The SPS and PPS NAL units of an Annex B stream, each behind a 4-byte start code
    (normalised, so sets read from an MP4 and from an MPEG-TS compare equal)."""
    out = []
    for nal in re.split(b"\x00\x00\x01", data):
        nal = nal.rstrip(b"\x00")
        if nal and nal[0] & 0x1F in (7, 8):
            out.append(b"\x00\x00\x00\x01" + nal)
    return b"".join(out)


def _ts_time(b: bytes | bytearray) -> int:
    return (((b[0] >> 1) & 7) << 30) | (b[1] << 22) | ((b[2] >> 1) << 15) | (b[3] << 7) | (
        b[4] >> 1)


def ts_first_picture(path: Path, limit: int = 4 << 20) -> tuple[Fraction, bytes]:
    """(B-frame delay in seconds, SPS/PPS) of the first video access unit of an MPEG-TS file,
    read from its PES header and payload — what the windows need checking, without running
    ffmpeg."""
    with open(path, "rb") as f:
        data = f.read(limit)
    pid: int | None = None
    pes = bytearray()
    for off in range(0, len(data) - 187, 188):
        if data[off] != 0x47:
            raise MediaError(f"{path.name}: not an MPEG-TS file")
        start = data[off + 1] & 0x40
        this = ((data[off + 1] & 0x1F) << 8) | data[off + 2]
        control = (data[off + 3] >> 4) & 3
        i = off + 4
        if control & 2:
            i += 1 + data[off + 4]
        if not control & 1 or i >= off + 188:
            continue
        body = data[i:off + 188]
        if pid is None:
            if start and body[:3] == b"\x00\x00\x01" and 0xE0 <= body[3] <= 0xEF:
                pid = this
            else:
                continue
        elif this != pid:
            continue
        elif start:
            break  # the next PES: the first access unit is complete
        pes += body
    if pid is None or len(pes) < 14 or not pes[7] & 0x80:
        raise MediaError(f"{path.name}: no video with timestamps at its start")
    pts = _ts_time(pes[9:14])
    dts = _ts_time(pes[14:19]) if pes[7] & 0x40 else pts
    return Fraction(pts - dts, 90000), annexb_parameter_sets(bytes(pes[9 + pes[8]:]))


# ---------------------------------------------------------------------------- running


def parameter_sets(path: Path, ffmpeg: FFmpeg) -> bytes:
    """The SPS and PPS at the start of an H.264 stream (Annex B bytes, normalised)."""
    proc = run_ffmpeg(["-i", str(path), "-map", "0:v:0", "-c", "copy", "-bsf:v",
                       "h264_mp4toannexb,filter_units=pass_types=7-8", "-frames:v", "1",
                       "-f", "h264", "-"], ffmpeg=ffmpeg, timeout=60, what="reading SPS/PPS")
    return annexb_parameter_sets(proc.stdout)


@dataclass
class SmartState:
    """Decided while a smart export runs: the sample entry tag and the notes behind it."""

    tag: str = "avc1"
    notes: list[str] = field(default_factory=list)


def _drop_outside(lo: int, hi: int | None) -> str:
    """A ``noise`` bitstream filter keeping packets with lo ≤ pts < hi (exact, by pts)."""
    expr = f"lt(pts\\,{lo})"
    if hi is not None:
        expr += f"+gte(pts\\,{hi})"
    return f"noise=drop={expr}"


def _drop_packets(ranges: Sequence[tuple[int, int]]) -> str:
    """A ``noise`` expression dropping packets number ``[a, b)`` of the stream, per range."""
    return "+".join(f"between(n\\,{a}\\,{b - 1})" for a, b in ranges if b > a) or "0"


def _copy_step_args(plan: SmartPlan, copies: Sequence[tuple[CopyPiece, Path]]) -> list[str]:
    """One ffmpeg run writing every copied piece (video MPEG-TS)."""
    inputs: dict[int, int] = {}
    args: list[str] = ["-copyts"]  # the pts below are the demuxer's, as the analysis listed
    outs: list[str] = []

    def input_of(index: int) -> int:
        if index not in inputs:
            path = plan.plan.sources[index].path
            assert path is not None
            inputs[index] = len(inputs)
            args.extend(["-i", str(path.absolute())])
        return inputs[index]

    for piece, out in copies:
        src = plan.sources[piece.index]
        k = input_of(piece.index)
        hi = src.pts[piece.end] if piece.end < src.count else None
        outs += ["-map", f"{k}:v:0", "-c", "copy", "-bsf:v",
                 _drop_outside(src.pts[piece.start], hi), "-f", "mpegts", str(out)]
    return args + outs


_PROFILES = {"constrained baseline": "baseline", "baseline": "baseline", "main": "main",
             "extended": "main", "high": "high", "high 10": "high10", "high 4:2:2": "high422",
             "high 4:4:4 predictive": "high444"}


def x264_profile(probed: str) -> str:
    """libx264's name for the profile ffmpeg's banner prints ("Constrained Baseline" …)."""
    return _PROFILES.get(probed.strip().lower(), "high")


def _window_args(plan: SmartPlan, w: Window, out: Path) -> list[str]:
    """Encode a window: the film's format (scaled and padded, square pixels, its rate and
    pixel format), the copied takes' profile and x264 settings, so the pieces join cleanly."""
    fmt = plan.plan.format
    parts = []
    for p in w.parts:
        src = plan.sources[p.index]
        parts.append(Part(plan.plan.sources[p.index], src.seconds(p.start), p.end - p.start))
    # the copied takes' own colour tags (so the SPS can come out identical); the film's go
    # into the joined stream's SPS at the end, for windows and copies alike
    graph = timeline_graph(parts, [(j.type, j.frames) for j in w.joins], fmt, audio=False,
                           colour_tags=False)
    copyable = [plan.sources[p.index] for p in w.parts if plan.sources[p.index].copyable]
    ref = plan.plan.sources[copyable[0].index if copyable else w.parts[0].index]
    tags = _colour_of(ref)
    if tags:
        graph = replace(graph, filters=[*graph.filters[:-1],
                                        graph.filters[-1].replace("null[vout]", tags + "[vout]")])
    profile = plan.profile
    if not profile:
        first = plan.plan.sources[w.parts[0].index]
        v = first.info.video if first.info is not None else None
        profile = v.profile if v is not None else ""
    # the settings of a copied take in the window (its neighbour's SPS/PPS), else the film's
    x264 = copyable[0].x264 if copyable else plan.x264
    enc = ["-c:v", "libx264", "-profile:v", x264_profile(profile), "-pix_fmt", fmt.pix_fmt]
    enc += ["-x264-params", x264] if x264 else ["-preset", "veryfast", "-crf", "18"]
    if x264 and "crf=" not in x264:
        enc += ["-crf", "18"]
    return [*graph.inputs, "-filter_complex", graph.filter_complex, "-map", graph.video or "",
            *enc, "-frames:v", str(w.frames), "-f", "mpegts", str(out)]


def _colour_of(source: Source) -> str:
    """A ``setparams`` filter giving frames the colour tags ``source`` carries ("" = none)."""
    v = source.info.video if source.info is not None else None
    if v is None:
        return ""
    opts = [f"range={v.color_range}"] if v.color_range else []
    parts = v.color_space.split("/") if v.color_space else []
    if len(parts) == 1:
        parts = parts * 3
    for key, value in zip(("colorspace", "color_primaries", "color_trc"), parts):
        if value not in ("unknown", "reserved", ""):
            opts.append(f"{key}={value}")
    return "setparams=" + ":".join(opts) if opts else ""


def _even_out(plan: SmartPlan, files: Sequence[tuple[Piece, Path]], ffmpeg: FFmpeg,
              state: SmartState) -> None:
    """Even out B-frame delays between pieces; choose avc1 or avc3.

    Copied pieces have their take's delay and parameter sets (known from the analysis); the
    encoded windows' are read from the head of their MPEG-TS file (no ffmpeg run).
    """
    delays: list[Fraction] = []
    sets: set[bytes] = set()
    for piece, path in files:
        if isinstance(piece, CopyPiece):
            src = plan.sources[piece.index]
            delays.append(src.delay)
            sets.add(src.parameter_sets)
        else:
            delay, ps = ts_first_picture(path)
            delays.append(delay)
            sets.add(ps)
    worst = max(delays)
    for (_, path), d in zip(files, delays):
        if d != worst:  # an earlier DTS keeps decode order and makes the joins monotonic
            fixed = path.with_suffix(".fix.ts")
            shift = round((worst - d) * 90000)  # TS time base
            run_ffmpeg(["-i", str(path), "-map", "0:v:0", "-c", "copy", "-bsf:v",
                        f"setts=dts=DTS-{shift}", "-f", "mpegts", str(fixed)],
                       ffmpeg=ffmpeg, timeout=300, what="aligning the B-frame delay")
            fixed.replace(path)
    _choose_tag(sets, state)


def _choose_tag(sets: set[bytes], state: SmartState) -> None:
    if len(sets) > 1 or b"" in sets:
        state.tag = "avc3"
        state.notes.append("the re-encoded windows' parameter sets differ from the takes' "
                           "(or the takes differ); they are carried in band (avc3)")


def strip_added_units(tag: str) -> str:
    """The bitstream filter that gives the copied samples back their takes' exact bytes.

    The way through MPEG-TS and the concat demuxer's Annex B conversion adds an access unit
    delimiter to every sample and the SPS/PPS before every IDR. With one set of parameter
    sets (``avc1``: they are in the header) both go again, so a copied sample is the take's
    packet unchanged; with several (``avc3``) the parameter sets must stay in band.
    """
    return "filter_units=remove_types=7|8|9" if tag == "avc1" else "filter_units=remove_types=9"


#: the film's colour (BT.709, limited range) written into the SPS of the joined stream (the
#: slices are untouched) and into the MP4 header, like the other presets' encodes
COLOUR_BSF = ("h264_metadata=colour_primaries=1:transfer_characteristics=1"
              ":matrix_coefficients=1:video_full_range_flag=0")
COLOUR_ARGS = ("-color_range", "tv", "-colorspace", "bt709", "-color_primaries", "bt709",
               "-color_trc", "bt709")


def _concat_path(path: Path, work: Path, k: int) -> str | None:
    """A path for an ffconcat ``file`` line (quoted), or None when it cannot be written
    there: a line break in the name — then a link in the work folder stands in for it."""
    text = str(path.absolute())
    if "\n" in text or "\r" in text:
        link = work / f"take{k:04d}{path.suffix if path.suffix.isascii() else ''}"
        try:
            os.symlink(path.absolute(), link)
        except OSError:
            return None
        text = str(link)
    return "'" + text.replace("'", "'\\''") + "'"


def _count_inputs(args: Sequence[str]) -> int:
    """How many ``-i`` inputs an argument list opens (a value is never taken for an option)."""
    n, k = 0, 0
    while k < len(args):
        if args[k] == "-i":
            n += 1
        k += 2 if args[k].startswith("-") else 1
    return n


@dataclass(frozen=True)
class _OnePass:
    """A cut-only film's picture joined straight from the takes: ffconcat listing, drops."""

    video: list[str]
    video_drop: list[tuple[int, int]]
    parameter_sets: set[bytes]


def _one_pass(plan: SmartPlan, work: Path) -> _OnePass | None:
    """The picture of a film of whole-GOP copies only, read from the takes by the concat
    demuxer in one ffmpeg run (no pieces written first), when that is exact.

    Each take is entered with an ``inpoint`` on its first copied IDR (the demuxer seeks
    there) and its piece's exact ``duration``; the packets after the piece — the rest of the
    take, in decode order — are dropped by their number with the ``noise`` bitstream filter
    (the demuxer's ``outpoint`` compares DTS, so it is not exact). Needs one time base, one
    B-frame delay and one stream layout across the takes.
    """
    if plan.windows or not plan.pieces:
        return None
    fmt = plan.plan.format
    layouts, bases, delays = set(), set(), set()
    video = ["ffconcat version 1.0"]
    drops: list[tuple[int, int]] = []
    sets: set[bytes] = set()
    n = 0
    for k, piece in enumerate(plan.pieces):
        assert isinstance(piece, CopyPiece)
        src = plan.sources[piece.index]
        path = plan.plan.sources[piece.index].path
        if not src.decode_pts or not src.streams or path is None:
            return None
        layouts.add(src.streams)
        bases.add(src.time_base)
        delays.add(src.delay)
        sets.add(src.parameter_sets)
        try:
            j = src.decode_pts.index(src.pts[piece.start])
        except ValueError:
            return None
        if sorted(src.decode_pts[j:j + piece.frames]) != list(src.pts[piece.start:piece.end]):
            return None
        name = _concat_path(path, work, k)
        if name is None:
            return None
        # ceil to the microsecond: the seek then lands on this IDR, never the one before
        us = -((-src.pts[piece.start] * src.time_base * 1_000_000) // 1)
        if us < 0:
            return None
        video.append(f"file {name}")
        # a piece on its take's first frame at the file's start needs no seek
        if not (piece.start == 0 and src.file_start is not None
                and src.file_start == src.time_base * src.pts[0]):
            video.append(f"inpoint {us // 1_000_000}.{us % 1_000_000:06d}")
        video.append(f"duration {fmt.seconds(piece.frames):.6f}")
        read = len(src.decode_pts) - j
        drops.append((n + piece.frames, n + read))
        n += read
    if len(layouts) != 1 or len(bases) != 1 or len(delays) != 1:
        return None
    if next(iter(layouts))[0] != "video":
        return None
    return _OnePass(video, drops, sets)


def smart_steps(plan: SmartPlan, work: Path, ffmpeg: FFmpeg,
                state: SmartState | None = None) -> list[Step]:
    """The runner's steps: the sound (parallel), pieces (concurrently), checks, concat into
    the output; or, for a film of whole-GOP copies only, one ffmpeg run that copies the
    picture straight from the takes and encodes the sound beside it.

    The sound is always encoded in one pass over the whole film: the takes' AAC packets last
    1024 samples each, so copied, a take's sound could only start on a 21.3 ms grid, not on
    its first frame (measured: beeps 10 to 27 ms before their flashes), and leaving out the
    priming packets makes the first samples decode wrong. The film's own encode starts with
    its priming packet and puts every join on its sample.

    ``state`` receives what was decided while running (the avc1/avc3 tag and why).
    """
    state = state if state is not None else SmartState()
    fmt = plan.plan.format
    p = plan.plan
    steps: list[Step] = []
    total = p.total_frames
    one_pass = _one_pass(plan, work)
    audio = work / "audio.m4a"
    agraph = timeline_graph([Part(s, s.t_in, s.frames) for s in p.sources],
                            [(j.type, j.frames) for j in p.joins], fmt, video=False,
                            music=p.music, loudnorm=p.loudnorm, voice=p.voice)
    audio_out = [*p.preset.audio_args, "-ar", str(fmt.sample_rate), "-ac", str(fmt.channels)]
    if one_pass is not None:
        # one ffmpeg run does it all: the sound is decoded, joined and encoded on its threads
        # while the picture is copied straight from the takes (no audio file written first,
        # no second process); the listing comes after the sound's inputs, whose numbers the
        # graph already uses
        _choose_tag(one_pass.parameter_sets, state)
        listing = work / "takes.ffconcat"
        listing.write_text("\n".join(one_pass.video) + "\n", "utf-8")
        video_input = _count_inputs(agraph.inputs)
        # -copyts: the takes' AAC priming makes the listing start 21.3 ms early (its first
        # packet's pts), and ffmpeg would shift the picture by that much; the sound's graph
        # starts at 0 on its own (asetpts)
        args = ["-copyts", *agraph.inputs, "-f", "concat", "-safe", "0", "-i", str(listing),
                "-filter_complex", agraph.filter_complex,
                "-map", f"{video_input}:v:0", "-map", agraph.audio or "",
                "-c:v", "copy", *audio_out]
        bsf = [COLOUR_BSF, strip_added_units(state.tag)]
        if any(b > a for a, b in one_pass.video_drop):
            bsf.insert(0, f"noise=drop={_drop_packets(one_pass.video_drop)}")
        args += ["-bsf:v", ",".join(bsf), *COLOUR_ARGS, "-tag:v", state.tag,
                 "-movflags", "+faststart",
                 "-f", "mp4", OUTPUT]
        steps.append(Step(f"Copying {p.duration:.1f} s of the takes, encoding the sound", args,
                          p.duration, weight=max(total * 0.15, 0.01),
                          what="joining the takes and encoding the sound"))
        return steps
    steps.append(Step("Mixing the sound", [
        *agraph.inputs, "-filter_complex", agraph.filter_complex, "-map", agraph.audio or "",
        *audio_out, "-f", "mp4", str(audio)], p.duration, weight=total * 0.15, parallel=True,
        what="the sound"))
    files: list[tuple[Piece, Path]] = []
    lines = ["ffconcat version 1.0"]
    copies: list[tuple[CopyPiece, Path]] = []
    for k, piece in enumerate(plan.pieces):
        out = work / f"piece{k:04d}.ts"
        files.append((piece, out))
        lines += [f"file '{out.name}'", f"duration {fmt.seconds(piece.frames):.6f}"]
        if isinstance(piece, CopyPiece):
            copies.append((piece, out))
    windows = plan.windows
    n_trans = p.transitions_count
    t_seen = 0
    # the longest windows first: with several encoding at once, the last to finish is short
    encodes: list[Step] = []
    for w_index, (piece, out) in enumerate(
            ((pc, o) for pc, o in files if isinstance(pc, Window)), start=1):
        assert isinstance(piece, Window)
        if piece.transitions:
            t_seen += piece.transitions
            label = f"Encoding transition {t_seen} of {n_trans}"
        else:
            label = f"Encoding window {w_index} of {len(windows)}"
        encodes.append(Step(label, _window_args(plan, piece, out), fmt.seconds(piece.frames),
                            weight=float(piece.frames), concurrent=True))
    steps += sorted(encodes, key=lambda step: -step.weight)
    if copies:
        copied = sum(c.frames for c, _ in copies)
        steps.append(Step(f"Copying {fmt.seconds(copied):.1f} s of the takes",
                          _copy_step_args(plan, copies), fmt.seconds(copied),
                          weight=max(copied * 0.02, 0.01), what="copying the takes",
                          concurrent=True))
    listing = work / "pieces.ffconcat"
    mux = Step("Joining the pieces", [], p.duration, weight=max(total * 0.03, 0.01),
               after_parallel=True, what="joining the pieces")

    def check_joins() -> None:
        # runs after every piece exists: the mux arguments depend on what the pieces hold
        _even_out(plan, files, ffmpeg, state)
        listing.write_text("\n".join(lines) + "\n", "utf-8")
        mux.args = ["-f", "concat", "-safe", "0", "-i", str(listing), "-i", str(audio),
                    "-map", "0:v:0", "-map", "1:a:0", "-c", "copy",
                    "-bsf:v", f"{COLOUR_BSF},{strip_added_units(state.tag)}", *COLOUR_ARGS,
                    "-tag:v", state.tag,
                    "-movflags", "+faststart", "-f", "mp4", OUTPUT]

    steps.append(Step("Checking the joins", action=check_joins, weight=max(total * 0.01, 0.01)))
    steps.append(mux)
    return steps
