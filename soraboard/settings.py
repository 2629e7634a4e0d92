"""Typed application settings with defaults and validation.

Stored as ``settings.json`` in the config directory (see :mod:`soraboard.paths`), written
atomically. Secrets are never stored here: API keys live in the OS keyring or in an
environment variable named by the provider profile. Loading a bad file falls back to the
defaults field by field and reports what it ignored; it never rewrites the file on its own.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from soraboard import paths
from soraboard.storage.atomic import atomic_write_json

THEMES = ("dark", "light", "system")

#: keys that would be secrets; refused on save so one can never end up in the file
_SECRET_WORDS = ("key", "token", "secret", "password")


@dataclass(frozen=True)
class Settings:
    default_model: str = "vertex_ai/veo-3.1-fast-generate-001"  #: catalog.DEFAULT_MODEL
    default_size: str = "1280x720"
    #: name of the provider profile "Generate" uses; None = the offline animatic backend
    provider: str | None = None
    concurrency: int = 2  #: jobs in flight per provider, unless the profile says otherwise
    budget: str | None = None  #: default budget of new storyboards, US dollars
    ffmpeg_path: str | None = None
    autosave_seconds: int = 60  #: 0 turns autosave off
    recent_projects: tuple[str, ...] = field(default_factory=tuple)
    #: View ▸ Theme: "dark" (as video editors are), "light", or "system" (the desktop's)
    theme: str = "dark"

    def validated(self) -> list[str]:
        """Problems in plain words (empty when the settings are usable)."""
        problems = []
        if not 1 <= self.concurrency <= 32:
            problems.append("concurrency must be between 1 and 32")
        if self.autosave_seconds < 0:
            problems.append("the autosave interval cannot be negative")
        if self.theme not in THEMES:
            problems.append(f"the theme must be one of {', '.join(THEMES)}")
        return problems


def _coerce(name: str, value: Any, default: Any) -> Any:
    if name == "recent_projects":
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise TypeError
    if default is None:
        if value is None or isinstance(value, str):
            return value
        raise TypeError
    if isinstance(default, bool) or not isinstance(value, type(default)) or isinstance(value, bool):
        raise TypeError
    return value


def load_settings(path: Path | None = None) -> tuple[Settings, list[str]]:
    """The settings, and a note for every value that was ignored (wrong type, unknown key)."""
    path = path or paths.settings_file()
    notes: list[str] = []
    try:
        raw = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return Settings(), notes
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        return Settings(), [f"{path}: unreadable ({e}); using the defaults"]
    if not isinstance(raw, dict):
        return Settings(), [f"{path}: not a JSON object; using the defaults"]
    values: dict[str, Any] = {}
    defaults = Settings()
    known = {f.name for f in fields(Settings)}
    for key, value in raw.items():
        if key not in known:
            notes.append(f"{path}: unknown setting {key!r} ignored")
            continue
        try:
            values[key] = _coerce(key, value, getattr(defaults, key))
        except TypeError:
            notes.append(f"{path}: setting {key!r} has the wrong type; using the default")
    settings = replace(defaults, **values)
    for p in settings.validated():
        notes.append(f"{path}: {p}; using the default")
        if "concurrency" in p:
            settings = replace(settings, concurrency=defaults.concurrency)
        elif "theme" in p:
            settings = replace(settings, theme=defaults.theme)
        else:
            settings = replace(settings, autosave_seconds=defaults.autosave_seconds)
    return settings, notes


def save_settings(settings: Settings, path: Path | None = None) -> None:
    problems = settings.validated()
    if problems:
        raise ValueError("; ".join(problems))
    data = asdict(settings)
    data["recent_projects"] = list(settings.recent_projects)
    for key in data:
        if any(w in key.lower() for w in _SECRET_WORDS):  # pragma: no cover - guard
            raise ValueError(f"refusing to write a secret-looking setting {key!r}")
    path = path or paths.settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, data)
