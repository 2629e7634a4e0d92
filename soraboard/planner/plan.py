"""The planner's public API: ``plan_story(text, length_s, model, size) -> PlanResult``.

This is what the CLI's ``soraboard plan`` and the GUI's "New from story…" dialog call. It is
pure (no Qt, no threads); the LLM planner blocks on the network for up to its timeout, so the
GUI runs it in a worker job and shows ``PlanResult.notes`` beside the proposed segments.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from soraboard.catalog.catalog import Catalog, ModelSpec, default_catalog
from soraboard.catalog.validate import Problem, errors, validate
from soraboard.model.prompt import suggest_cast
from soraboard.model.storyboard import Storyboard
from soraboard.planner.config import PlannerConfig, load_planner_config
from soraboard.planner.offline import plan_offline
from soraboard.planner.replan import describe_boundaries, mark_planned
from soraboard.planner.shaping import durations_text
from soraboard.planner.story import StoryFormat, parse_story, read_story_file

PlannerChoice = Literal["auto", "offline", "llm"]


class PlanError(Exception):
    """The story could not be planned; the message says why in plain words."""


@dataclass(frozen=True)
class PlanResult:
    """A proposed storyboard and what the creator should know about it."""

    storyboard: Storyboard
    #: plain-words remarks: length not exact, story condensed, dialogue dropped, fallbacks …
    notes: tuple[str, ...] = ()
    planner: str = "offline"  #: which planner made it: "offline" or "llm"
    #: validation problems of the plan (never errors; warnings such as a retired model)
    problems: tuple[Problem, ...] = field(default_factory=tuple)
    #: set when the length asked for is too short for the story: the shortest honest length
    shortest_length: float | None = None

    @property
    def keyframes(self) -> list[int]:
        """Boundaries (index of the segment before) the plan proposes to hold with a keyframe
        still. A proposal only: the plan makes no still and spends nothing."""
        return self.storyboard.proposed_keyframes()


def resolve_model(model: str | None, size: str | None, catalog: Catalog
                  ) -> tuple[ModelSpec, str]:
    """The catalog entry and size to plan for; raises :class:`PlanError` for bad choices."""
    model = model or catalog.current_model()
    spec = catalog.get(model)
    if spec is None:
        raise PlanError(f"unknown model {model!r}; the catalog has: {', '.join(catalog)}")
    size = size or spec.sizes[0]
    if not spec.allows_size(size):
        raise PlanError(f"size {size} is not allowed by {spec.id} ({', '.join(spec.sizes)})")
    return spec, size


def plan_story(
    text: str,
    length_s: float,
    model: str | None = None,
    size: str | None = None,
    style: str | None = None,
    planner: PlannerChoice = "auto",
    *,
    title: str = "",
    default_title: str = "",
    story_format: StoryFormat | None = None,
    catalog: Catalog | None = None,
    config: PlannerConfig | None = None,
) -> PlanResult:
    """Plan a storyboard of about ``length_s`` seconds from a story or brief.

    ``planner``: "offline" needs nothing; "llm" uses the chat endpoint in the planner settings
    (``planner.json``) and raises :class:`PlanError` when it cannot; "auto" uses the LLM when an
    endpoint is configured and falls back to the offline planner (with a note) when it fails.
    The storyboard always validates without errors; segment durations are the model's allowed
    values and add up to ``length_s`` or the closest length they can make (a note says so).
    """
    catalog = catalog if catalog is not None else default_catalog()
    spec, size = resolve_model(model, size, catalog)
    if not text.strip():
        raise PlanError("the story is empty: write or paste a few sentences first")
    if not (length_s > 0) or length_s > 3600:
        raise PlanError(f"the length must be between 1 s and one hour, not {length_s:g} s")
    if length_s < min(spec.durations) / 2:
        raise PlanError(f"{length_s:g} s is shorter than {spec.id}'s shortest segment "
                        f"({durations_text(spec.durations)})")
    story = parse_story(text, story_format, title)
    if not story.scenes:
        raise PlanError("the story has no text to plan (only headings or notes)")
    title = story.title or default_title or "Untitled"

    notes: list[str] = []
    if planner not in ("auto", "offline", "llm"):
        raise PlanError(f"unknown planner {planner!r}: use auto, offline or llm")
    if config is None and planner != "offline":
        config, config_notes = load_planner_config()
        notes.extend(config_notes)  # a broken planner.json is worth a word, not a failure
    use_llm = planner == "llm" or (planner == "auto" and config is not None and config.configured)
    if use_llm:
        from soraboard.planner.llm import LlmError, plan_llm  # openai is heavy: load on use

        assert config is not None
        try:
            result = plan_llm(text, length_s, spec, size, style, config, title=story.title,
                              default_title=default_title)
        except LlmError as e:
            if planner == "llm":
                raise PlanError(str(e)) from None
            notes.append(f"the LLM planner failed ({e}); this plan is the offline planner's")
        else:
            return _checked(result.storyboard, notes + result.notes, "llm", catalog,
                            propose=False)
    try:
        plan = plan_offline(story, length_s, spec, size, style, title)
    except ValueError as e:
        raise PlanError(str(e)) from None
    return _checked(plan.storyboard, notes + plan.notes, "offline", catalog,
                    plan.shortest_length)


def propose_cast(sb: Storyboard) -> Storyboard:
    """Each segment that lists no cast gets the style bible's entries its prompt names
    (``suggest_cast``), so their reference images go with it once the user adds some."""
    chars = sb.style.characters
    return replace(sb, segments=tuple(
        s if s.cast else s.with_changes(cast=suggest_cast(s, chars)) for s in sb.segments))


def can_hold(sb: Storyboard, index: int, catalog: Catalog) -> str:
    """"" when the boundary after ``segments[index]`` may be held by a keyframe still in a
    plan, else why not: the next shot must continue the scene (chained), the shot before
    must be able to end on a still and the next to start on one."""
    if not 0 <= index < len(sb.segments) - 1:
        return "there is no boundary after the last segment"
    seg, nxt = sb.segments[index], sb.segments[index + 1]
    if not nxt.is_chained:
        return "the next segment is a new shot (a cut), not a continuous scene"
    spec, after = catalog.get(seg.model), catalog.get(nxt.model)
    if spec is None or not spec.last_frame:
        return f"{seg.model} cannot end on a still (no last-frame input)"
    if after is None or not after.first_frame:
        return f"{nxt.model} cannot start on a still"
    return ""


def propose_keyframes(sb: Storyboard, catalog: Catalog) -> Storyboard:
    """Every boundary inside a continuous scene whose models can meet on a still is proposed
    for a keyframe: both shots then hold the same frame and run at once, instead of the
    second waiting for the first's clip."""
    return replace(sb, segments=tuple(
        s.with_changes(keyframe_proposed=not can_hold(sb, i, catalog))
        for i, s in enumerate(sb.segments)))


