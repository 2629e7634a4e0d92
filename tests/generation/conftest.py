"""Fixtures for the generation tests: a loopback Videos server, small projects, engines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from soraboard.model.storyboard import Beat, Continuity, Segment, Storyboard
from soraboard.storage.bundle import Bundle
from tests.helpers.fake_videos_server import FakeVideosServer

#: a cheap model for tests: small sizes, short durations, a known price
TEST_MODEL = {
    "id": "test-video",
    "name": "Test video",
    "family": "test",
    "rank": 1,
    "durations": [2, 3, 4],
    "sizes": ["320x180", "640x360"],
    "prices": [{"sizes": ["320x180", "640x360"], "usd_per_second": "0.10"}],
    "remix": True,
}


@pytest.fixture(scope="session")
def clip_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Server clips are made once per session (same size and seconds → same file)."""
    return tmp_path_factory.mktemp("server-clips")


@pytest.fixture(autouse=True)
def test_catalog(isolated_user_dirs: Path) -> Path:
    """Put the test model into the user catalog of this test's SORABOARD_HOME."""
    from soraboard.catalog.catalog import reset_default_catalog

    cfg = isolated_user_dirs / "config"
    cfg.mkdir(parents=True, exist_ok=True)
    (cfg / "models.json").write_text(json.dumps({"models": [TEST_MODEL]}), "utf-8")
    reset_default_catalog()
    return cfg / "models.json"


@pytest.fixture
def server(clip_cache: Path) -> Iterator[FakeVideosServer]:
    with FakeVideosServer(clip_cache, latency=0.3) as srv:
        yield srv


def seg(n: int, *, chain: bool = False, seconds: float = 2.0, size: str = "320x180",
        model: str = "test-video") -> Segment:
    return Segment(id=f"seg_{n:02d}", model=model, size=size, duration=seconds,
                   title=f"Shot {n}", scene=f"Scene number {n}: a quiet street.",
                   actions=(Beat(0, seconds, f"beat of shot {n}"),),
                   continuity=Continuity.CHAIN if chain else Continuity.INDEPENDENT)


def make_bundle(path: Path, chains: list[bool], **kw: object) -> Bundle:
    """A project whose segment i is chained when ``chains[i]``."""
    segs = tuple(seg(i + 1, chain=c, **kw) for i, c in enumerate(chains))  # type: ignore[arg-type]
    return Bundle.create(path, Storyboard(title="Test film", default_model="test-video",
                                          default_size="320x180", segments=segs))


@pytest.fixture
def bundle(tmp_path: Path) -> Bundle:
    return make_bundle(tmp_path / "Film", [False])
