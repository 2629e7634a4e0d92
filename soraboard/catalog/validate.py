"""Validation of a storyboard against the model catalog, in plain words.

It lives beside the catalog because most rules are "does this model allow that"; the pure
structural rules (beats, trims, transitions) come from :mod:`soraboard.model.timing`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

from soraboard.catalog.catalog import Catalog, ModelSpec, default_catalog
from soraboard.catalog.cost import estimate, fmt_usd
from soraboard.model.dialogue import dialogue_problems
from soraboard.model.prompt import compose_prompt
from soraboard.model.storyboard import RefMode, Segment, Storyboard
from soraboard.model.take import StillRecord, Take, TakeSource, chosen_take
from soraboard.model.timing import beat_problems, clip_length, fmt_seconds, used_duration


class Severity(str, Enum):
    ERROR = "error"  #: generation or export would fail or waste money
    WARNING = "warning"  #: worth knowing; nothing breaks


@dataclass(frozen=True)
class Problem:
    message: str
    segment_index: int | None = None  #: 0-based; None for the storyboard as a whole
    segment_id: str | None = None
    segment_title: str = ""
    field: str | None = None  #: the segment field to look at, for the inspector
    severity: Severity = Severity.ERROR

    @property
    def where(self) -> str:
        if self.segment_index is None:
            return "Storyboard"
        title = f" “{self.segment_title}”" if self.segment_title else ""
        return f"Segment {self.segment_index + 1}{title}"

    def __str__(self) -> str:
        tag = "warning: " if self.severity is Severity.WARNING else ""
        return f"{self.where}: {tag}{self.message}"


def validate(
    sb: Storyboard,
    catalog: Catalog | None = None,
    takes: Mapping[str, Take] | None = None,
    stills: Mapping[str, StillRecord] | None = None,
) -> list[Problem]:
    """Every problem with the storyboard, in segment order, storyboard-wide ones last.
    ``stills`` (the bundle's still records) count in the budget check, as in the estimate."""
    catalog = catalog if catalog is not None else default_catalog()
    takes = takes or {}
    problems: list[Problem] = []
    retired: dict[str, list[int]] = {}

    for i, seg in enumerate(sb.segments):
        def add(msg: str, field: str | None = None, severity: Severity = Severity.ERROR,
                i: int = i) -> None:
            s = sb.segments[i]
            problems.append(Problem(msg, i, s.id, s.title, field, severity))

        chosen = chosen_take(seg, takes)
        imported = chosen is not None and chosen.source is TakeSource.IMPORTED
        if chosen is not None and chosen.file_missing:
            add(f"the chosen take's file {chosen.file} is missing: generate the segment again "
                "or choose another take", "chosen_take")
            imported = False  # its footage is gone: judged as the prompt it would generate

        if seg.prompt_is_empty() and not imported:
            add("the prompt is empty: describe the scene or add an action", "scene")
        spec = catalog.get(seg.model)
        if spec is None:
            if not imported:
                add(f"unknown model {seg.model!r}: pick one from the catalog or add it to "
                    "models.json", "model")
        else:
            if not imported and not spec.allows_duration(seg.duration):
                add(f"duration {fmt_seconds(seg.duration)} s is not allowed by {spec.id} "
                    f"({spec.durations_text()})", "duration")
            if not imported and not spec.allows_size(seg.size):
                add(f"size {seg.size} is not allowed by {spec.id} ({', '.join(spec.sizes)})",
                    "size")
            if spec.retired and not imported:
                retired.setdefault(spec.id, []).append(i + 1)
            if spec.prompt_max_chars is not None and not imported:
                prompt_len = compose_prompt(sb, i).length
                if prompt_len > spec.prompt_max_chars:
                    add(f"the composed prompt is {prompt_len} characters; {spec.id} accepts "
                        f"{spec.prompt_max_chars}", "scene")
            if not imported:
                _keyframe_problems(catalog, seg, len(sb.reference_images(i)), spec, add)
            if seg.is_chained and i > 0 and not spec.first_frame:
                add(f"{spec.id} cannot start from a reference frame, so the chain is "
                    "text-only", "continuity", Severity.WARNING)

        if seg.is_chained and i == 0:
            add("the first segment is chained, but there is nothing before it to continue "
                "from: make it independent", "continuity")
        if seg.ref_mode is RefMode.CUSTOM and not seg.reference_image:
            add("the reference is set to a custom image, but no image is chosen",
                "reference_image")
        if seg.ref_mode is RefMode.AT_TIME and seg.is_chained and seg.ref_time is None:
            add("the reference is a picked frame, but no time is picked", "ref_time")

        length = clip_length(seg, takes)
        t_out = length if seg.trim_out is None else seg.trim_out
        if seg.trim_in < 0 or seg.trim_in >= length:
            add(f"trim in {fmt_seconds(seg.trim_in)} s is outside the "
                f"{fmt_seconds(length)} s clip", "trim_in")
        elif t_out > length + 1e-9 or t_out <= seg.trim_in:
            add(f"trim out {fmt_seconds(t_out)} s must be after trim in "
                f"{fmt_seconds(seg.trim_in)} s and within the {fmt_seconds(length)} s clip",
                "trim_out")

        for msg in beat_problems(seg.actions, seg.duration):
            add(msg, "actions")
        # dialogue that cannot be said in its time is the creator's call: a warning
        for msg in dialogue_problems(seg.dialogue, seg.duration):
            add(msg, "dialogue", Severity.WARNING)
        cast = {c.name.strip().lower() for c in sb.style.characters if c.name.strip()}
        strangers = sorted({d.speaker for d in seg.dialogue if cast and d.speaker.strip()
                            and d.speaker.strip().lower() not in cast})
        unknown_cast = sorted({n for n in seg.cast if n.strip().lower() not in cast})
        if unknown_cast:
            add(f"the cast lists {', '.join(unknown_cast)}, not in the style bible, so no "
                "reference images go with them", "cast", Severity.WARNING)
        if strangers:
            add(f"{', '.join(strangers)} speak{'s' if len(strangers) == 1 else ''} but "
                f"{'is' if len(strangers) == 1 else 'are'} not in the style bible's cast",
                "dialogue", Severity.WARNING)

        if i + 1 < len(sb.segments):
            tr = seg.transition_out
            if tr.duration < 0:
                add("the transition into the next segment has a negative duration",
                    "transition_out")
            elif not tr.is_cut:
                nxt = sb.segments[i + 1]
                mine, theirs = used_duration(seg, takes), used_duration(nxt, takes)
                limit = min(mine, theirs) / 2
                if tr.duration > limit + 1e-9:
                    add(f"the {tr.describe()} into segment {i + 2} is longer than half of "
                        f"the shorter neighbour ({fmt_seconds(limit)} s)", "transition_out")

    by_date: dict[str, list[str]] = {}
    for model_id, used_by in retired.items():
        date = catalog[model_id].retired or ""
        by_date.setdefault(date, []).append(f"{model_id} (segments {_ranges(used_by)})")
    for date, names in by_date.items():
        verb = "was" if len(names) == 1 else "were"
        problems.append(Problem(
            f"{' and '.join(names)} {verb} retired upstream on {date}; only a gateway that "
            "still routes these names can make them — or rehearse for free with the animatic "
            "backend", field="model", severity=Severity.WARNING))
    report = estimate(sb, catalog, takes, stills=stills)
    if report.budget is not None and report.estimate.known > report.budget:
        problems.append(Problem(
            f"the estimate {fmt_usd(report.estimate.known)} is over the budget "
            f"{fmt_usd(report.budget)} by {fmt_usd(report.estimate.known - report.budget)}",
            field="budget"))
    if report.estimate.unknown:
        n = report.estimate.unknown
        problems.append(Problem(
            f"{n} segment{'s' if n != 1 else ''} use a model or size with no known price; "
            "the estimate is incomplete", severity=Severity.WARNING))
    return problems


def _keyframe_problems(catalog: Catalog, seg: Segment, n: int, spec: ModelSpec,
                       add: Callable[[str, str], None]) -> None:
    """Stills the segment asks for that its model cannot take: a validation error, so no
    request the provider would refuse (or a model would silently ignore) is ever paid for."""
    def able(what: Callable[[ModelSpec], bool]) -> str:
        names = [m.id for m in catalog.values() if what(m) and not m.retired]
        return f" ({', '.join(names[:4])})" if names else ""

    if seg.first_keyframe and not spec.first_frame:
        add(f"{spec.id} cannot start on a still: remove the first keyframe or pick a model "
            f"with first-frame input{able(lambda m: m.first_frame)}", "reference_image")
    why = catalog.limits.get(spec.id)
    if seg.last_keyframe and not spec.last_frame:
        if why:  # the model can; the provider's request shape cannot carry it there
            add(f"{spec.id} cannot end on a still through this provider: {why}. Remove the "
                f"last keyframe or pick a model it can send one to"
                f"{able(lambda m: m.last_frame)}", "last_keyframe")
        else:
            add(f"{spec.id} cannot end on a still: remove the last keyframe or pick a model "
                f"with last-frame input{able(lambda m: m.last_frame)}", "last_keyframe")
    if n > spec.reference_images:
        takes = f"takes at most {spec.reference_images}" if spec.reference_images else \
            "takes no reference images"
        if why:
            takes += f" through this provider ({why})"
        add(f"{n} reference image{'s' if n != 1 else ''} (its own and its cast's), but "
            f"{spec.id} {takes}: remove "
            f"{n - spec.reference_images} or pick a model that takes "
            f"{n}{able(lambda m: m.reference_images >= n)}", "references")


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 5] → "1–3, 5"."""
    out: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append(str(start) if start == prev else f"{start}–{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(out)


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity is Severity.ERROR]


def blocking_problems(sb: Storyboard, catalog: Catalog, takes: Mapping[str, Take],
                      segment_ids: Iterable[str]) -> list[Problem]:
    """The errors that stop generating ``segment_ids``: what would be sent. A problem with the
    take being replaced (its file is missing) is what generating fixes, so it does not count."""
    wanted = set(segment_ids)
    return [p for p in validate(sb, catalog, takes)
            if p.severity is Severity.ERROR and p.segment_id in wanted
            and p.field != "chosen_take"]
