"""Time beats (``[0–4 s] text``), trims and used durations."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping

from soraboard.model.storyboard import Beat, Segment, Storyboard
from soraboard.model.take import Take, chosen_take

_BEAT_RE = re.compile(
    r"^\s*\[\s*(?P<start>\d+(?:\.\d+)?)\s*s?\s*[-–—]\s*(?P<end>\d+(?:\.\d+)?)\s*s?\s*\]\s*:?\s*(?P<text>.*)$"
)


class BeatSyntaxError(ValueError):
    """A line that should be a beat but is not ``[start–end s] text``."""

    def __init__(self, line_no: int, line: str) -> None:
        super().__init__(
            f"line {line_no}: expected '[start–end s] text', e.g. '[0–4 s] she opens the door', "
            f"got {line.strip()!r}"
        )
        self.line_no = line_no


def fmt_seconds(value: float) -> str:
    """``4`` → ``"4"``, ``2.5`` → ``"2.5"`` (no trailing zeros)."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


def fmt_duration(seconds: float) -> str:
    """A wall-clock span for people: ``"45 s"``, ``"2 min 14 s"``, ``"1 h 03 min"``."""
    total = max(round(seconds), 0)
    if total < 60:
        return f"{total} s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def format_beat(beat: Beat) -> str:
    return f"[{fmt_seconds(beat.start)}–{fmt_seconds(beat.end)} s] {beat.text}"


def format_beats(beats: Iterable[Beat]) -> str:
    return "\n".join(format_beat(b) for b in beats)


def parse_beat(line: str, line_no: int = 1) -> Beat:
    m = _BEAT_RE.match(line)
    if m is None:
        raise BeatSyntaxError(line_no, line)
    return Beat(float(m["start"]), float(m["end"]), m["text"].strip())


def parse_beats(text: str) -> tuple[Beat, ...]:
    """Parse one beat per non-empty line; raises :class:`BeatSyntaxError` on the first bad line."""
    beats = []
    for n, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            beats.append(parse_beat(line, n))
    return tuple(beats)


def beat_problems(beats: Iterable[Beat], duration: float) -> list[str]:
    """Plain-words problems with a segment's beats: outside the duration, empty, overlapping."""
    problems: list[str] = []
    ordered = sorted(beats, key=lambda b: (b.start, b.end))
    for b in ordered:
        label = format_beat(b)
        if b.end <= b.start:
            problems.append(f"beat {label!r} ends before it starts")
        if b.start < 0 or b.end > duration + 1e-9:
            problems.append(
                f"beat {label!r} is outside the segment's {fmt_seconds(duration)} s"
            )
    for prev, cur in itertools.pairwise(ordered):
        if cur.start < prev.end - 1e-9:
            problems.append(
                f"beats {format_beat(prev)!r} and {format_beat(cur)!r} overlap"
            )
    return problems


def clip_length(segment: Segment, takes: Mapping[str, Take]) -> float:
    """Length of the clip the segment will use: the chosen take's file, else the request."""
    take = chosen_take(segment, takes)
    if take is not None and take.media_duration:
        return take.media_duration
    return segment.duration


def trim_range(segment: Segment, takes: Mapping[str, Take]) -> tuple[float, float]:
    """The (in, out) points used from the clip, clamped to the clip."""
    length = clip_length(segment, takes)
    t_in = min(max(segment.trim_in, 0.0), length)
    t_out = length if segment.trim_out is None else min(max(segment.trim_out, t_in), length)
    return t_in, t_out


def used_duration(segment: Segment, takes: Mapping[str, Take] | None = None) -> float:
    """Seconds of the segment that end up in the film (after trim)."""
    t_in, t_out = trim_range(segment, takes or {})
    return t_out - t_in


def film_length(storyboard: Storyboard, takes: Mapping[str, Take] | None = None) -> float:
    """The exported film's length: used durations minus the transitions' overlaps."""
    takes = takes or {}
    total = sum(used_duration(s, takes) for s in storyboard.segments)
    overlap = sum(0.0 if t.is_cut else t.duration for t in storyboard.transitions)
    return max(total - overlap, 0.0)
