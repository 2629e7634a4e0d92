"""Takes: one generation attempt (or one imported clip) for a segment.

A take is recorded by the generation engine in its own file, *before* the provider is called
and after every state change, so a crash never loses a paid job. Takes are outside the undo
history: undo can change which take a segment has chosen, never delete one.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from soraboard.model.storyboard import Segment


class TakeStatus(str, Enum):
    PENDING = "pending"  #: journaled, the create request is about to be sent (or was, unanswered)
    SUBMITTED = "submitted"  #: the provider answered the create with a job id
    QUEUED = "queued"
    RUNNING = "running"
    DOWNLOADING = "downloading"
    DONE = "done"  #: the file is on disk and probes as a video of the expected length
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    #: the create went out and no answer says whether a job was made: it may be billed, and
    #: it is never sent again without the user's word (check again, send again, forget)
    UNKNOWN = "unknown"
    #: stopped before any create went out: nothing billed, the segment simply starts next time
    NOT_SENT = "not_sent"
    #: the job completed (and is paid) but its file could not be fetched yet: the next run
    #: or "Retry download" fetches it without a new job, until the provider says it expired
    UNDOWNLOADED = "undownloaded"

    @property
    def is_active(self) -> bool:
        return self in _ACTIVE

    @property
    def is_resumable(self) -> bool:
        """Active, or finished at the provider and waiting to be downloaded: a run carries
        it on (never with a new create)."""
        return self in _ACTIVE or self is TakeStatus.UNDOWNLOADED

    @property
    def is_terminal(self) -> bool:
        return not self.is_active


_ACTIVE = frozenset(
    {TakeStatus.PENDING, TakeStatus.SUBMITTED, TakeStatus.QUEUED, TakeStatus.RUNNING,
     TakeStatus.DOWNLOADING}
)


class TakeSource(str, Enum):
    GENERATED = "generated"
    IMPORTED = "imported"


@dataclass(frozen=True)
class RequestSnapshot:
    """Exactly what was (or will be) sent: enough to tell later whether the take is stale."""

    prompt: str
    model: str
    size: str
    seconds: float
    reference_sha256: str | None = None
    reference_file: str | None = None  #: bundle-relative PNG actually sent
    upstream_take: str | None = None  #: the previous segment's take the reference came from
    last_frame_file: str | None = None  #: bundle-relative PNG sent as the last frame
    reference_files: tuple[str, ...] = ()  #: bundle-relative reference images sent
    #: the images the take was made from, as the storyboard named them, with their sha256
    #: when sent: (role, bundle-relative path, sha256), role one of :data:`INPUT_ROLES`.
    #: None for a record from before they were kept (its inputs are not compared)
    inputs: tuple[tuple[str, str, str], ...] | None = None


#: what a still was made for (:attr:`StillRecord.role`)
STILL_ROLES = ("boundary", "first", "last", "cast")

#: what an input image of a take is for, in the order staleness reports them
INPUT_ROLES = ("first keyframe", "last keyframe", "reference image")


def new_take_id() -> str:
    return "take_" + uuid.uuid4().hex[:12]


@dataclass(frozen=True)
class Take:
    id: str
    segment_id: str
    provider: str
    request: RequestSnapshot
    status: TakeStatus = TakeStatus.PENDING
    source: TakeSource = TakeSource.GENERATED
    job_id: str | None = None
    progress: float = 0.0  #: 0–1
    created_at: float = 0.0  #: unix time
    updated_at: float = 0.0
    completed_at: float | None = None
    expires_at: float | None = None
    cost: str | None = None  #: US dollars as a decimal string; None = unknown price
    file: str | None = None  #: bundle-relative path of the video
    media_duration: float | None = None  #: measured length of the file
    error: str | None = None
    error_kind: str | None = None  #: transient | rejected | auth | quota | expired | ...
    label: str = ""  #: e.g. the original file name of an imported clip
    #: set when the project was opened and the take's file was not there (never stored):
    #: the take is kept, but the segment counts as missing
    file_missing: bool = field(default=False, compare=False)
    #: when the last create went out whose outcome is not known yet (None: no create is in
    #: doubt — none was sent, or the provider answered it)
    sent_at: float | None = None

    @property
    def model(self) -> str:
        return self.request.model

    @property
    def usable(self) -> bool:
        """Has a file that the exporter and player can use."""
        return self.status is TakeStatus.DONE and self.file is not None and not self.file_missing

    @property
    def cost_value(self) -> Decimal | None:
        return None if self.cost is None else Decimal(self.cost)

    @property
    def billing(self) -> str:
        """``billed``, ``in_flight``, ``possibly`` or ``none`` — how this take counts against
        the budget.

        A cancelled or expired job that reached the provider may still be billed, so it counts
        as spent (money matters: we would rather over- than under-report); so does a finished
        job whose file is not downloaded yet. A create whose outcome is unknown is *possibly*
        billed. A failed job is assumed not billed; imported clips cost nothing.
        """
        if self.source is TakeSource.IMPORTED:
            return "none"
        if self.status is TakeStatus.UNDOWNLOADED:
            return "billed"
        if self.status.is_active:
            return "in_flight"
        if self.status is TakeStatus.DONE:
            return "billed"
        if self.status in (TakeStatus.CANCELLED, TakeStatus.EXPIRED) and self.job_id:
            return "billed"
        if self.status is TakeStatus.UNKNOWN or (
                self.status is TakeStatus.CANCELLED and self.sent_at is not None):
            return "possibly"
        return "none"

    @property
    def idempotency_key(self) -> str:
        """The ``Idempotency-Key`` every create of this take carries (the same on a resend),
        so a gateway that honours it makes one job however often the create arrives."""
        return f"soraboard-{self.id}"

    def with_changes(self, **changes: object) -> Take:
        return replace(self, **changes)  # type: ignore[arg-type]


def chosen_take(segment: Segment, takes: Mapping[str, Take]) -> Take | None:
    """The segment's chosen take, if it has one and its record is known."""
    return takes.get(segment.chosen_take) if segment.chosen_take else None


