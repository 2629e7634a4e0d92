"""The generation engine: one take from request to a probed file on disk, journaled.

Nothing lost, nothing paid twice:

* a take record is written to the bundle (atomically, :meth:`Bundle.write_take`) *before*
  the create is sent, and again after every state change;
* a create is sent with no SDK retries; the engine retries with backoff honouring
  ``Retry-After``, recording each attempt first; when an attempt's answer is lost (timeout,
  reset) the provider's job list is searched before anything is sent again;
* on reopening a bundle, :meth:`GenerationEngine.resume` picks up every journaled active
  take: polls it, downloads it, and — for a take that died between sending the create and
  saving the job id — looks it up in ``GET /videos`` before it would ever resubmit;
* ``completed`` is proven only by a downloaded file that probes as a video of the expected
  duration;
* cancel stops polling and marks the take cancelled, saying the provider may still bill.

The engine writes take records only; it never writes ``storyboard.json``. It reports through
:class:`EngineEvents` (``take_updated``, ``take_finished``) so the GUI's Document, or the CLI,
decides which take a segment uses.

Threads: :meth:`GenerationEngine.generate` and :meth:`~GenerationEngine.resume` are blocking
functions that are safe to call from several threads at once. The GUI calls them from
``soraboard.workers`` QRunnables; the headless :func:`run_generation` (CLI, tests, benchmark)
drives them with a plain ``concurrent.futures`` thread pool — the one place outside
``soraboard.workers`` that starts threads, because the CLI has no Qt.
"""

from __future__ import annotations

import concurrent.futures as cf
import functools
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from soraboard.generation.backend import Backend, Beat, JobState, JobStatus, VideoRequest
from soraboard.generation.errors import (
    Cancelled,
    DownloadFailed,
    ExpiredOrNotFound,
    GenerationError,
    Rejected,
    Transient,
)
from soraboard.media.ffmpeg import FFmpeg
from soraboard.model.prompt import compose_prompt
from soraboard.model.storyboard import RefMode, Segment, Storyboard
from soraboard.model.take import RequestSnapshot, Take, TakeStatus, new_take_id
from soraboard.redact import redact
from soraboard.storage.bundle import Bundle

log = logging.getLogger(__name__)

CANCEL_NOTE = "cancelled — the provider may still bill for a job it had accepted"


class Interrupted(GenerationError):
    """The engine stopped following a job that is still alive at the provider (the process
    is closing, or the provider stopped answering). The take stays active in the journal and
    is resumed the next time the project is opened."""

    kind = "interrupted"


class CancelToken:
    """Cooperative cancellation, checked between steps (never mid-write).

    ``cancel()`` marks the take cancelled; ``detach()`` only stops following it (the take
    stays active in the journal, to be resumed later). ``wait(t)`` sleeps unless cancelled.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self.detached = False

    def cancel(self) -> None:
        """Stop and mark the take cancelled (the provider may still bill)."""
        self._event.set()

    def detach(self) -> None:
        """Stop following, leaving the take active in the journal (resumed next time)."""
        self.detached = True
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` or :meth:`detach` was called."""
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True when cancelled meanwhile."""
        return self._event.wait(max(seconds, 0.0))


@dataclass
class EngineEvents:
    """Callbacks (called from worker threads; keep them quick and thread-safe)."""

    take_updated: Callable[[Take], None] = lambda take: None
    take_finished: Callable[[Take], None] = lambda take: None
    warning: Callable[[Take, str], None] = lambda take, text: None


@dataclass(frozen=True)
class SegmentJob:
    """An immutable snapshot of everything one generation of one segment needs."""

    segment_id: str
    index: int
    prompt: str
    model: str
    size: str
    seconds: float
    title: str = ""
    beats: tuple[Beat, ...] = ()
    chained: bool = False
    ref_mode: RefMode = RefMode.LAST
    ref_time: float | None = None
    reference_image: str | None = None  #: bundle-relative image (custom reference)
    upstream: Take | None = None  #: the previous segment's chosen take (chained only)


def display_beats(seg: Segment) -> tuple[Beat, ...]:
    """The segment's timed beats, as the animatic draws them."""
    return tuple(Beat(b.start, b.end, b.text) for b in seg.actions)


