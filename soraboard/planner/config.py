"""Planner endpoint settings: ``planner.json`` in the config directory, and its API key.

The file names the chat endpoint (any OpenAI-compatible ``base_url``: a LiteLLM proxy, vLLM,
Ollama's ``/v1``, a gateway) and the model. The key is never in it: it comes from an
environment variable or the OS keyring. ``settings.py`` belongs to the app; the planner keeps
its own small file so the two can change independently.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from soraboard import paths
from soraboard.storage.atomic import atomic_write_json

KEY_ENV = "SORABOARD_PLANNER_API_KEY"
KEYRING_SERVICE = "soraboard"
KEYRING_USER = "planner"
_SECRET_WORDS = ("key", "token", "secret", "password")


def planner_config_file() -> Path:
    return paths.config_dir() / "planner.json"


@dataclass(frozen=True)
class PlannerConfig:
    base_url: str = ""  #: e.g. "http://localhost:4000/v1"; empty = no LLM planner
    model: str = ""  #: the chat model name the endpoint knows, e.g. "gpt-4o-mini"
    #: local servers (Ollama, vLLM) often need no key; then a placeholder is sent
    requires_api_key: bool = True
    api_key_env: str = KEY_ENV  #: the environment variable holding the key
    timeout_seconds: float = 120.0
    #: "json_schema" (structured outputs), "json_object" (JSON mode) or "none" (prompt only)
    response_format: str = "json_schema"
    temperature: float = 0.4

    @property
    def configured(self) -> bool:
        return bool(self.base_url.strip() and self.model.strip())

    def validated(self) -> list[str]:
        problems = []
        if self.base_url and not self.base_url.startswith(("http://", "https://")):
            problems.append("base_url must start with http:// or https://")
        if not 1 <= self.timeout_seconds <= 3600 and self.timeout_seconds != 0:
            problems.append("timeout_seconds must be between 1 and 3600")
        if self.response_format not in ("json_schema", "json_object", "none"):
            problems.append("response_format must be json_schema, json_object or none")
        return problems


def load_planner_config(path: Path | None = None) -> tuple[PlannerConfig, list[str]]:
    """The planner settings, and a note for every value that was ignored."""
    path = path or planner_config_file()
    try:
        raw = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return PlannerConfig(), []
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        return PlannerConfig(), [f"{path}: unreadable ({e}); the LLM planner is off"]
    if not isinstance(raw, dict):
        return PlannerConfig(), [f"{path}: not a JSON object; the LLM planner is off"]
    notes: list[str] = []
    defaults = PlannerConfig()
    known = {f.name: f for f in fields(PlannerConfig)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            notes.append(f"{path}: unknown setting {key!r} ignored")
            continue
        default = getattr(defaults, key)
        ok = (isinstance(value, bool) if isinstance(default, bool)
              else isinstance(value, (int, float)) and not isinstance(value, bool)
              if isinstance(default, float) else isinstance(value, type(default)))
        if not ok:
            notes.append(f"{path}: setting {key!r} has the wrong type; using the default")
            continue
        values[key] = float(value) if isinstance(default, float) else value
    config = replace(defaults, **values)
    problems = config.validated()
    if problems:
        notes.extend(f"{path}: {p}; the LLM planner is off" for p in problems)
        return PlannerConfig(), notes
    return config, notes


def save_planner_config(config: PlannerConfig, path: Path | None = None) -> None:
    problems = config.validated()
    if problems:
        raise ValueError("; ".join(problems))
    data = asdict(config)
    for key in data:
        if any(w in key.lower() for w in _SECRET_WORDS) and key not in (
                "requires_api_key", "api_key_env"):  # pragma: no cover - guard
            raise ValueError(f"refusing to write a secret-looking setting {key!r}")
    path = path or planner_config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, data)


class MissingKeyError(Exception):
    """No API key for an endpoint that needs one; the message says where to put it."""


def planner_api_key(config: PlannerConfig) -> str:
    """The key: the environment variable first, then the OS keyring; never a file.

    Raises :class:`MissingKeyError` when the endpoint needs a key and there is none. For an
    endpoint that needs no key a placeholder is returned (the ``openai`` client insists on one).
    """
    env_name = config.api_key_env or KEY_ENV
    value = os.environ.get(env_name, "").strip()
    if value:
        return value
    keyring_note = ""
    try:
        import keyring
        import keyring.errors

        stored = keyring.get_password(KEYRING_SERVICE, KEYRING_USER)
        if stored:
            return stored
    except Exception as e:  # a headless box without a keyring backend: say so, use the env var
        keyring_note = f" (the keyring is not available here: {type(e).__name__})"
    if not config.requires_api_key:
        return "not-needed"
    raise MissingKeyError(
        f"no API key for the planner endpoint: set {env_name} or store it in the keyring "
        f"(service {KEYRING_SERVICE!r}, user {KEYRING_USER!r}){keyring_note}; for a local "
        "server that needs none, set \"requires_api_key\": false in planner.json")
