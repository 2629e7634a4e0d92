"""A segment's status, derived from the storyboard and its takes (never stored).

Staleness is derived, not flagged: a generated take is stale when what would be sent today
differs from what was sent (prompt, model, size, seconds, the keyframe stills and reference
images it was made from), or when a chained segment's predecessor has since chosen another
take. An image counts as changed when the segment names another file, or (given the files'
current hashes) when the same file has other content than when it was sent. Deriving it
means undo of a "choose take" makes the successor fresh again, and there is no flag that
can get out of step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from soraboard.model.prompt import compose_prompt
from soraboard.model.storyboard import Storyboard
from soraboard.model.take import INPUT_ROLES, Take, TakeSource, TakeStatus, chosen_take

#: bundle-relative path → sha256 of the file as it is now (None: not there)
Hashes = Mapping[str, str | None]


class SegmentState(str, Enum):
    DRAFT = "draft"
    QUEUED = "queued"
    GENERATING = "generating"
    DONE = "done"
    FAILED = "failed"
    STALE = "stale"
    CANCELLED = "cancelled"
    #: a create got no answer and the job list could not tell: may be billed; the user
    #: decides (check again, send again, forget) — never generated again by itself
    UNKNOWN = "unknown"

    @property
    def needs_generation(self) -> bool:
        """Missing or stale: what "Generate missing & stale" will run."""
        return self in (SegmentState.DRAFT, SegmentState.STALE, SegmentState.FAILED,
                        SegmentState.CANCELLED)


@dataclass(frozen=True)
class SegmentStatus:
    state: SegmentState
    reason: str = ""
    progress: float = 0.0  #: 0–1 while generating

    def describe(self) -> str:
        if self.state is SegmentState.GENERATING:
            return f"generating {round(self.progress * 100)} %"
        return f"{self.state.value} ({self.reason})" if self.reason else self.state.value


def takes_of(takes: Mapping[str, Take], segment_id: str) -> list[Take]:
    """The segment's takes, oldest first."""
    return sorted((t for t in takes.values() if t.segment_id == segment_id),
                  key=lambda t: (t.created_at, t.id))


def take_inputs(sb: Storyboard, index: int) -> list[tuple[str, str]]:
    """(role, bundle-relative path) of every image a take of ``sb.segments[index]`` would be
    made from now: its first keyframe still (not a frame of the previous take: that is the
    chain's business), its last keyframe still, its reference images and its cast's."""
    seg = sb.segments[index]
    out = []
    if seg.first_keyframe:
        out.append((INPUT_ROLES[0], seg.first_keyframe))
    if seg.last_keyframe:
        out.append((INPUT_ROLES[1], seg.last_keyframe))
    out.extend((INPUT_ROLES[2], p) for p in sb.reference_images(index))
    return out


def input_paths(sb: Storyboard) -> set[str]:
    """Every image some segment's take is made from (what :data:`Hashes` must cover)."""
    return {p for i in range(len(sb.segments)) for _role, p in take_inputs(sb, i)}


def inputs_changed(then: tuple[tuple[str, str, str], ...], now: list[tuple[str, str]],
                   hashes: Hashes | None) -> str | None:
    """Why the images a take was made from (``then``: role, path, sha256) differ from what
    the segment names ``now``, or None."""
    for role in INPUT_ROLES:
        before = [p for r, p, _h in then if r == role]
        after = [p for r, p in now if r == role]
        if sorted(before) == sorted(after):
            continue
        if role == INPUT_ROLES[2]:
            return "reference images changed since this take"
        if not before:
            return f"{role} added since this take"
        if not after:
            return f"{role} removed since this take"
        return f"{role} replaced since this take"
    if hashes is None:
        return None
    for role, path, sha in then:
        if path not in hashes:
            continue  # not looked at: nothing to say
        current = hashes[path]
        if current is None:
            return f"the {role} {path} is missing"
        if current != sha:
            return f"the {role} {path} changed since this take"
    return None