def job_for(sb: Storyboard, index: int, upstream: Take | None = None,
            model: str | None = None) -> SegmentJob:
    """The job for ``sb.segments[index]``; ``upstream`` is the predecessor's chosen take."""
    seg = sb.segments[index]
    chained = seg.is_chained and index > 0
    return SegmentJob(
        segment_id=seg.id, index=index, prompt=compose_prompt(sb, index).text,
        model=model or seg.model, size=seg.size, seconds=seg.duration,
        title=seg.title or f"Segment {index + 1}", beats=display_beats(seg),
        chained=chained, ref_mode=seg.ref_mode, ref_time=seg.ref_time,
        reference_image=seg.reference_image, upstream=upstream if chained else None)


def _price_text(value: Decimal | None) -> str | None:
    """Dollars as a decimal string with at least cents: 0.200 → "0.20", 0.086 → "0.086"."""
    if value is None:
        return None
    if value == 0:
        return "0"
    cents = value.quantize(Decimal("0.01"))
    return format(cents if cents == value else value.normalize(), "f")


class GenerationEngine:
    """Generates and resumes takes of one bundle through one backend."""

    def __init__(self, bundle: Bundle, backend: Backend, *,
                 events: EngineEvents | None = None, ffmpeg: FFmpeg | None = None,
                 create_attempts: int = 5, backoff_base: float = 1.0,
                 backoff_cap: float = 30.0, poll_error_limit: int = 20,
                 download_attempts: int = 3, sharpest_of: int = 8,
                 check_faces: bool = True) -> None:
        self.bundle = bundle
        self.backend = backend
        self.events = events or EngineEvents()
        self.ffmpeg = ffmpeg
        self.create_attempts = create_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.poll_error_limit = poll_error_limit
        self.download_attempts = download_attempts
        self.sharpest_of = sharpest_of
        self.check_faces = check_faces
        self._write_lock = threading.Lock()

    # ------------------------------------------------------------------ journal
    def _record(self, take: Take, **changes: object) -> Take:
        """Write the take (with ``changes``) to the journal, then tell listeners."""
        take = take.with_changes(updated_at=time.time(), **changes)
        if take.error:  # a provider's own words (a failed job's reason) may quote the key
            take = take.with_changes(error=redact(take.error))
        with self._write_lock:
            self.bundle.write_take(take)
        self.events.take_updated(take)
        return take

    def _finish(self, take: Take, **changes: object) -> Take:
        take = self._record(take, **changes)
        self.events.take_finished(take)
        return take

    def _fail(self, take: Take, err: GenerationError, status: TakeStatus = TakeStatus.FAILED,
              message: str | None = None) -> Take:
        return self._finish(take, status=status, error=message or err.message,
                            error_kind=err.kind)

    def _delay(self, attempt: int, hint: float | None) -> float:
        backoff = min(self.backoff_base * (2 ** max(attempt - 1, 0)), self.backoff_cap)
        return min(max(hint, 0.0), self.backoff_cap * 4) if hint is not None else backoff

    # ------------------------------------------------------------------ reference frame
    def _reference(self, job: SegmentJob, take_id: str) -> tuple[Path | None, str | None,
                                                                  str | None, str | None]:
        """(png path, sha256, bundle-relative path, face warning) of the first frame."""
        from soraboard.catalog.catalog import parse_size
        from soraboard.generation import frames

        w, h = parse_size(job.size)
        if job.reference_image and (job.ref_mode is RefMode.CUSTOM or not job.chained):
            image = frames.read_image(self.bundle.resolve(job.reference_image), (w, h))
        elif job.chained:
            up = job.upstream
            if up is None or not up.usable or up.file is None:
                raise GenerationError("the previous segment has no usable take to continue "
                                      "from; generate it first")
            clip = self.bundle.resolve(up.file)
            if job.ref_mode is RefMode.SHARPEST:
                image = frames.sharpest_of_last(clip, self.sharpest_of, self.ffmpeg)
            elif job.ref_mode is RefMode.AT_TIME and job.ref_time is not None:
                image = frames.frame_at(clip, job.ref_time, self.ffmpeg)
            else:
                image = frames.last_frame(clip, self.ffmpeg)
        else:
            return None, None, None, None
        image = frames.fit_to_size(image, w, h)
        dest = self.bundle.media_dir / "refs" / f"{take_id}.png"
        saved = frames.save_png(image, dest)
        warning = None
        if self.check_faces:
            check = frames.detect_faces(image)
            warning = check.warning
        return saved.path, saved.sha256, self.bundle.relative(saved.path), warning

    # ------------------------------------------------------------------ entry points
    def generate(self, job: SegmentJob, cancel: CancelToken | None = None) -> Take:
        """Make a new take for ``job`` and follow it to the end. Blocking.

        Returns the final take (DONE, FAILED, CANCELLED or EXPIRED); raises
        :class:`Interrupted` when it stopped following a job that is still alive.
        """
        cancel = cancel or CancelToken()
        take_id = new_take_id()
        now = time.time()
        try:
            ref_path, sha, ref_rel, face_warning = self._reference(job, take_id)
        except (ValueError, OSError) as e:  # FrameError, ProjectError (a path outside) …
            # Nothing was journaled or sent yet: a plain failure, nothing to resume.
            raise GenerationError(f"cannot make the reference frame: {e}") from None
        request = VideoRequest(job.prompt, job.model, job.size, job.seconds, ref_path,
                               job.title, job.beats, job.segment_id)
        price = self.backend.price(request)
        take = Take(
            id=take_id, segment_id=job.segment_id, provider=self.backend.name,
            request=RequestSnapshot(
                prompt=job.prompt, model=job.model, size=job.size, seconds=job.seconds,
                reference_sha256=sha, reference_file=ref_rel,
                upstream_take=job.upstream.id if job.chained and job.upstream else None),
            status=TakeStatus.PENDING, created_at=now, updated_at=now,
            cost=_price_text(price))
        # The journal entry exists before anything is sent: a crash from here on is recoverable.
        take = self._record(take)
        if face_warning:
            self.events.warning(take, face_warning)
        return self._submit_and_follow(take, request, cancel)

    def resume(self, take: Take, segment: Segment | None = None,
               cancel: CancelToken | None = None) -> Take:
        """Carry on with a journaled active take (after a crash or a restart). Blocking.

        A take with a job id is polled and downloaded. A PENDING take without one (the
        process died between sending the create and saving the id) is looked up in the
        provider's job list first, and only submitted when no such job exists.
        """
        cancel = cancel or CancelToken()
        request = self.request_of(take, segment)
        if take.status.is_terminal:
            return take
        if take.job_id:
            return self._follow(take, request, cancel)
        recovered = self._recover_lost_job(take, request, cancel, lambda why: (
            "the create may have reached the provider before the app stopped, and the "
            f"provider's job list cannot be read ({why}); it was not sent again so "
            "you do not pay twice — check the provider, then regenerate"))
        if recovered is not None:
            return recovered
        return self._submit_and_follow(take, request, cancel)

    def _recover_lost_job(self, take: Take, request: VideoRequest, cancel: CancelToken,
                          unreadable: Callable[[str], str]) -> Take | None:
        """A create may have reached the provider with its answer lost: find its job in the
        provider's list and follow it, rather than send (and pay for) it again.

        Returns the followed take; a failed take when the list cannot be read (nothing is
        resent: ``unreadable(reason)`` says so); None when no such job exists.
        """
        try:
            found = self.backend.find_job(request, take.created_at, self._known_job_ids())
        except GenerationError as e:
            return self._fail(take, e, message=unreadable(e.message))
        if found is None:
            return None
        log.info("take %s: found its lost job %s in the provider's list", take.id, found.job_id)
        return self._follow(self._adopt(take, found), request, cancel)

    def remix(self, source: Take, prompt: str, cancel: CancelToken | None = None,
              segment: Segment | None = None) -> Take:
        """One targeted change to a finished take (same model, size and seconds), as a new
        take journaled like any other. Blocking."""
        cancel = cancel or CancelToken()
        if not source.usable or not source.job_id:
            raise GenerationError("only a finished take with a provider job can be remixed")
        if source.provider != self.backend.name or not self.backend.can_remix(source.model):
            raise Rejected(f"{source.model} on {self.backend.name} cannot remix; "
                           "generate the segment again instead")
        r = source.request
        request = VideoRequest(prompt, r.model, r.size, r.seconds, None,
                               segment.title if segment else "",
                               display_beats(segment) if segment else (), source.segment_id)
        now = time.time()
        take = Take(id=new_take_id(), segment_id=source.segment_id, provider=self.backend.name,
                    request=RequestSnapshot(prompt, r.model, r.size, r.seconds,
                                            r.reference_sha256, r.reference_file,
                                            r.upstream_take),
                    created_at=now, updated_at=now,
                    cost=_price_text(self.backend.price(request)),
                    label=f"remix of {source.id}")
        take = self._record(take)
        job_id = source.job_id
        return self._submit_and_follow(take, request, cancel,
                                       send=lambda: self.backend.remix(job_id, prompt))

    def request_of(self, take: Take, segment: Segment | None = None) -> VideoRequest:
        """The request a journaled take was (or will be) sent with."""
        r = take.request
        ref = self.bundle.resolve(r.reference_file) if r.reference_file else None
        return VideoRequest(r.prompt, r.model, r.size, r.seconds, ref,
                            segment.title if segment else "",
                            display_beats(segment) if segment else (), take.segment_id)

    # ------------------------------------------------------------------ create
    def _known_job_ids(self) -> frozenset[str]:
        takes, _warnings = self.bundle.load_takes()
        return frozenset(t.job_id for t in takes.values() if t.job_id)

    def _adopt(self, take: Take, state: JobState) -> Take:
        return self._record(take, job_id=state.job_id, status=_take_status(state.status),
                            expires_at=state.expires_at, progress=state.progress)

    def _submit_and_follow(self, take: Take, request: VideoRequest, cancel: CancelToken,
                           send: Callable[[], JobState] | None = None) -> Take:
        send = send or (lambda: self.backend.submit(request))
        attempt = 0
        while True:
            if cancel.cancelled:
                if cancel.detached:
                    raise Interrupted("stopped before the create was sent")
                return self._finish(take, status=TakeStatus.CANCELLED,
                                    error="cancelled before anything was sent (not billed)",
                                    error_kind=Cancelled.kind)
            attempt += 1
            # Record the attempt before sending it (updated_at is its time).
            take = self._record(take, status=TakeStatus.PENDING)
            try:
                state = send()
            except Transient as e:
                if e.ambiguous:
                    # The create may have been accepted and its answer lost: look before
                    # sending it again, or a second paid job could start.
                    recovered = self._recover_lost_job(
                        take, request, cancel, functools.partial(_lost_answer, e.message))
                    if recovered is not None:
                        return recovered
                if attempt >= self.create_attempts:
                    return self._fail(take, e, message=f"{e.message} (gave up after "
                                                       f"{attempt} attempts)")
                delay = self._delay(attempt, e.retry_after)
                log.info("take %s: create attempt %d failed (%s); retrying in %.2f s",
                         take.id, attempt, e.message, delay)
                take = self._record(take, error=f"retrying: {e.message}", error_kind=e.kind)
                cancel.wait(delay)
                continue
            except GenerationError as e:
                return self._fail(take, e)
            take = self._record(take, job_id=state.job_id, status=TakeStatus.SUBMITTED,
                                expires_at=state.expires_at, error=None, error_kind=None)
            return self._follow(take, request, cancel, first=state)

    # ------------------------------------------------------------------ poll + download
    def _follow(self, take: Take, request: VideoRequest, cancel: CancelToken,
                first: JobState | None = None) -> Take:
        assert take.job_id is not None
        state = first
        errors = 0
        while True:
            if state is None or not state.status.is_terminal:
                if cancel.wait(0 if state is None else self.backend.poll_interval):
                    return self._stop(take, cancel)
                try:
                    state = self.backend.poll(take.job_id)
                    errors = 0
                except ExpiredOrNotFound as e:
                    return self._fail(take, e, TakeStatus.EXPIRED,
                                      f"the provider no longer knows job {take.job_id}: "
                                      f"{e.message}")
                except GenerationError as e:
                    errors += 1
                    if errors > self.poll_error_limit or not isinstance(e, Transient):
                        raise Interrupted(f"stopped polling job {take.job_id}: {e.message}; "
                                          "it is kept and resumed next time") from None
                    cancel.wait(self._delay(errors, e.retry_after))
                    state = None
                    continue
                new_status = _take_status(state.status)
                if (new_status, round(state.progress, 2)) != (take.status,
                                                             round(take.progress, 2)):
                    take = self._record(take, status=new_status, progress=state.progress,
                                        expires_at=state.expires_at or take.expires_at)
                continue
            if state.status is JobStatus.COMPLETED:
                return self._download(take, request, cancel)
            if state.status is JobStatus.FAILED:
                word = state.error or "the provider reported the job failed, without a reason"
                code = f" ({state.error_code})" if state.error_code else ""
                return self._finish(take, status=TakeStatus.FAILED, error=word + code,
                                    error_kind="rejected" if state.error_code else "failed")
            if state.status is JobStatus.CANCELLED:
                return self._finish(take, status=TakeStatus.CANCELLED,
                                    error="the provider cancelled the job",
                                    error_kind="cancelled")
            return self._finish(take, status=TakeStatus.EXPIRED,
                                error="the provider says the job expired", error_kind="expired")

    def _stop(self, take: Take, cancel: CancelToken) -> Take:
        if cancel.detached:
            raise Interrupted(f"stopped following job {take.job_id}; it is resumed next time")
        return self._finish(take, status=TakeStatus.CANCELLED,
                            error=f"{CANCEL_NOTE} (job {take.job_id})", error_kind="cancelled")

    def _download(self, take: Take, request: VideoRequest, cancel: CancelToken) -> Take:
        from soraboard.media.probe import MediaError, probe

        job_id = take.job_id
        assert job_id is not None
        take = self._record(take, status=TakeStatus.DOWNLOADING, progress=1.0)
        dest = self.bundle.media_dir / "takes" / f"{take.id}.mp4"
        last: GenerationError = DownloadFailed("no attempt was made")
        for attempt in range(1, self.download_attempts + 1):
            if attempt > 1 and cancel.wait(self._delay(attempt - 1, getattr(
                    last, "retry_after", None))):
                return self._stop(take, cancel)
            try:
                self.backend.download(job_id, request, dest)
            except ExpiredOrNotFound as e:
                return self._fail(take, e, TakeStatus.EXPIRED, (
                    f"the provider no longer has the file of job {take.job_id} "
                    f"({e.message}); assets expire hours after a job completes"))
            except (Transient, DownloadFailed) as e:
                last = e
                continue
            except GenerationError as e:
                return self._fail(take, e)
            try:
                info = probe(dest, self.ffmpeg)
            except MediaError as e:
                last = DownloadFailed(f"the downloaded file is not a usable video ({e})")
                dest.unlink(missing_ok=True)
                continue
            fps = float(info.video.fps) if info.video and info.video.fps else 24.0
            tolerance = max(2.0 / fps, 0.1)
            if info.video is None or abs(info.duration - request.seconds) > tolerance:
                what = "has no video" if info.video is None else (
                    f"lasts {info.duration:.2f} s instead of {request.seconds:g} s")
                last = DownloadFailed(f"the downloaded file {what}")
                dest.unlink(missing_ok=True)
                continue
            return self._finish(take, status=TakeStatus.DONE, progress=1.0,
                                file=self.bundle.relative(dest), media_duration=info.duration,
                                completed_at=time.time(), error=None, error_kind=None)
        return self._fail(take, last, message=(
            f"the provider said job {take.job_id} completed, but no usable video could be "
            f"downloaded: {last.message}"))


