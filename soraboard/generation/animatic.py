"""The animatic backend: the embedded, offline, free stand-in for a real provider.

It renders with ffmpeg a clip of exactly the requested size and duration — the segment's
title and timed beats as text in the shipped DejaVu font, a progress bar with a tick at every
beat, over a gradient in a colour derived from the segment (or over the reference image with a slow
push-in, so chaining is visible), with a quiet stereo 48 kHz tone bed. The dialogue is shown
mid-frame while it is said and spoken over the bed, at its times, by the offline scratch
voice (eSpeak NG, one voice per speaker), so pacing can be judged by ear. H.264 yuv420p +
AAC, faststart. Titles and beats are wrapped to the title-safe area (the central 80 %),
shrunk if they need more than a few lines; the last half second of every clip is the bare
picture, so a chained shot, which starts from that last frame, never inherits the previous
shot's text. The same request gives the same bytes (bitexact flags, fixed threads, no
metadata), so a rehearsal can be compared run to run.

Text goes to drawtext through ``textfile=`` with ``expansion=none`` and ffmpeg runs in a
scratch folder holding the font and text files under fixed names, so no user text and no
path is ever spliced into the filter graph — quotes, colons, percent signs and backslashes in
a title need no escaping at all.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from soraboard.catalog.catalog import Catalog, ModelSpec, default_catalog
from soraboard.generation.backend import Beat, JobState, JobStatus, VideoRequest
from soraboard.generation.errors import ExpiredOrNotFound, GenerationError, Rejected
from soraboard.media.captions import SAFE_MARGIN, fit_caption, font_metrics
from soraboard.media.captions import font_path as font_path
from soraboard.media.ffmpeg import FFmpeg, FFmpegError, find_ffmpeg, run_ffmpeg

log = logging.getLogger(__name__)

FPS = 24
GOP = FPS * 2  # a keyframe every 2 s keeps last-frame extraction cheap
NAME = "animatic"


def background(key: str, width: int, height: int, seconds: float) -> str:
    """The lavfi source of an unchained shot: a still diagonal gradient from the segment's
    colour to a darker shade of it — structure a chained shot's push-in shows moving, and
    a seam check can match (a flat colour sits on one histogram bin or the next by a shade)."""
    c0 = colour_for(key)
    rgb = int(c0, 16)
    dark = "0x" + "".join(f"{((rgb >> s) & 0xFF) // 2:02X}" for s in (16, 8, 0))
    return (f"gradients=s={width}x{height}:r={FPS}:d={seconds:g}:c0={c0}:c1={dark}"
            f":nb_colors=2:x0=0:y0=0:x1={width}:y1={height}:speed=0:seed=1")


def colour_for(key: str) -> str:
    """A dark, saturated background colour derived from ``key`` (``0xRRGGBB``)."""
    h = hashlib.sha256(key.encode("utf-8")).digest()
    # Keep channels in 24–120 so white text always reads on top.
    r, g, b = (24 + h[i] % 96 for i in range(3))
    return f"0x{r:02X}{g:02X}{b:02X}"


#: The last frames of every clip carry no text, ticks or bar: they are the picture a chained
#: shot starts from (last frame, or the sharpest of the last eight), so text never stacks.
CLEAN_TAIL_FRAMES = 12
TITLE_LINES = 2
CAPTION_LINES = 3
SPOKEN_LINES = 2
#: the scratch voice over the tone bed (the bed is at 0.08)
VOICE_GAIN = 1.0


#: A chained shot (one with a reference picture) also opens on the bare picture for a
#: moment: its first frame is the previous shot's last, so the seam reads as continuous.
CLEAN_HEAD_FRAMES = 6


def _visible(seconds: float, chained: bool) -> str:
    """When the overlay is drawn: not in the clean tail, nor in a chained shot's clean head."""
    end = f"lt(t,{seconds - clean_tail(seconds):.4f})"
    if not chained:
        return end
    return f"gte(t,{min(CLEAN_HEAD_FRAMES / FPS, seconds / 4):.4f})*{end}"


