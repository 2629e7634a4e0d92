"""The generation engine: one take from request to a probed file on disk, journaled.

Nothing lost, nothing paid twice:

* a take record is written to the bundle (atomically, :meth:`Bundle.write_take`) *before*
  the create is sent, and again after every state change;
* a create is sent with no SDK retries and an ``Idempotency-Key`` stable for its take; the
  engine retries with backoff honouring ``Retry-After`` only what was certainly *not sent*
  (connection refused, 429 …), recording each attempt (``sent_at``) first;
* a create whose answer is *unknown* (5xx, reset, timeout) is never simply sent again: the
  provider's job list is searched for the job this attempt made (created at or after the
  send, matching the request); one match is followed, several are shown, and when the list
  cannot be read (LiteLLM) the take ends ``UNKNOWN`` — "outcome unknown, may be billed" —
  for the user to check again, send again (paying again) or forget;
* on reopening a bundle, :meth:`GenerationEngine.resume` picks up every journaled active
  take: polls it, downloads it; a take stopped before its create went out is simply sent; a
  take that died between sending the create and saving the job id is looked up first;
* ``completed`` is proven only by a downloaded file that probes as a video of the expected
  duration; a completed job whose file cannot be fetched stays ``UNDOWNLOADED`` (paid,
  resumable without a new job) until the provider says it expired;
* cancel stops within ~0.1 s even with a request in flight (the call is abandoned, its
  answer ignored) and marks the take cancelled, saying the provider may still bill.

The engine writes take records only; it never writes ``storyboard.json``. It reports through
:class:`EngineEvents` (``take_updated``, ``take_finished``) so the GUI's Document, or the CLI,
decides which take a segment uses.

Threads: :meth:`GenerationEngine.generate` and :meth:`~GenerationEngine.resume` are blocking
functions that are safe to call from several threads at once. The GUI calls them from
``soraboard.workers`` QRunnables; the headless :func:`run_generation` (CLI, tests, benchmark)
drives them with a plain ``concurrent.futures`` thread pool — because the CLI has no Qt.
Besides that pool, each provider call runs on a short-lived daemon thread
(:meth:`GenerationEngine._call`) so that a cancel never waits for a request in flight.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import functools
import logging
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from soraboard.generation.backend import (
    Backend,
    Beat,
    JobState,
    JobStatus,
    VideoRequest,
    unsupported,
)
from soraboard.generation.errors import (
    DownloadFailed,
    ExpiredOrNotFound,
    GenerationError,
    Rejected,
    Transient,
)
from soraboard.generation.polling import LatencyBook
from soraboard.media.ffmpeg import FFmpeg
from soraboard.model.dialogue import speakers
from soraboard.model.prompt import compose_prompt
from soraboard.model.storyboard import RefMode, Segment, Storyboard
from soraboard.model.take import RequestSnapshot, Take, TakeStatus, new_take_id
from soraboard.redact import redact
from soraboard.storage.bundle import Bundle

log = logging.getLogger(__name__)
_T = TypeVar("_T")

CANCEL_NOTE = "cancelled — the provider may still bill for a job it had accepted"
UNKNOWN_NOTE = "outcome unknown — may be billed"
#: how often a call in flight looks at its cancel token
CANCEL_CHECK = 0.1


class Interrupted(GenerationError):
    """The engine stopped following a job that is still alive at the provider (the process
    is closing, or the provider stopped answering). The take stays active in the journal and
    is resumed the next time the project is opened."""

    kind = "interrupted"


class _Abandoned(Exception):
    """The user stopped while a request was in flight; its answer will be ignored."""


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
    last_keyframe: str | None = None  #: bundle-relative still the clip ends on
    references: tuple[str, ...] = ()  #: bundle-relative reference images


def display_beats(seg: Segment, sb: Storyboard | None = None) -> tuple[Beat, ...]:
    """The segment's timed beats and spoken lines, as the animatic draws (and says) them."""
    from soraboard.generation.scratch_voice import voice_index

    cast = speakers(sb) if sb is not None else ()
    return tuple(Beat(b.start, b.end, b.text) for b in seg.actions) + tuple(
        Beat(d.start, d.end, d.text, d.speaker, voice_index(d.speaker, cast))
        for d in seg.dialogue if d.text.strip())


