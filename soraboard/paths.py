"""Every user directory soraboard uses, in one place.

The platform's conventions come from platformdirs. ``SORABOARD_HOME=DIR`` puts all of them
under one folder (``DIR/config``, ``DIR/data``, ``DIR/cache``, ``DIR/logs``) for portable
installs and for tests. Directories are created on first use, not on import.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "soraboard"
HOME_ENV = "SORABOARD_HOME"


def _base(kind: str) -> Path:
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home).expanduser() / kind
    if kind == "config":
        return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
    if kind == "data":
        return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    if kind == "cache":
        return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))
    if kind == "logs":
        return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
    raise ValueError(kind)


def _ensure(path: Path, create: bool) -> Path:
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir(create: bool = False) -> Path:
    """Settings, provider profiles (never keys) and the user's models.json."""
    return _ensure(_base("config"), create)


def data_dir(create: bool = False) -> Path:
    """Recent projects, autosave recovery index."""
    return _ensure(_base("data"), create)


def cache_dir(create: bool = False) -> Path:
    """Preview renders and thumbnails: safe to delete."""
    return _ensure(_base("cache"), create)


def log_dir(create: bool = False) -> Path:
    return _ensure(_base("logs"), create)


def settings_file() -> Path:
    return config_dir() / "settings.json"


def user_catalog_file() -> Path:
    return config_dir() / "models.json"
