"""Generation: confirm what runs and what it costs, start and cancel jobs, gather their
progress, explain failures, and say when a batch has finished."""

from __future__ import annotations

import math
import time
from decimal import Decimal

from PySide6.QtCore import QObject, QTimer, Signal

from soraboard.catalog.cost import Amount, fmt_usd, segment_cost
from soraboard.catalog.validate import blocking_problems
from soraboard.document import Document
from soraboard.generation.factory import make_backend
from soraboard.generation.scheduler import critical_path, describe_boundaries
from soraboard.model.status import SegmentState
from soraboard.model.take import Take
from soraboard.model.timing import fmt_duration
from soraboard.ui.ask import Ask
from soraboard.ui.controllers import SettingsGetter, plural
from soraboard.workers.generation import JobManager

#: a batch longer than this ends with a desktop notification
LONG_TASK_SECONDS = 20
#: running jobs' progress is shown at most this often (ms)
TAKE_UPDATE_MS = 100


def explain(doc: Document, segment_id: str, message: str) -> str:
    """A failure in words, with the likely fix."""
    sb = doc.storyboard
    where = f"Segment {sb.index_of(segment_id) + 1}" if sb.has_segment(segment_id) \
        else "A deleted segment"
    low = message.lower()
    if "must match the requested width and height" in low or ("reference" in low and
                                                                "size" in low):
        fix = "the reference frame has the wrong size — regenerate the previous segment or " \
              "pick another reference"
    elif "policy" in low or "moderation" in low or "rejected" in low:
        fix = "the provider refused the prompt — edit the prompt and try again"
    elif "key" in low or "auth" in low or "401" in low:
        fix = "the API key is missing or wrong — open Settings"
    elif "quota" in low or "billing" in low or "insufficient" in low:
        fix = "the account is out of credit or over its quota"
    elif "expired" in low:
        fix = "the provider deleted the result before it was downloaded — regenerate"
    else:
        fix = "retry it from the Jobs tab"
    return f"{where} failed: {message} ({fix})"


