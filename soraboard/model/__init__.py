"""The storyboard model: pure Python, no Qt, no I/O."""

from soraboard.model.edits import Edit, EditError
from soraboard.model.prompt import ComposedPrompt, compose_prompt
from soraboard.model.status import SegmentState, SegmentStatus, segment_status, stale_reason
from soraboard.model.storyboard import (
    CUT,
    Beat,
    Character,
    Continuity,
    DialogueLine,
    RefMode,
    Segment,
    Storyboard,
    StyleBible,
    Transition,
    TransitionType,
    new_segment_id,
)
from soraboard.model.take import RequestSnapshot, Take, TakeSource, TakeStatus, new_take_id

__all__ = [
    "CUT",
    "Beat",
    "Character",
    "ComposedPrompt",
    "Continuity",
    "DialogueLine",
    "Edit",
    "EditError",
    "RefMode",
    "RequestSnapshot",
    "Segment",
    "SegmentState",
    "SegmentStatus",
    "Storyboard",
    "StyleBible",
    "Take",
    "TakeSource",
    "TakeStatus",
    "Transition",
    "TransitionType",
    "compose_prompt",
    "new_segment_id",
    "new_take_id",
    "segment_status",
    "stale_reason",
]
