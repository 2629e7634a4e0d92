"""Schema versions of ``storyboard.json`` and the migrations between them.

``MIGRATIONS[n]`` turns a version-``n`` document into version ``n + 1``. Only version 1
exists today; the registry is here so that the first change of format is a function and a
test, not a rewrite of the loader. Migrations work on plain dicts and never touch the disk:
the file is rewritten (atomically, with the old one in history) only when the user saves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from soraboard.storage.errors import SchemaError

SCHEMA_VERSION = 1

Migration = Callable[[dict[str, Any]], dict[str, Any]]

#: version n → function producing version n + 1
MIGRATIONS: dict[int, Migration] = {}


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
