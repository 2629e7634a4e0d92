"""The export plan: pure data from the storyboard, its takes and the probes of their files.

:func:`build_plan` decides what goes into the film — each segment's chosen take with its trim,
one transition per boundary with its length in whole frames, the output format every input is
normalised to — and :func:`encode_args` turns a plan into one ffmpeg argument list (a single
filter graph: scale and pad, never stretch; frame rate; xfade; audio joins; music; loudness).
Nothing here runs a process or touches a file, so the argument lists are covered by golden
tests. Lengths are counted in frames and audio samples, not seconds, so the video and audio of
every piece end on the same instant and the planned frame count is exact.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from soraboard.media.probe import MediaInfo, VideoStream
from soraboard.model.storyboard import Segment, Storyboard, TransitionType
from soraboard.model.take import Take, chosen_take
from soraboard.stitch.presets import FINAL, Preset
from soraboard.stitch.transitions import AudioJoin, audio_join, xfade_name
from soraboard.stitch.voiceover import VoiceClip, voice_graph

#: the colour of an animatic slate (a segment that has no take yet)
SLATE_COLOR = "0x23252b"
#: every film's colour: BT.709, limited (TV) range — tagged, as players otherwise guess
#: (BT.601 for small pictures, often)
COLOUR_TAGS = "setparams=range=tv:color_primaries=bt709:color_trc=bt709:colorspace=bt709"
#: EBU R128 target for web delivery
LOUDNORM_FILTER = "loudnorm=I=-14:TP=-1.5:LRA=11"


class ExportBlocked(ValueError):
    """The storyboard cannot be exported as it is; ``problems`` names every segment at fault."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def segment_label(index: int, segment: Segment) -> str:
    """``segment 3 “Harbour”`` — how messages name a segment (1-based, as the timeline shows)."""
    return f"segment {index + 1}" + (f" “{segment.title}”" if segment.title else "")


@dataclass(frozen=True)
class OutputFormat:
    """What every input is normalised to."""

    width: int
    height: int
    fps: Fraction
    pix_fmt: str = "yuv420p"
    sample_rate: int = 48000
    channels: int = 2

    def frames(self, seconds: float) -> int:
        """Whole frames in ``seconds`` (nearest)."""
        return max(round(Fraction(seconds).limit_denominator(1_000_000) * self.fps), 0)

    def seconds(self, frames: int) -> float:
        return float(frames / self.fps)

    def samples(self, frames: int) -> int:
        """Audio samples lasting exactly as long as ``frames`` frames (nearest sample)."""
        return round(frames * self.sample_rate / self.fps)

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"

    @property
    def fps_text(self) -> str:
        return _rate(self.fps)


@dataclass(frozen=True)
class Source:
    """One segment's contribution: the take file and the part of it that is used."""

    index: int  #: position of the segment in the storyboard (0-based)
    segment_id: str
    title: str
    take_id: str | None  #: None: no take yet, rendered as a slate (preview only)
    path: Path | None
    info: MediaInfo | None
    t_in: float  #: seconds into the file
    t_out: float
    frames: int  #: frames it lasts in the film (at the output frame rate)

    @property
    def label(self) -> str:
        return f"segment {self.index + 1}" + (f" “{self.title}”" if self.title else "")

    @property
    def is_slate(self) -> bool:
        return self.path is None

    @property
    def has_audio(self) -> bool:
        return self.info is not None and self.info.has_audio

    @property
    def src_fps(self) -> Fraction:
        if self.info is not None and self.info.video is not None and self.info.video.fps:
            return self.info.video.fps
        return Fraction(30)


@dataclass(frozen=True)
class Join:
    """The transition at boundary ``index`` (between source ``index`` and ``index + 1``)."""

    index: int
    type: TransitionType
    frames: int  #: overlap in frames; 0 for a cut
    requested: float  #: seconds the storyboard asked for
    note: str = ""  #: why the length differs from the request, when it does

    @property
    def is_cut(self) -> bool:
        return self.type is TransitionType.CUT or self.frames <= 0


