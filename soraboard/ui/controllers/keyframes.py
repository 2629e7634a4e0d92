"""Keyframes (issue 17.3 and 17.5): what a segment starts and ends on, and holding boundaries
with a shared still so the shots on both sides generate at once.

The stills are made exactly as ``soraboard keyframes`` makes them — the same still backend
for the provider in use (the offline placeholder for the animatic), the same
:func:`~soraboard.generation.stills.keyframe_still` and :func:`~soraboard.model.edits.
hold_boundary` — in a worker, priced first for a paid backend. Every change of the storyboard
is one undoable Document edit; the stills themselves (files and their ledger records) are
paid results and stay whatever undo does.
"""

from __future__ import annotations

import hashlib
import shutil
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImageReader

from soraboard.catalog.catalog import ImageModelSpec
from soraboard.catalog.cost import fmt_usd
from soraboard.document import Document
from soraboard.generation.stills import StillBackend
from soraboard.model import edits
from soraboard.model.edits import Edit
from soraboard.model.still_slots import current_still, own_slot, record_of
from soraboard.model.storyboard import Continuity, RefMode, Segment
from soraboard.model.take import StillRecord
from soraboard.storage.errors import ProjectError
from soraboard.ui.ask import Ask
from soraboard.ui.controllers import SettingsGetter, plural
from soraboard.workers.keyframes import (
    BoundaryStillsJob,
    RegenerateStillJob,
    SegmentStillJob,
    StillRunner,
    TakeFrameJob,
)

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp)"
FIRST, LAST = "first", "last"