class GenerationController(QObject):
    message = Signal(str, int)  #: status-bar text, ms
    started = Signal()  #: a batch or a remix started (the window shows the Jobs tab)
    take_tracked = Signal(object)  #: a Take whose progress the Jobs list shows
    failure_noted = Signal(str, str)  #: segment id, the failure in words
    face_warning = Signal(str)  #: a warning about the selected segment's reference
    take_chosen = Signal(str)  #: segment id whose new take was just chosen
    long_task_finished = Signal(str, str, bool)  #: title, text, any failed (notify)
    settings_requested = Signal()  #: the creator wants to fix the provider

    def __init__(self, doc: Document, settings: SettingsGetter, ask: Ask,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.settings = settings
        self.ask = ask
        self.jobs: JobManager | None = None
        self._batch: tuple[float, list[str]] | None = None
        self._pending_takes: dict[str, Take] = {}
        self._take_flush = QTimer(self)
        self._take_flush.setSingleShot(True)
        self._take_flush.setInterval(TAKE_UPDATE_MS)
        self._take_flush.timeout.connect(self._flush_take_updates)

    # ------------------------------------------------------------------ jobs

    def job_manager(self) -> JobManager | None:
        """The JobManager for the configured provider (built on first use, rebuilt when the
        provider changes). None, with a message, when the provider cannot be used."""
        s = self.settings()
        name = s.provider or "animatic"
        if self.jobs is not None and self.jobs.backend.name == name:
            return self.jobs
        if self.jobs is not None and (self.jobs.running_segments() or self.jobs.pending_segments()):
            self.ask.warn("Generation", "Jobs of the previous provider are still running; wait "
                          "for them or cancel them first.")
            return None
        try:
            backend = make_backend(s.provider, concurrency=s.concurrency,
                                   catalog=self.doc.catalog)
        except Exception as e:
            if self.ask.confirm("Cannot generate",
                                f"{e}\n\nOpen the settings to fix the provider?", yes="open"):
                self.settings_requested.emit()
            return None
        jobs = JobManager(self.doc.bundle, backend, self)
        jobs.take_updated.connect(self._on_take_updated)
        jobs.take_finished.connect(self._on_take_finished)
        jobs.job_failed.connect(self._on_job_failed)
        jobs.segment_blocked.connect(self._on_job_blocked)
        jobs.warning.connect(self._on_job_warning)
        jobs.idle.connect(self._on_jobs_idle)
        self.jobs = jobs
        return jobs

    def active_segments(self) -> list[str]:
        """Segments with a job running or queued."""
        if self.jobs is None:
            return []
        return self.jobs.running_segments() + self.jobs.pending_segments()

    def resume_journaled_jobs(self) -> None:
        """After a crash or a close with jobs running: follow every journaled job again."""
        active = [t for t in self.doc.takes.values() if t.status.is_resumable]
        if not active:
            return
        jobs = self.job_manager()
        if jobs is None:
            return
        jobs.generate(self.doc.storyboard, self.doc.takes, [])
        self.message.emit(f"Resumed {plural(len(active), 'journaled job')}", 8000)

    def plan_text(self, segment_ids: list[str]) -> str:
        """What will run at once and what waits for what — shown before money is spent."""
        sb = self.doc.storyboard
        wanted = set(segment_ids)
        now, later = [], []
        for sid in segment_ids:
            i = sb.index_of(sid)
            # as the scheduler decides: a boundary held by a keyframe does not wait
            if sb.waits_on_previous(i) and sb.segments[i - 1].id in wanted:
                later.append(f"{i + 1} after {i}")
            else:
                now.append(str(i + 1))
        parts = []
        if now:
            k = self.settings().concurrency
            parts.append(f"In parallel (up to {k} at once): {', '.join(now)}.")
        if later:
            parts.append(f"In sequence, each from the last frame of the one before: "
                         f"{', '.join(later)}.")
        return " ".join(parts)

    def keyframe_text(self, segment_ids: list[str], clips: Amount, free: bool) -> str | None:
        """When keyframe stills hold boundaries of the run: what the stills cost, and that
        the clips then run at once — "5 stills $0.20, then 5 clips in parallel $6.00 — about
        one clip's time" — with the CLI's line on each boundary's mode. None otherwise."""
        sb = self.doc.storyboard
        held = describe_boundaries(sb, segment_ids)
        if held is None:
            return None
        wanted = set(segment_ids)
        stills = {p for s in sb.segments if s.id in wanted
                  for p in (s.first_keyframe, s.last_keyframe) if p}
        spent = sum((r.cost_value or Decimal(0) for r in self.doc.project.stills.values()
                     if r.file in stills), Decimal(0))
        chains = critical_path(sb, segment_ids)
        longest = max((len(c) for c in chains), default=0)
        k = max(self.settings().concurrency, 1)
        clip_cost = fmt_usd(Decimal(0)) if free else clips.describe()
        n = len(segment_ids)
        if len(chains) == n:
            run = f"{plural(n, 'clip')} in parallel {clip_cost}"
        else:
            run = (f"{plural(n, 'clip')} {clip_cost} ({len(chains)} at once, the longest "
                   f"chain {longest} in a row)")
        rounds = longest * math.ceil(len(chains) / k) if len(chains) > k else longest
        took = "about one clip's time" if rounds == 1 else f"about {rounds} clips' time"
        if len(chains) > k:
            took += f" (up to {k} at once)"
        head = f"{plural(len(stills), 'still')} {fmt_usd(spent)}, then " if stills else ""
        return f"{head}{run} — {took}.\n{held[0].upper()}{held[1:]}."

    def generate(self, segment_ids: list[str], confirm: bool = True) -> bool:
        """Ask (what runs, with which provider, for how much; over budget), then start."""
        sb = self.doc.storyboard
        ids = [s.id for s in sb.segments if s.id in set(segment_ids)]
        if self.jobs is not None:
            ids = [i for i in ids if not self.jobs.is_running(i)]
        if not ids:
            self.message.emit("Nothing to generate", 4000)
            return False
        from soraboard.generation.providers import dialect_of

        # what the provider's request shape cannot carry stops here too, before any money
        catalog = self.doc.catalog.for_dialect(dialect_of(self.settings().provider))
        errors = blocking_problems(sb, catalog, self.doc.takes, ids)
        if errors:
            self.ask.warn("Fix these first", "\n".join(str(p) for p in errors[:8]))
            return False
        amount = Amount()
        for sid in ids:
            amount += segment_cost(sb.segment(sid), self.doc.catalog, sb.index_of(sid)).amount
        rep = self.doc.cost()
        s = self.settings()
        provider = s.provider or "the animatic backend (offline, $0)"
        free = s.provider is None
        cost_text = (f"$0.00 — animatic clips are free (est. {amount.describe()} with a paid "
                     "provider)") if free else f"est. {amount.describe()}"
        if confirm:
            numbers = ", ".join(str(sb.index_of(i) + 1) for i in ids)
            text = (f"Generate {plural(len(ids), 'segment')} ({numbers}) with {provider} for "
                    f"{cost_text}.\n\n{self.plan_text(ids)}")
            keyframes = self.keyframe_text(ids, amount, free)
            if keyframes:
                text += f"\n\n{keyframes}"
            if not self.ask.confirm("Generate", text):
                return False
        if not free and rep.remaining is not None and amount.known > rep.remaining:
            over = amount.known - rep.remaining
            if not self.ask.confirm("Over budget",
                                    f"This would go {fmt_usd(over)} over the budget "
                                    f"(left: {fmt_usd(rep.remaining)}). Start anyway?"):
                return False
        jobs = self.job_manager()
        if jobs is None:
            return False
        try:
            jobs.generate(sb, self.doc.takes, ids, None)
        except Exception as e:  # e.g. another soraboard is generating into this project
            self.ask.warn("Cannot generate", str(e))
            return False
        self._batch = (time.time(), list(ids))
        self.started.emit()
        return True

    def segments_to_generate(self, segment_id: str) -> list[str]:
        """What the inspector's button runs: the segment, and when it is a regeneration the
        chained segments after it too (they continue from its last frame, so they go stale)."""
        sb = self.doc.storyboard
        if not any(t.segment_id == segment_id for t in self.doc.takes.values()):
            return [segment_id]
        index = sb.index_of(segment_id)
        return [segment_id, *(sb.segments[i].id for i in sb.chain_after(index))]

    def generate_segment(self, segment_id: str) -> bool:
        """The inspector's Generate / Regenerate button."""
        return self.generate(self.segments_to_generate(segment_id))

    def generate_selected(self) -> None:
        self.generate(self.doc.selection)

    def generate_missing(self) -> None:
        statuses = self.doc.statuses()
        self.generate([s.id for s, st in zip(self.doc.storyboard.segments, statuses)
                       if st.state.needs_generation])

    def generate_all(self) -> None:
        self.generate([s.id for s in self.doc.storyboard.segments])

    def retry(self, segment_id: str) -> None:
        self.generate([segment_id], confirm=False)

    def bridge(self, segment_id: str, insert: bool = False) -> bool:
        """Bridge the seam after ``segment_id`` (issue 17.6): say the mode and the price,
        and on a yes apply the edit as one undo step and generate the new take (the old
        takes stay). The seam's frames are read here, on the GUI thread: three frames of
        short clips, a fraction of a second."""
        from soraboard.generation.bridge import BridgeError, plan_bridge

        sb = self.doc.storyboard
        if not sb.has_segment(segment_id):
            self.ask.warn("Cannot bridge", "That segment was deleted since the seam report.")
            return False
        jobs = self.job_manager()
        if jobs is None:
            return False
        # the OpenAI Videos request shape carries a first frame only (see openai_backend)
        carries = getattr(jobs.backend, "dialect", None) != "openai"
        catalog = self.doc.catalog.for_dialect(getattr(jobs.backend, "dialect", None))
        try:
            plan = plan_bridge(self.doc.bundle, sb, self.doc.takes, catalog,
                               sb.index_of(segment_id), carries_last_frame=carries)
        except BridgeError as e:
            self.ask.warn("Cannot bridge", str(e))
            return False
        except (ValueError, OSError) as e:  # a frame that cannot be read
            self.ask.warn("Cannot bridge", f"Cannot read the frames at the seam: {e}")
            return False
        s = self.settings()
        price = plan.cost.amount.describe()
        cost_text = (f"$0.00 — animatic clips are free (est. {price} with a paid provider)"
                     if s.provider is None else f"est. {price}")
        provider = s.provider or "the animatic backend (offline, $0)"
        if not self.ask.confirm("Bridge the seam",
                                f"{plan.describe()}.\n\nGenerate it with {provider} for "
                                f"{cost_text}. The current takes are kept."):
            return False
        self.doc.apply(plan.edit)
        self.doc.select([plan.target_id])
        if not self.generate([plan.target_id], confirm=False):
            self.message.emit("The bridge is set up; generate the segment when ready "
                              "(or undo it)", 8000)
            return False
        return True

    # ------------------------------------------------ creates whose outcome is unknown

    def check_again(self, take_id: str) -> None:
        """Ask the provider again (sends nothing); the take follows its job if one is listed."""
        take = self.doc.takes.get(take_id)
        jobs = self.job_manager()
        if take is None or jobs is None:
            return
        sb = self.doc.storyboard
        seg = sb.segment(take.segment_id) if sb.has_segment(take.segment_id) else None
        jobs.check_again(take, seg)
        self.message.emit("Checking the provider again — nothing is sent", 6000)

    def send_again(self, take_id: str) -> None:
        """The user agreed (with the amount shown) to pay again for this segment."""
        take = self.doc.takes.get(take_id)
        jobs = self.job_manager()
        if take is None or jobs is None or not self.doc.storyboard.has_segment(take.segment_id):
            return
        try:
            jobs.generate(self.doc.storyboard, self.doc.takes, [take.segment_id], None,
                          send_again={take.segment_id})
        except Exception as e:  # e.g. another soraboard is generating into this project
            self.ask.warn("Cannot generate", str(e))
            return
        self.started.emit()

    def forget(self, take_id: str) -> None:
        take = self.doc.takes.get(take_id)
        jobs = self.job_manager()
        if take is None or jobs is None:
            return
        jobs.forget(take)
        self.message.emit("Forgotten: it no longer counts as possibly billed", 6000)

    def cancel_segment(self, segment_id: str) -> None:
        if self.jobs is not None and self.jobs.cancel(segment_id):
            self.message.emit("Cancelled. The provider may still bill for a job it had "
                              "started.", 10000)

    def cancel_selected(self) -> None:
        for sid in self.doc.selection:
            self.cancel_segment(sid)

    def cancel_all(self) -> None:
        if self.jobs is not None:
            self.jobs.cancel_all()
            self.message.emit("Cancelled every job. The provider may still bill for jobs it "
                              "had started.", 10000)

    def remix(self, take_id: str) -> None:
        take = self.doc.takes[take_id]
        text = self.ask.text("Remix", f"One targeted change to this take "
                             f"({fmt_usd(take.cost_value)} again, same model, size and length):")
        if text is None:
            return
        jobs = self.job_manager()
        if jobs is None:
            return
        seg = self.doc.storyboard.segment(take.segment_id) \
            if self.doc.storyboard.has_segment(take.segment_id) else None
        jobs.remix(take, text, seg)
        self.started.emit()

    def close(self, *, detach: bool = True, msecs: int = 10000) -> None:
        if self.jobs is not None:
            self.jobs.close(detach=detach, msecs=msecs)

    # ------------------------------------------------------------------ job reports

    def _on_take_updated(self, take: object) -> None:
        """Progress of running jobs arrives often and from many jobs at once: it is gathered
        and shown together at most every ``TAKE_UPDATE_MS`` (one repaint, one cost update)."""
        assert isinstance(take, Take)
        self._pending_takes[take.id] = take
        if not self._take_flush.isActive():
            self._take_flush.start()

    def _flush_take_updates(self) -> None:
        self._take_flush.stop()
        pending, self._pending_takes = self._pending_takes, {}
        if pending:
            self.doc.record_takes(pending.values())
            for take in pending.values():
                self.take_tracked.emit(take)

    def _on_take_finished(self, take: object) -> None:
        assert isinstance(take, Take)
        # recorded with whatever progress is waiting: one takes_changed, one round of refreshes
        # (jobs of the animatic finish together: each round on its own stalled the GUI thread)
        self._pending_takes[take.id] = take
        self._flush_take_updates()
        if take.usable and self.doc.storyboard.has_segment(take.segment_id):
            # the new take is used at once (undoable); the previous one stays in Takes
            self.doc.choose_take(take.segment_id, take.id)
            self.take_chosen.emit(take.segment_id)
        elif not take.usable:
            self.message.emit(explain(self.doc, take.segment_id,
                                      take.error or take.status.value), 15000)

    def _on_job_failed(self, segment_id: str, message: str) -> None:
        text = explain(self.doc, segment_id, message)
        self.failure_noted.emit(segment_id, text)
        self.message.emit(text, 15000)

    def _on_job_blocked(self, segment_id: str, why: str) -> None:
        sb = self.doc.storyboard
        where = (f"Segment {sb.index_of(segment_id) + 1}" if sb.has_segment(segment_id)
                 else "A segment")
        text = f"{where} cannot start: {why}"
        self.failure_noted.emit(segment_id, text)
        self.message.emit(text, 15000)

    def _on_job_warning(self, segment_id: str, text: str) -> None:
        if segment_id == self.doc.current_id:
            self.face_warning.emit(text)
        self.message.emit(text, 10000)

    def _on_jobs_idle(self) -> None:
        self._flush_take_updates()
        if self._batch is None:
            return
        started, ids = self._batch
        self._batch = None
        took = time.time() - started
        sb = self.doc.storyboard
        states = [st.state for seg, st in zip(sb.segments, self.doc.statuses()) if seg.id in ids]
        done = sum(s is SegmentState.DONE for s in states)
        failed = sum(s is SegmentState.FAILED for s in states)
        unknown = sum(s is SegmentState.UNKNOWN for s in states)
        parts = [f"{done} of {len(ids)} done"]
        if failed:
            parts.append(f"{failed} failed")
        if unknown:
            parts.append(f"{unknown} outcome unknown — may be billed (see Jobs)")
        failed += unknown
        rep = self.doc.cost()
        msg = (f"Generation finished: {', '.join(parts)} in {fmt_duration(took)} · spent so far "
               f"{fmt_usd(rep.spent)}"
               + (f", possibly billed {fmt_usd(rep.possibly_billed)}" if rep.possibly_billed
                  else ""))
        self.message.emit(msg, 20000)
        if took > LONG_TASK_SECONDS:
            self.long_task_finished.emit(
                "Generation finished" if not failed else "Generation finished with failures",
                msg.removeprefix("Generation finished: "), bool(failed))
