"""The storyboard: pure, immutable dataclasses.

Every object here is frozen. An edit (see :mod:`soraboard.model.edits`) produces a new
storyboard; nothing mutates one in place. That keeps undo trivial, lets a background job hold
a snapshot without locks, and lets views compare by identity to skip work.

Takes (paid generation results) are *not* part of the storyboard: they live in a separate
ledger (:class:`soraboard.model.take.Take`, stored one file per take) so that undo can never
delete a paid result. A segment only names its chosen take.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from enum import Enum


class Continuity(str, Enum):
    """How a segment starts."""

    CHAIN = "chain"  #: start from a frame of the previous segment's chosen take
    INDEPENDENT = "independent"  #: a new shot


class RefMode(str, Enum):
    """Which frame of the previous take a chained segment starts from."""

    LAST = "last"  #: the true last frame
    SHARPEST = "sharpest"  #: the sharpest of the last few frames (variance of the Laplacian)
    AT_TIME = "at_time"  #: a frame the user picked, at ``Segment.ref_time`` seconds
    CUSTOM = "custom"  #: ``Segment.reference_image``, whatever the previous take is


class TransitionType(str, Enum):
    """The transitions the exporter can render (ffmpeg xfade / acrossfade)."""

    CUT = "cut"
    FADE_BLACK = "fade_black"
    FADE_WHITE = "fade_white"
    CROSSFADE = "crossfade"
    WIPE_LEFT = "wipe_left"
    WIPE_RIGHT = "wipe_right"
    SLIDE_LEFT = "slide_left"
    SLIDE_RIGHT = "slide_right"
    CIRCLE_OPEN = "circle_open"

    @property
    def label(self) -> str:
        return _TRANSITION_LABELS[self]


_TRANSITION_LABELS = {
    TransitionType.CUT: "Cut",
    TransitionType.FADE_BLACK: "Fade through black",
    TransitionType.FADE_WHITE: "Fade through white",
    TransitionType.CROSSFADE: "Crossfade",
    TransitionType.WIPE_LEFT: "Wipe left",
    TransitionType.WIPE_RIGHT: "Wipe right",
    TransitionType.SLIDE_LEFT: "Slide left",
    TransitionType.SLIDE_RIGHT: "Slide right",
    TransitionType.CIRCLE_OPEN: "Circle open",
}


@dataclass(frozen=True)
class Transition:
    """The transition at a boundary. A cut has duration 0."""

    type: TransitionType = TransitionType.CUT
    duration: float = 0.0

    def __post_init__(self) -> None:
        # Qt item data and JSON hand back plain strings: keep the enum, or fail here, early.
        kind: object = self.type
        if not isinstance(kind, TransitionType):
            object.__setattr__(self, "type", TransitionType(str(kind)))

    @property
    def is_cut(self) -> bool:
        return self.type is TransitionType.CUT or self.duration <= 0

    def describe(self) -> str:
        if self.is_cut:
            return "cut"
        return f"{self.type.label.lower()} {self.duration:g} s"


CUT = Transition()


@dataclass(frozen=True)
class Beat:
    """One timed action: ``[start–end s] text``."""

    start: float
    end: float
    text: str

    @property
    def length(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class DialogueLine:
    """One spoken line: who says it, the words, and when in the segment (seconds)."""

    speaker: str
    text: str
    start: float
    end: float

    @property
    def length(self) -> float:
        return self.end - self.start


class CastKind(str, Enum):
    """What a cast entry of the style bible is."""

    CHARACTER = "character"
    PROP = "prop"
    LOCATION = "location"


#: reference images one cast entry may hold (a "sheet": front, profile, full figure, one more)
MAX_CAST_IMAGES = 4


@dataclass(frozen=True)
class Character:
    """A cast entry: a person, a prop or a place. ``description`` goes into prompts;
    ``images`` (bundle-relative) go to models that take reference images, for every segment
    that lists the entry in its ``cast``."""

    name: str
    description: str
    kind: CastKind = CastKind.CHARACTER
    images: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        kind: object = self.kind
        if not isinstance(kind, CastKind):
            object.__setattr__(self, "kind", CastKind(str(kind)))


@dataclass(frozen=True)
class StyleBible:
    """What every composed prompt repeats, so the film looks like one film."""

    style: str = ""
    palette: str = ""
    characters: tuple[Character, ...] = ()
    negative: str = ""


def new_segment_id() -> str:
    """A fresh, unique, opaque segment id."""
    return "seg_" + uuid.uuid4().hex[:12]


@dataclass(frozen=True)
class Segment:
    """One generation call's worth of story (4–12 s on most models).

    ``transition_out`` is the transition into the *next* segment; the last segment's is
    kept (so appending a segment keeps it) but not rendered.
    """

    id: str
    model: str
    size: str
    duration: float
    title: str = ""
    scene: str = ""
    cinematography: str = ""
    actions: tuple[Beat, ...] = ()
    dialogue: tuple[DialogueLine, ...] = ()
    audio: str = ""
    trim_in: float = 0.0
    trim_out: float | None = None  #: None = the end of the clip
    continuity: Continuity = Continuity.INDEPENDENT
    ref_mode: RefMode = RefMode.LAST
    ref_time: float | None = None
    reference_image: str | None = None  #: bundle-relative path of an image
    #: the still the clip ends on (bundle-relative; imported or picked from a take), for
    #: models with last-frame input. When the next segment starts on the same still
    #: (its ``reference_image``), the boundary is held by a shared keyframe.
    last_keyframe: str | None = None
    #: reference images of people, props or places (bundle-relative), for models that take them
    references: tuple[str, ...] = ()
    #: names of the style bible's cast entries who appear (their images go as references)
    cast: tuple[str, ...] = ()
    #: a planner proposes holding the boundary after this segment with a keyframe still (a
    #: continuous scene, a model that can end on a still). Only an intent: nothing is made
    #: or sent until ``soraboard keyframes`` or "Make keyframes" acts on it.
    keyframe_proposed: bool = False
    chosen_take: str | None = None
    transition_out: Transition = CUT
    #: fingerprint of what a planner wrote here; a re-plan replaces the segment only while its
    #: content still matches (see soraboard.planner.replan). None: not a planner's segment.
    planned: str | None = None

    def __post_init__(self) -> None:
        continuity: object = self.continuity
        if not isinstance(continuity, Continuity):
            object.__setattr__(self, "continuity", Continuity(str(continuity)))
        ref_mode: object = self.ref_mode
        if not isinstance(ref_mode, RefMode):
            object.__setattr__(self, "ref_mode", RefMode(str(ref_mode)))

    def with_changes(self, **changes: object) -> Segment:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def is_chained(self) -> bool:
        return self.continuity is Continuity.CHAIN

    @property
    def first_keyframe(self) -> str | None:
        """The still the clip starts on, when it starts on one rather than on the previous
        take's frame: the custom image of an independent segment, or a CUSTOM chained one."""
        if self.reference_image and (not self.is_chained or self.ref_mode is RefMode.CUSTOM):
            return self.reference_image
        return None

    def prompt_is_empty(self) -> bool:
        return not (self.scene.strip() or self.cinematography.strip()
                    or any(b.text.strip() for b in self.actions)
                    or any(d.text.strip() for d in self.dialogue) or self.audio.strip())


