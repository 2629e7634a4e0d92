"""The LLM planner: any OpenAI-compatible chat endpoint plans the storyboard as JSON.

The endpoint (LiteLLM proxy, vLLM, Ollama's ``/v1``, a gateway) and model come from
``planner.json``; the key from the environment or the keyring. The answer must match
:data:`PLAN_SCHEMA`. An answer that does not parse or match — or whose durations are nowhere
near the model's — gets exactly one repair round-trip with the problems listed; then the
planner gives up with a message that says what was wrong. Durations close to an allowed value
are corrected (and the beats retimed), and the total is fitted to the target with as few
changes as possible; every correction is reported in the notes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from soraboard.catalog.catalog import ModelSpec
from soraboard.model.storyboard import (
    Beat,
    CastKind,
    Character,
    Continuity,
    Segment,
    Storyboard,
    StyleBible,
    Transition,
    TransitionType,
    new_segment_id,
)
from soraboard.model.timing import beat_problems, fmt_seconds
from soraboard.planner.config import (
    MissingKeyError,
    PlannerConfig,
    planner_api_key,
    planner_config_file,
)
from soraboard.planner.offline import DEFAULT_NEGATIVE, DEFAULT_STYLE
from soraboard.planner.shaping import (
    clamp_transition,
    closest_total,
    durations_text,
    fit_durations,
    format_dialogue,
    nearest_allowed,
    rescale_beats,
)


class LlmError(Exception):
    """The LLM planner could not produce a plan; the message says why, in plain words."""


_STR: dict[str, Any] = {"type": "string"}
_NUM: dict[str, Any] = {"type": "number"}

#: The JSON the chat model must return. Every property is required and no others are allowed,
#: which is what OpenAI-style strict structured outputs demand.
PLAN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["title", "style", "characters", "segments"],
    "properties": {
        "title": _STR,
        "style": {
            "type": "object",
            "additionalProperties": False,
            "required": ["style", "palette", "negative"],
            "properties": {"style": _STR, "palette": _STR, "negative": _STR},
        },
        "characters": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "kind", "description"],
                "properties": {"name": {"type": "string", "minLength": 1},
                               "kind": {"type": "string", "enum": [k.value for k in CastKind]},
                               "description": {"type": "string", "minLength": 1}},
            },
        },
        "segments": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["title", "duration", "scene", "cinematography", "actions",
                             "dialogue", "audio", "continuity", "transition_out", "cast",
                             "keyframe_out"],
                "properties": {
                    "title": _STR,
                    "duration": {"type": "number", "exclusiveMinimum": 0},
                    "scene": _STR,
                    "cinematography": _STR,
                    "actions": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["start", "end", "text"],
                            "properties": {"start": _NUM, "end": _NUM,
                                           "text": {"type": "string", "minLength": 1}},
                        },
                    },
                    "dialogue": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["speaker", "line"],
                            "properties": {"speaker": _STR,
                                           "line": {"type": "string", "minLength": 1}},
                        },
                    },
                    "audio": _STR,
                    "continuity": {"type": "string", "enum": ["chain", "independent"]},
                    "transition_out": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["type", "duration"],
                        "properties": {
                            "type": {"type": "string",
                                     "enum": [t.value for t in TransitionType]},
                            "duration": {"type": "number", "minimum": 0},
                        },
                    },
                    "cast": {"type": "array", "items": {"type": "string", "minLength": 1}},
                    "keyframe_out": {"type": "boolean"},
                },
            },
        },
    },
}


def schema_problems(value: Any, schema: Mapping[str, Any], path: str = "$") -> list[str]:
    """Where ``value`` breaks ``schema`` (the subset of JSON Schema that PLAN_SCHEMA uses).

    Written here rather than depending on ``jsonschema``: the schema is ours and small.
    """
    out: list[str] = []
    kind = schema.get("type")
    checks: dict[str, tuple[type, ...]] = {
        "object": (dict,), "array": (list,), "string": (str,), "boolean": (bool,),
        "number": (int, float), "integer": (int,),
    }
    if kind is not None:
        ok = isinstance(value, checks[kind]) and not (
            kind in ("number", "integer") and isinstance(value, bool))
        if not ok:
            return [f"{path}: expected {'an' if kind[0] in 'aeiou' else 'a'} {kind}, got "
                    f"{_json_type(value)}"]
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{path}: {value!r} is not one of {', '.join(map(str, schema['enum']))}")
    if kind == "string" and len(value) < schema.get("minLength", 0):
        out.append(f"{path}: must not be empty")
    if kind in ("number", "integer"):
        if "minimum" in schema and value < schema["minimum"]:
            out.append(f"{path}: must be at least {schema['minimum']}")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            out.append(f"{path}: must be more than {schema['exclusiveMinimum']}")
    if kind == "object":
        for key in schema.get("required", ()):
            if key not in value:
                out.append(f"{path}: missing {key!r}")
        props = schema.get("properties", {})
        for key, sub in props.items():
            if key in value:
                out.extend(schema_problems(value[key], sub, f"{path}.{key}"))
        if schema.get("additionalProperties") is False:
            extra = sorted(set(value) - set(props))
            if extra:
                out.append(f"{path}: unexpected {', '.join(map(repr, extra))}")
    if kind == "array":
        if len(value) < schema.get("minItems", 0):
            out.append(f"{path}: needs at least {schema['minItems']} item(s)")
        if "items" in schema:
            for i, item in enumerate(value):
                out.extend(schema_problems(item, schema["items"], f"{path}[{i}]"))
    return out


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    return "a number" if isinstance(value, (int, float)) else type(value).__name__


@dataclass
class LlmPlan:
    storyboard: Storyboard
    notes: list[str] = field(default_factory=list)


def system_prompt(spec: ModelSpec, size: str, length: float, style: str | None) -> str:
    total = closest_total(spec.durations, length)
    return "\n".join([
        "You are a film storyboard planner for an AI video model that makes one short clip "
        "per segment. Plan the user's story as segments and answer with JSON only, matching "
        "this JSON Schema exactly:",
        json.dumps(PLAN_SCHEMA, separators=(",", ":")),
        "",
        "Rules:",
        f"- Every segment's duration is one of {durations_text(spec.durations)} (model "
        f"{spec.id}); the durations add up to exactly {fmt_seconds(total)} s.",
        "- Cut at natural points: a scene change, a change of shot, a finished action. Never "
        "cut mid-action.",
        "- actions are timed beats inside the segment, start/end in seconds from 0 to the "
        "segment's duration, in order, not overlapping: about one beat per 4 seconds.",
        "- dialogue: at most one short line in a segment under 10 s, at most two short lines "
        "in a longer one; leave it empty when nobody speaks.",
        "- continuity: \"independent\" for the first segment and for a new location or a new "
        "shot; \"chain\" when the segment continues from the previous segment's last frame "
        "(the same place, the action carries on).",
        "- transition_out: \"cut\" with duration 0 inside a scene; at a scene change suggest "
        "\"crossfade\" or \"fade_black\" of 0.5 to 1 s, never more than half of the shorter "
        "neighbouring segment.",
        "- characters: the cast — every recurring character once (kind \"character\"), with a "
        "concrete visual description (age, build, hair, clothes), and recurring named or "
        "distinctive props and places (kind \"prop\" or \"location\"); use exactly the same "
        "name in every segment.",
        "- cast: the names, from characters, of everyone and everything that appears in the "
        "segment (also when its text only says \"he\" or \"the boat\"); nothing else.",
        ("- keyframe_out: true to hold the cut into the next segment with a shared keyframe "
         "still, only when the next segment is \"chain\" (the same continuous scene); "
         "false for the last segment." if spec.last_frame else
         f"- keyframe_out: always false ({spec.id} cannot end on a still)."),
        "- scene and cinematography: describe the place, time and light and the camera "
        "concretely in every segment (never empty); repeat the same environment wording in "
        "chained segments; chain only inside one continuous scene.",
        "- title: the story's title (a title line or title page) is the film's title, never "
        "a segment.",
        "- Keep the story's first and last moments in the plan whatever the length: meet "
        "the length by merging and shortening the middle, never by dropping the beginning "
        "or the end.",
        "- No real people, no logos, no on-screen text.",
        f"- Frame size {size}." + (f" Visual style: {style}." if style else ""),
    ])


def _extract_json(text: str) -> Any:
    body = text.strip()
    fence = re.match(r"^```(?:json)?\s*(.*?)\s*```$", body, re.DOTALL)
    if fence:
        body = fence.group(1)
    return json.loads(body)


@dataclass(frozen=True)
class StoryFacts:
    """What any plan of the story must keep: its title, its first and its last moment."""

    title: str = ""
    first: str = ""
    last: str = ""

    @classmethod
    def of(cls, text: str, title: str = "") -> StoryFacts:
        from soraboard.planner.beats import split_beats
        from soraboard.planner.scenes import split_prose_scenes
        from soraboard.planner.story import parse_story

        story = split_prose_scenes(parse_story(text, title=title))
        beats = split_beats(story)
        if not beats:
            return cls(story.title)
        return cls(story.title, beats[0].text, beats[-1].text)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9']+", text.lower()))


def _segment_words(seg: Mapping[str, Any]) -> set[str]:
    parts = [str(seg.get("scene", "")), str(seg.get("title", ""))]
    parts += [str(b.get("text", "")) for b in seg.get("actions", [])]
    parts += [str(d.get("line", "")) for d in seg.get("dialogue", [])]
    return _words(" ".join(parts))


def story_problems(data: Mapping[str, Any], facts: StoryFacts) -> list[str]:
    """Where a schema-valid answer breaks the story rules the offline planner keeps."""
    out: list[str] = []
    segments: Sequence[Mapping[str, Any]] = data["segments"]
    if facts.title:
        for i, seg in enumerate(segments):
            texts = [b["text"] for b in seg["actions"]]
            if len(texts) == 1 and _words(texts[0]) == _words(facts.title):
                out.append(f"segments[{i}] is the story's title ({facts.title!r}); the title "
                           "names the film, it is not a shot")
    for what, beat in (("first", facts.first), ("last", facts.last)):
        want = _words(beat)
        if want and not any(len(want & _segment_words(s)) >= 0.6 * len(want) for s in segments):
            out.append(f"the plan leaves out the story's {what} moment ({beat!r}); the "
                       "first and the last moments must both be in the plan — merge or "
                       "shorten the middle instead")
    for i, seg in enumerate(segments):
        if not seg["scene"].strip():
            out.append(f"segments[{i}].scene is empty: say where and when the shot is and "
                       "what the light is like")
    return out


def cast_problems(data: Mapping[str, Any], spec: ModelSpec) -> list[str]:
    """Where a schema-valid answer's cast lists and keyframe proposals break the rules: every
    name a segment lists is in ``characters``; a keyframe only where the model can end on a
    still and the next segment continues the scene."""
    out: list[str] = []
    names = {c["name"].strip().lower() for c in data["characters"]}
    segments: Sequence[Mapping[str, Any]] = data["segments"]
    for i, seg in enumerate(segments):
        unknown = [n for n in seg["cast"] if n.strip().lower() not in names]
        if unknown:
            out.append(f"segments[{i}].cast names {', '.join(map(repr, unknown))}, not in "
                       "characters: list only names from characters (or add them there)")
        if not seg["keyframe_out"]:
            continue
        if not spec.last_frame:
            out.append(f"segments[{i}].keyframe_out: {spec.id} cannot end on a still (no "
                       "last-frame input); set it to false")
        elif i == len(segments) - 1:
            out.append(f"segments[{i}].keyframe_out: the last segment has no next shot to "
                       "hold; set it to false")
        elif segments[i + 1]["continuity"] != "chain":
            out.append(f"segments[{i}].keyframe_out: segments[{i + 1}] is a new shot "
                       "(independent), not the same continuous scene; set it to false")
    return out


def _check_answer(content: str | None, spec: ModelSpec,
                  facts: StoryFacts | None = None) -> tuple[Any, list[str]]:
    """The parsed answer and what is wrong with it (empty when usable)."""
    if content is None or not content.strip():
        return None, ["the answer was empty"]
    try:
        data = _extract_json(content)
    except json.JSONDecodeError as e:
        return None, [f"the answer is not valid JSON ({e.msg} at line {e.lineno}, "
                      f"column {e.colno})"]
    problems = schema_problems(data, PLAN_SCHEMA)
    if problems:
        return data, problems[:12]
    for i, seg in enumerate(data["segments"]):
        d = float(seg["duration"])
        if _far(d, spec):
            problems.append(
                f"segments[{i}].duration: {fmt_seconds(d)} s is not one of {spec.id}'s "
                f"durations ({durations_text(spec.durations)}) and not close to one")
    if facts is not None:
        problems.extend(story_problems(data, facts))
    problems.extend(cast_problems(data, spec))
    return data, problems


def _far(duration: float, spec: ModelSpec) -> bool:
    """Too far from every allowed duration to correct silently (more than a quarter off)."""
    n = nearest_allowed(duration, spec.durations)
    return abs(duration - n) > max(1.0, 0.25 * n)


def plan_llm(
    text: str,
    length: float,
    spec: ModelSpec,
    size: str,
    style: str | None,
    config: PlannerConfig,
    title: str = "",
    default_title: str = "",
) -> LlmPlan:
    """Ask the configured chat endpoint for a plan; raises :class:`LlmError` when it cannot."""
    if not config.configured:
        raise LlmError(f"no LLM planner endpoint is configured: set base_url and model in "
                       f"{planner_config_file()}")
    try:
        key = planner_api_key(config)
    except MissingKeyError as e:
        raise LlmError(str(e)) from None

    import openai  # heavy: only when the LLM planner runs

    client = openai.OpenAI(base_url=config.base_url, api_key=key,
                           timeout=config.timeout_seconds or None,
                           max_retries=0)  # a retry doubles the wait; our repair is the retry
    messages: list[dict[str, str]] = [
        {"role": "system", "content": system_prompt(spec, size, length, style)},
        {"role": "user", "content": f"Target length: {fmt_seconds(length)} s.\n"
                                    f"Story:\n{text.strip()}"},
    ]
    extra: dict[str, Any] = {}
    if config.response_format == "json_schema":
        extra["response_format"] = {"type": "json_schema", "json_schema": {
            "name": "storyboard_plan", "schema": PLAN_SCHEMA, "strict": True}}
    elif config.response_format == "json_object":
        extra["response_format"] = {"type": "json_object"}

    notes: list[str] = []
    problems: list[str] = []
    facts = StoryFacts.of(text, title)
    for attempt in (1, 2):
        content = _ask(client, config, messages, extra)
        data, problems = _check_answer(content, spec, facts)
        if not problems:
            if attempt == 2:
                notes.append("the planner's first answer was invalid and was repaired")
            return _build(data, spec, size, length, style, title, default_title, notes)
        if attempt == 1:
            # one repair round-trip: show the model its answer and exactly what is wrong
            messages.append({"role": "assistant", "content": content or ""})
            messages.append({"role": "user", "content": (
                "Your answer cannot be used:\n- " + "\n- ".join(problems)
                + "\nAnswer again with the corrected JSON only, matching the schema.")})
    raise LlmError("the planner's answer was still invalid after one repair: "
                   + "; ".join(problems[:5]))


def _ask(client: Any, config: PlannerConfig, messages: list[dict[str, str]],
         extra: dict[str, Any]) -> str | None:
    import openai

    try:
        response = client.chat.completions.create(
            model=config.model, messages=messages, temperature=config.temperature, **extra)
    except openai.APITimeoutError:
        raise LlmError(f"the planner endpoint {config.base_url} did not answer within "
                       f"{fmt_seconds(config.timeout_seconds)} s") from None
    except openai.AuthenticationError:
        raise LlmError(f"the planner endpoint {config.base_url} refused the API key "
                       "(401); check the key in the environment or keyring") from None
    except openai.APIConnectionError as e:
        raise LlmError(f"cannot reach the planner endpoint {config.base_url} "
                       f"({type(e.__cause__ or e).__name__})") from None
    except openai.APIStatusError as e:
        raise LlmError(f"the planner endpoint {config.base_url} answered "
                       f"{e.status_code}: {_short(e.message)}") from None
    if not response.choices:
        raise LlmError("the planner endpoint answered with no choices")
    choice = response.choices[0]
    refusal = getattr(choice.message, "refusal", None)
    if refusal:
        raise LlmError(f"the planner model refused: {_short(refusal)}")
    if choice.finish_reason == "content_filter":
        raise LlmError("the planner model refused: its content filter stopped the answer")
    if choice.finish_reason == "length":
        raise LlmError("the planner's answer was cut off (it hit the model's output limit); "
                       "try a shorter story or a model with a longer output")
    content: str | None = choice.message.content
    return content


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _build(data: Mapping[str, Any], spec: ModelSpec, size: str, length: float,
           style: str | None, title: str, default_title: str, notes: list[str]) -> LlmPlan:
    raw_segments: Sequence[Mapping[str, Any]] = data["segments"]
    asked = [float(s["duration"]) for s in raw_segments]
    durations = [nearest_allowed(d, spec.durations) for d in asked]
    corrected = [(i, a, d) for i, (a, d) in enumerate(zip(asked, durations)) if a != d]
    if corrected:
        notes.append("durations corrected to the nearest allowed value: " + ", ".join(
            f"segment {i + 1} {fmt_seconds(a)} → {fmt_seconds(d)} s" for i, a, d in corrected))
    total = closest_total(spec.durations, length)
    if abs(total - length) > 1e-9:
        notes.append(f"{fmt_seconds(length)} s cannot be made from {spec.id}'s "
                     f"{durations_text(spec.durations)} segments; the plan aims at "
                     f"{fmt_seconds(total)} s, the closest length it can make")
    if abs(sum(durations) - total) > 1e-9:
        fitted = fit_durations(durations, spec.durations, total)
        if fitted is None:
            notes.append(f"the planned segments add up to {fmt_seconds(sum(durations))} s, "
                         f"not {fmt_seconds(total)} s; add or remove a segment")
        else:
            changed = [i for i, (a, b) in enumerate(zip(durations, fitted)) if a != b]
            notes.append(f"durations adjusted to add up to {fmt_seconds(total)} s: " + ", ".join(
                f"segment {i + 1} {fmt_seconds(durations[i])} → {fmt_seconds(fitted[i])} s"
                for i in changed))
            durations = fitted

    characters = []
    seen: dict[str, str] = {}  #: lower-case name → the bible's spelling
    for c in data["characters"]:
        name = c["name"].strip()
        if name and name.lower() not in seen:
            seen[name.lower()] = name
            characters.append(Character(name, c["description"].strip(), CastKind(c["kind"])))
    if characters:
        notes.append("cast proposed in the style bible: " + ", ".join(
            f"{c.name} ({c.kind.value})" for c in characters) + " — each segment lists "
            "the cast that appears in it, so their descriptions go into its prompt")
    bible_in = data["style"]
    bible = StyleBible(
        style=(style.strip() if style and style.strip()
               else bible_in["style"].strip() or DEFAULT_STYLE),
        palette=bible_in["palette"].strip(),
        characters=tuple(characters),
        negative=bible_in["negative"].strip() or DEFAULT_NEGATIVE,
    )

    segments: list[Segment] = []
    dropped = 0
    retimed: list[int] = []
    for i, (raw, duration) in enumerate(zip(raw_segments, durations)):
        beats = tuple(Beat(float(b["start"]), float(b["end"]), b["text"].strip())
                      for b in raw["actions"])
        span = max((b.end for b in beats), default=0.0)
        if beats and (abs(span - duration) > 1e-9 or beat_problems(beats, duration)):
            if beat_problems(beats, duration) or asked[i] != duration:
                retimed.append(i + 1)
            beats = rescale_beats(beats, span, duration)
        lines = [(d["speaker"].strip(), d["line"].strip()) for d in raw["dialogue"]]
        dialogue, n_dropped = format_dialogue(lines, duration)
        dropped += n_dropped
        continuity = Continuity(raw["continuity"]) if i > 0 else Continuity.INDEPENDENT
        tr_raw = raw["transition_out"]
        transition = Transition(TransitionType(tr_raw["type"]), float(tr_raw["duration"]))
        cast = tuple(dict.fromkeys(seen[n.strip().lower()] for n in raw["cast"]
                                   if n.strip().lower() in seen))
        segments.append(Segment(
            id=new_segment_id(), model=spec.id, size=size, duration=duration,
            title=raw["title"].strip()[:60], scene=raw["scene"].strip(),
            cinematography=raw["cinematography"].strip(), actions=beats, dialogue=dialogue,
            audio=raw["audio"].strip(), continuity=continuity, transition_out=transition,
            cast=cast, keyframe_proposed=bool(raw["keyframe_out"]),
        ))
    # transitions are only checked once both neighbours' durations are final
    for i in range(len(segments) - 1):
        seg = segments[i]
        tr = clamp_transition(seg.transition_out, seg.duration, segments[i + 1].duration)
        segments[i] = seg.with_changes(transition_out=tr)
    if retimed:
        notes.append("beats retimed to fit their segment: segment"
                     + ("s " if len(retimed) > 1 else " ") + ", ".join(map(str, retimed)))
    if dropped:
        notes.append(f"{dropped} line{'s' if dropped != 1 else ''} of dialogue did not fit "
                     "(one or two short lines per 12 s) and were left out")
    for seg_index, seg in enumerate(segments):
        if seg.prompt_is_empty():
            segments[seg_index] = seg.with_changes(scene=seg.title or "(describe this shot)")
    name = title or data["title"].strip() or default_title or "Untitled"
    sb = Storyboard(title=name, default_model=spec.id, default_size=size, style=bible,
                    segments=tuple(segments))
    return LlmPlan(sb, notes)
