"""The one error a bad project file raises."""

from __future__ import annotations

from pathlib import Path


class ProjectError(Exception):
    """A project that cannot be opened or saved: which file, what is wrong, and where.

    ``where`` is a JSON position ("line 12, column 5") or a field path
    ("storyboard.segments[2].duration").
    """

    def __init__(self, file: Path | str, what: str, where: str | None = None) -> None:
        self.file = Path(file)
        self.what = what
        self.where = where
        super().__init__(str(self))

    def __str__(self) -> str:
        at = f" (at {self.where})" if self.where else ""
        return f"{self.file}: {self.what}{at}"


class SchemaError(ValueError):
    """Raised by the decoder; :class:`ProjectError` adds the file name."""

    def __init__(self, where: str, what: str) -> None:
        self.where = where
        self.what = what
        super().__init__(f"{what} (at {where})")