def clean_tail(seconds: float) -> float:
    """Seconds at the end of a clip drawn without any overlay (at most a quarter of it)."""
    frames = round(seconds * FPS)
    return min(CLEAN_TAIL_FRAMES, max(frames // 4, 1)) / FPS


@dataclass(frozen=True)
class _Text:
    file: str  #: name of the text file in the scratch folder
    text: str
    bold: bool
    size: int
    y: int
    enable: str


def _pad(h: int) -> int:
    """The caption box's border, in pixels."""
    return max(h // 90, 2)


def _layout(request: VideoRequest, beats: list[Beat]) -> list[_Text]:
    """Every line of text to draw: wrapped, sized and placed inside the title-safe area."""
    w, h = request.width, request.height
    pad = _pad(h)
    safe_w = w * (1 - 2 * SAFE_MARGIN) - 2 * pad
    top, bottom = round(h * SAFE_MARGIN) + pad, round(h * (1 - SAFE_MARGIN)) - pad
    visible = _visible(request.seconds, request.reference is not None)
    out: list[_Text] = []
    actions = [b for b in beats if b.speaker is None]
    spoken = [b for b in beats if b.speaker is not None]
    title = fit_caption(request.title.strip() or "(untitled)", font_metrics(font_path(True)),
                        max(h // 12, 10), safe_w, TITLE_LINES)
    for k, line in enumerate(title.lines):
        out.append(_Text(f"title{k}.txt", line, True, title.size,
                         top + k * title.line_height, visible))
    for i, b in enumerate(spoken):  # what is said, mid-frame, while it is said
        said = f"{b.speaker}: “{b.text.strip()}”" if b.speaker else f"“{b.text.strip()}”"
        cap = fit_caption(said, font_metrics(font_path()), max(h // 18, 8), safe_w,
                          SPOKEN_LINES)
        y0 = round(h * 0.5 - cap.height / 2)
        when = f"between(t,{b.start:g},{b.end:g})*{visible}"
        for k, line in enumerate(cap.lines):
            out.append(_Text(f"said{i}_{k}.txt", line, False, cap.size,
                             y0 + k * cap.line_height, when))
    for i, b in enumerate(actions):
        cap = fit_caption(b.text.strip(), font_metrics(font_path()), max(h // 18, 8), safe_w,
                          CAPTION_LINES)
        y0 = bottom - cap.height
        when = f"between(t,{b.start:g},{b.end:g})*{visible}"
        for k, line in enumerate(cap.lines):
            out.append(_Text(f"beat{i}_{k}.txt", line, False, cap.size,
                             y0 + k * cap.line_height, when))
    return out


def _filter_graph(request: VideoRequest, texts: list[_Text], has_ref: bool,
                  voice_track: bool = False, last_input: int | None = None) -> str:
    """The whole graph; ``voice_track``: the audio is input 1 (bed and voices, mixed);
    ``last_input``: the input holding the last-frame still, which the picture dissolves into
    over the middle of the clip, so the clean tail is exactly that still."""
    w, h, d = request.width, request.height, request.seconds
    frames = round(d * FPS)
    bar_h = max(h // 40, 3)
    visible = _visible(d, has_ref)
    parts: list[str] = []
    if has_ref:
        # Slow push-in: 1.0 → 1.12 over the clip, sampled per output frame.
        # One still in, ``frames`` frames out of zoompan: the PNG is decoded once, not per
        # frame (a looped image input would decode it 24 times a second).
        parts.append(
            f"[0:v]scale={w}:{h}:flags=bicubic,setsar=1,format=yuv420p,"
            f"zoompan=z='1+0.12*on/{max(frames - 1, 1)}':d={frames}:s={w}x{h}:fps={FPS}"
            f":x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)'[bg]")
    else:
        parts.append("[0:v]format=yuv420p[bg]")
    if last_input is not None:
        parts[-1] = parts[-1].removesuffix("[bg]") + "[first]"
        t0, t1 = d * 0.25, max(d - clean_tail(d) - 1 / FPS, d * 0.5)
        parts.append(f"[{last_input}:v]scale={w}:{h}:flags=bicubic,setsar=1,format=yuv420p,"
                     f"loop=loop={frames}:size=1:start=0,setpts=N/{FPS}/TB[last]")
        parts.append(f"[first][last]blend=all_expr='A+(B-A)*clip((T-{t0:.4f})/"
                     f"{t1 - t0:.4f},0,1)':shortest=1[bg]")
    common = (f"fontcolor=white:expansion=none:box=1:boxcolor=black@0.45"
              f":boxborderw={_pad(h)}")
    steps = [f"drawtext=fontfile={'bold' if t.bold else 'font'}.ttf:textfile={t.file}:{common}"
             f":fontsize={t.size}:x=(w-text_w)/2:y={t.y}:enable='{t.enable}'" for t in texts]
    # Beat ticks on the bar, then the bar itself (a white strip sliding in from the left).
    for b in request.beats:
        if b.speaker is not None:
            continue
        x = round(w * min(max(b.start / d, 0.0), 1.0))
        steps.append(f"drawbox=x={x}:y={h - 2 * bar_h}:w=2:h={2 * bar_h}:color=white@0.8:t=fill"
                     f":enable='{visible}'")
    parts.append("[bg]" + (",".join(steps) or "null") + "[txt]")
    parts.append(f"color=c=white:s={w}x{bar_h}:r={FPS}:d={d:g}[bar]")
    parts.append(f"[txt][bar]overlay=x='-{w}+{w}*t/{d:g}':y={h - bar_h}:eval=frame"
                 f":enable='{visible}',format=yuv420p[v]")
    if voice_track:
        # the bed and the voices, mixed in Python into one file (input 1): ffmpeg's amix
        # framed its output by when each input's thread delivered, so bytes varied run to run
        parts.append("[1:a]aformat=sample_fmts=fltp:channel_layouts=stereo[a]")
    else:
        parts.append(f"sine=frequency={tone_for(request.key)}:sample_rate=48000:duration={d:g},"
                     f"volume=0.08,aformat=sample_fmts=fltp:channel_layouts=stereo[a]")
    return ";".join(parts)


def tone_for(key: str) -> int:
    """The bed's frequency: a quiet tone of its own for every segment."""
    return 110 + int(hashlib.sha256(key.encode()).hexdigest()[:4], 16) % 220


#: the bed's amplitude: ffmpeg's sine source (1/8) at volume 0.08
BED_AMPLITUDE = 0.08 / 8
RATE = 48000


def mix_voice_track(lines: Sequence[tuple[Path, float]], seconds: float, tone: int,
                    dest: Path) -> None:
    """The clip's audio as a 48 kHz stereo WAV: the tone bed with every spoken line (a mono
    WAV, resampled) added at its start, cut at the clip's end."""
    import wave

    import numpy as np

    n = round(seconds * RATE)
    t = np.arange(n) / RATE
    mix = BED_AMPLITUDE * np.sin(2 * np.pi * tone * t)
    for path, start in lines:
        with wave.open(str(path), "rb") as w:
            rate = w.getframerate()
            pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float64) / 32768
        if not len(pcm):
            continue
        out_len = int(len(pcm) * RATE / rate)
        voice = np.interp(np.arange(out_len) * rate / RATE, np.arange(len(pcm)), pcm)
        at = max(round(start * RATE), 0)
        end = min(at + out_len, n)
        if end > at:
            mix[at:end] += VOICE_GAIN * voice[: end - at]
    samples = (np.clip(mix, -1.0, 1.0) * 32767).round().astype("<i2")
    stereo = np.repeat(samples, 2)
    with wave.open(str(dest), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(stereo.tobytes())


def _speak(beats: list[Beat], folder: Path) -> list[tuple[str, float]]:
    """Say every spoken line into a WAV in ``folder``: [(file name, start)] — or nothing
    (with a log line) when the scratch voice cannot run: the picture still renders."""
    from soraboard.generation.scratch_voice import VoiceUnavailable, speak_lines, voice_name

    spoken = [b for b in beats if b.speaker is not None and b.start < b.end]
    if not spoken:
        return []
    jobs = [(b.text.strip(), voice_name(b.voice), folder / f"voice{i}.wav")
            for i, b in enumerate(spoken)]
    try:
        speak_lines(jobs)
    except VoiceUnavailable as e:
        log.warning("the animatic is silent where people speak: %s", e)
        return []
    return [(f"voice{i}.wav", b.start) for i, b in enumerate(spoken)]


def render_animatic(request: VideoRequest, dest: Path, ffmpeg: FFmpeg | None = None, *,
                    overlay: bool = True) -> None:
    """Render ``request`` to ``dest`` (atomically: temp file beside it, then rename).

    ``overlay=False`` renders the bare picture (no text, ticks or bar): the clean plate the
    tests compare the overlay against."""
    ff = ffmpeg or find_ffmpeg()
    w, h, d = request.width, request.height, request.seconds
    if w % 2 or h % 2:
        raise Rejected(f"size {request.size} must have even width and height for H.264")
    if d <= 0:
        raise Rejected("the duration must be positive")
    frames = round(d * FPS)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.part.mp4")
    with tempfile.TemporaryDirectory(prefix="soraboard-animatic-") as scratch:
        sd = Path(scratch)
        shutil.copyfile(font_path(), sd / "font.ttf")
        shutil.copyfile(font_path(bold=True), sd / "bold.ttf")
        beats = [b for b in request.beats if b.text.strip() and b.end > b.start][:40]
        req = VideoRequest(request.prompt, request.model, request.size, request.seconds,
                           request.reference, request.title, tuple(beats), request.key,
                           last_frame=request.last_frame)
        texts = _layout(req, beats) if overlay else []
        for t in texts:
            (sd / t.file).write_text(t.text, "utf-8")
        has_ref = request.reference is not None
        if has_ref:
            assert request.reference is not None
            inputs = ["-i", str(Path(request.reference).absolute())]
        else:
            inputs = ["-f", "lavfi", "-i",
                      background(request.key or request.title, w, h, d)]
        spoken = _speak(beats, sd)
        if spoken:
            mix_voice_track([(sd / wav, start) for wav, start in spoken], d,
                            tone_for(request.key), sd / "audio.wav")
            inputs += ["-i", "audio.wav"]
        last_input = None
        if request.last_frame is not None:
            last_input = 2 if spoken else 1
            inputs += ["-i", str(Path(request.last_frame).absolute())]
        graph = _filter_graph(req if overlay else replace(req, beats=()), texts, has_ref,
                              bool(spoken), last_input)
        (sd / "graph.txt").write_text(graph, "utf-8")
        args = [
            "-y", *inputs,
            "-/filter_complex", "graph.txt",
            "-map", "[v]", "-map", "[a]",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            "-g", str(GOP), "-threads", "2", "-r", str(FPS), "-frames:v", str(frames),
            "-c:a", "aac", "-b:a", "96k", "-ar", "48000", "-ac", "2", "-t", f"{d:g}",
            "-movflags", "+faststart", "-map_metadata", "-1",
            "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact",
            str(tmp_out.absolute()),
        ]
        try:
            # the graph names its font and reference relative to this folder
            run_ffmpeg(args, ffmpeg=ff, cwd=sd, timeout=600, what="the animatic render")
            tmp_out.replace(dest)
        except FFmpegError as e:
            raise GenerationError(f"the animatic render failed: {e}") from None
        finally:
            tmp_out.unlink(missing_ok=True)


class AnimaticBackend:
    """The offline backend. Jobs "run" for ``latency`` seconds (0 = done at once) and the
    clip is rendered when it is downloaded. Cost: $0. Accepts every catalog model."""

    name = NAME
    poll_interval: float

    def __init__(self, *, latency: float = 0.0, concurrency: int = 2,
                 poll_interval: float = 0.05, catalog: Catalog | None = None,
                 ffmpeg: FFmpeg | None = None) -> None:
        self.latency = latency
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self._catalog = catalog
        self._ffmpeg = ffmpeg
        self._started: dict[str, float] = {}
        self._lock = threading.Lock()

    def capabilities(self, model: str) -> ModelSpec | None:
        cat = self._catalog or default_catalog()
        return cat.get(model)

    def price(self, request: VideoRequest) -> Decimal | None:
        return Decimal("0")

    def submit(self, request: VideoRequest) -> JobState:
        job_id = "animatic_" + uuid.uuid4().hex[:16]
        now = time.time()
        with self._lock:
            self._started[job_id] = time.monotonic()
        return JobState(job_id, JobStatus.QUEUED if self.latency else JobStatus.COMPLETED,
                        created_at=now, prompt=request.prompt, model=request.model,
                        size=request.size, seconds=request.seconds_text)

    def poll(self, job_id: str) -> JobState:
        if not job_id.startswith("animatic_"):
            raise ExpiredOrNotFound(f"{job_id} is not an animatic job")
        with self._lock:
            start = self._started.get(job_id)
        if start is None or self.latency <= 0:
            # A job from an earlier process: nothing was lost, the render is deterministic.
            return JobState(job_id, JobStatus.COMPLETED, 1.0)
        done = (time.monotonic() - start) / self.latency
        if done >= 1:
            return JobState(job_id, JobStatus.COMPLETED, 1.0)
        return JobState(job_id, JobStatus.RUNNING, min(done, 0.99))

    def download(self, job_id: str, request: VideoRequest, dest: Path) -> None:
        render_animatic(request, dest, self._ffmpeg)

    def find_jobs(self, request: VideoRequest, since: float,
                  exclude: frozenset[str] = frozenset()) -> list[JobState]:
        return []  # nothing is ever lost locally: resubmitting is free and identical

    def can_remix(self, model: str) -> bool:
        return False

    def remix(self, job_id: str, prompt: str) -> JobState:
        raise Rejected("the animatic backend cannot remix; generate the segment again")
