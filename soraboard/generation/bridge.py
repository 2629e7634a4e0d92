"""Bridge a bad seam (issue 17.6): make the join between two shots continuous after the fact.

The seam report says a boundary jumps: the incoming shot does not start on the outgoing
shot's last frame. Two ways to mend it, both a new take like any other (nothing is lost):

* **regenerate** the incoming shot — when its model takes a last frame: it starts on the
  outgoing shot's real last used frame (a ``CUSTOM`` first keyframe) and ends on its own
  current last used frame (``last_keyframe``), so the shot after it still meets it;
* **insert** a short bridge clip between the two (the model's shortest duration), starting
  on the outgoing shot's last frame and, where the model takes a last frame, ending on the
  incoming shot's first used frame, with a prompt asking for one continuous transition.

Here everything but the generation itself: the checks (:func:`bridge_mode`), the frames
written into the bundle as stills (:func:`extract_frames`), the storyboard edit as one undo
step (:func:`bridge_edit`, pure) and its list price (:func:`plan_bridge`). The CLI
(``soraboard bridge``) and the GUI apply the edit, then generate ``target_id`` through the
engine, as ``generate --segments`` would.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from soraboard.catalog.catalog import Catalog, ModelSpec
from soraboard.catalog.cost import SegmentCost, segment_cost
from soraboard.model.edits import Edit, Macro, insert_segments, set_segment_field
from soraboard.model.storyboard import Continuity, RefMode, Segment, Storyboard
from soraboard.model.take import Take, chosen_take

if TYPE_CHECKING:
    from soraboard.generation.frames import Image
    from soraboard.media.ffmpeg import FFmpeg
    from soraboard.storage.bundle import Bundle

#: where the frames a bridge is made from are written (bundle-relative)
BRIDGE_DIR = "media/bridges"


class BridgeError(ValueError):
    """A boundary that cannot be bridged; the message says why and what to do."""


class BridgeMode(str, Enum):
    REGENERATE = "regenerate"  #: a new take of the incoming shot, between the two frames
    INSERT = "insert"  #: a short bridge clip inserted between the two shots


@dataclass(frozen=True)
class BridgeFrames:
    """The stills a bridge is made from (bundle-relative PNGs)."""

    out_last: str  #: the outgoing shot's last used frame (A)
    in_first: str  #: the incoming shot's first used frame
    in_last: str  #: the incoming shot's last used frame (B)


@dataclass(frozen=True)
class BridgePlan:
    """What bridging a boundary will do, before anything is sent."""

    index: int  #: the boundary after ``segments[index]`` (0-based)
    mode: BridgeMode
    edit: Edit  #: one undo step
    target_id: str  #: the segment to generate once the edit is applied
    cost: SegmentCost  #: its list price (``cost.cost`` None: unknown)
    frames: BridgeFrames
    why: str  #: why this mode, in words

    def describe(self) -> str:
        """One line: the mode and what it makes."""
        n = self.index + 1
        if self.mode is BridgeMode.REGENERATE:
            what = (f"regenerate segment {n + 1} starting on segment {n}'s last frame and "
                    f"ending on its own current last frame ({self.cost.seconds:g} s, "
                    f"{self.cost.model})")
        else:
            what = (f"insert a {self.cost.seconds:g} s bridge clip between segments {n} and "
                    f"{n + 1} ({self.cost.model})")
        return f"Bridge {n} → {n + 1}: {what} — {self.why}"


def _spec(catalog: Catalog, seg: Segment, index: int) -> ModelSpec:
    spec = catalog.get(seg.model)
    if spec is None:
        raise BridgeError(f"segment {index + 1}'s model {seg.model!r} is not in the model "
                          "catalog, so a bridge cannot be priced or checked; pick a catalog "
                          "model")
    return spec


def _usable(seg: Segment, takes: Mapping[str, Take], index: int) -> Take:
    take = chosen_take(seg, takes)
    if take is None or not take.usable or take.file is None:
        raise BridgeError(f"segment {index + 1} has no take yet: generate it first, then "
                          "bridge the seam")
    return take


def bridge_mode(sb: Storyboard, takes: Mapping[str, Take], catalog: Catalog, index: int,
                insert: bool = False, carries_last_frame: bool = True) -> tuple[BridgeMode, str]:
    """Which way the boundary after ``sb.segments[index]`` is bridged, and why; raises
    :class:`BridgeError` when it cannot be (no such boundary, a side without a take, a model
    that cannot start on a still). ``carries_last_frame`` is False for a provider whose
    request shape has no last frame (the OpenAI Videos dialect): then nothing ends on a
    still, whatever the model can do."""
    count = len(sb.segments)
    if not 0 <= index < count - 1:
        if 0 <= index == count - 1:
            raise BridgeError(f"segment {index + 1} is the last one: there is no seam after it")
        raise BridgeError(f"there is no boundary after segment {index + 1} "
                          f"(the storyboard has {count} segment(s))")
    out_seg, in_seg = sb.segments[index], sb.segments[index + 1]
    _usable(out_seg, takes, index)
    _usable(in_seg, takes, index + 1)
    spec = _spec(catalog, in_seg, index + 1)
    if not spec.first_frame:
        raise BridgeError(f"segment {index + 2}'s model {spec.id} cannot start on a still, so "
                          "it cannot be made to start on the previous shot's last frame; pick "
                          "a model with first-frame input")
    who = spec.id if carries_last_frame else "this provider's request shape"
    free_end = (f"; {who} cannot end on a still either, so the bridge's end is free and "
                f"may not match segment {index + 2}'s first frame")
    can_end = spec.last_frame and carries_last_frame
    if insert:
        return BridgeMode.INSERT, "as asked" + ("" if can_end else free_end)
    if can_end:
        return BridgeMode.REGENERATE, f"{spec.id} can end on a still"
    return BridgeMode.INSERT, (f"{who} cannot end on a still, so segment {index + 2} "
                               "cannot be regenerated to end where it ends now; the bridge "
                               f"clip starts on segment {index + 1}'s last frame, its end is "
                               "free")


def _last_used(path: Path, seg: Segment, ffmpeg: FFmpeg | None) -> Image:
    from soraboard.generation import frames

    if seg.trim_out is None:
        return frames.last_frame(path, ffmpeg)
    # just before the out point: the last frame the film shows
    return frames.frame_at(path, max(seg.trim_out - 1e-3, 0.0), ffmpeg)


def extract_frames(bundle: Bundle, sb: Storyboard, takes: Mapping[str, Take], index: int,
                   ffmpeg: FFmpeg | None = None) -> BridgeFrames:
    """Write the outgoing shot's last used frame and the incoming shot's first and last used
    frames (of their chosen takes) into ``media/bridges/`` as PNGs; raises
    :class:`BridgeError` when a side has no take, :class:`ValueError` (``FrameError``) when a
    frame cannot be read."""
    from soraboard.generation import frames

    out_seg, in_seg = sb.segments[index], sb.segments[index + 1]
    out_take, in_take = _usable(out_seg, takes, index), _usable(in_seg, takes, index + 1)
    assert out_take.file is not None and in_take.file is not None
    out_clip, in_clip = bundle.resolve(out_take.file), bundle.resolve(in_take.file)
    folder = bundle.media_dir / "bridges"
    # named by the takes they come from: the same seam bridged twice reuses the same files
    a = frames.save_png(_last_used(out_clip, out_seg, ffmpeg),
                        folder / f"{out_take.id}-last.png")
    first = frames.save_png(frames.frame_at(in_clip, in_seg.trim_in, ffmpeg),
                            folder / f"{in_take.id}-first.png")
    b = frames.save_png(_last_used(in_clip, in_seg, ffmpeg), folder / f"{in_take.id}-last.png")
    return BridgeFrames(bundle.relative(a.path), bundle.relative(first.path),
                        bundle.relative(b.path))


def bridge_prompt(sb: Storyboard, index: int) -> str:
    """The bridge clip's scene: one continuous move from the end of one shot into the next."""
    from soraboard.model.prompt import final_action

    out_seg, in_seg = sb.segments[index], sb.segments[index + 1]
    into = in_seg.scene.strip().split(". ")[0].rstrip(".") or in_seg.title.strip()
    text = ("A continuous transition, one unbroken shot with no cut: the picture moves "
            "smoothly from the end of the previous shot")
    ending = final_action(out_seg).rstrip(".")
    if ending:
        text += f" ({ending})"
    if into:
        text += f" into the start of the next one ({into})"
    return text + ". Keep the same place, light, colours and characters throughout."


