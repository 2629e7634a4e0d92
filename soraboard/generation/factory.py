"""Building the backend "Generate" uses: a provider profile, or the animatic when none."""

from __future__ import annotations

from soraboard.catalog.catalog import Catalog
from soraboard.generation.backend import Backend
from soraboard.generation.providers import (
    ANIMATIC,
    ProviderError,
    ProviderProfile,
    get_key,
    get_profile,
)
from soraboard.generation.stills import StillBackend


def _profile_and_key(provider: str) -> tuple[ProviderProfile, str | None]:
    """The named profile and its key; a profile that needs a key it does not have is refused
    with where to put one."""
    profile = get_profile(provider)
    key = get_key(profile)
    if key is None and profile.needs_key:
        where = f"${profile.key_env} or " if profile.key_env else ""
        raise ProviderError(f"provider {provider!r} needs an API key: set {where}the keyring "
                            f"('soraboard providers set-key {provider}')")
    return profile, key


def make_backend(provider: str | None, *, concurrency: int | None = None,
                 catalog: Catalog | None = None, animatic_latency: float = 0.0) -> Backend:
    """``None`` or ``"animatic"`` → the offline animatic; otherwise the named profile."""
    if provider in (None, "", ANIMATIC):
        from soraboard.generation.animatic import AnimaticBackend

        return AnimaticBackend(latency=animatic_latency, concurrency=concurrency or 2,
                               catalog=catalog)
    assert provider is not None
    profile, key = _profile_and_key(provider)
    from soraboard.generation.openai_backend import OpenAIBackend

    return OpenAIBackend(name=profile.name, base_url=profile.base_url, api_key=key,
                         concurrency=concurrency or profile.concurrency,
                         timeout=profile.timeout, poll_interval=profile.poll_interval,
                         catalog=catalog, dialect=profile.dialect)


def make_still_backend(provider: str | None) -> StillBackend:
    """The stills beside :func:`make_backend`'s videos: the same profile (its Images API),
    or the offline placeholder for ``None`` / ``"animatic"``."""
    from soraboard.generation.stills import OfflineStills, OpenAIStills

    if provider in (None, "", ANIMATIC):
        return OfflineStills()
    assert provider is not None
    profile, key = _profile_and_key(provider)
    return OpenAIStills(name=profile.name, base_url=profile.base_url, api_key=key,
                        timeout=max(profile.timeout, 120.0))
