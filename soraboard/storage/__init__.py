"""Project bundles on disk: versioned, migrated, written atomically. Pure Python."""

from soraboard.storage.atomic import atomic_write_bytes, atomic_write_json, atomic_write_text
from soraboard.storage.bundle import (
    SUFFIX,
    Bundle,
    Project,
    bundle_path_for,
    create_project,
    load_project,
)
from soraboard.storage.errors import ProjectError, SchemaError
from soraboard.storage.migrations import SCHEMA_VERSION

__all__ = [
    "SCHEMA_VERSION",
    "SUFFIX",
    "Bundle",
    "Project",
    "ProjectError",
    "SchemaError",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "bundle_path_for",
    "create_project",
    "load_project",
]
