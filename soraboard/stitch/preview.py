"""The sequence preview, rendered incrementally.

The Preview preset, cut into pieces that are cached by content under
``soraboard.paths.cache_dir()/preview``:

* **body chunks**: the frames of a segment outside its transitions, cut at fixed two-second
  marks of the *take's own* timeline, so a new transition length or trim re-renders only the
  chunk at that end, not the whole segment;
* **transition pieces**: the overlap of two neighbours with the xfade and the audio join;
* segments with no take yet are **slates** of their duration (number and title on a dark
  card), so the pacing can be judged before any money is spent.

A piece's key hashes its ffmpeg arguments (which hold the source, the seek, the length, the
format and the encoder settings) with the size and mtime of each input file, so changing one
transition or one take re-renders exactly the pieces that it touches. Pieces are MOV with
H.264 (the same encoder settings, so the concat demuxer can copy them) and PCM audio — AAC
pieces would drift by their priming at every join — and the film is one ``-c:v copy`` concat
with the audio encoded once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from soraboard import paths
from soraboard.media.ffmpeg import FFmpeg, find_ffmpeg
from soraboard.model.storyboard import TransitionType
from soraboard.stitch.plan import ExportPlan, Part, Source, timeline_graph
from soraboard.stitch.runner import (
    OUTPUT,
    CancelToken,
    ProgressCallback,
    Step,
    run_to_file,
)

#: body chunks end at multiples of this many frames of the take's timeline
CHUNK_FRAMES = 60
#: bump when the way pieces are made changes, so old cache entries are not reused
CACHE_VERSION = 1


def preview_cache_dir() -> Path:
    return paths.cache_dir() / "preview"


@dataclass(frozen=True)
class PreviewPiece:
    """One cached piece of the preview."""

    kind: str  #: body | transition | slate
    label: str
    args: tuple[str, ...]  #: ffmpeg arguments, the output being OUTPUT
    inputs: tuple[Path, ...]
    frames: int

    @property
    def key(self) -> str:
        stats = []
        for p in self.inputs:
            try:
                st = p.stat()
                stats.append([str(p), st.st_size, st.st_mtime_ns])
            except OSError:
                stats.append([str(p), None, None])
        blob = json.dumps([CACHE_VERSION, self.args, stats], ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


def _encode(plan: ExportPlan) -> list[str]:
    fmt = plan.format
    return [*plan.preset.video_args, "-r", fmt.fps_text, "-c:a", "pcm_s16le",
            "-ar", str(fmt.sample_rate), "-ac", str(fmt.channels),
            "-video_track_timescale", str(fmt.fps.numerator * 1000), "-f", "mov", OUTPUT]


def _piece(plan: ExportPlan, kind: str, label: str, parts: Sequence[Part],
           joins: Sequence[tuple[TransitionType, int]]) -> PreviewPiece:
    graph = timeline_graph(parts, joins, plan.format)
    frames = sum(p.frames for p in parts) - sum(f for _, f in joins)
    args = (*graph.inputs, "-filter_complex", graph.filter_complex,
            "-map", graph.video or "", "-map", graph.audio or "", *_encode(plan))
    inputs = tuple(p.source.path for p in parts if p.source.path is not None)
    return PreviewPiece(kind, label, tuple(args), inputs, frames)


def preview_pieces(plan: ExportPlan) -> list[PreviewPiece]:
    """The pieces of the preview, in film order (pure)."""
    fmt = plan.format
    out: list[PreviewPiece] = []
    n = len(plan.sources)
    for i, s in enumerate(plan.sources):
        d_in = 0 if i == 0 or plan.joins[i - 1].is_cut else plan.joins[i - 1].frames
        d_out = 0 if i == n - 1 or plan.joins[i].is_cut else plan.joins[i].frames
        if i > 0 and d_in:
            a = plan.sources[i - 1]
            j = plan.joins[i - 1]
            out.append(_piece(plan, "transition", f"transition {i} → {i + 1}",
                              [Part(a, a.t_in + fmt.seconds(a.frames - d_in), d_in),
                               Part(s, s.t_in, d_in)], [(j.type, d_in)]))
        # body frames [d_in, frames - d_out), cut where the take's own frame index is a
        # multiple of CHUNK_FRAMES
        origin = fmt.frames(s.t_in)
        lo, hi = origin + d_in, origin + s.frames - d_out
        kind = "slate" if s.is_slate else "body"
        while lo < hi:
            nxt = min((lo // CHUNK_FRAMES + 1) * CHUNK_FRAMES, hi)
            part = Part(s, s.t_in + fmt.seconds(lo - origin), nxt - lo)
            if s.is_slate:  # a slate's picture does not depend on where in it we are
                part = Part(_slate_source(s, nxt - lo), 0.0, nxt - lo)
            out.append(_piece(plan, kind, f"{s.label} {lo - origin}–{nxt - origin}",
                              [part], []))
            lo = nxt
    return out


def _slate_source(s: Source, frames: int) -> Source:
    return Source(s.index, s.segment_id, s.title, None, None, None, 0.0, 0.0, frames)


@dataclass
class PreviewResult:
    path: Path
    rendered: list[str] = field(default_factory=list)  #: labels of the pieces rendered now
    reused: int = 0  #: pieces taken from the cache
    frames: int = 0


class SequencePreview:
    """Renders previews of a storyboard, re-using every piece a change did not touch."""

    def __init__(self, cache: Path | None = None, ffmpeg: FFmpeg | None = None) -> None:
        self.cache = cache or preview_cache_dir()
        self.ffmpeg = ffmpeg or find_ffmpeg()

    def piece_file(self, piece: PreviewPiece) -> Path:
        return self.cache / f"{piece.key}.mov"

    def render(self, plan: ExportPlan, output: Path, *,
               on_progress: ProgressCallback | None = None,
               cancel: CancelToken | None = None) -> PreviewResult:
        """Write the preview of ``plan`` (built with the Preview preset) to ``output``."""
        self.cache.mkdir(parents=True, exist_ok=True)
        pieces = preview_pieces(plan)
        result = PreviewResult(Path(output).absolute(), frames=sum(p.frames for p in pieces))
        todo = [p for p in pieces if not self.piece_file(p).is_file()]
        result.reused = len(pieces) - len(todo)

        def build(tmp: Path, work: Path) -> list[Step]:
            steps: list[Step] = []
            for k, piece in enumerate(todo):
                final = self.piece_file(piece)
                part = work / f"{final.stem}.mov"
                args = [str(part) if a == OUTPUT else a for a in piece.args]
                steps.append(Step(f"Rendering {piece.label} ({k + 1} of {len(todo)})", args,
                                  plan.format.seconds(piece.frames), weight=float(piece.frames)))
                # only a complete piece enters the cache: a cancelled one must not be reused
                steps.append(Step("Caching", action=_mover(part, final, result, piece.label),
                                  weight=0.01))
            listing = work / "preview.ffconcat"
            listing.write_text("ffconcat version 1.0\n" + "".join(
                f"file '{_quote(self.piece_file(p))}'\n" for p in pieces), "utf-8")
            steps.append(Step("Joining the preview", [
                "-f", "concat", "-safe", "0", "-i", str(listing), "-map", "0:v:0",
                "-map", "0:a:0", "-c:v", "copy", *plan.preset.audio_args,
                "-movflags", "+faststart", "-f", "mp4", OUTPUT], plan.duration,
                weight=max(result.frames * 0.05, 1.0), what="joining the preview"))
            return steps

        run_to_file(result.path, build, self.ffmpeg, on_progress=on_progress, cancel=cancel)
        for p in pieces:  # touch what this preview uses, so pruning keeps it
            with contextlib.suppress(OSError):
                os.utime(self.piece_file(p))
        return result

    def prune(self, max_bytes: int = 2 * 1024**3) -> int:
        """Delete the least recently used pieces until the cache fits ``max_bytes``;
        returns how many were deleted. The cache is safe to delete: it is re-rendered."""
        if not self.cache.is_dir():
            return 0
        files = sorted(self.cache.glob("*.mov"), key=lambda f: f.stat().st_mtime)
        total = sum(f.stat().st_size for f in files)
        removed = 0
        for f in files:
            if total <= max_bytes:
                break
            size = f.stat().st_size
            with contextlib.suppress(OSError):
                f.unlink()
                total -= size
                removed += 1
        return removed


def _mover(src: Path, dst: Path, result: PreviewResult, label: str) -> Callable[[], None]:
    def move() -> None:
        os.replace(src, dst)
        result.rendered.append(label)
    return move


def _quote(path: Path) -> str:
    """A path inside single quotes of an ffconcat file."""
    return str(path).replace("'", "'\\''")
