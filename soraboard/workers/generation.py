"""Generation jobs on Qt's thread pool, with signals that arrive on the GUI thread.

:class:`GenerationJob` wraps one blocking call of the pure engine
(:meth:`~soraboard.generation.engine.GenerationEngine.generate` or ``resume``) in a
QRunnable; its :class:`JobSignals` companion is a QObject created on the GUI thread, so
signals emitted from the pool thread are queued to the GUI thread. Jobs never touch the
Document, the undo stack or a widget: the Document records takes when ``take_updated`` /
``take_finished`` arrive.

:class:`JobManager` owns the QThreadPool, keeps every started job referenced until it ends,
asks the pure scheduler which segments may start (a chained segment after its predecessor's
take of this run), cancels by segment, and cancels everything on close.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from soraboard.generation.backend import Backend
from soraboard.generation.engine import (
    CancelToken,
    EngineEvents,
    GenerationEngine,
    Interrupted,
    SegmentJob,
    job_for,
)
from soraboard.generation.errors import GenerationError
from soraboard.generation.journal import BundleLock
from soraboard.generation.scheduler import decide
from soraboard.model.storyboard import Segment, Storyboard
from soraboard.model.take import Take
from soraboard.redact import redact
from soraboard.storage.bundle import Bundle

log = logging.getLogger(__name__)


class JobSignals(QObject):
    """A job's signals (past-tense facts). ``finished`` is always the last one."""

    take_updated = Signal(object)  #: Take — journaled state change (progress included)
    take_finished = Signal(object)  #: Take — DONE, FAILED, CANCELLED or EXPIRED
    warning = Signal(str, str)  #: segment id, text (e.g. a face in the reference frame)
    failed = Signal(str, str)  #: segment id, message — the job stopped without a final take
    finished = Signal(str)  #: segment id


class GenerationJob(QRunnable):
    """One segment's generation (or the resumption of one journaled take)."""

    def __init__(self, bundle: Bundle, backend: Backend, *, job: SegmentJob | None = None,
                 resume: Take | None = None, segment: Segment | None = None,
                 remix: tuple[Take, str] | None = None,
                 engine_options: Mapping[str, object] | None = None) -> None:
        super().__init__()
        if sum(x is not None for x in (job, resume, remix)) != 1:
            raise ValueError("give exactly one of a job, a take to resume, a take to remix")
        self.setAutoDelete(False)  # the manager keeps it (and its signals) until it ends
        self.bundle = bundle
        self.backend = backend
        self.job = job
        self.resume_take = resume
        self.segment = segment
        self.remix_of = remix
        self.segment_id = (job.segment_id if job is not None else resume.segment_id
                           if resume is not None else remix[0].segment_id)  # type: ignore[index]
        self.cancel_token = CancelToken()
        self.signals = JobSignals()
        self._engine_options = dict(engine_options or {})
        self.result: Take | None = None

    def cancel(self) -> None:
        """Stop polling and mark the take cancelled (the provider may still bill)."""
        self.cancel_token.cancel()

    def detach(self) -> None:
        """Stop following the job but keep its take active, to resume on the next open."""
        self.cancel_token.detach()

    def run(self) -> None:
        s = self.signals
        events = EngineEvents(take_updated=s.take_updated.emit,
                              take_finished=s.take_finished.emit,
                              warning=lambda take, text: s.warning.emit(take.segment_id, text))
        engine = GenerationEngine(self.bundle, self.backend, events=events,
                                  **self._engine_options)  # type: ignore[arg-type]
        try:
            if self.job is not None:
                self.result = engine.generate(self.job, self.cancel_token)
            elif self.remix_of is not None:
                source, prompt = self.remix_of
                self.result = engine.remix(source, prompt, self.cancel_token, self.segment)
            else:
                assert self.resume_take is not None
                self.result = engine.resume(self.resume_take, self.segment, self.cancel_token)
        except Interrupted as e:
            s.failed.emit(self.segment_id, e.message)
        except GenerationError as e:
            s.failed.emit(self.segment_id, e.message)
        except Exception as e:  # a bug or a full disk must reach the GUI, not kill the pool
            log.exception("generation of %s", self.segment_id)
            s.failed.emit(self.segment_id, redact(f"{type(e).__name__}: {e}"))
        finally:
            s.finished.emit(self.segment_id)