#: Fields of :class:`Segment` a user may set through an edit (``id`` may not change).
SEGMENT_FIELDS: frozenset[str] = frozenset(
    f for f in Segment.__dataclass_fields__ if f != "id"
)


@dataclass(frozen=True)
class Storyboard:
    """The whole film: ordered segments, their transitions, the style bible and the budget."""

    title: str = "Untitled"
    default_model: str = "vertex_ai/veo-3.1-fast-generate-001"  #: catalog.DEFAULT_MODEL
    default_size: str = "1280x720"
    style: StyleBible = field(default_factory=StyleBible)
    budget: str | None = None  #: US dollars as a decimal string, None = no budget
    segments: tuple[Segment, ...] = ()

    @property
    def transitions(self) -> tuple[Transition, ...]:
        """One transition per boundary (``len(segments) - 1`` of them)."""
        return tuple(s.transition_out for s in self.segments[:-1])

    def index_of(self, segment_id: str) -> int:
        for i, s in enumerate(self.segments):
            if s.id == segment_id:
                return i
        raise KeyError(segment_id)

    def segment(self, segment_id: str) -> Segment:
        return self.segments[self.index_of(segment_id)]

    def has_segment(self, segment_id: str) -> bool:
        return any(s.id == segment_id for s in self.segments)

    def new_segment(self, **fields: object) -> Segment:
        """A draft segment with this storyboard's default model and size."""
        base: dict[str, object] = {
            "id": new_segment_id(),
            "model": self.default_model,
            "size": self.default_size,
            "duration": 4.0,
        }
        base.update(fields)
        return Segment(**base)  # type: ignore[arg-type]

    def held_by_keyframe(self, index: int) -> bool:
        """Whether the boundary after ``segments[index]`` is held by a shared keyframe: the
        segment ends on the still the next one starts on. The next segment then needs nothing
        from this one's clip, so both can be generated at once."""
        if not 0 <= index < len(self.segments) - 1:
            return False
        last = self.segments[index].last_keyframe
        return last is not None and last == self.segments[index + 1].first_keyframe

    def proposed_keyframes(self) -> list[int]:
        """Boundaries (index of the segment before) a planner proposed to hold with a
        keyframe still and that are not held yet."""
        return [i for i, s in enumerate(self.segments[:-1])
                if s.keyframe_proposed and not self.held_by_keyframe(i)]

    def cast_images(self, index: int) -> tuple[str, ...]:
        """The images of the cast entries ``segments[index]`` lists, each once."""
        by_name = {c.name.strip().lower(): c for c in self.style.characters}
        out: list[str] = []
        for name in self.segments[index].cast:
            entry = by_name.get(name.strip().lower())
            out += [] if entry is None else list(entry.images)
        return tuple(dict.fromkeys(out))

    def reference_images(self, index: int) -> tuple[str, ...]:
        """What ``segments[index]`` sends as reference images: its own, then the images of
        the cast entries it lists, each once, in that order."""
        return tuple(dict.fromkeys((*self.segments[index].references,
                                    *self.cast_images(index))))

    def waits_on_previous(self, index: int) -> bool:
        """Whether ``segments[index]`` needs its predecessor's clip (to start from one of its
        frames): chained, and the boundary is not held by a shared keyframe (keyframe mode:
        both shots meet the same still, so neither waits for the other)."""
        return 0 < index < len(self.segments) and self.segments[index].is_chained and \
            not self.held_by_keyframe(index - 1)

    def chain_after(self, index: int) -> list[int]:
        """Indices of the segments after ``index`` that continue from its clip, directly or
        not (a boundary held by a keyframe ends the chain)."""
        out: list[int] = []
        j = index + 1
        while j < len(self.segments) and self.waits_on_previous(j):
            out.append(j)
            j += 1
        return out