@dataclass(frozen=True)
class Soundtrack:
    """A music bed for the whole film: faded in and out, ducked under the clips' own sound."""

    path: Path
    fade_in: float = 2.0
    fade_out: float = 2.0
    volume: float = 0.8
    duck: bool = True


@dataclass(frozen=True)
class ExportPlan:
    """Everything an export needs to know, before any process runs."""

    title: str
    sources: tuple[Source, ...]
    joins: tuple[Join, ...]
    format: OutputFormat
    preset: Preset = FINAL
    music: Soundtrack | None = None
    loudnorm: bool = False
    notes: tuple[str, ...] = field(default=())
    #: the voice-over's lines on the film's timeline (stitch/voiceover.py), mixed over the sound
    voice: tuple[VoiceClip, ...] = ()

    @property
    def total_frames(self) -> int:
        return sum(s.frames for s in self.sources) - sum(j.frames for j in self.joins
                                                         if not j.is_cut)

    @property
    def duration(self) -> float:
        return self.format.seconds(self.total_frames)

    @property
    def total_samples(self) -> int:
        return sum(self.format.samples(s.frames) for s in self.sources) - sum(
            self.format.samples(j.frames) for j in self.joins if not j.is_cut)

    def start_frame(self, index: int) -> int:
        """The film frame where source ``index`` starts."""
        pos = 0
        for i in range(index):
            pos += self.sources[i].frames
            j = self.joins[i]
            pos -= 0 if j.is_cut else j.frames
        return pos

    @property
    def transitions_count(self) -> int:
        return sum(1 for j in self.joins if not j.is_cut)


# ---------------------------------------------------------------------------- building


def _parse_size(size: str) -> tuple[int, int]:
    w, _, h = size.lower().partition("x")
    try:
        width, height = int(w), int(h)
    except ValueError:
        raise ValueError(f"not a frame size: {size!r} (expected WIDTHxHEIGHT)") from None
    if width <= 0 or height <= 0:
        raise ValueError(f"not a frame size: {size!r}")
    return width - width % 2, height - height % 2


def _choose_fps(infos: Sequence[tuple[MediaInfo, float]]) -> Fraction:
    """The frame rate most of the film's footage has (ties: the earliest), 30 without any."""
    seconds: dict[Fraction, float] = {}
    for info, used in infos:
        if info.video is not None and info.video.fps:
            seconds[info.video.fps] = seconds.get(info.video.fps, 0.0) + used
    if not seconds:
        return Fraction(30)
    return max(seconds, key=lambda f: seconds[f])  # dicts keep order: ties go to the first


