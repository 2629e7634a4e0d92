"""Provider profiles: where a backend lives and how to authenticate — never the key itself.

Profiles are JSON in ``paths.config_dir()/providers.json``; built-in presets are always
offered and can be overridden by a profile of the same name. A key comes from the
environment variable the profile names, or from the OS keyring (service ``soraboard``,
user ``provider:<name>``); it is never written to a file or a log line. On a machine with no
keyring backend (a headless Linux box) we say so and point to the environment variable —
we never fall back to a plaintext keyring file.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from soraboard import paths
from soraboard.catalog.dialects import DIALECTS
from soraboard.redact import register_secret
from soraboard.storage.atomic import atomic_write_json

KEYRING_SERVICE = "soraboard"
ANIMATIC = "animatic"


@dataclass(frozen=True)
class ProviderProfile:
    """One provider connection (an OpenAI-Videos-compatible server)."""

    name: str
    base_url: str
    key_env: str | None = None  #: environment variable holding the key
    default_model: str | None = None
    concurrency: int = 2
    timeout: float = 60.0  #: seconds for one request
    poll_interval: float = 5.0
    needs_key: bool = True  #: False: works without a key (a LiteLLM proxy with none)
    preset: str = "custom"
    label: str = ""
    #: how a create is written: "openai" (multipart, ``input_reference``: a first frame only),
    #: "openrouter" (JSON: ``frame_images`` first/last, ``input_references``) or "litellm"
    #: (JSON in the fields LiteLLM forwards to the model's upstream: docs/litellm-keyframes.md)
    dialect: str = "openai"

    def describe(self) -> str:
        """What the user sees: the preset's label, else the name."""
        return self.label or self.name


PRESETS: dict[str, ProviderProfile] = {
    "litellm": ProviderProfile(
        "litellm", "http://localhost:4000", key_env="LITELLM_API_KEY", needs_key=False,
        preset="litellm", label="LiteLLM proxy", dialect="litellm"),
    "vllm-omni": ProviderProfile(
        "vllm-omni", "http://localhost:8091/v1", needs_key=False, preset="vllm-omni",
        label="vLLM-Omni"),
    "openai": ProviderProfile(
        "openai", "https://api.openai.com/v1", key_env="OPENAI_API_KEY",
        default_model="sora-2", preset="openai",
        label="OpenAI (Sora 2 retired 2026-09-24)"),
}


#: A LiteLLM ``config.yaml`` for a video model (shown in Settings and the README). The
#: router re-sends a create that answered 500 unless retries are off — and a 500 from a
#: gateway can already be a paid job (PROVIDERS.md §3.8).
LITELLM_VIDEO_CONFIG = """\
model_list:
  - model_name: veo-3.1-fast
    litellm_params:
      model: vertex_ai/veo-3.1-fast-generate-001
      vertex_project: my-project
      vertex_location: us-central1
      num_retries: 0        # never re-send a create: a 500 may already be a paid job
    model_info:
      mode: video_generation
router_settings:
  num_retries: 0            # the router's default is 2
"""

#: What Settings says about gateways and retries, in one paragraph.
LITELLM_NOTE = (
    "Behind LiteLLM, give video deployments num_retries: 0: its router re-sends a create "
    "that answered 500, which may already be a paid job. soraboard never re-sends a create "
    "whose answer was lost; it reads the provider's job list (vLLM-Omni and OpenAI-shaped "
    "servers; LiteLLM cannot list jobs) or shows the take as \u201coutcome unknown \u2014 may "
    "be billed\u201d for you to check.")


class ProviderError(ValueError):
    """A profile that does not exist or cannot be used; the message says what to do."""


class KeyringUnavailable(ProviderError):
    """This machine has no OS keyring."""


def providers_file() -> Path:
    """Where user profiles live (never keys)."""
    return paths.config_dir() / "providers.json"


def _from_dict(d: dict[str, Any]) -> ProviderProfile:
    known = {f.name for f in fields(ProviderProfile)}
    clean = {k: v for k, v in d.items() if k in known}
    if not isinstance(clean.get("name"), str) or not isinstance(clean.get("base_url"), str):
        raise ProviderError("a provider profile needs a 'name' and a 'base_url'")
    if clean.get("dialect", "openai") not in DIALECTS:
        raise ProviderError(f"provider {clean['name']!r}: dialect must be one of "
                            f"{', '.join(DIALECTS)}, not {clean.get('dialect')!r}")
    return ProviderProfile(**clean)