def _proposal_notes(sb: Storyboard, catalog: Catalog) -> tuple[Storyboard, list[str]]:
    """Proposals a plan may not make are withdrawn (with a word); what it proposes, said."""
    notes: list[str] = []
    wrong = [(i, why) for i, s in enumerate(sb.segments)
             if s.keyframe_proposed and (why := can_hold(sb, i, catalog))]
    if wrong:
        sb = replace(sb, segments=tuple(
            s.with_changes(keyframe_proposed=False) if any(i == j for j, _w in wrong) else s
            for i, s in enumerate(sb.segments)))
        notes.append("keyframe proposals withdrawn: " + "; ".join(
            f"{i + 1}→{i + 2} ({why})" for i, why in wrong))
    held = sb.proposed_keyframes()
    if held:
        notes.append(
            f"proposed: keyframe stills for boundar{'ies' if len(held) > 1 else 'y'} "
            f"{describe_boundaries(held)} (inside a continuous scene, and the model can end "
            "on a still) — nothing is made or spent by the plan; 'soraboard keyframes' or "
            "Make keyframes makes them, and then those shots generate in parallel")
    return sb, notes


def _checked(sb: Storyboard, notes: list[str], planner: str, catalog: Catalog,
             shortest: float | None = None, *, propose: bool = True) -> PlanResult:
    sb = propose_cast(sb)
    if propose:  # the LLM planner proposes its own (checked in its validation)
        sb = propose_keyframes(sb, catalog)
    sb, proposals = _proposal_notes(sb, catalog)
    notes = notes + proposals
    sb = mark_planned(sb)  # so a later re-plan knows which segments are still untouched
    problems = validate(sb, catalog)
    bad = errors(problems)
    if bad:  # a planner bug, not the user's: say exactly what
        raise PlanError("the planned storyboard does not validate: "
                        + "; ".join(str(p) for p in bad[:3]))
    return PlanResult(sb, tuple(notes), planner, tuple(problems), shortest)


def plan_story_file(path: Path | str, length_s: float, model: str | None = None,
                    size: str | None = None, style: str | None = None,
                    planner: PlannerChoice = "auto", *, title: str = "",
                    catalog: Catalog | None = None,
                    config: PlannerConfig | None = None) -> PlanResult:
    """:func:`plan_story` on a ``.txt``, ``.md`` or ``.fountain`` file; the title is its name."""
    p = Path(path)
    try:
        text, fmt = read_story_file(p)
    except OSError as e:
        raise PlanError(f"{p}: cannot read the story ({e.strerror or e})") from None
    name = p.stem.replace("_", " ").replace("-", " ").strip()
    return plan_story(text, length_s, model, size, style, planner, title=title,
                      default_title=name[:1].upper() + name[1:], story_format=fmt,
                      catalog=catalog, config=config)
