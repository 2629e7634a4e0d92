"""Spoken lines as data: the text form creators type, timing, and the speaking-rate check.

A line is written ``[2–4 s] Mara: "Is anyone there?"`` (the time may be left out: it is then
placed after the previous line). Speech runs at about :data:`WORDS_PER_SECOND`; a line that
cannot be said in its time, or a segment whose lines cannot be said in its length, is a
warning, never an error: the creator decides.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Sequence

from soraboard.model.storyboard import DialogueLine, Storyboard
from soraboard.model.timing import fmt_seconds

#: the guides' pace of natural speech (a line may be a tenth faster before it is a warning)
WORDS_PER_SECOND = 2.5

_LINE_RE = re.compile(
    r"^\s*(?:\[\s*(?P<start>\d+(?:\.\d+)?)\s*s?\s*(?:[-–—]\s*(?P<end>\d+(?:\.\d+)?)\s*s?\s*)?\]"
    r"\s*)?(?:(?P<speaker>[^:\"“]{1,40}?)\s*:\s*)?(?P<text>.+?)\s*$")


class DialogueSyntaxError(ValueError):
    def __init__(self, line_no: int, line: str) -> None:
        super().__init__(f"line {line_no}: expected '[start–end s] Speaker: \"words\"', "
                         f"got {line.strip()!r}")
        self.line_no = line_no


def words(text: str) -> int:
    return len(re.findall(r"[\w'’-]+", text))


def speaking_time(text: str) -> float:
    """Seconds it takes to say ``text`` at the natural pace (at least half a second)."""
    return max(0.5, words(text) / WORDS_PER_SECOND)


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] in "\"“" and text[-1] in "\"”":
        return text[1:-1].strip()
    return text


def format_line(line: DialogueLine, timed: bool = True) -> str:
    who = f"{line.speaker}: " if line.speaker else ""
    when = f"[{fmt_seconds(line.start)}–{fmt_seconds(line.end)} s] " if timed else ""
    return f'{when}{who}"{line.text}"'


def format_dialogue(lines: Iterable[DialogueLine], timed: bool = True) -> str:
    return "\n".join(format_line(d, timed) for d in lines)


def parse_dialogue(text: str, duration: float | None = None) -> tuple[DialogueLine, ...]:
    """One line per non-empty text line. Untimed lines follow the previous one, each as long
    as it takes to say; raises :class:`DialogueSyntaxError` on a line with no words."""
    out: list[DialogueLine] = []
    t = 0.0
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        m = _LINE_RE.match(raw)
        spoken = _unquote(m["text"]) if m else ""
        if m is None or not words(spoken):
            raise DialogueSyntaxError(n, raw)
        start = float(m["start"]) if m["start"] is not None else t
        need = speaking_time(spoken)
        end = float(m["end"]) if m["end"] is not None else start + need
        if duration is not None and m["end"] is None:
            end = min(end, max(duration, start))
        out.append(DialogueLine((m["speaker"] or "").strip(), spoken, start, max(end, start)))
        t = out[-1].end
    return tuple(out)


def lay_out(lines: Sequence[tuple[str, str]], duration: float) -> tuple[DialogueLine, ...]:
    """(speaker, words) lines given times: each in its share of the segment, as long as it
    takes to say (half-second steps), so a migrated or planned line lands where it can be
    heard."""
    n = len(lines)
    if n == 0:
        return ()
    slot = duration / n
    out = []
    for i, (speaker, text) in enumerate(lines):
        start = round(i * slot * 2) / 2
        end = min(duration, max(start + 0.5, math.ceil((start + speaking_time(text)) * 2) / 2))
        if i + 1 < n:
            end = min(end, max(start + 0.5, round((i + 1) * slot * 2) / 2))
        out.append(DialogueLine(speaker, text, start, end))
    return tuple(out)


_OLD_LINE = re.compile(r"^\s*(?:-\s*)?(?:(?P<speaker>[^:\"“]{1,40}?)\s*:\s*)?(?P<text>.+?)\s*$")


def from_text(text: str, duration: float) -> tuple[DialogueLine, ...]:
    """The old free-text dialogue field (``Name: "line"`` per line) as timed lines."""
    pairs = []
    for raw in text.splitlines():
        m = _OLD_LINE.match(raw)
        if m and words(_unquote(m["text"])):
            pairs.append(((m["speaker"] or "").strip(), _unquote(m["text"])))
    return lay_out(pairs, duration)


def dialogue_problems(lines: Sequence[DialogueLine], duration: float) -> list[str]:
    """Plain-words warnings: a line outside the segment, overlapping lines, lines that
    cannot be said in their time or in the segment's length at ~2.5 words a second."""
    out: list[str] = []
    ordered = sorted(lines, key=lambda d: (d.start, d.end))
    total_words = sum(words(d.text) for d in ordered)
    need = total_words / WORDS_PER_SECOND
    if ordered and need > duration + 1e-9:
        out.append(f"the dialogue is {total_words} words: about {fmt_seconds(round(need, 1))} s "
                   f"of speech at {fmt_seconds(WORDS_PER_SECOND)} words a second, more than "
                   f"the segment's {fmt_seconds(duration)} s — cut words or lengthen it")
    for d in ordered:
        label = format_line(d)
        if d.start < 0 or d.end > duration + 1e-9 or d.start >= duration:
            out.append(f"{label} is outside the segment's {fmt_seconds(duration)} s")
        elif need <= duration + 1e-9 and d.length < 0.9 * words(d.text) / WORDS_PER_SECOND:
            out.append(f"{label} needs about {fmt_seconds(round(speaking_time(d.text), 1))} s "
                       f"to say, not {fmt_seconds(d.length)} s")
    for a, b in itertools.pairwise(ordered):
        if b.start < a.end - 1e-9:
            out.append(f"{format_line(a)} and {format_line(b)} overlap")
    return out