def stale_reason(sb: Storyboard, takes: Mapping[str, Take], index: int,
                 hashes: Hashes | None = None) -> str | None:
    """Why the chosen take no longer matches the segment, or None when it does.

    ``hashes`` (the current sha256 of the input images, e.g. from
    :meth:`soraboard.storage.bundle.Bundle.input_hashes`) also catches a still or reference
    image edited in place; without it only a change of file is seen."""
    seg = sb.segments[index]
    take = chosen_take(seg, takes)
    if take is None or take.source is TakeSource.IMPORTED:
        return None
    req = take.request
    if req.model != seg.model:
        return f"model changed from {req.model} to {seg.model}"
    if req.size != seg.size:
        return f"size changed from {req.size} to {seg.size}"
    if abs(req.seconds - seg.duration) > 1e-9:
        return f"duration changed from {req.seconds:g} s to {seg.duration:g} s"
    if sb.waits_on_previous(index):
        prev = sb.segments[index - 1]
        if prev.chosen_take != req.upstream_take:
            if prev.chosen_take is None:
                return f"segment {index} has no chosen take to continue from"
            return f"segment {index}'s chosen take changed"
    if req.inputs is not None:
        why = inputs_changed(req.inputs, take_inputs(sb, index), hashes)
        if why:
            return why
    if req.prompt != compose_prompt(sb, index).text:
        return "prompt edited since this take"
    return None


def segment_status(sb: Storyboard, takes: Mapping[str, Take], index: int,
                   hashes: Hashes | None = None) -> SegmentStatus:
    seg = sb.segments[index]
    mine = takes_of(takes, seg.id)
    active = [t for t in mine if t.status.is_active]
    if active:
        t = active[-1]
        if t.status in (TakeStatus.RUNNING, TakeStatus.DOWNLOADING) or t.progress > 0:
            return SegmentStatus(SegmentState.GENERATING, progress=t.progress)
        return SegmentStatus(SegmentState.QUEUED)
    chosen = chosen_take(seg, takes)
    latest = mine[-1] if mine else None
    if latest is not None and latest is not chosen and latest.status in (
            TakeStatus.FAILED, TakeStatus.EXPIRED, TakeStatus.CANCELLED, TakeStatus.UNKNOWN,
            TakeStatus.NOT_SENT, TakeStatus.UNDOWNLOADED) and (
            chosen is None or latest.created_at >= chosen.created_at):
        suffix = " — the chosen take is still used" if chosen is not None and chosen.usable else ""
        if latest.status is TakeStatus.UNKNOWN:
            return SegmentStatus(SegmentState.UNKNOWN, "outcome unknown — may be billed")
        if latest.status is TakeStatus.UNDOWNLOADED:
            return SegmentStatus(SegmentState.FAILED, "finished, not downloaded — generating "
                                 "fetches it without a new job" + suffix)
        if latest.status is TakeStatus.NOT_SENT:
            return SegmentStatus(SegmentState.CANCELLED, "not sent" + suffix)
        if latest.status is TakeStatus.CANCELLED:
            return SegmentStatus(SegmentState.CANCELLED, suffix.strip(" —"))
        reason = latest.error or latest.status.value
        return SegmentStatus(SegmentState.FAILED, reason + suffix)
    if chosen is not None and chosen.usable:
        why = stale_reason(sb, takes, index, hashes)
        if why:
            return SegmentStatus(SegmentState.STALE, why)
        return SegmentStatus(SegmentState.DONE)
    if chosen is not None and chosen.file_missing:
        return SegmentStatus(SegmentState.FAILED, f"the chosen take's file {chosen.file} is "
                                                  "missing")
    if chosen is not None:
        return SegmentStatus(SegmentState.FAILED, f"the chosen take is {chosen.status.value}")
    return SegmentStatus(SegmentState.DRAFT)


def storyboard_status(sb: Storyboard, takes: Mapping[str, Take],
                      hashes: Hashes | None = None) -> list[SegmentStatus]:
    return [segment_status(sb, takes, i, hashes) for i in range(len(sb.segments))]