def build_plan(
    storyboard: Storyboard,
    takes: Mapping[str, Take],
    files: Mapping[str, Path],
    probes: Mapping[str, MediaInfo],
    preset: Preset = FINAL,
    *,
    music: Soundtrack | None = None,
    loudnorm: bool = False,
    allow_slates: bool = False,
    size: str | None = None,
    fps: Fraction | None = None,
) -> ExportPlan:
    """Plan the export of ``storyboard``.

    ``files`` and ``probes`` map take ids to the take's absolute file path and its probe.
    A segment with no usable take raises :class:`ExportBlocked` naming every such segment,
    unless ``allow_slates`` (the sequence preview), where it becomes a slate of its duration.
    The output size is the storyboard's ``default_size`` (or ``size``), scaled to the
    preset's width; the frame rate is the one most of the footage has (or ``fps``).
    """
    problems: list[str] = []
    chosen: list[tuple[Segment, Take | None, MediaInfo | None]] = []
    if not storyboard.segments:
        raise ExportBlocked(["the storyboard has no segments"])
    for i, seg in enumerate(storyboard.segments):
        take = chosen_take(seg, takes)
        info = probes.get(take.id) if take is not None else None
        why = ""
        if take is None:
            why = "has no take" if not seg.chosen_take else "has lost its chosen take's record"
        elif not take.usable:
            why = f"has no usable take (the chosen one is {take.status.value})"
        elif take.id not in files or info is None:
            why = "has a take whose file cannot be read"
        elif info.video is None:
            why = "has a take whose file has no video"
        if why:
            if not allow_slates:
                problems.append(f"{segment_label(i, seg)} {why}; generate or choose a take")
            take, info = None, None
        chosen.append((seg, take, info))
    if problems:
        raise ExportBlocked(problems)

    def used(seg: Segment, info: MediaInfo | None) -> tuple[float, float]:
        # the same rule as model.timing.trim_range, against the measured length of the file
        length = info.duration if info is not None else seg.duration
        t_in = min(max(seg.trim_in, 0.0), length)
        t_out = length if seg.trim_out is None else min(max(seg.trim_out, t_in), length)
        if info is None and seg.trim_out is None:
            t_out = seg.duration
        if info is not None and info.video is not None and info.video.fps and t_in > 0:
            # on the first frame used (the nearest): the sound then starts with the picture,
            # not up to half a frame off it (0.3 s into a 29.97 fps clip is frame 8.99)
            fps = info.video.fps
            # (a tie goes to the earlier frame, as the half-frame-early seek does)
            frame = math.ceil(Fraction(t_in).limit_denominator(1_000_000) * fps - Fraction(1, 2))
            t_in = min(float(frame / fps), t_out)
        return t_in, t_out

    rate = fps or _choose_fps([(info, used(seg, info)[1] - used(seg, info)[0])
                               for seg, _, info in chosen if info is not None])
    width, height = _parse_size(size or storyboard.default_size)
    if preset.width is not None and preset.width != width:
        height = max(2, round(height * preset.width / width / 2) * 2)
        width = preset.width
    fmt = OutputFormat(width, height, rate)

    sources: list[Source] = []
    for i, (seg, take, info) in enumerate(chosen):
        t_in, t_out = used(seg, info)
        frames = fmt.frames(t_out - t_in)
        if frames < 1:
            problems.append(f"{segment_label(i, seg)} is trimmed to nothing")
        sources.append(Source(i, seg.id, seg.title, take.id if take else None,
                              files[take.id] if take else None, info, t_in, t_out, frames))
    if problems:
        raise ExportBlocked(problems)

    joins: list[Join] = []
    incoming = 0
    for i, tr in enumerate(storyboard.transitions):
        want = 0 if tr.is_cut else fmt.frames(tr.duration)
        # an overlap cannot be longer than what is left of the outgoing clip after its own
        # incoming transition, nor than the incoming clip
        room = min(sources[i].frames - incoming, sources[i + 1].frames)
        got = max(min(want, room), 0)
        note = ""
        if got != want:
            note = (f"the {tr.describe()} at {sources[i].label} → {sources[i + 1].label} is "
                    f"shortened to {fmt.seconds(got):.2f} s: the clips are too short")
        kind = tr.type if got > 0 else TransitionType.CUT
        joins.append(Join(i, kind, got, 0.0 if tr.is_cut else tr.duration, note))
        incoming = got
    notes = tuple(j.note for j in joins if j.note)
    return ExportPlan(storyboard.title, tuple(sources), tuple(joins), fmt, preset, music,
                      loudnorm, notes)


# ---------------------------------------------------------------------------- ffmpeg graph


def _num(x: float | Fraction) -> str:
    """A number as ffmpeg reads it: at most 6 decimals, no trailing zeros."""
    text = f"{float(x):.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _rate(fps: Fraction) -> str:
    return str(fps.numerator) if fps.denominator == 1 else f"{fps.numerator}/{fps.denominator}"


def slate_text(source: Source) -> str:
    """The text on an animatic slate, reduced to characters drawtext cannot misread."""
    title = "".join(ch for ch in source.title if ch.isalnum() or ch in " -.,!?&()#")
    head = f"{source.index + 1}"
    return f"{head} · {title.strip()}" if title.strip() else f"Segment {head}"


