"""One controller per flow of the main window: files, editing, generation, preview, import.

Each is a QObject given the Document, a settings getter and an ``Ask``; it owns its workers
and timers and reports by signals. None imports the window or opens a dialog itself.
"""

from __future__ import annotations

from collections.abc import Callable

from soraboard.settings import Settings

SettingsGetter = Callable[[], Settings]


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 segment``, ``2 segments`` (``many`` for irregular plurals)."""
    return f"{n} {word if n == 1 else many or word + 's'}"
