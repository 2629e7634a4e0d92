"""Storyboards and takes to and from JSON-ready dicts.

Decoding checks every field's type and names the field path of the first problem, so a user
with a hand-edited or damaged file learns exactly where to look. Paths inside the bundle must
be relative and stay inside it; anything else is an error, never followed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, TypeVar

from soraboard.model.storyboard import (
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
)
from soraboard.model.take import RequestSnapshot, Take, TakeSource, TakeStatus
from soraboard.model.timing import BeatSyntaxError, format_beat, parse_beat
from soraboard.storage.errors import SchemaError

E = TypeVar("E", bound=Enum)
T = TypeVar("T")


def check_relative_path(value: str, where: str) -> str:
    """A bundle-relative path: no absolute path, drive, backslash trick or ``..``."""
    if not value or "\x00" in value:
        raise SchemaError(where, "an empty or invalid path")
    posix = PurePosixPath(value)
    win = PureWindowsPath(value)
    if posix.is_absolute() or win.is_absolute() or win.drive or value.startswith(("/", "\\")):
        raise SchemaError(where, f"the path {value!r} is absolute; paths must stay in the bundle")
    if ".." in posix.parts or ".." in win.parts:
        raise SchemaError(where, f"the path {value!r} escapes the bundle")
    return value


class _Obj:
    """A JSON object being decoded, with its path for error messages."""

    def __init__(self, value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise SchemaError(where, f"expected an object, found {_kind(value)}")
        self.d: dict[str, Any] = value
        self.where = where

    def at(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def _get(self, key: str, required: bool) -> Any:
        if key not in self.d or self.d[key] is None:
            if required:
                raise SchemaError(self.at(key), "a required field is missing")
            return None
        return self.d[key]

    def text(self, key: str, default: str | None = None) -> str:
        v = self._get(key, default is None)
        if v is None:
            assert default is not None
            return default
        if not isinstance(v, str):
            raise SchemaError(self.at(key), f"expected text, found {_kind(v)}")
        return v

    def opt_text(self, key: str) -> str | None:
        v = self._get(key, False)
        if v is not None and not isinstance(v, str):
            raise SchemaError(self.at(key), f"expected text, found {_kind(v)}")
        return v

    def num(self, key: str, default: float | None = None, minimum: float | None = 0.0) -> float:
        v = self._get(key, default is None)
        if v is None:
            assert default is not None
            return default
        return _number(v, self.at(key), minimum)

    def opt_num(self, key: str, minimum: float | None = 0.0) -> float | None:
        v = self._get(key, False)
        return None if v is None else _number(v, self.at(key), minimum)

    def flag(self, key: str, default: bool) -> bool:
        v = self._get(key, False)
        if v is None:
            return default
        if not isinstance(v, bool):
            raise SchemaError(self.at(key), f"expected true or false, found {_kind(v)}")
        return v

    def enum(self, key: str, cls: type[E], default: E | None = None) -> E:
        raw = self.text(key, None if default is None else default.value)
        try:
            return cls(raw)
        except ValueError:
            allowed = ", ".join(m.value for m in cls)
            raise SchemaError(self.at(key), f"{raw!r} is not one of: {allowed}") from None

    def obj(self, key: str, required: bool = False) -> _Obj | None:
        v = self._get(key, required)
        return None if v is None else _Obj(v, self.at(key))

    def items(self, key: str, item: Callable[[Any, str], T]) -> list[T]:
        v = self._get(key, False)
        if v is None:
            return []
        if not isinstance(v, list):
            raise SchemaError(self.at(key), f"expected a list, found {_kind(v)}")
        return [item(x, f"{self.at(key)}[{n}]") for n, x in enumerate(v)]

    def path(self, key: str) -> str | None:
        v = self.opt_text(key)
        return None if v is None else check_relative_path(v, self.at(key))

    def money(self, key: str) -> str | None:
        v = self._get(key, False)
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            raise SchemaError(self.at(key), f"expected an amount in dollars, found {_kind(v)}")
        try:
            d = Decimal(str(v))
        except InvalidOperation:
            raise SchemaError(self.at(key), f"{v!r} is not an amount in dollars") from None
        if not d.is_finite() or d < 0:
            raise SchemaError(self.at(key), "an amount must be 0 or more")
        return str(d)


def _kind(v: Any) -> str:
    if v is None:
        return "null"
    return {dict: "an object", list: "a list", str: "text", bool: "true/false",
            int: "a number", float: "a number"}.get(type(v), type(v).__name__)


def _number(v: Any, where: str, minimum: float | None) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise SchemaError(where, f"expected a number, found {_kind(v)}")
    f = float(v)
    if not math.isfinite(f):
        raise SchemaError(where, "expected a finite number")
    if minimum is not None and f < minimum:
        raise SchemaError(where, f"must be {minimum:g} or more, found {f:g}")
    return f


# --------------------------------------------------------------------------- storyboard


def transition_to_dict(t: Transition) -> dict[str, Any]:
    return {"type": t.type.value, "duration": t.duration}


def segment_to_dict(s: Segment) -> dict[str, Any]:
    return {
        "id": s.id,
        "title": s.title,
        "model": s.model,
        "size": s.size,
        "duration": s.duration,
        "prompt": {
            "scene": s.scene,
            "cinematography": s.cinematography,
            "actions": [format_beat(b) for b in s.actions],
            "dialogue": [{"speaker": d.speaker, "text": d.text, "start": d.start, "end": d.end}
                         for d in s.dialogue],
            "audio": s.audio,
        },
        "trim_in": s.trim_in,
        "trim_out": s.trim_out,
        "continuity": s.continuity.value,
        "reference": {"mode": s.ref_mode.value, "time": s.ref_time, "image": s.reference_image},
        "chosen_take": s.chosen_take,
        "transition_out": transition_to_dict(s.transition_out),
        **({"planned": s.planned} if s.planned else {}),
    }


def storyboard_to_dict(sb: Storyboard) -> dict[str, Any]:
    return {
        "title": sb.title,
        "default_model": sb.default_model,
        "default_size": sb.default_size,
        "budget": sb.budget,
        "style": {
            "style": sb.style.style,
            "palette": sb.style.palette,
            "characters": [{"name": c.name, "description": c.description}
                           for c in sb.style.characters],
            "negative": sb.style.negative,
        },
        "segments": [segment_to_dict(s) for s in sb.segments],
    }


def _beat(v: Any, where: str) -> Beat:
    if isinstance(v, str):
        try:
            return parse_beat(v)
        except BeatSyntaxError:
            raise SchemaError(where, f"{v!r} is not '[start–end s] text'") from None
    o = _Obj(v, where)
    return Beat(o.num("start"), o.num("end"), o.text("text", ""))


def _dialogue_line(v: Any, where: str) -> DialogueLine:
    o = _Obj(v, where)
    start = o.num("start", 0.0)
    end = o.num("end", start)
    if end < start:
        raise SchemaError(o.at("end"), "a line cannot end before it starts")
    return DialogueLine(o.text("speaker", ""), o.text("text"), start, end)


def _character(v: Any, where: str) -> Character:
    o = _Obj(v, where)
    return Character(o.text("name"), o.text("description", ""))


def transition_from(v: Any, where: str) -> Transition:
    o = _Obj(v, where)
    return Transition(o.enum("type", TransitionType, TransitionType.CUT), o.num("duration", 0.0))


def segment_from(v: Any, where: str) -> Segment:
    o = _Obj(v, where)
    prompt = o.obj("prompt") or _Obj({}, o.at("prompt"))
    ref = o.obj("reference") or _Obj({}, o.at("reference"))
    tr = o.obj("transition_out")
    duration = o.num("duration")
    if duration <= 0:
        raise SchemaError(o.at("duration"), "a segment must last more than 0 s")
    return Segment(
        id=o.text("id"),
        title=o.text("title", ""),
        model=o.text("model"),
        size=o.text("size"),
        duration=duration,
        scene=prompt.text("scene", ""),
        cinematography=prompt.text("cinematography", ""),
        actions=tuple(prompt.items("actions", _beat)),
        dialogue=tuple(prompt.items("dialogue", _dialogue_line)),
        audio=prompt.text("audio", ""),
        trim_in=o.num("trim_in", 0.0),
        trim_out=o.opt_num("trim_out"),
        continuity=o.enum("continuity", Continuity, Continuity.INDEPENDENT),
        ref_mode=ref.enum("mode", RefMode, RefMode.LAST),
        ref_time=ref.opt_num("time"),
        reference_image=ref.path("image"),
        chosen_take=o.opt_text("chosen_take"),
        transition_out=Transition() if tr is None else transition_from(tr.d, tr.where),
        planned=o.opt_text("planned"),
    )


def storyboard_from(v: Any, where: str = "storyboard") -> Storyboard:
    o = _Obj(v, where)
    style = o.obj("style") or _Obj({}, o.at("style"))
    segments = o.items("segments", segment_from)
    seen: dict[str, int] = {}
    for n, s in enumerate(segments):
        if s.id in seen:
            raise SchemaError(
                f"{o.at('segments')}[{n}].id",
                f"segment id {s.id!r} is used twice (also by segment {seen[s.id] + 1})")
        seen[s.id] = n
    return Storyboard(
        title=o.text("title", "Untitled"),
        default_model=o.text("default_model", "sora-2"),
        default_size=o.text("default_size", "1280x720"),
        budget=o.money("budget"),
        style=StyleBible(
            style=style.text("style", ""),
            palette=style.text("palette", ""),
            characters=tuple(style.items("characters", _character)),
            negative=style.text("negative", ""),
        ),
        segments=tuple(segments),
    )


# --------------------------------------------------------------------------- takes


def take_to_dict(t: Take) -> dict[str, Any]:
    r = t.request
    return {
        "id": t.id,
        "segment_id": t.segment_id,
        "provider": t.provider,
        "source": t.source.value,
        "status": t.status.value,
        "job_id": t.job_id,
        "progress": t.progress,
        "created_at": t.created_at,
        "updated_at": t.updated_at,
        "completed_at": t.completed_at,
        "expires_at": t.expires_at,
        "cost": t.cost,
        "file": t.file,
        "media_duration": t.media_duration,
        "error": t.error,
        "error_kind": t.error_kind,
        "label": t.label,
        "request": {
            "prompt": r.prompt,
            "model": r.model,
            "size": r.size,
            "seconds": r.seconds,
            "reference_sha256": r.reference_sha256,
            "reference_file": r.reference_file,
            "upstream_take": r.upstream_take,
        },
    }


def take_from(v: Any, where: str = "take") -> Take:
    o = _Obj(v, where)
    r = o.obj("request", required=True)
    assert r is not None
    return Take(
        id=o.text("id"),
        segment_id=o.text("segment_id"),
        provider=o.text("provider"),
        source=o.enum("source", TakeSource, TakeSource.GENERATED),
        status=o.enum("status", TakeStatus),
        job_id=o.opt_text("job_id"),
        progress=min(o.num("progress", 0.0), 1.0),
        created_at=o.num("created_at", 0.0),
        updated_at=o.num("updated_at", 0.0),
        completed_at=o.opt_num("completed_at"),
        expires_at=o.opt_num("expires_at"),
        cost=o.money("cost"),
        file=o.path("file"),
        media_duration=o.opt_num("media_duration"),
        error=o.opt_text("error"),
        error_kind=o.opt_text("error_kind"),
        label=o.text("label", ""),
        request=RequestSnapshot(
            prompt=r.text("prompt", ""),
            model=r.text("model"),
            size=r.text("size"),
            seconds=r.num("seconds"),
            reference_sha256=r.opt_text("reference_sha256"),
            reference_file=r.path("reference_file"),
            upstream_take=r.opt_text("upstream_take"),
        ),
    )