def bridge_segment(sb: Storyboard, catalog: Catalog, index: int, frames: BridgeFrames,
                   carries_last_frame: bool = True) -> Segment:
    """The clip inserted after ``sb.segments[index]``: the incoming shot's model and size, the
    model's shortest duration, starting on frame A and, where the model can, ending on the
    incoming shot's first frame."""
    in_seg = sb.segments[index + 1]
    spec = _spec(catalog, in_seg, index + 1)
    return sb.new_segment(
        model=in_seg.model, size=in_seg.size, duration=min(spec.durations),
        title=f"Bridge {index + 1}→{index + 2}", scene=bridge_prompt(sb, index),
        continuity=Continuity.CHAIN, ref_mode=RefMode.CUSTOM, reference_image=frames.out_last,
        last_keyframe=frames.in_first if spec.last_frame and carries_last_frame else None)


def bridge_edit(sb: Storyboard, catalog: Catalog, index: int, mode: BridgeMode,
                frames: BridgeFrames, carries_last_frame: bool = True) -> tuple[Edit, str]:
    """The edit (one undo step) and the id of the segment to generate. Pure: the storyboard
    only names the stills; the takes are untouched."""
    in_seg = sb.segments[index + 1]
    if mode is BridgeMode.REGENERATE:
        values: dict[str, object] = {
            "continuity": Continuity.CHAIN, "ref_mode": RefMode.CUSTOM,
            "reference_image": frames.out_last, "last_keyframe": frames.in_last}
        if in_seg.trim_in:
            values["trim_in"] = 0.0  # the new take's first frame is the one that must show
        edits = tuple(set_segment_field(sb, in_seg.id, f, v) for f, v in values.items()
                      if getattr(in_seg, f) != v)
        return Macro(edits, label=f"Bridge seam {index + 1}→{index + 2}"), in_seg.id
    seg = bridge_segment(sb, catalog, index, frames, carries_last_frame)
    return (insert_segments(sb, index + 1, [seg], label=f"Bridge seam {index + 1}→{index + 2}"),
            seg.id)


def plan_bridge(bundle: Bundle, sb: Storyboard, takes: Mapping[str, Take], catalog: Catalog,
                index: int, *, insert: bool = False, carries_last_frame: bool = True,
                ffmpeg: FFmpeg | None = None) -> BridgePlan:
    """Check the boundary, write its frames into the bundle, and build the edit with its
    price. Nothing is sent and the storyboard is not changed: apply ``plan.edit``, then
    generate ``plan.target_id``."""
    mode, why = bridge_mode(sb, takes, catalog, index, insert, carries_last_frame)
    frames = extract_frames(bundle, sb, takes, index, ffmpeg)
    edit, target = bridge_edit(sb, catalog, index, mode, frames, carries_last_frame)
    after = edit.apply(sb)
    cost = segment_cost(after.segment(target), catalog, after.index_of(target))
    return BridgePlan(index, mode, edit, target, cost, frames, why)


def seams_after(plan: BridgePlan) -> list[int]:
    """The boundaries to score once the bridge is made (two when a clip was inserted)."""
    if plan.mode is BridgeMode.INSERT:
        return [plan.index, plan.index + 1]
    return [plan.index]
