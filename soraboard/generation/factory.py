"""Building the backend "Generate" uses: a provider profile, or the animatic when none."""

from __future__ import annotations

from soraboard.catalog.catalog import Catalog
from soraboard.generation.backend import Backend
from soraboard.generation.providers import ANIMATIC, ProviderError, get_key, get_profile


def make_backend(provider: str | None, *, concurrency: int | None = None,
                 catalog: Catalog | None = None, animatic_latency: float = 0.0) -> Backend:
    """``None`` or ``"animatic"`` → the offline animatic; otherwise the named profile."""
    if provider in (None, "", ANIMATIC):
        from soraboard.generation.animatic import AnimaticBackend

        return AnimaticBackend(latency=animatic_latency, concurrency=concurrency or 2,
                               catalog=catalog)
    assert provider is not None
    profile = get_profile(provider)
    key = get_key(profile)
    if key is None and profile.needs_key:
        where = f"${profile.key_env} or " if profile.key_env else ""
        raise ProviderError(f"provider {provider!r} needs an API key: set {where}the keyring "
                            f"('soraboard providers set-key {provider}')")
    from soraboard.generation.openai_backend import OpenAIBackend

    return OpenAIBackend(name=profile.name, base_url=profile.base_url, api_key=key,
                         concurrency=concurrency or profile.concurrency,
                         timeout=profile.timeout, poll_interval=profile.poll_interval,
                         catalog=catalog, dialect=profile.dialect)
