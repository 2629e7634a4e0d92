"""Bring your own footage: clips and images into a storyboard (pure Python, no Qt).

What the CLI (``soraboard import``, ``soraboard new --from``) and the editor's drop call::

    items = check_files(paths)                 # probes all; ImportRejected lists bad files
    result = apply_import(bundle, sb, items)   # copies + take records; ONE undoable edit
    sb = result.edit.apply(sb)                 # (the editor pushes result.edit instead)
    bundle.save(sb)
"""

from soraboard.imports.apply import (
    ImportFailed,
    ImportResult,
    apply_import,
    create_from_files,
    image_seconds,
    title_for,
)
from soraboard.imports.check import (
    ImageInfo,
    ImportItem,
    ImportRejected,
    check_files,
    shown_name,
)

__all__ = [
    "ImageInfo",
    "ImportFailed",
    "ImportItem",
    "ImportRejected",
    "ImportResult",
    "apply_import",
    "check_files",
    "create_from_files",
    "image_seconds",
    "shown_name",
    "title_for",
]
