"""Applying a planned storyboard to an open project: the re-plan diff, asked first, applied
as one undo step. Segments the user edited, wrote or generated are kept as they are."""

from __future__ import annotations

from collections.abc import Callable

from soraboard.document import Document
from soraboard.model.storyboard import Storyboard
from soraboard.planner.replan import Change, Replan, replan, untouched


def plan_diff(doc: Document, planned: Storyboard) -> Replan:
    generated = {t.segment_id for t in doc.takes.values()}
    return replan(doc.storyboard, planned, generated)


def apply_plan(doc: Document, planned: Storyboard,
               confirm: Callable[[str, str], bool]) -> bool:
    """Merge ``planned`` into the document after ``confirm(title, text)`` agreed to the diff.

    One undo step ("Plan from story"); False when the user said no or nothing would change.
    """
    from soraboard.model.edits import Macro, delete_segments, insert_segments, set_storyboard_field

    result = plan_diff(doc, planned)
    if not result.changes_anything:
        return False
    sb = doc.storyboard
    kept = sum(d.change is Change.KEEP for d in result.diff)
    if any(untouched(s) != "" or not s.prompt_is_empty() for s in sb.segments):
        # something of the user's or of an earlier plan is there: show what would change
        text = (f"The plan changes {result.changes} of the storyboard's segments"
                + (f" and keeps {kept} you edited, wrote or generated, exactly as they are"
                   if kept else "") + ":\n\n" + result.describe() + "\n\nApply it?")
        if not confirm("Apply the plan", text):
            return False
    merged = result.storyboard
    steps = []
    state = sb
    if sb.segments:  # each step is built on the storyboard the previous one leaves
        steps.append(delete_segments(state, [s.id for s in sb.segments]))
        state = steps[-1].apply(state)
    steps.append(insert_segments(state, 0, merged.segments, "Insert planned segments"))
    state = steps[-1].apply(state)
    steps.append(set_storyboard_field(state, "style", merged.style))
    doc.apply(Macro(tuple(steps), label="Plan from story"))
    changed = [merged.segments[d.position - 1].id for d in result.diff
               if d.change in (Change.REPLACE, Change.ADD)]
    doc.select(changed[:1] or [merged.segments[0].id])
    return True
