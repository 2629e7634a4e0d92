"""Smart render: copy the takes' frames bit for bit, encode only around transitions.

How (measured facts in the team's smart-render notes):

* every frame outside a transition window is stream-copied; a copy starts only at an IDR
  frame and ends just before one (or at the end of the stream), and is cut by dropping
  packets on their pts with the ``noise`` bitstream filter — exact, where ``-ss/-to`` with
  ``-c copy`` were off by two packets;
* each window — from the last IDR before a transition to the first IDR after it — is encoded
  with the source's own x264 settings (read from the SEI x264 writes into every clip), so its
  SPS/PPS usually come out byte-identical; when they do not, the film is tagged ``avc3``
  (parameter sets in band) and the summary says so;
* every piece is MPEG-TS (one 1/90000 time base) and the concat demuxer joins them into MP4;
  pieces whose B-frame delay differs are evened out with ``setts``;
* the audio is encoded in one pass over the whole film, in parallel with the video, because
  copying AAC across joins drifts ~32 ms per join (priming).

When the takes cannot be copied (another codec, size, frame rate, pixel format or profile
than the film) the export falls back to a full encode and says why, segment by segment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

from soraboard.media.ffmpeg import FFmpeg, run_ffmpeg
from soraboard.media.probe import MediaError, PacketList, list_packets
from soraboard.stitch.plan import ExportPlan, Join, Part, Source, timeline_graph
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
    """What the smart plan needs to know about one take: its frames and where IDRs are."""

    index: int
    pts: tuple[int, ...]  #: presentation timestamps in display order (frame k is pts[k])
    time_base: Fraction
    idr: frozenset[int]  #: frame indices of IDR frames
    first: int  #: index of the first used frame
    x264: str = ""  #: ``-x264-params`` matching the source; "" = not an x264 clip
    delay: Fraction = Fraction(0)  #: B-frame delay (pts − dts of the first packet), seconds
    parameter_sets: bytes = b""  #: the SPS/PPS (Annex B), to compare with the windows'
    #: AAC packets (pts, in ``audio_time_base``) when the take's sound could be copied
    audio_pts: tuple[int, ...] = ()
    audio_time_base: Fraction = Fraction(1, 48000)

    @property
    def count(self) -> int:
        return len(self.pts)

    def seconds(self, frame: int) -> float:
        """Presentation time of frame ``frame`` (its pts, relative to the stream's start)."""
        return float((self.pts[frame] - self.pts[0]) * self.time_base)


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
class SmartPlan:
    """The pieces of a smart export, in film order."""

    plan: ExportPlan
    sources: Mapping[int, SmartSource]
    pieces: tuple[Piece, ...]

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

    def summary(self) -> str:
        """``copies 55.4 s of the takes bit for bit, encodes 4.6 s around 2 transitions``."""
        if not self.windows:
            sound = ("its sound too" if copied_audio_ranges(self) is not None
                     else "the sound is re-encoded in one pass")
            return (f"copies all {self.copied_seconds:.1f} s of the takes bit for bit "
                    f"(stream copy; {sound})")
        n = self.plan.transitions_count
        around = f" around {n} transition{'s' if n != 1 else ''}" if n else " at trim points"
        return (f"copies {self.copied_seconds:.1f} s of the takes bit for bit, encodes "
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
    """The last place ≤ ``frame`` where a copy may end: before an IDR, or the stream's end."""
    cands = [k for k in src.idr if k <= frame]
    if frame >= src.count:
        cands.append(src.count)
    return max(cands) if cands else None


def plan_smart(plan: ExportPlan, sources: Mapping[int, SmartSource]) -> SmartPlan:
    """Split the film into copies and windows (pure: golden-tested)."""
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
    return SmartPlan(plan, sources, tuple(pieces))


# ---------------------------------------------------------------------------- analysis


def compatibility_problems(plan: ExportPlan) -> list[str]:
    """Why the takes cannot be copied into this film (empty = they can)."""
    fmt = plan.format
    problems = []
    for s in plan.sources:
        v = s.info.video if s.info is not None else None
        if s.is_slate or v is None:
            problems.append(f"{s.label} has no take to copy")
            continue
        why = []
        if v.codec != "h264":
            why.append(f"is {v.codec}, not H.264")
        if (v.width, v.height) != (fmt.width, fmt.height):
            why.append(f"is {v.width}x{v.height}, the film is {fmt.size}")
        if v.sar != 1:
            why.append(f"has non-square pixels (SAR {v.sar})")
        if v.fps != fmt.fps:
            why.append(f"runs at {float(v.fps):g} fps, the film at {float(fmt.fps):g}")
        if v.pix_fmt != fmt.pix_fmt:
            why.append(f"is {v.pix_fmt}, not {fmt.pix_fmt}")
        first = plan.sources[0].info
        p0 = first.video.profile if first is not None and first.video is not None else ""
        if v.profile != p0 and not why:
            why.append(f"is H.264 {v.profile or 'unknown profile'}, {plan.sources[0].label} "
                       f"is {p0}")
        if why:
            problems.append(f"{s.label} " + " and ".join(why))
    return problems


def _source_of(s: Source, packets: PacketList, idr: PacketList, x264: str) -> SmartSource:
    pts = tuple(packets.sorted_pts())
    tb = packets.time_base
    half = Fraction(1, 2) / (s.src_fps * tb)  # half a frame, in time-base units
    want = Fraction(s.t_in) / tb + pts[0]
    first = next((k for k, p in enumerate(pts) if p >= want - half), len(pts))
    idr_pts = set(idr.pts)
    return SmartSource(s.index, pts, tb, frozenset(k for k, p in enumerate(pts) if p in idr_pts),
                       first, x264)


def analyse(plan: ExportPlan, ffmpeg: FFmpeg) -> tuple[list[str], dict[int, SmartSource]]:
    """List each take's frames and IDRs; return the reasons it cannot be smart, if any."""
    problems = compatibility_problems(plan)
    if problems:
        return problems, {}
    out: dict[int, SmartSource] = {}
    for s in plan.sources:
        assert s.path is not None
        try:
            packets = list_packets(s.path, ffmpeg)
            idr = list_packets(s.path, ffmpeg, idr_only=True)
        except MediaError as e:
            problems.append(f"{s.label}: {e}")
            continue
        src = _source_of(s, packets, idr, x264_params(x264_options(s.path)))
        audio: PacketList | None = None
        info = s.info
        if (info is not None and info.audio is not None and info.audio.codec == "aac"
                and info.audio.sample_rate == plan.format.sample_rate
                and info.audio.channels == plan.format.channels):
            try:
                audio = list_packets(s.path, ffmpeg, stream="a:0")
            except MediaError:
                audio = None
        src = replace(src, delay=packets.first_delay * packets.time_base,
                      parameter_sets=parameter_sets(s.path, ffmpeg),
                      audio_pts=tuple(sorted(audio.pts)) if audio else (),
                      audio_time_base=audio.time_base if audio else Fraction(1, 48000))
        if src.first + s.frames > src.count:
            problems.append(f"{s.label} has {src.count - src.first} frames from its trim in, "
                            f"the plan needs {s.frames}")
        out[s.index] = src
    return problems, out


# ---------------------------------------------------------------------------- running


def parameter_sets(path: Path, ffmpeg: FFmpeg) -> bytes:
    """The SPS and PPS at the start of an H.264 stream (Annex B bytes)."""
    proc = run_ffmpeg(["-i", str(path), "-map", "0:v:0", "-c", "copy", "-bsf:v",
                       "h264_mp4toannexb,filter_units=pass_types=7-8", "-frames:v", "1",
                       "-f", "h264", "-"], ffmpeg=ffmpeg, timeout=60, what="reading SPS/PPS")
    return proc.stdout


@dataclass
class SmartState:
    """Decided while a smart export runs: the sample entry tag and the notes behind it."""

    tag: str = "avc1"
    notes: list[str] = field(default_factory=list)


AAC_FRAME = 1024


def copied_audio_ranges(plan: SmartPlan) -> list[tuple[int, int]] | None:
    """For a film of cuts only: per source, the AAC packets ``[from, to)`` (pts bounds) whose
    stream copy keeps the sound in sync with the picture, or None when it cannot be copied.

    Copying whole clips' AAC drifts ~32 ms per join (priming and padding). Instead every
    clip contributes a whole number of packets, chosen so that the running sample count stays
    within half a packet (10.7 ms at 48 kHz) of the picture at every join: the error never
    accumulates. The priming packets are left out; the join itself is a cut.
    """
    p = plan.plan
    if p.music is not None or p.loudnorm or p.transitions_count:
        return None
    rate = p.format.sample_rate
    out: list[tuple[int, int]] = []
    placed = 0  # samples of film audio written so far
    for i, s in enumerate(p.sources):
        src = plan.sources[i]
        if not src.audio_pts or src.audio_time_base != Fraction(1, rate):
            return None
        start = p.start_frame(i)
        end_samples = p.format.samples(start + s.frames)
        # the source time that should sound at film position ``placed``
        used_start = round((src.pts[src.first] - src.pts[0]) * src.time_base * rate)
        want = used_start + placed - p.format.samples(start)
        # never the priming packets (negative pts): they only warm the decoder up
        real = [k for k, pts in enumerate(src.audio_pts) if pts >= 0]
        if not real:
            return None
        k0 = min(real, key=lambda k: abs(src.audio_pts[k] - want))
        count = round((end_samples - placed) / AAC_FRAME)
        if k0 + count > len(src.audio_pts) or count <= 0:
            return None
        lo = src.audio_pts[k0]
        last = k0 + count
        hi = src.audio_pts[last] if last < len(src.audio_pts) else lo + count * AAC_FRAME
        out.append((lo, hi))
        placed += count * AAC_FRAME
    return out


def _drop_outside(lo: int, hi: int | None) -> str:
    """A ``noise`` bitstream filter keeping packets with lo ≤ pts < hi (exact, by pts)."""
    expr = f"lt(pts\\,{lo})"
    if hi is not None:
        expr += f"+gte(pts\\,{hi})"
    return f"noise=drop={expr}"


def _copy_step_args(plan: SmartPlan, copies: Sequence[tuple[CopyPiece, Path]],
                    audio: Sequence[tuple[int, int, Path]]) -> list[str]:
    """One ffmpeg run writing every copied piece (video TS, and AAC when copied)."""
    inputs: dict[int, int] = {}
    args: list[str] = []
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
    for index, (lo, hi, out) in enumerate(audio):
        k = input_of(index)
        outs += ["-map", f"{k}:a:0", "-c", "copy", "-bsf:a", _drop_outside(lo, hi),
                 "-f", "adts", str(out)]
    return args + outs


_PROFILES = {"constrained baseline": "baseline", "baseline": "baseline", "main": "main",
             "extended": "main", "high": "high", "high 10": "high10", "high 4:2:2": "high422",
             "high 4:4:4 predictive": "high444"}


def x264_profile(probed: str) -> str:
    """libx264's name for the profile ffmpeg's banner prints ("Constrained Baseline" …)."""
    return _PROFILES.get(probed.strip().lower(), "high")


def _window_args(plan: SmartPlan, w: Window, out: Path) -> list[str]:
    fmt = plan.plan.format
    parts = []
    for p in w.parts:
        src = plan.sources[p.index]
        parts.append(Part(plan.plan.sources[p.index], src.seconds(p.start), p.end - p.start))
    graph = timeline_graph(parts, [(j.type, j.frames) for j in w.joins], fmt, audio=False)
    first = plan.plan.sources[w.parts[0].index]
    v = first.info.video if first.info is not None else None
    profile = x264_profile(v.profile if v is not None else "")
    x264 = plan.sources[w.parts[0].index].x264
    enc = ["-c:v", "libx264", "-profile:v", profile, "-pix_fmt", fmt.pix_fmt]
    enc += ["-x264-params", x264] if x264 else ["-preset", "veryfast", "-crf", "18"]
    if x264 and "crf=" not in x264:
        enc += ["-crf", "18"]
    return [*graph.inputs, "-filter_complex", graph.filter_complex, "-map", graph.video or "",
            *enc, "-frames:v", str(w.frames), "-f", "mpegts", str(out)]


def _even_out(plan: SmartPlan, files: Sequence[tuple[Piece, Path]], ffmpeg: FFmpeg,
              state: SmartState) -> None:
    """Even out B-frame delays between pieces; choose avc1 or avc3.

    Copied pieces have their take's delay and parameter sets (known from the analysis); only
    the encoded windows are inspected.
    """
    delays: list[Fraction] = []
    sets: set[bytes] = set()
    for piece, path in files:
        if isinstance(piece, CopyPiece):
            src = plan.sources[piece.index]
            delays.append(src.delay)
            sets.add(src.parameter_sets)
        else:
            packets = list_packets(path, ffmpeg)
            delays.append(packets.first_delay * packets.time_base)
            sets.add(parameter_sets(path, ffmpeg))
    worst = max(delays)
    for (_, path), d in zip(files, delays):
        if d != worst:  # an earlier DTS keeps decode order and makes the joins monotonic
            fixed = path.with_suffix(".fix.ts")
            shift = round((worst - d) * 90000)  # TS time base
            run_ffmpeg(["-i", str(path), "-map", "0:v:0", "-c", "copy", "-bsf:v",
                        f"setts=dts=DTS-{shift}", "-f", "mpegts", str(fixed)],
                       ffmpeg=ffmpeg, timeout=300, what="aligning the B-frame delay")
            fixed.replace(path)
    if len(sets) > 1:
        state.tag = "avc3"
        state.notes.append("the re-encoded windows' parameter sets differ from the takes' "
                           "(or the takes differ); they are carried in band (avc3)")


def smart_steps(plan: SmartPlan, work: Path, ffmpeg: FFmpeg,
                state: SmartState | None = None) -> list[Step]:
    """The runner's steps: audio (parallel), pieces, checks, concat into the output.

    ``state`` receives what was decided while running (the avc1/avc3 tag and why).
    """
    state = state if state is not None else SmartState()
    fmt = plan.plan.format
    p = plan.plan
    steps: list[Step] = []
    total = p.total_frames
    audio = work / "audio.m4a"
    audio_ranges = copied_audio_ranges(plan)
    audio_pieces: list[tuple[int, int, Path]] = []
    if audio_ranges is not None:  # cuts only: the takes' AAC packets, copied
        audio = work / "audio.aac"
        audio_pieces = [(lo, hi, work / f"audio{i:04d}.aac")
                        for i, (lo, hi) in enumerate(audio_ranges)]
    else:  # one pass over the whole film, beside the video work
        agraph = timeline_graph([Part(s, s.t_in, s.frames) for s in p.sources],
                                [(j.type, j.frames) for j in p.joins], fmt, video=False,
                                music=p.music, loudnorm=p.loudnorm)
        steps.append(Step("Mixing the sound", [
            *agraph.inputs, "-filter_complex", agraph.filter_complex, "-map", agraph.audio or "",
            *p.preset.audio_args, "-ar", str(fmt.sample_rate), "-ac", str(fmt.channels),
            "-f", "mp4", str(audio)], p.duration, weight=total * 0.15, parallel=True,
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
    if copies or audio_pieces:
        copied = sum(c.frames for c, _ in copies)
        steps.append(Step(f"Copying {fmt.seconds(copied):.1f} s of the takes",
                          _copy_step_args(plan, copies, audio_pieces), fmt.seconds(copied),
                          weight=max(copied * 0.02, 0.01), what="copying the takes"))
    windows = plan.windows
    n_trans = p.transitions_count
    t_seen = 0
    for w_index, (piece, out) in enumerate(
            ((pc, o) for pc, o in files if isinstance(pc, Window)), start=1):
        assert isinstance(piece, Window)
        if piece.transitions:
            t_seen += piece.transitions
            label = f"Encoding transition {t_seen} of {n_trans}"
        else:
            label = f"Encoding window {w_index} of {len(windows)}"
        steps.append(Step(label, _window_args(plan, piece, out), fmt.seconds(piece.frames),
                          weight=float(piece.frames)))
    listing = work / "pieces.ffconcat"
    mux = Step("Joining the pieces", [], p.duration, weight=max(total * 0.03, 0.01),
               after_parallel=True, what="joining the pieces")

    def check_joins() -> None:
        # runs after every piece exists: the mux arguments depend on what the pieces hold
        _even_out(plan, files, ffmpeg, state)
        listing.write_text("\n".join(lines) + "\n", "utf-8")
        if audio_pieces:  # ADTS frames are self-delimiting: the pieces simply follow
            with open(audio, "wb") as joined:
                for _, _, piece_file in audio_pieces:
                    joined.write(piece_file.read_bytes())
        mux.args = ["-f", "concat", "-safe", "0", "-i", str(listing), "-i", str(audio),
                    "-map", "0:v:0", "-map", "1:a:0", "-c", "copy", "-tag:v", state.tag,
                    "-movflags", "+faststart", "-f", "mp4", OUTPUT]

    steps.append(Step("Checking the joins", action=check_joins, weight=max(total * 0.01, 0.01)))
    steps.append(mux)
    return steps