@dataclass(frozen=True)
class Part:
    """A run of frames of one source, as one input of a filter graph."""

    source: Source
    start: float  #: seconds into the file of the first frame
    frames: int


def full_parts(plan: ExportPlan) -> list[Part]:
    """Each source's whole used range."""
    return [Part(s, s.t_in, s.frames) for s in plan.sources]


def _input_args(part: Part, fmt: OutputFormat) -> tuple[list[str], float]:
    """Input options of a part and the audio to drop at its start (the seek padding)."""
    seconds = fmt.seconds(part.frames)
    if part.source.path is None:
        src = (f"color=c={SLATE_COLOR}:s={fmt.width}x{fmt.height}:r={fmt.fps_text}"
               f":d={_num(seconds + 1 / fmt.fps)}")
        return ["-f", "lavfi", "-i", src], 0.0
    # Seek half a source frame early: the frame at ``start`` is then kept for sure whatever
    # the rounding of timestamps; the audio drops that half frame again so it stays in sync.
    half = float(1 / (2 * part.source.src_fps))
    ss = max(part.start - half, 0.0)
    args = []
    if ss > 0:
        args += ["-ss", _num(ss)]
    # two spare source frames: the filter graph trims to the exact frame count, and pads
    # (clones the last frame) if the file is a little short
    args += ["-t", _num(part.start - ss + seconds + 4 * half), "-i",
             str(part.source.path.absolute())]
    return args, part.start - ss


def needs_colour_conversion(v: VideoStream) -> bool:
    """Whether a stream's colour is not the film's (BT.709, limited range), as far as it
    says: untagged footage is taken for BT.709."""
    return (v.color_range == "pc" or v.pix_fmt.startswith("yuvj")
            or v.color_matrix not in ("", "bt709"))


def _video_chain(k: int, part: Part, fmt: OutputFormat) -> str:
    src = part.source
    steps = ["setpts=PTS-STARTPTS"]
    v = src.info.video if src.info is not None else None
    if src.is_slate:
        steps.append("drawtext=text='" + slate_text(src) + "':expansion=none:fontcolor=white"
                     f":fontsize={max(fmt.height // 12, 10)}:x=(w-tw)/2:y=(h-th)/2")
    elif v is not None and (v.sar != 1 or (v.width, v.height) != (fmt.width, fmt.height)):
        if v.sar != 1:  # square pixels first, so the aspect ratio survives the scale
            steps.append(f"scale=trunc(iw*{v.sar.numerator}/{v.sar.denominator}/2)*2:ih")
        steps.append(f"scale={fmt.width}:{fmt.height}:force_original_aspect_ratio=decrease"
                     ":force_divisible_by=2")
        steps.append(f"pad={fmt.width}:{fmt.height}:(ow-iw)/2:(oh-ih)/2:color=black")
    if v is not None and not src.is_slate and needs_colour_conversion(v):
        # full range or another matrix (a phone's BT.601, say): into BT.709 TV range
        steps.append("scale=out_color_matrix=bt709:out_range=limited")
    steps += ["setsar=1", f"fps={fmt.fps_text}", "tpad=stop_mode=clone:stop=2",
              f"trim=end_frame={part.frames}", "setpts=PTS-STARTPTS", f"format={fmt.pix_fmt}"]
    return f"[{k}:v:0]" + ",".join(steps) + f"[v{k}]"