class KeyframeController(QObject):
    message = Signal(str, int)  #: status-bar text, ms
    busy_changed = Signal(bool)  #: stills are being made
    stills_made = Signal(int, int)  #: boundaries held, boundaries asked (after a batch)

    def __init__(self, doc: Document, settings: SettingsGetter, ask: Ask,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.settings = settings
        self.ask = ask
        self.runner = StillRunner(self)
        #: boundary index → (segment id before, segment id after) of the batch being made
        self._batch: dict[int, tuple[str, str]] = {}
        self._made: dict[int, str] = {}
        self._errors: list[str] = []
        #: a take's frame being cut, or a still made again: (segment id, FIRST or LAST)
        self._frame_target: tuple[str, str] | None = None
        self._regen_target: tuple[str, str] | None = None
        self._own_target: tuple[str, str] | None = None

    # ------------------------------------------------------------------ queries

    def _one_still(self, model: str) -> tuple[StillBackend, ImageModelSpec | None,
                                              Decimal | None] | None:
        """The settings' still backend, the catalog's entry for ``model`` and what one still
        costs ($0 offline, None: unknown); None, after saying why, when there is no backend."""
        from soraboard.generation.factory import make_still_backend

        try:
            backend = make_still_backend(self.settings().provider)
        except Exception as e:  # ProviderError: no key, unknown profile
            self.ask.warn("Cannot make stills", str(e))
            return None
        spec = self.doc.catalog.images.get(model)
        price: Decimal | None = Decimal(0) if backend.name == "animatic" else \
            None if spec is None else spec.usd_per_image
        return backend, spec, price

    def _price_question(self, what: str, price: Decimal | None,
                        spec: ImageModelSpec | None) -> str:
        """``what`` with its price, where the price comes from, and the budget it passes."""
        if price is None:
            return f"{what} costs an unknown amount (the model is not in the catalog)."
        rep = self.doc.cost()
        cited = "" if spec is None else f" ({spec.price_wording()})"
        over = rep.budget is not None and rep.committed + price > rep.budget
        return f"{what}: {fmt_usd(price)}{cited}." + (
            f"\n\nThis goes over the budget {fmt_usd(rep.budget)}."
            if over and rep.budget is not None else "")

    def busy(self) -> bool:
        return self.runner.busy()

    def last_frame_support(self, segment: Segment) -> tuple[bool, str]:
        """Whether ``segment``'s model can end on a still, and if not, why (in words)."""
        spec = self.doc.catalog.get(segment.model)
        if spec is None:
            return False, f"{segment.model} is not in the catalog, so its inputs are unknown"
        if not spec.last_frame:
            return False, (f"{spec.id} cannot end on a still (no last-frame input); pick a "
                           "model that can, such as Veo 3.1 or Seedance")
        return True, ""

    def boundaries_to_hold(self) -> list[int]:
        """What "Make keyframes for all boundaries" makes: as the CLI, the boundaries a plan
        proposed, else every boundary not held yet whose first shot's model can end on a
        still (see :func:`soraboard.generation.stills.boundaries_to_hold`)."""
        from soraboard.generation.stills import boundaries_to_hold

        return boundaries_to_hold(self.doc.storyboard, self.doc.catalog)[0]

    # ------------------------------------------------------------------ boundaries

    def hold_boundary(self, index: int) -> bool:
        """Hold the boundary after ``segments[index]`` with a new keyframe still."""
        return self.make_keyframes([index])

    def release_boundary(self, index: int) -> None:
        """Back to chaining on the previous clip's real last frame (one undo step)."""
        if self.doc.storyboard.held_by_keyframe(index):
            self.doc.try_apply(edits.hold_boundary, index, None)

    def make_keyframes_for_all(self) -> bool:
        wanted = self.boundaries_to_hold()
        if not wanted:
            self.message.emit("Nothing to do: every boundary whose shot can end on a still is "
                              "held already.", 8000)
            return False
        return self.make_keyframes(wanted)

    def make_keyframes(self, boundaries: list[int]) -> bool:
        """Price, ask, then make one still per boundary in a worker; when they are made,
        hold every boundary with its still in one undo step. False when nothing started."""
        from soraboard.generation.factory import make_still_backend
        from soraboard.generation.stills import DEFAULT_STILL_MODEL

        sb = self.doc.storyboard
        if self.busy():
            self.message.emit("Keyframe stills are being made; wait for them first.", 6000)
            return False
        wanted = [i for i in boundaries if 0 <= i < len(sb.segments) - 1]
        if not wanted:
            return False
        cannot = [i for i in wanted if not self.last_frame_support(sb.segments[i])[0]]
        if cannot:
            names = ", ".join(f"{i + 1} ({sb.segments[i].model})" for i in cannot)
            self.ask.warn("Cannot hold with a keyframe",
                          f"These segments' models cannot end on a still: {names}. Pick a "
                          "model with last-frame input, or leave those boundaries chained.")
            return False
        provider = self.settings().provider
        try:
            backend = make_still_backend(provider)
        except Exception as e:  # ProviderError: no key, unknown profile
            self.ask.warn("Cannot make stills", str(e))
            return False
        free = backend.name == "animatic"
        model = DEFAULT_STILL_MODEL
        spec = self.doc.catalog.images.get(model)
        price: Decimal | None = Decimal(0) if free else None if spec is None \
            else spec.usd_per_image
        if not free:
            n = plural(len(wanted), "still")
            if price is None:
                text = (f"{n} of {model} on provider {backend.name!r} cost an unknown amount "
                        "(the model is not in the catalog's image models). Make them?")
            else:
                total = price * len(wanted)
                rep = self.doc.cost()
                over = rep.budget is not None and rep.committed + total > rep.budget
                cited = "" if spec is None else f" ({spec.price_wording()})"
                text = (f"{n} of {model} on provider {backend.name!r}: {fmt_usd(total)}"
                        f"{cited}."
                        + (f"\n\nThis goes over the budget {fmt_usd(rep.budget)}."
                           if over and rep.budget is not None else "")
                        + "\n\nEach shot before a boundary then ends on its still and the "
                          "next starts on it, so both generate at once.")
            if not self.ask.confirm("Make keyframe stills", text, yes="make stills"):
                return False
        self._batch = {i: (sb.segments[i].id, sb.segments[i + 1].id) for i in wanted}
        self._made, self._errors = {}, []
        job = BoundaryStillsJob(self.doc.bundle, sb, wanted, backend, model, spec, price)
        job.signals.made.connect(self._on_still_made)
        job.signals.failed.connect(self._on_still_failed)
        job.signals.finished.connect(self._on_stills_finished)
        self.runner.start(job)
        who = "offline placeholders, $0" if free else f"provider {backend.name}"
        self.message.emit(f"Making {plural(len(wanted), 'keyframe still')} ({who})…", 0)
        self.busy_changed.emit(True)
        return True

    def _on_still_made(self, index: int, still: str) -> None:
        if index in self._batch:
            self._made[index] = still

    def _on_still_failed(self, index: int, message: str) -> None:
        where = f"boundary {index + 1}→{index + 2}" if index >= 0 else "stills"
        self._errors.append(f"{where}: {message}")

    def _on_stills_finished(self) -> None:
        self.doc.reload_stills()
        batch, made, errors = self._batch, self._made, self._errors
        self._batch, self._made, self._errors = {}, {}, []
        sb = self.doc.storyboard
        parts: list[Edit] = []
        gone = 0
        for index in sorted(made):
            before, after = batch[index]
            # the storyboard may have changed meanwhile: hold the same two shots, if they
            # still meet
            if not (sb.has_segment(before) and sb.has_segment(after)) or \
                    sb.index_of(after) != sb.index_of(before) + 1:
                gone += 1
                continue
            edit = edits.hold_boundary(sb, sb.index_of(before), made[index])
            sb = edit.apply(sb)
            parts.append(edit)
        if parts:
            self.doc.apply(parts[0] if len(parts) == 1 else edits.Macro(
                tuple(parts), label=f"Hold {len(parts)} boundaries with keyframes"))
        held = len(parts)
        text = f"{held} of {plural(len(batch), 'boundary', 'boundaries')} held by keyframe " \
               "stills; their shots now generate in parallel"
        if gone:
            text += f" ({gone} no longer meet: their segments moved or were deleted)"
        self.message.emit(text, 10000)
        if errors:
            self.ask.warn("Some stills were not made", "\n".join(errors[:8]))
        self.busy_changed.emit(False)
        self.stills_made.emit(held, len(batch))

    # ------------------------------------------------------------------ one segment

    def set_first_frame_mode(self, segment_id: str, mode: str) -> None:
        """``"chain"``: the previous take's frame (today's behaviour); ``"still"``: the
        segment's keyframe still (imported when it has none); ``"none"``: a new shot."""
        sb = self.doc.storyboard
        seg = sb.segment(segment_id)
        index = sb.index_of(segment_id)
        if mode == "chain" and index > 0:
            self.doc.set_fields(segment_id, continuity=Continuity.CHAIN,
                                ref_mode=RefMode.LAST if seg.ref_mode is RefMode.CUSTOM
                                else seg.ref_mode, reference_image=None)
        elif mode == "none":
            self.doc.set_fields(segment_id, continuity=Continuity.INDEPENDENT,
                                ref_mode=RefMode.LAST, reference_image=None)
        elif mode == "still":
            if seg.reference_image:
                self.doc.set_fields(segment_id, ref_mode=RefMode.CUSTOM)
            else:
                self.import_still(segment_id, FIRST)

    def import_still(self, segment_id: str, which: str) -> bool:
        """Copy an image the creator picks into the project and use it as the segment's
        first or last frame (one undo step)."""
        title = "Import the first frame" if which == FIRST else "Import the last frame"
        paths = self.ask.open_paths(title, IMAGE_FILTER)
        if not paths:
            return False
        src = Path(paths[0])
        reader = QImageReader(str(src))
        if not reader.canRead():
            self.ask.warn("Not an image", f"{src.name} cannot be used as a keyframe: "
                          f"{reader.errorString()}. Use a PNG, JPEG or WebP file.")
            return False
        try:
            rel = self._copy_in(src)
        except OSError as e:
            self.ask.warn("Import failed", str(e))
            return False
        return self.use_still(segment_id, which, rel)

    def use_still(self, segment_id: str, which: str, still: str) -> bool:
        """Make ``still`` (bundle-relative) the segment's first or last frame."""
        sb = self.doc.storyboard
        if not sb.has_segment(segment_id):
            return False
        if which == LAST:
            ok, why = self.last_frame_support(sb.segment(segment_id))
            if not ok:
                self.ask.warn("Cannot end on a still", why)
                return False
            self.doc.set_field(segment_id, "last_keyframe", still)
        else:
            self.doc.set_fields(segment_id, reference_image=still, ref_mode=RefMode.CUSTOM)
        return True

    def clear_last(self, segment_id: str) -> None:
        if self.doc.storyboard.has_segment(segment_id):
            self.doc.set_field(segment_id, "last_keyframe", None)

    def generate_still(self, segment_id: str, which: str) -> bool:
        """Generate a still for the segment's first frame (the boundary before it) or its
        last frame (the boundary after it): both shots of that boundary meet on it. Where
        no neighbour shares that frame (:func:`~soraboard.model.still_slots.own_slot`), a
        still of the segment's own."""
        sb = self.doc.storyboard
        index = sb.index_of(segment_id)
        if own_slot(sb, index, which):
            return self.make_segment_still(segment_id, which)
        boundary = index - 1 if which == FIRST else index
        if not 0 <= boundary < len(sb.segments) - 1:
            self.ask.warn("No boundary", "A still is made for the moment one shot ends and "
                          "the next begins; this segment has no neighbour on that side. "
                          "Import an image instead.")
            return False
        return self.make_keyframes([boundary])

    def make_segment_still(self, segment_id: str, which: str) -> bool:
        """Price, ask, then make a still of the segment's own first or last frame (from its
        prompt and its cast's images) in a worker, and use it (one undo step). The first
        frame: the segment starts on it as on an imported one; the last: only where its model
        has last-frame input. False when nothing started."""
        from soraboard.generation.stills import DEFAULT_STILL_MODEL

        sb = self.doc.storyboard
        if not sb.has_segment(segment_id):
            return False
        if self.busy():
            self.message.emit("Keyframe stills are being made; wait for them first.", 6000)
            return False
        seg, index = sb.segment(segment_id), sb.index_of(segment_id)
        if which == LAST:
            ok, why = self.last_frame_support(seg)
            if not ok:
                self.ask.warn("Cannot end on a still", why)
                return False
        model = DEFAULT_STILL_MODEL
        priced = self._one_still(model)
        if priced is None:
            return False
        backend, spec, price = priced
        free = backend.name == "animatic"
        frame = "first" if which == FIRST else "last"
        if not free and not self.ask.confirm(
                "Make a keyframe still", self._price_question(
                    f"A still of {model} on provider {backend.name!r} for segment "
                    f"{index + 1}'s {frame} frame, from its own prompt", price, spec)
                + "\n\nMake it?", yes="make the still"):
            return False
        self._own_target = (segment_id, which)
        job = SegmentStillJob(self.doc.bundle, sb, index, which, backend, model, spec, price)
        job.signals.made.connect(self._on_own_made)
        job.signals.failed.connect(self._on_regen_failed)
        job.signals.finished.connect(self._on_own_finished)
        self.runner.start(job)
        who = "an offline placeholder, $0" if free else f"provider {backend.name}"
        self.message.emit(f"Making segment {index + 1}'s {frame} frame ({who})…", 0)
        self.busy_changed.emit(True)
        return True

    def _on_own_made(self, _index: int, still: str) -> None:
        self.doc.reload_stills()
        if self._own_target is not None:
            sid, which = self._own_target
            if self.use_still(sid, which, still):
                self.message.emit(f"Segment {self.doc.storyboard.index_of(sid) + 1} "
                                  f"{'starts' if which == FIRST else 'ends'} on the new "
                                  "still.", 8000)

    def _on_own_finished(self) -> None:
        self._own_target = None
        self.doc.reload_stills()  # a failed one counts in the ledger too
        self.busy_changed.emit(False)

    # ------------------------------------------------------------------ a slot's stills

    def still_source(self, segment_id: str, which: str) -> StillRecord | None:
        """The request "Regenerate" repeats: that of the still the frame uses, else of the
        newest still made for it (None: nothing was made for it yet)."""
        if not self.doc.storyboard.has_segment(segment_id):
            return None
        stills = self.doc.project.stills
        made = self.doc.stills_for(segment_id, which)
        return record_of(stills, current_still(self.doc.storyboard, segment_id, which)) or \
            (made[-1] if made else None)

    def choose_still(self, segment_id: str, which: str, still: str) -> bool:
        """Use ``still`` for the segment's first or last frame (both shots of a held
        boundary), one undo step."""
        sb = self.doc.storyboard
        if not sb.has_segment(segment_id):
            return False
        if which == LAST:
            ok, why = self.last_frame_support(sb.segment(segment_id))
            if not ok:
                self.ask.warn("Cannot end on a still", why)
                return False
        self.doc.choose_still(segment_id, which, still)
        return True

    def regenerate_still(self, segment_id: str, which: str) -> bool:
        """Make the frame's still again with the same request (priced and asked first on a
        paid backend), in a worker, then choose it (one undo step). The older stills stay,
        in the bundle and the ledger. With nothing made for the frame yet, a new still for
        its boundary, as "Generate"."""

        if self.busy():
            self.message.emit("Keyframe stills are being made; wait for them first.", 6000)
            return False
        source = self.still_source(segment_id, which)
        if source is None:
            return self.generate_still(segment_id, which) if \
                self.doc.storyboard.has_segment(segment_id) else False
        priced = self._one_still(source.model)
        if priced is None:
            return False
        backend, spec, price = priced
        free = backend.name == "animatic"
        if not free and not self.ask.confirm(
                "Regenerate the still", self._price_question(
                    f"A new still of {source.model} on provider {backend.name!r}, "
                    f"{source.size}, with the same prompt"
                    + (f" and {plural(len(source.references), 'reference image')}"
                       if source.references else ""), price, spec)
                + "\n\nThe stills made before stay in the project; undo chooses the "
                "previous one again. Make it?", yes="make the still"):
            return False
        self._regen_target = (segment_id, which)
        job = RegenerateStillJob(self.doc.bundle, source, backend, price)
        job.signals.made.connect(self._on_regenerated)
        job.signals.failed.connect(self._on_regen_failed)
        job.signals.finished.connect(self._on_regen_finished)
        self.runner.start(job)
        who = "an offline placeholder, $0" if free else f"provider {backend.name}"
        self.message.emit(f"Making the still again ({who})…", 0)
        self.busy_changed.emit(True)
        return True

    def _on_regenerated(self, _index: int, still: str) -> None:
        self.doc.reload_stills()
        if self._regen_target is not None:
            sid, which = self._regen_target
            if self.choose_still(sid, which, still):
                self.message.emit("The new still is in use; the earlier ones are kept.",
                                  8000)

    def _on_regen_failed(self, _index: int, message: str) -> None:
        self.ask.warn("The still was not made", f"{message}\n\nThe stills made before are "
                      "unchanged.")

    def _on_regen_finished(self) -> None:
        self._regen_target = None
        self.doc.reload_stills()  # a failed one counts in the ledger too
        self.busy_changed.emit(False)

    def use_take_frame(self, segment_id: str, which: str, take_id: str, at: float) -> bool:
        """Cut the frame of a take at ``at`` seconds into a still (in a worker) and use it as
        the segment's first or last frame."""
        take = self.doc.takes.get(take_id)
        sb = self.doc.storyboard
        if take is None or not take.usable or take.file is None or \
                not sb.has_segment(segment_id) or self.busy():
            return False
        try:
            video = self.doc.bundle.resolve(take.file)
        except ProjectError as e:
            self.ask.warn("Cannot use the take", str(e))
            return False
        seg = sb.segment(segment_id)
        name = f"{take.id}-{round(at * 1000):07d}-{seg.size}.png"
        self._frame_target = (segment_id, which)
        job = TakeFrameJob(self.doc.bundle, video, at, seg.size, name)
        job.signals.made.connect(self._on_frame_made)
        job.signals.failed.connect(self._on_frame_failed)
        job.signals.finished.connect(self._on_frame_finished)
        self.runner.start(job)
        self.busy_changed.emit(True)
        return True

    def _on_frame_made(self, _index: int, still: str) -> None:
        if self._frame_target is not None:
            sid, which = self._frame_target
            self.use_still(sid, which, still)

    def _on_frame_failed(self, _index: int, message: str) -> None:
        self.ask.warn("The frame could not be cut", message)

    def _on_frame_finished(self) -> None:
        self._frame_target = None
        self.busy_changed.emit(False)

    def close(self) -> None:
        self.runner.cancel_all()
        self.runner.wait(10000)  # a still asked of a provider is journaled; it may end later

    # ------------------------------------------------------------------ files

    def _copy_in(self, src: Path) -> str:
        """The image copied into media/stills under a name of its content (once)."""
        data = src.read_bytes()
        digest = hashlib.sha256(data).hexdigest()[:10]
        target_dir = self.doc.bundle.media_dir / "stills"
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / f"{src.stem}-{digest}{src.suffix.lower()}"
        if not target.exists():
            shutil.copy2(src, target)
        return self.doc.bundle.relative(target)
