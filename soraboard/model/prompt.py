"""The prompt composer: the exact text sent to the provider for a segment.

The structure follows the seed guide (Style, Scene, Cinematography, Actions with timings,
Dialogue, Audio). A chained segment begins with a continuity line naming the previous
segment's final action, as the guide advises ("Continue from the previous frame: …").
The output is deterministic: same storyboard, same text, byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from soraboard.model.storyboard import Character, Segment, Storyboard
from soraboard.model.timing import fmt_seconds


@dataclass(frozen=True)
class ComposedPrompt:
    text: str
    limit: int | None = None  #: the provider's maximum, in characters, when known

    @property
    def length(self) -> int:
        return len(self.text)

    @property
    def over_limit(self) -> bool:
        return self.limit is not None and self.length > self.limit


def _mentions(segment: Segment, name: str) -> bool:
    haystack = " ".join(
        [segment.title, segment.scene, segment.cinematography, segment.audio]
        + [b.text for b in segment.actions]
        + [f"{d.speaker} {d.text}" for d in segment.dialogue]
    )
    return re.search(r"(?<!\w)" + re.escape(name) + r"(?!\w)", haystack, re.IGNORECASE) is not None


def characters_in(segment: Segment, characters: tuple[Character, ...]) -> list[Character]:
    """The style bible's characters this segment mentions by name, in bible order.

    With the entries the segment lists (:func:`prompt_cast`), only those are described,
    verbatim, so a model is not invited to add people who are not in the shot.
    """
    return [c for c in characters if c.name.strip() and _mentions(segment, c.name.strip())]


def prompt_cast(segment: Segment, characters: tuple[Character, ...]) -> list[Character]:
    """The cast entries a segment's prompt describes, each once: the entries it lists
    (``Segment.cast``, in that order), then those its text names without listing them (in
    bible order, as before segments had a cast). A listed entry is in the shot whether or not
    the prompt's words name it, so the model is told what it looks like either way; a listed
    name the bible does not have is skipped (validation warns about it)."""
    by_name = {c.name.strip().lower(): c for c in characters if c.name.strip()}
    out: list[Character] = []
    for name in segment.cast:
        entry = by_name.get(name.strip().lower())
        if entry is not None and entry not in out:
            out.append(entry)
    out += [c for c in characters_in(segment, characters) if c not in out]
    return out


def suggest_cast(segment: Segment, characters: tuple[Character, ...]) -> tuple[str, ...]:
    """The cast entries a segment's prompt names, to offer as its ``cast``."""
    return tuple(c.name.strip() for c in characters_in(segment, characters))


def keyframe_prompt(storyboard: Storyboard, index: int) -> str:
    """The prompt of the still that holds the boundary after ``segments[index]``: the moment
    that shot ends on and the next begins from, in the film's style, with the cast of both
    shots described."""
    seg, nxt = storyboard.segments[index], storyboard.segments[index + 1]
    bible = storyboard.style
    parts = ["A single still frame, the moment one shot ends and the next begins."]
    end = final_action(seg).rstrip(".")
    if end:
        parts.append(f"{end}.")
    start = re.split(r"(?<=[.!?])\s", nxt.scene.strip(), maxsplit=1)[0] if nxt.scene.strip() \
        else ""
    if start:
        parts.append(f"Next: {start.rstrip('.')}.")
    if bible.style.strip():
        parts.append(f"Style: {bible.style.strip()}")
    if bible.palette.strip():
        parts.append(f"Palette: {bible.palette.strip()}")
    seen = {c.name for s in (seg, nxt) for c in characters_in(s, bible.characters)}
    named = {n.strip().lower() for s in (seg, nxt) for n in s.cast}
    for c in bible.characters:
        if c.name in seen or c.name.strip().lower() in named:
            parts.append(f"{c.name}: {c.description.strip()}" if c.description.strip()
                         else c.name)
    return " ".join(parts)