def _audio_chain(k: int, part: Part, fmt: OutputFormat, skip: float) -> str:
    samples = fmt.samples(part.frames)
    layout = "stereo" if fmt.channels == 2 else "mono"
    if not part.source.has_audio:  # silence made for a clip without sound
        return (f"anullsrc=r={fmt.sample_rate}:cl={layout},atrim=end_sample={samples}"
                f"[a{k}]")
    steps = []
    if skip > 0:
        # from the first sample the seek gave: with -copyts (Smart's one-run cut-only export)
        # the timestamps still count from the file's start, without it they start at 0
        steps += ["asetpts=PTS-STARTPTS", f"atrim=start={_num(skip)}"]
    steps += ["asetpts=PTS-STARTPTS", f"aresample={fmt.sample_rate}",
              f"aformat=sample_fmts=fltp:channel_layouts={layout}", "apad",
              f"atrim=end_sample={samples}"]
    return f"[{k}:a:0]" + ",".join(steps) + f"[a{k}]"


@dataclass(frozen=True)
class Graph:
    """Inputs, a filter graph and the output labels of a timeline."""

    inputs: list[str]
    filters: list[str]
    video: str | None  #: label of the video output, e.g. ``[vout]``
    audio: str | None

    @property
    def filter_complex(self) -> str:
        return ";".join(self.filters)