_SRT_TIME = re.compile(r"(\d+):(\d{2}):(\d{2})[,.](\d{1,3})\s*-->\s*"
                       r"(\d+):(\d{2}):(\d{2})[,.](\d{1,3})")
_SRT_SPEAKER = re.compile(r"^(?:-\s*)?(?P<speaker>[A-Z][\w .'-]{0,30}?)\s*:\s+(?P<text>\S.*)$")


def _srt_seconds(h: str, m: str, s: str, ms: str) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms.ljust(3, "0")) / 1000


def parse_srt(text: str, duration: float | None = None) -> tuple[DialogueLine, ...]:
    """SubRip cues as dialogue lines ("Name: words" names the speaker; tags are dropped).

    Cues past ``duration`` are left out, a cue running over it is cut at it. Raises
    ValueError naming the first block that has no valid time line."""
    out: list[DialogueLine] = []
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff"))
    for n, block in enumerate(blocks, start=1):
        lines = [ln.strip() for ln in block.strip().splitlines() if ln.strip()]
        if not lines:
            continue
        at = next((k for k, ln in enumerate(lines) if _SRT_TIME.search(ln)), None)
        if at is None:
            raise ValueError(f"subtitle block {n} has no 'hh:mm:ss,mmm --> hh:mm:ss,mmm' line")
        g = _SRT_TIME.search(lines[at])
        assert g is not None
        start = _srt_seconds(*g.groups()[:4])
        end = _srt_seconds(*g.groups()[4:])
        words = re.sub(r"<[^>]+>|\{[^}]*\}", "", " ".join(lines[at + 1:])).strip()
        if not words or end <= start:
            continue
        if duration is not None:
            if start >= duration:
                continue
            end = min(end, duration)
        m = _SRT_SPEAKER.match(words)
        speaker, words = (m["speaker"].strip(), m["text"].strip()) if m else ("", words)
        out.append(DialogueLine(speaker, words, round(start, 3), round(end, 3)))
    return tuple(out)


def speakers(sb: Storyboard) -> tuple[str, ...]:
    """Every speaker of the film: the style bible's cast, then others as they first speak (the
    order the scratch voice and the voice-over give out voices in)."""
    names = [c.name.strip() for c in sb.style.characters if c.name.strip()]
    for seg in sb.segments:
        for d in seg.dialogue:
            if d.speaker.strip() and d.speaker.strip() not in names:
                names.append(d.speaker.strip())
    return tuple(names)