class JobManager(QObject):
    """Runs generation jobs for one bundle; every signal arrives on the GUI thread."""

    take_updated = Signal(object)  #: Take
    take_finished = Signal(object)  #: Take
    job_failed = Signal(str, str)  #: segment id, message
    warning = Signal(str, str)  #: segment id, text
    segment_started = Signal(str)  #: segment id
    segment_blocked = Signal(str, str)  #: segment id, why it cannot start
    idle = Signal()  #: nothing running and nothing waiting

    def __init__(self, bundle: Bundle, backend: Backend, parent: QObject | None = None,
                 engine_options: Mapping[str, object] | None = None) -> None:
        super().__init__(parent)
        self.bundle = bundle
        self.backend = backend
        self.pool = QThreadPool(self)
        # Jobs mostly wait on the network; the limit is the provider's, not the CPU's.
        self.pool.setMaxThreadCount(max(backend.concurrency, 1) + 2)
        self._jobs: dict[str, GenerationJob] = {}
        self._engine_options = dict(engine_options or {})
        self._lock: BundleLock | None = None
        # Scheduler state of the current "generate" request.
        self._sb: Storyboard | None = None
        self._takes: dict[str, Take] = {}
        self._pending: list[str] = []
        self._chosen: dict[str, str | None] = {}
        self._failed: set[str] = set()
        self._model: str | None = None

    # ------------------------------------------------------------------ queries
    def is_running(self, segment_id: str) -> bool:
        return segment_id in self._jobs

    def running_segments(self) -> list[str]:
        return list(self._jobs)

    def pending_segments(self) -> list[str]:
        return list(self._pending)

    # ------------------------------------------------------------------ starting
    def _ensure_lock(self) -> None:
        if self._lock is None:
            lock = BundleLock(self.bundle, "the soraboard editor (generating)")
            lock.acquire()  # raises LockHeld: another process is generating into the bundle
            self._lock = lock

    def generate(self, sb: Storyboard, takes: Mapping[str, Take],
                 segment_ids: Iterable[str], model: str | None = None) -> None:
        """Generate ``segment_ids`` as the scheduler allows, and resume the journaled active
        takes of this backend's provider (another provider's stay journaled)."""
        self._ensure_lock()
        self._sb = sb
        self._takes = dict(takes)
        self._model = model
        self._failed.clear()
        for take in takes.values():
            if take.status.is_active and take.segment_id not in self._jobs \
                    and take.provider == self.backend.name:
                seg = sb.segment(take.segment_id) if sb.has_segment(take.segment_id) else None
                self._start(GenerationJob(self.bundle, self.backend, resume=take, segment=seg,
                                          engine_options=self._engine_options))
        for sid in segment_ids:
            if sid not in self._pending and sid not in self._jobs:
                self._pending.append(sid)
        self._schedule()

    def start(self, job: SegmentJob) -> GenerationJob:
        """Start one job now, outside the scheduler (e.g. "regenerate this segment")."""
        self._ensure_lock()
        return self._start(GenerationJob(self.bundle, self.backend, job=job,
                                         engine_options=self._engine_options))

    def remix(self, source: Take, prompt: str, segment: Segment | None = None) -> GenerationJob:
        """Remix a finished take into a new take of the same segment."""
        self._ensure_lock()
        return self._start(GenerationJob(self.bundle, self.backend, remix=(source, prompt),
                                         segment=segment, engine_options=self._engine_options))

    def _start(self, job: GenerationJob) -> GenerationJob:
        self._jobs[job.segment_id] = job
        s = job.signals
        s.take_updated.connect(self._on_job_take_updated)
        s.take_finished.connect(self._on_job_take_finished)
        s.warning.connect(self.warning)
        s.failed.connect(self._on_job_failed)
        s.finished.connect(self._on_job_finished)
        self.segment_started.emit(job.segment_id)
        self.pool.start(job)
        return job

    def _schedule(self) -> None:
        sb = self._sb
        if sb is None:
            return
        pending = [p for p in self._pending if sb.has_segment(p)]
        running = dict.fromkeys(self._jobs, self.backend.name)
        d = decide(sb, self._takes, pending, running, self._chosen,
                   dict.fromkeys(pending, self.backend.name),
                   {self.backend.name: max(self.backend.concurrency, 1)}, self._failed)
        for sid, why in d.blocked.items():
            self._pending.remove(sid)
            self._failed.add(sid)
            self.segment_blocked.emit(sid, why)
        for sid in d.ready:
            self._pending.remove(sid)
            i = sb.index_of(sid)
            upstream = None
            if i > 0:
                prev = sb.segments[i - 1]
                upstream = self._takes.get(self._chosen.get(prev.id) or prev.chosen_take or "")
            self._start(GenerationJob(self.bundle, self.backend,
                                      job=job_for(sb, i, upstream, self._model),
                                      engine_options=self._engine_options))
        if not self._jobs and not self._pending:
            self._release_lock()
            self.idle.emit()

    # ------------------------------------------------------------------ cancelling
    def cancel(self, segment_id: str) -> bool:
        """Cancel the segment's job (or drop it from the queue); True if there was one."""
        if segment_id in self._pending:
            self._pending.remove(segment_id)
            self._failed.add(segment_id)
            self._schedule()
            return True
        job = self._jobs.get(segment_id)
        if job is None:
            return False
        job.cancel()
        return True

    def cancel_all(self) -> None:
        for sid in list(self._pending):
            self._failed.add(sid)
        self._pending.clear()
        for job in list(self._jobs.values()):
            job.cancel()

    def close(self, detach: bool = False, msecs: int = 30000) -> bool:
        """On window close: cancel every job (or ``detach``: keep them resumable), wait for
        the pool, release the bundle lock. True when every job ended in time."""
        self._pending.clear()
        for job in list(self._jobs.values()):
            if detach:
                job.detach()
            else:
                job.cancel()
        done = self.pool.waitForDone(msecs)
        self._release_lock()
        return bool(done)

    def _release_lock(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    # ------------------------------------------------------------------ job slots
    def _on_job_take_updated(self, take: object) -> None:
        assert isinstance(take, Take)
        self._takes[take.id] = take
        self.take_updated.emit(take)

    def _on_job_take_finished(self, take: object) -> None:
        assert isinstance(take, Take)
        self._takes[take.id] = take
        if take.usable:
            self._chosen[take.segment_id] = take.id
        else:
            self._failed.add(take.segment_id)
        self.take_finished.emit(take)

    def _on_job_failed(self, segment_id: str, message: str) -> None:
        self._failed.add(segment_id)
        self.job_failed.emit(segment_id, message)

    def _on_job_finished(self, segment_id: str) -> None:
        self._jobs.pop(segment_id, None)
        self._schedule()
