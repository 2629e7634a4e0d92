"""Storyboards and takes to and from JSON-ready dicts.

Decoding checks every field's type and names the field path of the first problem, so a user
with a hand-edited or damaged file learns exactly where to look. Paths inside the bundle must
be relative and stay inside it; anything else is an error, never followed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, TypeVar

from soraboard.model.storyboard import (
    MAX_CAST_IMAGES,
    Beat,
    CastKind,
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
from soraboard.model.take import (
    INPUT_ROLES,
    STILL_ROLES,
    RequestSnapshot,
    StillRecord,
    Take,
    TakeSource,
    TakeStatus,
)
from soraboard.model.timing import BeatSyntaxError, format_beat, parse_beat
from soraboard.redact import redact
from soraboard.storage.errors import SchemaError

#: the longest text a field may hold: a prompt section is a few hundred words; a file with a
#: 50 MB prompt is damaged or hostile, and the editor could not show it
MAX_TEXT = 100_000
#: the longest media time in seconds (a day): longer is a damaged number, not a clip
MAX_SECONDS = 86_400.0
#: numbers above this (timestamps are ~1.8e9) are damaged, and overflow what uses them
MAX_NUMBER = 1e12
#: the largest amount of money a project may record, in dollars
MAX_DOLLARS = Decimal(10) ** 9
_SURROGATE = re.compile("[\ud800-\udfff]")

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
        return _checked_text(v, self.at(key))

    def opt_text(self, key: str) -> str | None:
        v = self._get(key, False)
        if v is not None and not isinstance(v, str):
            raise SchemaError(self.at(key), f"expected text, found {_kind(v)}")
        return None if v is None else _checked_text(v, self.at(key))

    def num(self, key: str, default: float | None = None, minimum: float | None = 0.0,
            maximum: float = MAX_NUMBER) -> float:
        v = self._get(key, default is None)
        if v is None:
            assert default is not None
            return default
        return _number(v, self.at(key), minimum, maximum)

    def opt_num(self, key: str, minimum: float | None = 0.0,
                maximum: float = MAX_NUMBER) -> float | None:
        v = self._get(key, False)
        return None if v is None else _number(v, self.at(key), minimum, maximum)

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
            raise SchemaError(self.at(key), f"{_shown(raw)} is not one of: {allowed}") from None

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
        if d >= MAX_DOLLARS or (d != 0 and d.adjusted() < -12):
            raise SchemaError(self.at(key), f"{_shown(str(v))} is not a plausible amount in "
                                            "dollars (at most $999,999,999.99)")
        return str(d)


def _kind(v: Any) -> str:
    if v is None:
        return "null"
    return {dict: "an object", list: "a list", str: "text", bool: "true/false",
            int: "a number", float: "a number"}.get(type(v), type(v).__name__)


def _shown(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _checked_text(v: str, where: str) -> str:
    if len(v) > MAX_TEXT:
        raise SchemaError(where, f"the text is {len(v):,} characters long; the limit is "
                                 f"{MAX_TEXT:,}")
    m = _SURROGATE.search(v)
    if m is not None:
        raise SchemaError(where, f"the text holds an invalid character (an unpaired surrogate "
                                 f"U+{ord(m.group()):04X} at character {m.start() + 1})")
    return v


def _number(v: Any, where: str, minimum: float | None, maximum: float = MAX_NUMBER) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise SchemaError(where, f"expected a number, found {_kind(v)}")
    try:
        f = float(v)
    except OverflowError:  # an integer with hundreds of digits
        raise SchemaError(where, "the number is far too large") from None
    if not math.isfinite(f):
        raise SchemaError(where, "expected a finite number")
    if minimum is not None and f < minimum:
        raise SchemaError(where, f"must be {minimum:g} or more, found {f:g}")
    if f > maximum or f < -MAX_NUMBER:
        raise SchemaError(where, f"must be at most {maximum:g}, found {f:g}")
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
        "reference": {"mode": s.ref_mode.value, "time": s.ref_time, "image": s.reference_image,
                      **({"last_image": s.last_keyframe} if s.last_keyframe else {}),
                      **({"images": list(s.references)} if s.references else {})},
        "chosen_take": s.chosen_take,
        "transition_out": transition_to_dict(s.transition_out),
        **({"planned": s.planned} if s.planned else {}),
        **({"cast": list(s.cast)} if s.cast else {}),
        **({"keyframe_proposed": True} if s.keyframe_proposed else {}),
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
            "characters": [{"name": c.name, "description": c.description,
                            **({"kind": c.kind.value} if c.kind is not CastKind.CHARACTER
                               else {}),
                            **({"images": list(c.images)} if c.images else {})}
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
    return Beat(o.num("start", maximum=MAX_SECONDS), o.num("end", maximum=MAX_SECONDS),
                o.text("text", ""))


def _dialogue_line(v: Any, where: str) -> DialogueLine:
    o = _Obj(v, where)
    start = o.num("start", 0.0)
    end = o.num("end", start)
    if end < start:
        raise SchemaError(o.at("end"), "a line cannot end before it starts")
    return DialogueLine(o.text("speaker", ""), o.text("text"), start, end)


def _name(v: Any, where: str) -> str:
    if not isinstance(v, str) or not v.strip():
        raise SchemaError(where, "expected a name")
    return v


def _relative_path(v: Any, where: str) -> str:
    if not isinstance(v, str):
        raise SchemaError(where, "expected a path")
    return check_relative_path(v, where)


def _character(v: Any, where: str) -> Character:
    o = _Obj(v, where)
    images = tuple(o.items("images", _relative_path))
    if len(images) > MAX_CAST_IMAGES:
        raise SchemaError(o.at("images"), f"at most {MAX_CAST_IMAGES} images per cast entry")
    return Character(o.text("name"), o.text("description", ""),
                     o.enum("kind", CastKind, CastKind.CHARACTER), images)


def transition_from(v: Any, where: str) -> Transition:
    o = _Obj(v, where)
    return Transition(o.enum("type", TransitionType, TransitionType.CUT),
                      o.num("duration", 0.0, maximum=MAX_SECONDS))


def segment_from(v: Any, where: str) -> Segment:
    o = _Obj(v, where)
    prompt = o.obj("prompt") or _Obj({}, o.at("prompt"))
    ref = o.obj("reference") or _Obj({}, o.at("reference"))
    tr = o.obj("transition_out")
    duration = o.num("duration", maximum=MAX_SECONDS)
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
        trim_in=o.num("trim_in", 0.0, maximum=MAX_SECONDS),
        trim_out=o.opt_num("trim_out", maximum=MAX_SECONDS),
        continuity=o.enum("continuity", Continuity, Continuity.INDEPENDENT),
        ref_mode=ref.enum("mode", RefMode, RefMode.LAST),
        ref_time=ref.opt_num("time", maximum=MAX_SECONDS),
        reference_image=ref.path("image"),
        last_keyframe=ref.path("last_image"),
        references=tuple(ref.items("images", _relative_path)),
        chosen_take=o.opt_text("chosen_take"),
        transition_out=Transition() if tr is None else transition_from(tr.d, tr.where),
        planned=o.opt_text("planned"),
        cast=tuple(o.items("cast", _name)),
        keyframe_proposed=o.flag("keyframe_proposed", False),
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
        "error": redact(t.error) if t.error else t.error,
        "error_kind": t.error_kind,
        "label": t.label,
        "sent_at": t.sent_at,
        "request": {
            "prompt": r.prompt,
            "model": r.model,
            "size": r.size,
            "seconds": r.seconds,
            "reference_sha256": r.reference_sha256,
            "reference_file": r.reference_file,
            "upstream_take": r.upstream_take,
            **({"last_frame_file": r.last_frame_file} if r.last_frame_file else {}),
            **({"reference_files": list(r.reference_files)} if r.reference_files else {}),
            **({"inputs": [list(i) for i in r.inputs]} if r.inputs is not None else {}),
        },
    }


def _sent_at(o: _Obj) -> float | None:
    """A record from before ``sent_at`` existed: a pending take without a job id may have
    sent its create (the old engine wrote it just before sending)."""
    if "sent_at" in o.d:
        return o.opt_num("sent_at")
    if o.d.get("status") == "pending" and not o.d.get("job_id"):
        return o.num("updated_at", 0.0) or o.num("created_at", 0.0)
    return None


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
        media_duration=o.opt_num("media_duration", maximum=MAX_SECONDS),
        error=o.opt_text("error"),
        error_kind=o.opt_text("error_kind"),
        label=o.text("label", ""),
        sent_at=_sent_at(o),
        request=RequestSnapshot(
            prompt=r.text("prompt", ""),
            model=r.text("model"),
            size=r.text("size"),
            seconds=r.num("seconds", maximum=MAX_SECONDS),
            reference_sha256=r.opt_text("reference_sha256"),
            reference_file=r.path("reference_file"),
            upstream_take=r.opt_text("upstream_take"),
            last_frame_file=r.path("last_frame_file"),
            reference_files=tuple(r.items("reference_files", _relative_path)),
            inputs=tuple(r.items("inputs", _input)) if "inputs" in r.d else None,
        ),
    )


def _input(v: Any, where: str) -> tuple[str, str, str]:
    """An image a take was made from: ``[role, bundle-relative path, sha256]``."""
    if (not isinstance(v, list) or len(v) != 3
            or not all(isinstance(x, str) for x in v)):
        raise SchemaError(where, "expected [role, path, sha256]")
    if v[0] not in INPUT_ROLES:
        raise SchemaError(where, f"{_shown(v[0])} is not one of: {', '.join(INPUT_ROLES)}")
    return v[0], check_relative_path(v[1], where), _checked_text(v[2], where)


# --------------------------------------------------------------------------- stills


STILL_STATUSES = ("pending", "done", "failed", "unknown", "not_downloaded")


def still_to_dict(r: StillRecord) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": r.id, "provider": r.provider, "model": r.model, "size": r.size,
        "prompt": r.prompt, "status": r.status, "cost": r.cost, "file": r.file,
        "sha256": r.sha256, "created_at": r.created_at,
        "error": redact(r.error) if r.error else r.error,
    }
    # the slot and the rest of the request: only when known, so a record of a still made
    # before they were kept reads (and writes) as it did
    if r.role is not None:
        d.update(role=r.role, segment_id=r.segment_id, next_segment_id=r.next_segment_id,
                 references=list(r.references), cast=list(r.cast), api_size=r.api_size)
    return d


#: the name :func:`soraboard.generation.stills.keyframe_still` gave a boundary's still before
#: records kept their slot: ``media/stills/<segment before>-<segment after>-<tag>.png``
_OLD_BOUNDARY_STILL = re.compile(
    r"^media/stills/([A-Za-z0-9_]{1,64})-([A-Za-z0-9_]{1,64})-[0-9a-f]{8}\.png$")


def _old_slot(file: str | None) -> tuple[str | None, str | None, str | None]:
    """The slot of a record written before slots were kept, from its file's name (the only
    trace of it): a boundary's keyframe, a cast sheet image, or unknown."""
    m = _OLD_BOUNDARY_STILL.match(file or "")
    if m:
        return "boundary", m.group(1), m.group(2)
    if (file or "").startswith("media/cast/"):
        return "cast", None, None
    return None, None, None