def timeline_graph(parts: Sequence[Part], joins: Sequence[tuple[TransitionType, int]],
                   fmt: OutputFormat, *, video: bool = True, audio: bool = True,
                   music: Soundtrack | None = None, loudnorm: bool = False,
                   colour_tags: bool = True, voice: Sequence[VoiceClip] = ()) -> Graph:
    """The filter graph joining ``parts`` with ``joins`` (one per gap: type and frames).

    Video: xfade at the frame the overlap starts (cuts are concats), tagged BT.709 limited
    range unless ``colour_tags`` is off (Smart's windows must match the takes' headers).
    Audio: sample-exact — acrossfade for dissolves, wipes and slides; fade out then in for
    fades through a colour.
    """
    if len(joins) != len(parts) - 1:
        raise ValueError("one join per gap between parts")
    inputs: list[str] = []
    filters: list[str] = []
    for k, part in enumerate(parts):
        args, skip = _input_args(part, fmt)
        inputs += args
        if video:
            filters.append(_video_chain(k, part, fmt))
        if audio:
            filters.append(_audio_chain(k, part, fmt, skip))
    vout = aout = None
    if video:
        cur, length = "v0", parts[0].frames
        for j, (kind, frames) in enumerate(joins):
            nxt, out = f"v{j + 1}", f"vj{j}"
            if kind is TransitionType.CUT or frames <= 0:
                # concat outputs a 1/1000000 time base; xfade refuses inputs whose time bases
                # differ, so a cut followed by a dissolve needs the frame-rate base back
                filters.append(f"[{cur}][{nxt}]concat=n=2:v=1:a=0,"
                               f"settb={fmt.fps.denominator}/{fmt.fps.numerator}[{out}]")
                length += parts[j + 1].frames
            else:
                filters.append(
                    f"[{cur}][{nxt}]xfade=transition={xfade_name(kind)}"
                    f":duration={_num(fmt.seconds(frames))}"
                    f":offset={_num(fmt.seconds(length - frames))}[{out}]")
                length += parts[j + 1].frames - frames
            cur = out
        filters.append(f"[{cur}]{COLOUR_TAGS if colour_tags else 'null'}[vout]")
        vout = "[vout]"
    if audio:
        cur, length = "a0", fmt.samples(parts[0].frames)
        for j, (kind, frames) in enumerate(joins):
            nxt, out = f"a{j + 1}", f"aj{j}"
            n = fmt.samples(frames) if kind is not TransitionType.CUT else 0
            mode = audio_join(kind) if n > 0 else AudioJoin.CUT
            if mode is AudioJoin.CUT:
                filters.append(f"[{cur}][{nxt}]concat=n=2:v=0:a=1[{out}]")
            elif mode is AudioJoin.CROSSFADE:
                filters.append(f"[{cur}][{nxt}]acrossfade=ns={n}:c1=tri:c2=tri[{out}]")
            else:  # DIP: out to silence at the colour, then in; no overlap of the two sounds
                half = n // 2
                keep = length - n + half
                filters.append(f"[{cur}]atrim=end_sample={keep},"
                               f"afade=t=out:ss={keep - half}:ns={half}[{out}x]")
                filters.append(f"[{nxt}]atrim=start_sample={n - half},asetpts=PTS-STARTPTS,"
                               f"afade=t=in:ss=0:ns={n - half}[{out}y]")
                filters.append(f"[{out}x][{out}y]concat=n=2:v=0:a=1[{out}]")
            length += fmt.samples(parts[j + 1].frames) - n
            cur = out
        total = length
        v_inputs: list[str] = []
        if voice:  # before the music: the voice is part of the sidechain key that ducks it
            v_inputs, v_filters, cur = voice_graph(voice, len(parts) + (music is not None),
                                                   cur, fmt)
            filters += v_filters
        if music is not None:
            m = len(parts)
            inputs += ["-stream_loop", "-1", "-i", str(music.path.absolute())]
            film_s = total / fmt.sample_rate
            fo = min(music.fade_out, film_s / 2)
            chain = [f"aresample={fmt.sample_rate}",
                     "aformat=sample_fmts=fltp:channel_layouts=stereo",
                     f"atrim=end_sample={total}", "asetpts=PTS-STARTPTS"]
            if music.fade_in > 0:
                chain.append(f"afade=t=in:d={_num(min(music.fade_in, film_s / 2))}")
            if fo > 0:
                chain.append(f"afade=t=out:st={_num(film_s - fo)}:d={_num(fo)}")
            chain.append(f"volume={_num(music.volume)}")
            filters.append(f"[{m}:a:0]" + ",".join(chain) + "[mus]")
            if music.duck and (voice or any(p.source.has_audio for p in parts)):
                # the clips' own sound is the sidechain: the music dips while they speak
                filters.append(f"[{cur}]asplit=2[film][key]")
                filters.append("[mus][key]sidechaincompress=threshold=0.03:ratio=8:attack=20"
                               ":release=400[duck]")
                filters.append("[film][duck]amix=inputs=2:duration=first:normalize=0[mixed]")
            else:
                filters.append(f"[{cur}][mus]amix=inputs=2:duration=first:normalize=0[mixed]")
            cur = "mixed"
        inputs += v_inputs  # after the music's input, as numbered
        post = []
        if loudnorm:
            post += [LOUDNORM_FILTER, f"aresample={fmt.sample_rate}"]
        if music is not None or loudnorm:
            post += ["apad", f"atrim=end_sample={total}"]  # exactly the film's length again
        filters.append(f"[{cur}]" + (",".join(post) if post else "anull") + "[aout]")
        aout = "[aout]"
    return Graph(inputs, filters, vout, aout)


def encode_args(plan: ExportPlan, output: Path | str, *, fmt_name: str = "mp4") -> list[str]:
    """ffmpeg arguments (without the binary and the progress options) of a full encode."""
    graph = timeline_graph(full_parts(plan), [(j.type, j.frames) for j in plan.joins],
                           plan.format, music=plan.music, loudnorm=plan.loudnorm,
                           voice=plan.voice)
    p = plan.preset
    args = [*graph.inputs, "-filter_complex", graph.filter_complex,
            "-map", graph.video or "", "-map", graph.audio or "",
            *p.video_args, "-r", plan.format.fps_text, *p.audio_args,
            "-ar", str(plan.format.sample_rate), "-ac", str(plan.format.channels)]
    if p.faststart:
        args += ["-movflags", "+faststart"]
    return [*args, "-f", fmt_name, str(output)]


def describe_full(plan: ExportPlan) -> str:
    """One line for the export dialog: what a full encode of this film does."""
    # a Smart preset that fell back encodes like Final: its own description would promise a copy
    what = "H.264 High CRF 18 · AAC 192 kb/s" if plan.preset.smart else plan.preset.description
    return f"{what} · {plan.format.size} {plan.format.fps_text} fps · encodes {plan.duration:.1f} s"

