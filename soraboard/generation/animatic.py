"""The animatic backend: the embedded, offline, free stand-in for a real provider.

It renders with ffmpeg a clip of exactly the requested size and duration — the segment's
title and timed beats as text in the shipped DejaVu font, a progress bar with a tick at every
beat, over a colour derived from the segment (or over the reference image with a slow
push-in, so chaining is visible), with a quiet stereo 48 kHz tone bed. H.264 yuv420p + AAC,
faststart. The same request gives the same bytes (bitexact flags, fixed threads, no
metadata), so a rehearsal can be compared run to run.

Text goes to drawtext through ``textfile=`` with ``expansion=none`` and ffmpeg runs in a
scratch folder holding the font and text files under fixed names, so no user text and no
path is ever spliced into the filter graph — quotes, colons, percent signs and backslashes in
a title need no escaping at all.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import threading
import time
import uuid
from decimal import Decimal
from importlib import resources
from pathlib import Path

from soraboard.catalog.catalog import Catalog, ModelSpec, default_catalog
from soraboard.generation.backend import JobState, JobStatus, VideoRequest
from soraboard.generation.errors import ExpiredOrNotFound, GenerationError, Rejected
from soraboard.media.ffmpeg import FFmpeg, FFmpegError, find_ffmpeg, run_ffmpeg

FPS = 24
GOP = FPS * 2  # a keyframe every 2 s keeps last-frame extraction cheap
FONT = "DejaVuSans.ttf"
FONT_BOLD = "DejaVuSans-Bold.ttf"
NAME = "animatic"


def font_path(bold: bool = False) -> Path:
    """The shipped font (a real file: ffmpeg needs a path)."""
    ref = resources.files("soraboard") / "resources" / "fonts" / (FONT_BOLD if bold else FONT)
    return Path(str(ref))


def colour_for(key: str) -> str:
    """A dark, saturated background colour derived from ``key`` (``0xRRGGBB``)."""
    h = hashlib.sha256(key.encode("utf-8")).digest()
    # Keep channels in 24–120 so white text always reads on top.
    r, g, b = (24 + h[i] % 96 for i in range(3))
    return f"0x{r:02X}{g:02X}{b:02X}"


def _filter_graph(request: VideoRequest, n_beats: int, has_ref: bool) -> str:
    w, h, d = request.width, request.height, request.seconds
    frames = round(d * FPS)
    title_size = max(h // 12, 10)
    beat_size = max(h // 18, 8)
    bar_h = max(h // 40, 3)
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
    chain = "[bg]"
    common = "fontcolor=white:expansion=none:box=1:boxcolor=black@0.45:boxborderw=8"
    steps = [f"drawtext=fontfile=bold.ttf:textfile=title.txt:{common}:fontsize={title_size}"
             f":x=(w-text_w)/2:y=h*0.1"]
    for i in range(n_beats):
        b = request.beats[i]
        steps.append(f"drawtext=fontfile=font.ttf:textfile=beat{i}.txt:{common}"
                     f":fontsize={beat_size}:x=(w-text_w)/2:y=h*0.68"
                     f":enable='between(t,{b.start:g},{b.end:g})'")
    # Beat ticks on the bar, then the bar itself (a white strip sliding in from the left).
    for b in request.beats[:n_beats]:
        x = round(w * min(max(b.start / d, 0.0), 1.0))
        steps.append(f"drawbox=x={x}:y={h - 2 * bar_h}:w=2:h={2 * bar_h}:color=white@0.8:t=fill")
    parts.append(chain + ",".join(steps) + "[txt]")
    parts.append(f"color=c=white:s={w}x{bar_h}:r={FPS}:d={d:g}[bar]")
    parts.append(f"[txt][bar]overlay=x='-{w}+{w}*t/{d:g}':y={h - bar_h}:eval=frame,"
                 f"format=yuv420p[v]")
    tone = 110 + int(hashlib.sha256(request.key.encode()).hexdigest()[:4], 16) % 220
    parts.append(f"sine=frequency={tone}:sample_rate=48000:duration={d:g},volume=0.08,"
                 f"aformat=sample_fmts=fltp:channel_layouts=stereo[a]")
    return ";".join(parts)


def render_animatic(request: VideoRequest, dest: Path, ffmpeg: FFmpeg | None = None) -> None:
    """Render ``request`` to ``dest`` (atomically: temp file beside it, then rename)."""
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
        (sd / "title.txt").write_text(request.title.strip() or "(untitled)", "utf-8")
        beats = [b for b in request.beats if b.text.strip() and b.end > b.start][:40]
        req = VideoRequest(request.prompt, request.model, request.size, request.seconds,
                           request.reference, request.title, tuple(beats), request.key)
        for i, b in enumerate(beats):
            (sd / f"beat{i}.txt").write_text(b.text.strip(), "utf-8")
        has_ref = request.reference is not None
        if has_ref:
            assert request.reference is not None
            inputs = ["-i", str(Path(request.reference).absolute())]
        else:
            inputs = ["-f", "lavfi", "-i",
                      f"color=c={colour_for(request.key or request.title)}:s={w}x{h}"
                      f":r={FPS}:d={d:g}"]
        (sd / "graph.txt").write_text(_filter_graph(req, len(beats), has_ref), "utf-8")
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