def uses_own_footage(segment: Segment, takes: Mapping[str, Take]) -> bool:
    """The segment uses footage the creator brought (a usable imported take): it costs
    nothing unless it is regenerated."""
    take = chosen_take(segment, takes)
    return take is not None and take.usable and take.source is TakeSource.IMPORTED


def new_still_id() -> str:
    return "still_" + uuid.uuid4().hex[:12]


@dataclass(frozen=True)
class StillRecord:
    """One keyframe still asked of an image model: what it cost and where it went.

    A still is a take of its slot (see :mod:`soraboard.model.still_slots`): making one again
    adds a record and never replaces one. Stills are paid like takes, so each is journaled in
    ``stills/<id>.json`` *before* the image model is called and again when it answered:
    the ledger counts a made still as spent, and one whose answer never came (a crash) as
    possibly billed.
    """

    id: str
    provider: str
    model: str
    size: str
    prompt: str
    #: pending (journaled, being asked) | done | failed (refused: not billed) | unknown (the
    #: answer was lost: may be billed) | not_downloaded (made, so billed, but unusable)
    status: str = "pending"
    cost: str | None = None  #: US dollars as a decimal string; None = unknown price
    file: str | None = None  #: bundle-relative PNG (known before the call: where it goes)
    sha256: str | None = None  #: of the PNG written
    created_at: float = 0.0
    error: str | None = None
    #: what the still was made for (its slot): ``boundary`` (the keyframe both shots of the
    #: boundary after ``segment_id`` meet on; ``next_segment_id`` is the shot after it),
    #: ``first`` or ``last`` (one segment's frame), ``cast`` (a cast sheet image), or None
    #: (a record from before slots were kept, and no name says more: in no slot's list)
    role: str | None = None
    segment_id: str | None = None
    next_segment_id: str | None = None
    #: the rest of the request, so the still can be asked for again exactly so: the
    #: reference images sent (bundle-relative), the cast names drawn on a placeholder, and
    #: the size asked of the image model when it differs from ``size``
    references: tuple[str, ...] = ()
    cast: tuple[str, ...] = ()
    api_size: str | None = None

    @property
    def cost_value(self) -> Decimal | None:
        return None if self.cost is None else Decimal(self.cost)

    @property
    def usable(self) -> bool:
        """Made, with a file to show and use."""
        return self.status == "done" and self.file is not None

    @property
    def billing(self) -> str:
        """``billed`` (made), ``possibly`` (sent, no answer recorded, or the answer lost) or
        ``none`` (refused or failed: assumed not billed, as for a failed take)."""
        return {"done": "billed", "not_downloaded": "billed", "pending": "possibly",
                "unknown": "possibly"}.get(self.status, "none")

    def with_changes(self, **changes: object) -> StillRecord:
        return replace(self, **changes)  # type: ignore[arg-type]
