"""Rules both planners share: allowed durations and totals, timed beats, dialogue that fits,
transitions at scene changes.

The guide's numbers live here so the offline and the LLM planner cannot drift apart: a segment
carries about one action beat per 4 s, one or two short lines of dialogue per 12 s, and a
transition is at most half of the shorter neighbour.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from soraboard.model.dialogue import lay_out
from soraboard.model.storyboard import Beat, DialogueLine, Transition, TransitionType
from soraboard.model.timing import fmt_seconds

#: durations and totals are compared in half seconds (every catalog duration is a multiple)
_UNIT = 2


def _u(seconds: float) -> int:
    return round(seconds * _UNIT)


def durations_text(durations: Sequence[float]) -> str:
    items = [fmt_seconds(d) for d in durations]
    return (", ".join(items[:-1]) + " or " + items[-1] if len(items) > 1 else "".join(items)) + " s"


def reachable_totals(durations: Sequence[float], limit: float) -> list[bool]:
    """``out[u]`` is True when ``u`` half-seconds can be made from the durations."""
    n = _u(limit)
    units = sorted({_u(d) for d in durations if d > 0})
    out = [False] * (n + 1)
    out[0] = True
    for t in range(1, n + 1):
        out[t] = any(d <= t and out[t - d] for d in units)
    return out


def closest_total(durations: Sequence[float], target: float) -> float:
    """The achievable total nearest ``target`` (ties go to the shorter film)."""
    if not durations:
        raise ValueError("no durations")
    top = target + max(durations)
    ok = reachable_totals(durations, top)
    best: int | None = None
    for t in range(1, len(ok)):
        if ok[t] and (best is None or abs(t - target * _UNIT) < abs(best - target * _UNIT)):
            best = t
    return (best if best is not None else _u(min(durations))) / _UNIT


def nearest_allowed(value: float, durations: Sequence[float]) -> float:
    """The allowed duration nearest ``value`` (ties go to the longer one: fewer cuts)."""
    return min(durations, key=lambda d: (abs(d - value), -d))


def fit_durations(current: Sequence[float], durations: Sequence[float],
                  total: float) -> list[float] | None:
    """Allowed durations, one per segment, summing to ``total``, changing as little as possible.

    None when no choice of allowed durations for that many segments reaches the total.
    """
    allowed = sorted({_u(d) for d in durations})
    goal = _u(total)
    inf = math.inf
    # best[i][t]: least change to give the first i segments t half-seconds
    best: list[dict[int, tuple[float, int]]] = [{0: (0.0, 0)}]
    for cur in current:
        row: dict[int, tuple[float, int]] = {}
        cu = _u(cur)
        for t, (cost, _) in best[-1].items():
            for d in allowed:
                t2 = t + d
                if t2 > goal:
                    continue
                c = cost + abs(d - cu) + (0.0 if d == cu else 0.01)
                if c < row.get(t2, (inf, 0))[0]:
                    row[t2] = (c, d)
        best.append(row)
    if goal not in best[-1]:
        return None
    out: list[float] = []
    t = goal
    for i in range(len(current), 0, -1):
        d = best[i][t][1]
        out.append(d / _UNIT)
        t -= d
    return out[::-1]


def action_capacity(duration: float) -> int:
    """How many action beats a clip of this length carries well: about one per 4 s."""
    return max(1, min(4, int(duration / 4 + 0.5)))


def dialogue_capacity(duration: float) -> int:
    """Spoken lines a clip can hold in sync: the guide's one or two short lines per 12 s."""
    if duration < 4:
        return 0
    return 1 if duration < 10 else 2


def max_words_per_line(duration: float, lines: int) -> int:
    """A short line: room for ~2 words a second of the clip, and never a speech."""
    return max(4, min(14, int(duration * 2 / max(lines, 1) * 0.75)))


def shorten_line(text: str, max_words: int) -> str:
    """The line cut to its first sentence or clause that fits, else to ``max_words`` words."""
    text = " ".join(text.split())
    if len(text.split()) <= max_words:
        return text
    for piece in re.split(r"(?<=[.!?])\s+", text):
        if len(piece.split()) <= max_words:
            return piece
    first = re.split(r"(?<=[,;—])\s+", text)[0].rstrip(",;— ")
    if len(first.split()) <= max_words:
        return first + "…"
    return " ".join(text.split()[:max_words]).rstrip(",;.") + "…"


def format_dialogue(lines: Sequence[tuple[str, str]], duration: float
                    ) -> tuple[tuple[DialogueLine, ...], int]:
    """The (speaker, words) lines that fit the clip, shortened and timed inside it, and how
    many lines were left out."""
    room = dialogue_capacity(duration)
    kept = list(lines[:room])
    limit = max_words_per_line(duration, len(kept))
    pairs = [(speaker, shorten_line(text.strip().strip("\"“”"), limit))
             for speaker, text in kept]
    return lay_out(pairs, duration), max(len(lines) - room, 0)


def time_beats(texts: Sequence[str], weights: Sequence[float], duration: float) -> tuple[Beat, ...]:
    """Timed beats covering ``[0, duration]`` in proportion to their weights.

    Whole seconds when the clip is a whole number of seconds (creators read "[4–8 s]" more
    easily than "[3.7–8.1 s]"), at least one second each, in story order.
    """
    n = len(texts)
    if n == 0:
        return ()
    step = 1.0 if abs(duration - round(duration)) < 1e-9 else 0.5
    slots = round(duration / step)
    if slots < n:  # more beats than seconds: keep the last ones, which end on the cut
        texts, weights, n = texts[-slots:], weights[-slots:], slots
    total = sum(max(w, 0.1) for w in weights)
    raw = [max(w, 0.1) / total * slots for w in weights]
    alloc = [max(1, int(r)) for r in raw]
    # hand out what is left by largest remainder, take back from the largest when over
    while sum(alloc) < slots:
        i = max(range(n), key=lambda j: raw[j] - alloc[j])
        alloc[i] += 1
    while sum(alloc) > slots:
        i = max(range(n), key=lambda j: alloc[j] - raw[j] if alloc[j] > 1 else -math.inf)
        alloc[i] -= 1
    beats = []
    t = 0
    for text, a in zip(texts, alloc):
        beats.append(Beat(t * step, (t + a) * step, text))
        t += a
    return tuple(beats)


def rescale_beats(beats: Sequence[Beat], old: float, new: float) -> tuple[Beat, ...]:
    """Beats written for an ``old``-second clip, stretched to ``new`` seconds and retimed."""
    ordered = sorted(beats, key=lambda b: (b.start, b.end))
    if not ordered:
        return ()
    weights = [max(b.end - b.start, 0.1) for b in ordered]
    if old <= 0:
        weights = [1.0] * len(ordered)
    return time_beats([b.text for b in ordered], weights, new)


def scene_transition(kind: str, left: float, right: float) -> Transition:
    """The transition suggested into a new scene, at most half of the shorter neighbour.

    ``kind``: "fade" (time passes: fade through black), "dissolve" (crossfade), "cut".
    """
    if kind == "cut":
        return Transition()
    wanted, ttype = (1.0, TransitionType.FADE_BLACK) if kind == "fade" else (
        0.5, TransitionType.CROSSFADE)
    return Transition(ttype, min(wanted, min(left, right) / 2))


def clamp_transition(tr: Transition, left: float, right: float) -> Transition:
    if tr.is_cut:
        return Transition()
    return Transition(tr.type, min(max(tr.duration, 0.0), min(left, right) / 2))