def job_for(sb: Storyboard, index: int, upstream: Take | None = None,
            model: str | None = None) -> SegmentJob:
    """The job for ``sb.segments[index]``; ``upstream`` is the predecessor's chosen take."""
    seg = sb.segments[index]
    chained = sb.waits_on_previous(index)
    return SegmentJob(
        segment_id=seg.id, index=index, prompt=compose_prompt(sb, index).text,
        model=model or seg.model, size=seg.size, seconds=seg.duration,
        title=seg.title or f"Segment {index + 1}", beats=display_beats(seg, sb),
        chained=chained, ref_mode=seg.ref_mode, ref_time=seg.ref_time,
        reference_image=seg.reference_image, upstream=upstream if chained else None,
        last_keyframe=seg.last_keyframe, references=sb.reference_images(index))


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
                 download_attempts: int = 5, sharpest_of: int = 8,
                 check_faces: bool = True, lookup_delay: float = 3.0) -> None:
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
        #: a lost create can take a moment to show in the job list: look twice, this apart
        self.lookup_delay = lookup_delay
        self._write_lock = threading.Lock()
        #: how long jobs of each model took in this process (paces the polls)
        self.latencies = LatencyBook()

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

    def _last_frame(self, job: SegmentJob, take_id: str) -> tuple[Path | None, str | None]:
        """(png path, bundle-relative path) of the last-frame still, at exactly the size."""
        from soraboard.catalog.catalog import parse_size
        from soraboard.generation import frames

        if not job.last_keyframe:
            return None, None
        w, h = parse_size(job.size)
        image = frames.fit_to_size(
            frames.read_image(self.bundle.resolve(job.last_keyframe), (w, h)), w, h)
        saved = frames.save_png(image, self.bundle.media_dir / "refs" / f"{take_id}-last.png")
        return saved.path, self.bundle.relative(saved.path)

    def _inputs(self, job: SegmentJob) -> tuple[tuple[str, str, str], ...]:
        """(role, path, sha256) of the stills and reference images as the storyboard names
        them, hashed as they are now: a take goes stale when one of them changes."""
        from soraboard.generation.frames import sha256_file
        from soraboard.model.take import INPUT_ROLES

        named: list[tuple[str, str]] = []
        if job.reference_image and (job.ref_mode is RefMode.CUSTOM or not job.chained):
            named.append((INPUT_ROLES[0], job.reference_image))
        if job.last_keyframe:
            named.append((INPUT_ROLES[1], job.last_keyframe))
        named.extend((INPUT_ROLES[2], p) for p in job.references)
        return tuple((role, p, sha256_file(self.bundle.resolve(p))) for role, p in named)

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
        try:
            last_path, last_rel = self._last_frame(job, take_id)
            refs = tuple(self.bundle.resolve(r) for r in job.references)
            inputs = self._inputs(job)
        except (ValueError, OSError) as e:
            raise GenerationError(f"cannot read a keyframe still: {e}") from None
        request = VideoRequest(job.prompt, job.model, job.size, job.seconds, ref_path,
                               job.title, job.beats, job.segment_id, last_frame=last_path,
                               references=refs)
        why = unsupported(self.backend.capabilities(job.model), request)
        if why is not None:
            # Nothing journaled or sent: the model would refuse it (or silently ignore it).
            raise Rejected(f"not sent: {why}; change the segment's keyframes or its model")
        price = self.backend.price(request)
        take = Take(
            id=take_id, segment_id=job.segment_id, provider=self.backend.name,
            request=RequestSnapshot(
                prompt=job.prompt, model=job.model, size=job.size, seconds=job.seconds,
                reference_sha256=sha, reference_file=ref_rel,
                upstream_take=job.upstream.id if job.chained and job.upstream else None,
                last_frame_file=last_rel, reference_files=job.references, inputs=inputs),
            status=TakeStatus.PENDING, created_at=now, updated_at=now,
            cost=_price_text(price))
        # The journal entry exists before anything is sent: a crash from here on is recoverable.
        take = self._record(take)
        if face_warning:
            self.events.warning(take, face_warning)
        return self._submit_and_follow(take, request, cancel)

    def resume(self, take: Take, segment: Segment | None = None,
               cancel: CancelToken | None = None) -> Take:
        """Carry on with a journaled take (after a crash or a restart). Blocking.

        A take with a job id is polled and downloaded (also one that finished without its
        file, ``UNDOWNLOADED``). A PENDING take whose create never went out is sent; one
        whose create may have gone out (the process died before the answer) is looked up in
        the provider's job list first and never sent again while its outcome is unknown. An
        ``UNKNOWN`` take is checked again (:meth:`check_again`). Other final takes come back
        as they are.
        """
        cancel = cancel or CancelToken()
        request = self.request_of(take, segment)
        if take.status is TakeStatus.UNKNOWN:
            return self.check_again(take, segment, cancel)
        if not take.status.is_resumable:
            return take
        if take.job_id:
            return self._follow(take, request, cancel)
        if take.sent_at is not None:
            answer = "the app stopped before the create's answer arrived"
            resolved = self._resolve_unknown(take, request, cancel, answer)
            return resolved if resolved is not None else self._not_listed(take, answer)
        return self._submit_and_follow(take, request, cancel)

    def check_again(self, take: Take, segment: Segment | None = None,
                    cancel: CancelToken | None = None) -> Take:
        """Look again for the job of a take whose create's outcome is unknown: follow it when
        the provider lists exactly one; mark the take *not sent* when the list shows none;
        leave it ``UNKNOWN`` (with the reason) when the list cannot be read or several jobs
        match. Never sends anything. Blocking."""
        cancel = cancel or CancelToken()
        if take.status is not TakeStatus.UNKNOWN:
            return take
        request = self.request_of(take, segment)
        previous = (take.error or "").removeprefix(UNKNOWN_NOTE + ": ")
        answer = previous.split("; ")[0] if previous else "the create got no answer"
        resolved = self._resolve_unknown(take, request, cancel, answer)
        if resolved is not None:
            return resolved
        return self._finish(take, status=TakeStatus.NOT_SENT, sent_at=None, error=(
            "the provider lists no job from this create: nothing was billed; generate the "
            "segment again"), error_kind="not_sent")

    def forget(self, take: Take) -> Take:
        """The user's word on an ``UNKNOWN`` take: stop asking about it (it no longer blocks
        the segment, nor counts as possibly billed)."""
        if take.status is not TakeStatus.UNKNOWN:
            return take
        return self._finish(take, status=TakeStatus.FAILED, error=(
            f"{UNKNOWN_NOTE}; forgotten by the user — check the provider's bill"),
            error_kind="forgotten")

    def _resolve_unknown(self, take: Take, request: VideoRequest, cancel: CancelToken,
                         answer: str) -> Take | None:
        """A create went out at ``take.sent_at`` and its answer is unknown. Find the job this
        attempt made (made at or after the send, matching the request) and follow it.

        Returns the followed take; an ``UNKNOWN`` take when the list cannot be read or
        several jobs could be this one (nothing is resent, nothing guessed); None when the
        provider's list holds no such job (the create made nothing).
        """
        since = take.sent_at if take.sent_at is not None else take.updated_at
        for look in range(2):
            try:
                found = self._call(lambda: self.backend.find_jobs(
                    request, since, self._known_job_ids()), cancel)
            except _Abandoned:
                return self._stop_in_doubt(take, cancel, answer)
            except GenerationError as e:
                return self._unknown(take, f"{answer}; the provider's job list cannot be read "
                                           f"({e.message}), so it was not sent again")
            if len(found) == 1:
                log.info("take %s: found its job %s in the provider's list", take.id,
                         found[0].job_id)
                return self._follow(self._adopt(take, found[0]), request, cancel)
            if len(found) > 1:
                ids = ", ".join(st.job_id for st in found[:5])
                return self._unknown(take, f"{answer}; {len(found)} jobs at the provider could "
                                           f"be this create's ({ids}), so none was taken")
            if look == 0 and self.lookup_delay > 0 and cancel.wait(self.lookup_delay):
                return self._stop_in_doubt(take, cancel, answer)
        return None

    def _not_listed(self, take: Take, answer: str) -> Take:
        return self._unknown(take, f"{answer}; the provider's job list shows no job from this "
                                   "create yet, so it was not sent again (Check again, or Send "
                                   "again if it stays empty)")

    def _unknown(self, take: Take, why: str) -> Take:
        return self._finish(take, status=TakeStatus.UNKNOWN, error=f"{UNKNOWN_NOTE}: {why}",
                            error_kind="unknown")

    def _stop_in_doubt(self, take: Take, cancel: CancelToken, answer: str) -> Take:
        """Stopped while a create's outcome was unknown: a detach keeps the take for the next
        run (which looks it up); a cancel leaves it ``UNKNOWN`` for the user."""
        if cancel.detached:
            raise Interrupted("stopped while the create's outcome was unknown; the next run "
                              "looks for its job before anything is sent again")
        return self._unknown(take, f"{answer}; cancelled before its outcome was known")

    def _call(self, fn: Callable[[], _T], cancel: CancelToken) -> _T:
        """Run one blocking provider call so that a cancel takes effect within
        :data:`CANCEL_CHECK` seconds: the call runs on a daemon thread and, when the user
        stops, is abandoned (its answer ignored; the journal already says what may have
        happened). Raises :class:`_Abandoned`."""
        if cancel.cancelled:
            raise _Abandoned()
        box: list[tuple[bool, object]] = []
        done = threading.Event()

        def run() -> None:
            try:
                box.append((True, fn()))
            except BaseException as e:  # handed to the caller's thread below
                box.append((False, e))
            finally:
                done.set()

        threading.Thread(target=run, name="soraboard-call", daemon=True).start()
        while not done.wait(CANCEL_CHECK):
            if cancel.cancelled:
                raise _Abandoned()
        ok, value = box[0]
        if not ok:
            assert isinstance(value, BaseException)
            raise value
        return value  # type: ignore[return-value]

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
        last = self.bundle.resolve(r.last_frame_file) if r.last_frame_file else None
        return VideoRequest(r.prompt, r.model, r.size, r.seconds, ref,
                            segment.title if segment else "",
                            display_beats(segment) if segment else (), take.segment_id,
                            last_frame=last,
                            references=tuple(self.bundle.resolve(f) for f in r.reference_files))

    # ------------------------------------------------------------------ create
    def _known_job_ids(self) -> frozenset[str]:
        takes, _warnings = self.bundle.load_takes()
        return frozenset(t.job_id for t in takes.values() if t.job_id)

    def _adopt(self, take: Take, state: JobState) -> Take:
        return self._record(take, job_id=state.job_id, status=_take_status(state.status),
                            expires_at=state.expires_at, progress=state.progress)

    def _submit_and_follow(self, take: Take, request: VideoRequest, cancel: CancelToken,
                           send: Callable[[], JobState] | None = None) -> Take:
        request = dataclasses.replace(request, idempotency_key=take.idempotency_key)
        send = send or (lambda: self.backend.submit(request))
        attempt = 0
        while True:
            if cancel.cancelled:
                return self._not_sent(take, cancel)
            attempt += 1
            # Record the attempt before sending it: from here its outcome is in doubt.
            take = self._record(take, status=TakeStatus.PENDING, sent_at=time.time())
            try:
                state = self._call(send, cancel)
            except _Abandoned:
                return self._stop_in_doubt(take, cancel, "the create was in flight")
            except Transient as e:
                if e.ambiguous:
                    # Sent, answer unknown: the job may exist and be billed. Find it; never
                    # send it again by ourselves, even when the list shows nothing yet (a
                    # provider may list a job late): that is the user's call.
                    resolved = self._resolve_unknown(take, request, cancel, e.message)
                    return resolved if resolved is not None else \
                        self._not_listed(take, e.message)
                take = take.with_changes(sent_at=None)  # certainly not made
                if attempt >= self.create_attempts:
                    return self._fail(take, e, message=f"{e.message} (gave up after "
                                                       f"{attempt} attempts; nothing billed)")
                delay = self._delay(attempt, e.retry_after)
                log.info("take %s: create attempt %d failed (%s); retrying in %.2f s",
                         take.id, attempt, e.message, delay)
                take = self._record(take, error=f"retrying: {e.message}", error_kind=e.kind)
                cancel.wait(delay)
                continue
            except GenerationError as e:
                return self._fail(take.with_changes(sent_at=None), e)
            take = self._record(take, job_id=state.job_id, status=TakeStatus.SUBMITTED,
                                expires_at=state.expires_at, error=None, error_kind=None,
                                sent_at=None)
            return self._follow(take, request, cancel, first=state)

    def _not_sent(self, take: Take, cancel: CancelToken) -> Take:
        """Stopped with no create in doubt: nothing was billed, the segment starts afresh."""
        return self._finish(take, status=TakeStatus.NOT_SENT, sent_at=None,
                            error="stopped before the create was sent (not billed)"
                            if not cancel.detached else
                            "not sent: the run stopped first (not billed)",
                            error_kind="not_sent")

    # ------------------------------------------------------------------ poll + download
    def _expected_latency(self, model: str) -> float | None:
        """How long a job of ``model`` usually takes: learned in this process, else the
        catalog's typical latency, else unknown."""
        seen = self.latencies.get(model)
        if seen is not None:
            return seen
        spec = self.backend.capabilities(model)
        return None if spec is None else spec.typical_latency

    def _follow(self, take: Take, request: VideoRequest, cancel: CancelToken,
                first: JobState | None = None) -> Take:
        """Poll the job to its end (adaptively, :mod:`~soraboard.generation.polling`), then
        download it."""
        from soraboard.generation.polling import PollPlan

        assert take.job_id is not None
        state = first
        errors = 0
        plan = PollPlan(cap=self.backend.poll_interval,
                        expected=self._expected_latency(request.model))
        # Elapsed time counts from the create: now for a fresh job, the provider's own
        # created_at for a resumed one (when its clock looks sane).
        origin = time.monotonic()
        created = first.created_at if first is not None else None
        while True:
            if state is None or not state.status.is_terminal:
                if state is not None and created is None and state.created_at is not None:
                    created = state.created_at
                    age = time.time() - created
                    if 0 < age < 7 * 86400:
                        origin = min(origin, time.monotonic() - age)
                elapsed = time.monotonic() - origin
                if state is None:
                    wait = 0.0
                else:
                    plan.observe(elapsed, state.progress)
                    wait = plan.next_wait(elapsed)
                if cancel.wait(wait):
                    return self._stop(take, cancel)
                try:
                    state = self._call(functools.partial(self.backend.poll, take.job_id),
                                       cancel)
                    errors = 0
                except _Abandoned:
                    return self._stop(take, cancel)
                except ExpiredOrNotFound as e:
                    return self._fail(take, e, TakeStatus.EXPIRED,
                                      f"the provider no longer knows job {take.job_id}: "
                                      f"{e.message}")
                except GenerationError as e:
                    errors += 1
                    if errors > self.poll_error_limit or not isinstance(e, Transient):
                        raise Interrupted(f"stopped polling job {take.job_id}: {e.message}; "
                                          "it is kept and resumed next time") from None
                    delay = plan.throttled(e.retry_after) if e.throttled else \
                        self._delay(errors, e.retry_after)
                    cancel.wait(delay)
                    state = None
                    continue
                if state.status is JobStatus.COMPLETED:
                    self.latencies.learn(request.model, time.monotonic() - origin)
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
        if cancel.cancelled:
            return self._stop(take, cancel)
        take = self._record(take, status=TakeStatus.DOWNLOADING, progress=1.0)
        dest = self.bundle.media_dir / "takes" / f"{take.id}.mp4"
        last: GenerationError = DownloadFailed("no attempt was made")
        for attempt in range(1, self.download_attempts + 1):
            if attempt > 1 and cancel.wait(self._delay(attempt - 1, getattr(
                    last, "retry_after", None))):
                return self._stop(take, cancel)
            try:
                self._call(lambda: self.backend.download(job_id, request, dest), cancel)
            except _Abandoned:
                return self._stop(take, cancel)
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
        if isinstance(last, Transient):
            # Paid for and finished: keep it resumable, never make a new job for it.
            return self._finish(take, status=TakeStatus.UNDOWNLOADED, error=(
                f"finished, not downloaded: job {take.job_id} completed but its file could "
                f"not be fetched ({last.message}); the next run or Retry download fetches it "
                "without a new job"), error_kind="undownloaded")
        return self._fail(take, last, message=(
            f"the provider said job {take.job_id} completed, but no usable video could be "
            f"downloaded: {last.message}"))


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
    #: segment id → why its create's outcome is unknown (may be billed; never resent)
    unknown: dict[str, str] = field(default_factory=dict)
    #: segment id → its take that finished at the provider but is not downloaded yet
    undownloaded: dict[str, str] = field(default_factory=dict)
    adopted: dict[str, str] = field(default_factory=dict)  #: segment id → take id adopted
    #: when each take's job finished and when each successor's create was sent (benchmarks)
    timeline: list[tuple[float, str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.failures or self.interrupted or self.unknown or self.undownloaded)

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
                   overlay: Mapping[str, str] | None = None,
                   send_again: Collection[str] = ()) -> RunResult:
    """Generate ``segment_ids`` (and resume every journaled active take) with a thread pool.

    Blocking. Chained segments wait for their predecessor's take from this run; independent
    ones run in parallel up to the backend's concurrency. Every take whose create's outcome
    is unknown is checked again first (never resent); its segment is generated only when
    the provider shows no job was made, or when it is in ``send_again`` (the user's word).
    Used by the CLI, the tests and the benchmark; the GUI drives the same engine through
    ``soraboard.workers``.
    """
    from soraboard.generation.scheduler import decide, unknown_takes

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
    active = [t for t in takes.values() if t.status.is_resumable]
    active += [t for sid, t in unknown_takes(takes).items() if sid not in send_again]
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
                           failed, send_again)
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
                elif take.status is TakeStatus.NOT_SENT and not cancel.cancelled and \
                        sid in segs and sid not in pending:
                    # Nothing was made (a resumed take that never went out, or a checked
                    # unknown the provider does not list): generate the segment now.
                    pending.append(sid)
                    result.takes.pop(sid, None)
                elif take.status is TakeStatus.UNKNOWN:
                    from soraboard.generation.scheduler import unknown_message

                    result.unknown[sid] = unknown_message(take, sb.index_of(sid)) \
                        if sid in segs else take.error or ""
                    failed.add(sid)
                elif take.status is TakeStatus.UNDOWNLOADED:
                    result.undownloaded[sid] = take.error or take.status.value
                    failed.add(sid)
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