def _lost_answer(answer: str, why: str) -> str:
    return (f"{answer}; the job may exist but the provider's job list cannot be read ({why}), "
            "so it was not sent again — check the provider, then regenerate")


def _take_status(status: JobStatus) -> TakeStatus:
    return {
        JobStatus.QUEUED: TakeStatus.QUEUED,
        JobStatus.RUNNING: TakeStatus.RUNNING,
        JobStatus.COMPLETED: TakeStatus.RUNNING,  # not DONE until the file is proven
        JobStatus.FAILED: TakeStatus.FAILED,
        JobStatus.CANCELLED: TakeStatus.CANCELLED,
        JobStatus.EXPIRED: TakeStatus.EXPIRED,
    }[status]


# ---------------------------------------------------------------------------- headless runs


@dataclass
class RunResult:
    """What a headless run did, per segment."""

    takes: dict[str, Take] = field(default_factory=dict)  #: segment id → its final take
    failures: dict[str, str] = field(default_factory=dict)  #: segment id → why
    interrupted: dict[str, str] = field(default_factory=dict)  #: still running at provider
    adopted: dict[str, str] = field(default_factory=dict)  #: segment id → take id adopted
    #: when each take's job finished and when each successor's create was sent (benchmarks)
    timeline: list[tuple[float, str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures and not self.interrupted

    def chosen_overlay(self) -> dict[str, str]:
        """segment id → the take the run produced (or adopted), for :func:`choose_take`."""
        out = dict(self.adopted)
        out.update({sid: t.id for sid, t in self.takes.items() if t.usable})
        return out


def adoptable(sb: Storyboard, takes: Mapping[str, Take]) -> dict[str, str]:
    """Finished takes the storyboard does not use yet, for segments that have no chosen take
    (a run that crashed before it could record them): segment id → newest usable take."""
    out: dict[str, str] = {}
    for seg in sb.segments:
        if seg.chosen_take:
            continue
        mine = sorted((t for t in takes.values() if t.segment_id == seg.id and t.usable),
                      key=lambda t: (t.created_at, t.id))
        if mine:
            out[seg.id] = mine[-1].id
    return out


def run_generation(engine: GenerationEngine, sb: Storyboard, takes: Mapping[str, Take],
                   segment_ids: Sequence[str], *, cancel: CancelToken | None = None,
                   model: str | None = None,
                   overlay: Mapping[str, str] | None = None) -> RunResult:
    """Generate ``segment_ids`` (and resume every journaled active take) with a thread pool.

    Blocking. Chained segments wait for their predecessor's take from this run; independent
    ones run in parallel up to the backend's concurrency. Used by the CLI, the tests and the
    benchmark; the GUI drives the same engine through ``soraboard.workers``.
    """
    from soraboard.generation.scheduler import decide

    cancel = cancel or CancelToken()
    result = RunResult()
    all_takes = dict(takes)
    chosen: dict[str, str | None] = dict(overlay or {})
    result.adopted.update(overlay or {})
    backend = engine.backend
    limit = max(backend.concurrency, 1)
    segs = {s.id: s for s in sb.segments}
    pending = list(segment_ids)
    running: dict[str, str] = {}
    failed: set[str] = set()
    lock = threading.Lock()

    def timeline_hook(take: Take) -> None:
        with lock:
            result.timeline.append((time.monotonic(), take.segment_id, take.status.value))
            all_takes[take.id] = take

    previous = engine.events.take_updated

    def on_update(take: Take) -> None:
        timeline_hook(take)
        previous(take)

    engine.events.take_updated = on_update
    futures: dict[cf.Future[Take], str] = {}
    # More threads than the concurrency limit would only queue; resumed jobs need slots too.
    active = [t for t in takes.values() if t.status.is_active]
    pool = cf.ThreadPoolExecutor(max_workers=limit + len(active),
                                 thread_name_prefix="soraboard-gen")
    try:
        for take in sorted(active, key=lambda t: t.created_at):
            if take.provider != backend.name:
                # Another provider's job id means nothing here; polling it would wrongly
                # end it as "not found". It stays journaled for a run on its own provider.
                if take.segment_id in pending:
                    pending.remove(take.segment_id)
                result.interrupted[take.segment_id] = (
                    f"a job on provider {take.provider!r} is still journaled; run with "
                    f"--provider {take.provider} to resume it")
                failed.add(take.segment_id)
                continue
            # Never submit a journaled segment again: its active take is this run's job.
            if take.segment_id in pending:
                pending.remove(take.segment_id)
            running[take.segment_id] = backend.name
            futures[pool.submit(engine.resume, take, segs.get(take.segment_id),
                                cancel)] = take.segment_id
        while pending or futures:
            if not cancel.cancelled:
                d = decide(sb, all_takes, pending, running, chosen,
                           dict.fromkeys(pending, backend.name), {backend.name: limit},
                           failed)
                for sid, why in d.blocked.items():
                    result.failures[sid] = why
                    failed.add(sid)
                    pending.remove(sid)
                for sid in d.ready:
                    i = sb.index_of(sid)
                    prev = sb.segments[i - 1].id if i > 0 else None
                    upstream = all_takes.get(chosen.get(prev) or "") if prev else None
                    if upstream is None and prev and segs[prev].chosen_take and \
                            prev not in chosen:
                        upstream = all_takes.get(segs[prev].chosen_take or "")
                    job = job_for(sb, i, upstream, model)
                    pending.remove(sid)
                    running[sid] = backend.name
                    futures[pool.submit(engine.generate, job, cancel)] = sid
            else:
                for sid in pending:
                    result.failures[sid] = "not started: the run was cancelled"
                pending.clear()
            if not futures:
                break
            done, _ = cf.wait(list(futures), return_when=cf.FIRST_COMPLETED)
            for fut in done:
                sid = futures.pop(fut)
                running.pop(sid, None)
                try:
                    take = fut.result()
                except Interrupted as e:
                    result.interrupted[sid] = e.message
                    failed.add(sid)
                    continue
                except GenerationError as e:
                    result.failures[sid] = e.message
                    failed.add(sid)
                    continue
                except Exception as e:  # a bug or a disk error must not hang the run
                    log.exception("segment %s", sid)
                    result.failures[sid] = f"{type(e).__name__}: {e}"
                    failed.add(sid)
                    continue
                with lock:
                    all_takes[take.id] = take
                result.takes[sid] = take
                if take.usable:
                    chosen[sid] = take.id
                    result.failures.pop(sid, None)
                else:
                    result.failures[sid] = take.error or take.status.value
                    failed.add(sid)
    except BaseException:
        cancel.detach()  # Ctrl-C: stop following, keep every take resumable
        raise
    finally:
        pool.shutdown(wait=True)
        engine.events.take_updated = previous
    return result