def still_from(v: Any, where: str = "still") -> StillRecord:
    o = _Obj(v, where)
    status = o.text("status")
    if status not in STILL_STATUSES:
        raise SchemaError(o.at("status"), f"{_shown(status)} is not one of: "
                                          + ", ".join(STILL_STATUSES))
    file = o.path("file")
    role = o.opt_text("role")
    if role is None:
        role, segment_id, next_id = _old_slot(file)
    else:
        if role not in STILL_ROLES:
            raise SchemaError(o.at("role"), f"{_shown(role)} is not one of: "
                                            + ", ".join(STILL_ROLES))
        segment_id, next_id = o.opt_text("segment_id"), o.opt_text("next_segment_id")
    return StillRecord(
        id=o.text("id"), provider=o.text("provider"), model=o.text("model"),
        size=o.text("size"), prompt=o.text("prompt", ""), status=status,
        cost=o.money("cost"), file=file, sha256=o.opt_text("sha256"),
        created_at=o.num("created_at", 0.0), error=o.opt_text("error"),
        role=role, segment_id=segment_id, next_segment_id=next_id,
        references=tuple(o.items("references", lambda x, w: check_relative_path(
            _text_item(x, w), w))),
        cast=tuple(o.items("cast", _text_item)), api_size=o.opt_text("api_size"))


def _text_item(v: Any, where: str) -> str:
    if not isinstance(v, str):
        raise SchemaError(where, f"expected text, found {_kind(v)}")
    return _checked_text(v, where)