def frame_prompt(storyboard: Storyboard, index: int, role: str) -> str:
    """The prompt of a still from ``segments[index]``'s own prompt, for its ``role``
    (``"first"`` or ``"last"``) frame: for the first, its scene, its cinematography and
    what it opens on (the beats that start first); for the last, what it closes on (the
    beats that end last, else :func:`final_action`). In the film's style, with the shot's
    cast described."""
    if role not in ("first", "last"):
        raise ValueError(f"a segment has a first and a last frame, not {role!r}")
    seg = storyboard.segments[index]
    bible = storyboard.style
    beats = [b for b in seg.actions if b.text.strip()]
    if role == "first":
        parts = ["A single still frame, the moment this shot begins."]
        if seg.scene.strip():
            parts.append(f"Scene: {seg.scene.strip().rstrip('.')}.")
        if seg.cinematography.strip():
            parts.append(f"Cinematography: {seg.cinematography.strip().rstrip('.')}.")
        if beats:
            start = min(b.start for b in beats)
            parts += [f"Opening: {b.text.strip().rstrip('.')}." for b in
                      sorted(beats, key=lambda b: (b.start, b.end)) if b.start == start]
    else:
        parts = ["A single still frame, the moment this shot ends."]
        if beats:
            end = max(b.end for b in beats)
            parts += [f"Closing: {b.text.strip().rstrip('.')}." for b in
                      sorted(beats, key=lambda b: (b.start, b.end)) if b.end == end]
        elif final_action(seg).strip():
            parts.append(f"Closing: {final_action(seg).strip().rstrip('.')}.")
    if bible.style.strip():
        parts.append(f"Style: {bible.style.strip()}")
    if bible.palette.strip():
        parts.append(f"Palette: {bible.palette.strip()}")
    for c in prompt_cast(seg, bible.characters):
        parts.append(f"{c.name}: {c.description.strip()}" if c.description.strip()
                     else c.name)
    return " ".join(parts)


def final_action(segment: Segment) -> str:
    """What the segment ends on: its last beat, else the scene's first sentence."""
    if segment.actions:
        last = max(segment.actions, key=lambda b: (b.end, b.start))
        if last.text.strip():
            return last.text.strip()
    scene = segment.scene.strip()
    if scene:
        return re.split(r"(?<=[.!?])\s", scene, maxsplit=1)[0]
    return segment.title.strip()


def continuity_line(previous: Segment) -> str:
    action = final_action(previous).rstrip(".")
    if action:
        return f"Continue from the previous frame: {action}."
    return "Continue from the previous frame."


def compose_prompt(
    storyboard: Storyboard, index: int, limit: int | None = None
) -> ComposedPrompt:
    """Compose the prompt for ``storyboard.segments[index]``."""
    seg = storyboard.segments[index]
    bible = storyboard.style
    parts: list[str] = []

    if seg.is_chained and index > 0:
        parts.append(continuity_line(storyboard.segments[index - 1]))

    if bible.style.strip():
        parts.append(f"Style: {bible.style.strip()}")
    if bible.palette.strip():
        parts.append(f"Palette: {bible.palette.strip()}")
    chars = prompt_cast(seg, bible.characters)
    if chars:
        described = [f"- {c.name.strip()}: {c.description.strip()}" for c in chars]
        parts.append("Characters:\n" + "\n".join(described))
    if seg.scene.strip():
        parts.append(f"Scene: {seg.scene.strip()}")
    if seg.cinematography.strip():
        parts.append(f"Cinematography: {seg.cinematography.strip()}")
    beats = [b for b in sorted(seg.actions, key=lambda b: (b.start, b.end)) if b.text.strip()]
    if beats:
        lines = [
            f"{n}. [{fmt_seconds(b.start)}-{fmt_seconds(b.end)}s]: {b.text.strip()}"
            for n, b in enumerate(beats, start=1)
        ]
        parts.append("Actions:\n" + "\n".join(lines))
    spoken = [d for d in sorted(seg.dialogue, key=lambda d: (d.start, d.end)) if d.text.strip()]
    if spoken:
        # the guides' form: a block of its own below the action, one short quoted line per
        # speaker turn, in the order spoken (the same text as before dialogue had times, so
        # upgrading a project does not make its takes stale)
        parts.append("Dialogue:\n" + "\n".join(
            "- " + (f"{d.speaker.strip()}: " if d.speaker.strip() else "") + f'"{d.text.strip()}"'
            for d in spoken))
    if seg.audio.strip():
        parts.append(f"Audio: {seg.audio.strip()}")
    if bible.negative.strip():
        parts.append(f"Avoid: {bible.negative.strip()}")
    return ComposedPrompt("\n\n".join(parts), limit)
