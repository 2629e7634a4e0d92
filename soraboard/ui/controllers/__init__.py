"""One controller per flow of the main window: files, editing, generation, preview, import.

Each is a QObject given the Document, a settings getter and an ``Ask``; it owns its workers
and timers and reports by signals. None imports the window or opens a dialog itself.
"""

from __future__ import annotations

from collections.abc import Callable

from soraboard.model.words import plural
from soraboard.settings import Settings

SettingsGetter = Callable[[], Settings]

__all__ = ["SettingsGetter", "plural"]
