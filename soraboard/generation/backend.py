"""The backend protocol: what the engine needs from a video provider.

A backend turns a :class:`VideoRequest` into a job (``submit``), reports on it (``poll``),
and fetches its file (``download``). It never retries a create by itself and never decides
when a take is done: the engine owns retries, the journal and the "probe the file" proof.
Backends raise only :mod:`soraboard.generation.errors` types.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from soraboard.catalog.catalog import Catalog, ModelSpec, parse_size


class JobStatus(str, Enum):
    """A provider job's state, normalised. Anything a server says that we do not know is
    ``RUNNING`` (LiteLLM says ``processing``): only explicit words end a job."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def is_terminal(self) -> bool:
        return self in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED,
                        JobStatus.EXPIRED)


_STATUS_WORDS = {
    "queued": JobStatus.QUEUED,
    "pending": JobStatus.QUEUED,
    "completed": JobStatus.COMPLETED,
    "succeeded": JobStatus.COMPLETED,
    "failed": JobStatus.FAILED,
    "cancelled": JobStatus.CANCELLED,
    "canceled": JobStatus.CANCELLED,
    "expired": JobStatus.EXPIRED,
}


def normalise_status(word: str | None) -> JobStatus:
    """Map a server's status word; unknown words (``in_progress``, ``processing`` …) run."""
    return _STATUS_WORDS.get((word or "").strip().lower(), JobStatus.RUNNING)


@dataclass(frozen=True)
class Beat:
    """A timed line of text (display only; the animatic draws it).

    A spoken line has a ``speaker``: the animatic shows it and says it in that speaker's
    scratch voice (``voice``: the speaker's place in the cast, so it is the same voice in
    every segment)."""

    start: float
    end: float
    text: str
    speaker: str | None = None
    voice: int = 0


@dataclass(frozen=True)
class VideoRequest:
    """Exactly what one generation call asks for.

    ``prompt``, ``model``, ``size`` and ``seconds`` go to the provider; ``reference`` is the
    first-frame PNG and ``last_frame`` the last-frame PNG (both already at exactly ``size``);
    ``references`` are images of people, props or places (any size). ``title``, ``beats``
    and ``key`` are display hints the animatic uses and real providers ignore. ``extra``
    holds fields the SDK's typed ``create`` would drop; when it is not empty the request
    goes out as JSON.
    """

    prompt: str
    model: str
    size: str
    seconds: float
    reference: Path | None = None
    title: str = ""
    beats: tuple[Beat, ...] = ()
    key: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: sent as ``Idempotency-Key``: the same for every create of one take
    idempotency_key: str = ""
    last_frame: Path | None = None
    references: tuple[Path, ...] = ()

    @property
    def width(self) -> int:
        return parse_size(self.size)[0]

    @property
    def height(self) -> int:
        return parse_size(self.size)[1]

    @property
    def seconds_text(self) -> str:
        """Seconds as the protocol wants them: a string, ``"4"`` not ``"4.0"``."""
        return f"{self.seconds:g}"


@dataclass(frozen=True)
class JobState:
    """One look at a provider job."""

    job_id: str
    status: JobStatus
    progress: float = 0.0  #: 0–1 (providers report it coarsely)
    error: str | None = None
    error_code: str | None = None
    created_at: float | None = None
    expires_at: float | None = None
    raw_status: str = ""
    prompt: str | None = None
    model: str | None = None
    size: str | None = None
    seconds: str | None = None


@runtime_checkable
class Backend(Protocol):
    """What a video provider offers the engine. Implementations must be thread-safe: the
    engine polls several jobs of one backend from several threads."""

    #: the provider profile's name, recorded in every take (``"animatic"`` for the offline one)
    name: str
    #: jobs in flight at once on this provider
    concurrency: int
    #: seconds between two polls of one job
    poll_interval: float

    def capabilities(self, model: str) -> ModelSpec | None:
        """The catalog's description of ``model`` on this backend (None = unknown model)."""
        ...

    def price(self, request: VideoRequest) -> Decimal | None:
        """What ``request`` costs in US dollars (None = unknown)."""
        ...

    def submit(self, request: VideoRequest) -> JobState:
        """Send one create. Exactly one attempt: the engine retries."""
        ...

    def poll(self, job_id: str) -> JobState:
        """The job's current state."""
        ...

    def download(self, job_id: str, request: VideoRequest, dest: Path) -> None:
        """Write the finished video to ``dest`` (via a temp file beside it, then rename)."""
        ...

    def find_jobs(self, request: VideoRequest, since: float,
                  exclude: frozenset[str] = frozenset()) -> list[JobState]:
        """Jobs the create of ``request`` sent at ``since`` (unix time) may have made — made
        at or after that moment (less a small clock allowance), matching the request, ids not
        in ``exclude`` — nearest first; used when a create's answer was lost. An empty list
        means no such job exists; raises a :class:`GenerationError` when it cannot look (a
        gateway without a job list)."""
        ...

    def can_remix(self, model: str) -> bool:
        """Whether :meth:`remix` is available for ``model``."""
        ...

    def remix(self, job_id: str, prompt: str) -> JobState:
        """One targeted change to a completed job (same model, size, seconds)."""
        ...


def unsupported(spec: ModelSpec | None, request: VideoRequest) -> str | None:
    """Why ``request`` asks for more than its model can take (None = it does not). The
    engine refuses such a request before anything is sent; ``validate`` says it earlier."""
    if spec is None:
        return None  # an unknown model: the provider decides
    if request.reference is not None and not spec.first_frame:
        return f"{spec.id} takes no first frame"
    if request.last_frame is not None and not spec.last_frame:
        return f"{spec.id} takes no last frame"
    if len(request.references) > spec.reference_images:
        return (f"{spec.id} takes {spec.reference_images} reference image(s), not "
                f"{len(request.references)}")
    return None


def catalog_price(catalog: Catalog, request: VideoRequest) -> Decimal | None:
    """The catalog's list price of a request: $/s for its size × seconds."""
    rate = catalog.price_per_second(request.model, request.size)
    return None if rate is None else rate * Decimal(str(request.seconds))
