"""Build real project bundles around lavfi clips, and inspect exported files."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from soraboard.media.ffmpeg import find_ffmpeg
from soraboard.model.storyboard import Segment, Storyboard, Transition, TransitionType
from soraboard.model.take import RequestSnapshot, Take, TakeSource, TakeStatus
from soraboard.storage.bundle import Bundle, Project, load_project
from tests.helpers.clips import make_clip


@dataclass
class ClipSpec:
    name: str = "clip.mp4"
    duration: float = 1.0
    color: str | None = "red"
    size: str = "320x180"
    fps: str = "30"
    audio: bool = True
    title: str = ""
    trim_in: float = 0.0
    trim_out: float | None = None
    tone_hz: int = 440
    gop: int | None = None
    pattern: str = "testsrc2"
    extra: tuple[str, ...] = ()


def make_project(root: Path, clips: Sequence[ClipSpec | None],
                 transitions: Sequence[Transition | tuple[TransitionType, float]] = (),
                 size: str = "320x180", name: str = "Film") -> Project:
    """A bundle whose segments use the given clips (None = a segment with no take)."""
    sb = Storyboard(title=name, default_size=size)
    bundle = Bundle.create(root / name, sb)
    segments: list[Segment] = []
    takes: list[Take] = []
    trs = [t if isinstance(t, Transition) else Transition(*t) for t in transitions]
    for i, spec in enumerate(clips):
        seg = sb.new_segment(title=(spec.title if spec else "") or f"Shot {i + 1}",
                             duration=4.0)
        if spec is not None:
            file = bundle.media_dir / spec.name
            make_clip(file, duration=spec.duration, size=spec.size, fps=spec.fps,
                      color=spec.color, audio=spec.audio, tone_hz=spec.tone_hz, gop=spec.gop,
                      pattern=spec.pattern, extra_video_args=list(spec.extra))
            take = Take(f"take_{i}", seg.id, "import",
                        RequestSnapshot("p", "sora-2", spec.size, spec.duration),
                        TakeStatus.DONE, TakeSource.IMPORTED, file=bundle.relative(file),
                        media_duration=spec.duration)
            bundle.write_take(take)
            takes.append(take)
            seg = seg.with_changes(chosen_take=take.id, trim_in=spec.trim_in,
                                   trim_out=spec.trim_out)
        if i < len(trs):
            seg = seg.with_changes(transition_out=trs[i])
        segments.append(seg)
    sb = Storyboard(title=name, default_size=size, segments=tuple(segments))
    bundle.save(sb)
    return load_project(bundle.path)


def ff() -> str:
    return find_ffmpeg().path


def frame_at(path: Path, index: int, size: tuple[int, int] | None = None) -> np.ndarray:
    """The decoded RGB frame number ``index`` (0-based) of the file (H x W x 3, uint8)."""
    cmd = [ff(), "-v", "error", "-i", str(path), "-vf", f"select=eq(n\\,{index})",
           "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    raw = subprocess.run(cmd, capture_output=True, check=True).stdout
    if size is None:
        from soraboard.media.probe import probe

        v = probe(path, count_frames=False).video
        assert v is not None
        size = (v.width, v.height)
    w, h = size
    return np.frombuffer(raw[: w * h * 3], np.uint8).reshape(h, w, 3)


def decode_errors(path: Path) -> str:
    """What ffmpeg prints when decoding the whole file with -v error (empty = clean)."""
    out = subprocess.run([ff(), "-v", "error", "-i", str(path), "-f", "null", "-"],
                         capture_output=True, text=True)
    return (out.stdout + out.stderr).strip()


def stream_durations(path: Path) -> tuple[int, float, float]:
    """(video frames, video seconds, audio seconds) measured from the packets."""
    from soraboard.media.probe import list_packets

    v = list_packets(path)
    vdur = float((max(p + d for p, d in zip(v.pts, v.durations)) - min(v.pts)) * v.time_base)
    # AAC packets carry priming and padding: count the decoded samples instead
    out = subprocess.run([ff(), "-v", "error", "-i", str(path), "-map", "0:a:0", "-f", "s16le",
                          "-ac", "1", "-ar", "48000", "-"], capture_output=True, check=True).stdout
    return len(v.pts), vdur, len(out) / 2 / 48000


def project_of_files(root: Path, files: Sequence[Path], joins: Sequence[Transition] = (), *,
                     size: str = "320x180", trims: Sequence[tuple[float, float | None]] = (),
                     name: str = "Film") -> Project:
    """A bundle with one segment per file (copied into its media/), the given transitions
    and trims ``(in, out)``."""
    import shutil

    from soraboard.media.probe import probe

    sb = Storyboard(title=name, default_size=size)
    bundle = Bundle.create(root / name, sb)
    segs = []
    for i, src in enumerate(files):
        seg = sb.new_segment(title=f"Shot {i + 1}", duration=4.0)
        file = bundle.media_dir / f"take{i}{src.suffix}"
        shutil.copyfile(src, file)
        seconds = probe(file, count_frames=False).duration
        take = Take(f"take_{i}", seg.id, "import", RequestSnapshot("p", "sora-2", size, seconds),
                    TakeStatus.DONE, TakeSource.IMPORTED, file=bundle.relative(file),
                    media_duration=seconds)
        bundle.write_take(take)
        t_in, t_out = trims[i] if i < len(trims) else (0.0, None)
        seg = seg.with_changes(chosen_take=take.id, trim_in=t_in, trim_out=t_out)
        if i < len(joins):
            seg = seg.with_changes(transition_out=joins[i])
        segs.append(seg)
    bundle.save(Storyboard(title=name, default_size=size, segments=tuple(segs)))
    return load_project(bundle.path)
