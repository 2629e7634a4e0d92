"""Schema versions of ``storyboard.json`` and the migrations between them.

``MIGRATIONS[n]`` turns a version-``n`` document into version ``n + 1``.

* 1 → 2: a segment's ``prompt.dialogue`` was free text (``Name: "line"`` per line); it is a
  list of ``{speaker, text, start, end}`` now, timed inside the segment.
* 2 → 3: a segment's ``reference`` may hold ``last_image`` (the keyframe still the clip ends
  on) and ``images`` (reference images), a segment may list its ``cast``, and a style
  bible's character may have a ``kind`` and reference ``images``. Nothing changes in a
  version-2 file; the new number makes an older soraboard refuse such a file instead of
  silently dropping its keyframes and cast images when it saves. A segment's
  ``keyframe_proposed`` (a planner's proposal to hold the boundary after it with a still)
  came later without a new number: an older soraboard that drops it loses a proposal, never
  work.

Migrations work on plain dicts and never touch the disk: the file is rewritten (atomically,
with the old one in history) only when the user saves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from soraboard.storage.errors import SchemaError

SCHEMA_VERSION = 3

Migration = Callable[[dict[str, Any]], dict[str, Any]]


def _v1_dialogue_as_lines(doc: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 → 2: the dialogue text of every segment becomes timed lines."""
    from soraboard.model.dialogue import from_text

    sb = doc.get("storyboard")
    if not isinstance(sb, dict) or not isinstance(sb.get("segments"), list):
        return doc  # the loader reports what is missing
    segments = []
    for seg in sb["segments"]:
        if isinstance(seg, dict) and isinstance(seg.get("prompt"), dict):
            prompt = dict(seg["prompt"])
            text = prompt.get("dialogue", "")
            duration = seg.get("duration")
            if isinstance(text, str):
                if not isinstance(duration, (int, float)) or isinstance(duration, bool) \
                        or duration <= 0:
                    duration = 4.0  # the loader rejects the duration itself, with its place
                prompt["dialogue"] = [
                    {"speaker": d.speaker, "text": d.text, "start": d.start, "end": d.end}
                    for d in from_text(text, float(duration))]
            seg = {**seg, "prompt": prompt}
        segments.append(seg)
    return {**doc, "storyboard": {**sb, "segments": segments}}


def _v2_keyframes(doc: dict[str, Any]) -> dict[str, Any]:
    """Schema 2 → 3: only adds optional fields (a version-2 file has no keyframes)."""
    return doc


#: version n → function producing version n + 1
MIGRATIONS: dict[int, Migration] = {1: _v1_dialogue_as_lines, 2: _v2_keyframes}


def migrate(doc: dict[str, Any], migrations: dict[int, Migration] | None = None,
            current: int = SCHEMA_VERSION) -> dict[str, Any]:
    """Bring ``doc`` up to ``current``; raises :class:`SchemaError` for unknown versions."""
    table = MIGRATIONS if migrations is None else migrations
    version = doc.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise SchemaError("schema_version", "missing or not a whole number")
    if version > current:
        raise SchemaError(
            "schema_version",
            f"this file was written by a newer soraboard (schema {version}; this version "
            f"reads up to {current}): update soraboard to open it",
        )
    if version < 1:
        raise SchemaError("schema_version", f"unknown schema version {version}")
    while version < current:
        step = table.get(version)
        if step is None:
            raise SchemaError("schema_version", f"no migration from schema {version}")
        doc = step(dict(doc))
        version += 1
        doc["schema_version"] = version
    return doc