def load_profiles(path: Path | None = None) -> list[ProviderProfile]:
    """The presets, then the user's profiles (a user profile replaces a preset's name)."""
    out = dict(PRESETS)
    file = path or providers_file()
    try:
        raw = json.loads(file.read_text("utf-8"))
    except FileNotFoundError:
        raw = {"providers": []}
    except (OSError, ValueError) as e:
        raise ProviderError(f"{file}: unreadable ({e})") from None
    items = raw.get("providers", []) if isinstance(raw, dict) else []
    for item in items:
        if isinstance(item, dict):
            p = _from_dict(item)
            out[p.name] = p
    return list(out.values())


def get_profile(name: str) -> ProviderProfile:
    """The profile called ``name``; raises :class:`ProviderError` listing the others."""
    for p in load_profiles():
        if p.name == name:
            return p
    names = ", ".join(p.name for p in load_profiles())
    raise ProviderError(f"no provider profile {name!r}; the profiles are: {names}")


def save_profile(profile: ProviderProfile, path: Path | None = None) -> None:
    """Add or replace a user profile (atomically). Keys are not part of a profile."""
    if not profile.name or profile.name == ANIMATIC or "/" in profile.name:
        raise ProviderError(f"{profile.name!r} cannot be a provider name")
    if not profile.base_url.startswith(("http://", "https://")):
        raise ProviderError(f"the base URL must start with http:// or https://, not "
                            f"{profile.base_url!r}")
    file = path or providers_file()
    try:
        raw = json.loads(file.read_text("utf-8"))
    except FileNotFoundError:
        raw = {}
    except (OSError, ValueError) as e:
        raise ProviderError(f"{file}: unreadable ({e}); fix or delete it first") from None
    items = [i for i in (raw.get("providers", []) if isinstance(raw, dict) else [])
             if isinstance(i, dict) and i.get("name") != profile.name]
    items.append(asdict(profile))
    file.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(file, {"providers": items})


def _keyring_user(name: str) -> str:
    return f"provider:{name}"


def keyring_available() -> tuple[bool, str]:
    """Whether an OS keyring is usable here, and its name (or why not)."""
    import keyring
    from keyring.backends import chainer, fail, null

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        return False, "no OS keyring is available on this machine"
    # a backend that accepts a key and keeps nothing ('keyring --disable' selects null)
    if isinstance(backend, null.Keyring) or (
            isinstance(backend, chainer.ChainerBackend) and not backend.backends):
        return False, ("the OS keyring is disabled here (its backend stores nothing: "
                       f"{type(backend).__module__}.{type(backend).__name__})")
    return True, type(backend).__name__


def set_key(name: str, key: str) -> None:
    """Store a key in the OS keyring (raises :class:`KeyringUnavailable` when there is none)."""
    import keyring
    import keyring.errors

    ok, why = keyring_available()
    profile = get_profile(name)
    env = profile.key_env or f"SORABOARD_{name.upper().replace('-', '_')}_KEY"
    if not ok:
        raise KeyringUnavailable(f"{why}; put the key in an environment variable instead, e.g. "
                                 f"'soraboard providers add {name} --base-url "
                                 f"{profile.base_url} --key-env {env}' and export {env}")
    register_secret(key)
    try:
        keyring.set_password(KEYRING_SERVICE, _keyring_user(name), key)
    except keyring.errors.KeyringError as e:
        raise KeyringUnavailable(f"the keyring refused the key ({type(e).__name__}); use an "
                                 f"environment variable such as {env} instead") from None


def get_key(profile: ProviderProfile) -> str | None:
    """The profile's key: its environment variable first, then the keyring."""
    if profile.key_env and os.environ.get(profile.key_env):
        register_secret(os.environ[profile.key_env])  # masked in every error and log line
        return os.environ[profile.key_env]
    import keyring
    import keyring.errors

    try:
        key = keyring.get_password(KEYRING_SERVICE, _keyring_user(profile.name))
    except keyring.errors.KeyringError:
        return None
    register_secret(key)
    return key


def key_source(profile: ProviderProfile) -> str:
    """Where the key comes from, for listings (never the key)."""
    if profile.key_env and os.environ.get(profile.key_env):
        return f"${profile.key_env}"
    try:
        if get_key(profile):
            return "keyring"
    except Exception:  # a broken keyring must not break a listing
        return "keyring unreadable"
    return "none needed" if not profile.needs_key else "missing"


def with_overrides(profile: ProviderProfile, **changes: Any) -> ProviderProfile:
    """The profile with the non-None ``changes`` applied."""
    return replace(profile, **{k: v for k, v in changes.items() if v is not None})


def dialect_of(provider: str | None) -> str | None:
    """The request dialect of the named profile; ``None`` for the animatic (no provider) or
    a profile that cannot be read (then only what the models take is checked)."""
    if provider in (None, "", ANIMATIC):
        return None
    assert provider is not None
    try:
        return get_profile(provider).dialect
    except ProviderError:
        return None
