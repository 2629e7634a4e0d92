"""A clip made elsewhere can be continued: the chained segment after it is sent its last frame.

Against the loopback Videos server (the real ``openai`` client on 127.0.0.1), which records
the reference image it receives.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from soraboard.generation.engine import GenerationEngine, run_generation
from soraboard.generation.openai_backend import OpenAIBackend
from soraboard.imports import apply_import, check_files
from soraboard.media.ffmpeg import find_ffmpeg
from soraboard.model.edits import add_segment, set_segment_field
from soraboard.model.storyboard import Continuity, Storyboard
from soraboard.model.take import TakeSource
from soraboard.storage.bundle import Bundle, load_project
from tests.helpers import fake_videos_server
from tests.helpers.fake_videos_server import FakeVideosServer

MODEL = {"id": "test-video", "name": "Test video", "family": "test", "rank": 1,
         "durations": [2, 3, 4], "sizes": ["320x180", "640x360"],
         "prices": [{"sizes": ["320x180", "640x360"], "usd_per_second": "0.10"}]}
FRAMES = 25  # the imported clip: 1 s at 25 fps, 640x360


@pytest.fixture(autouse=True)
def test_model(isolated_user_dirs: Path) -> None:
    from soraboard.catalog.catalog import reset_default_catalog

    cfg = isolated_user_dirs / "config"
    cfg.mkdir(parents=True, exist_ok=True)
    (cfg / "models.json").write_text(json.dumps({"models": [MODEL]}), "utf-8")
    reset_default_catalog()


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeVideosServer]:
    """The loopback server, keeping the bytes of every reference image it is sent."""
    received: list[bytes] = []
    original = fake_videos_server._Handler._reference_size

    def keep(self: Any, fields: dict[str, Any]) -> Any:
        ref = fields.get("input_reference")
        if isinstance(ref, dict) and "bytes" in ref:
            received.append(ref["bytes"])
        return original(self, fields)

    monkeypatch.setattr(fake_videos_server._Handler, "_reference_size", keep)
    with FakeVideosServer(tmp_path / "server-clips", latency=0.2) as srv:
        srv.received = received  # type: ignore[attr-defined]
        yield srv


def rgb_frames(path: Path, size: str = "320x180") -> np.ndarray:
    """Every frame of a video, scaled to ``size``, as RGB (frames × h × w × 3)."""
    w, h = map(int, size.split("x"))
    proc = subprocess.run([find_ffmpeg().path, "-v", "error", "-i", str(path), "-vf",
                           f"scale={w}:{h}:flags=area", "-f", "rawvideo", "-pix_fmt", "rgb24",
                           "-"], capture_output=True, check=True, stdin=subprocess.DEVNULL)
    return np.frombuffer(proc.stdout, np.uint8).reshape(-1, h, w, 3)


def make_continued_clip(path: Path) -> Path:
    """Blue, except the very last frame, whose left half is yellow: only the true last frame
    matches it."""
    subprocess.run(
        [find_ffmpeg().path, "-v", "error", "-y", "-f", "lavfi", "-i",
         f"color=c=0x3060c0:size=640x360:rate=25:duration={FRAMES / 25}", "-vf",
         f"drawbox=x=0:y=0:w=iw/2:h=ih:color=yellow:t=fill:enable='gte(n,{FRAMES - 1})'",
         "-c:v", "libx264", "-preset", "ultrafast", "-g", "250", "-pix_fmt", "yuv420p",
         str(path)], check=True, stdin=subprocess.DEVNULL)
    return path


def project_with_imported_clip(tmp_path: Path) -> tuple[Bundle, Storyboard, str]:
    clip = make_continued_clip(tmp_path / "made elsewhere.mp4")
    bundle = Bundle.create(tmp_path / "Film", Storyboard(
        title="Film", default_model="test-video", default_size="320x180"))
    sb = bundle.load_storyboard()
    result = apply_import(bundle, sb, check_files([clip]))
    sb = result.edit.apply(sb)
    nxt = sb.new_segment(title="Continued", duration=2.0, continuity=Continuity.CHAIN,
                         scene="The camera keeps moving along the harbour.")
    sb = add_segment(sb, nxt).apply(sb)
    bundle.save(sb)
    return bundle, sb, result.takes[0].id


def test_a_chained_segment_after_an_imported_clip_is_sent_its_last_frame(
        tmp_path: Path, server: FakeVideosServer) -> None:
    bundle, sb, imported = project_with_imported_clip(tmp_path)
    project = load_project(bundle.path)
    backend = OpenAIBackend(name="fake", base_url=server.base_url, api_key="k",
                            poll_interval=0.05)
    chained = sb.segments[1].id
    result = run_generation(GenerationEngine(bundle, backend, check_faces=False), sb,
                            project.takes, [chained])
    assert result.ok, result.failures
    take = result.takes[chained]
    assert take.request.upstream_take == imported
    (job,) = server.state.jobs.values()
    assert job.reference_size == (320, 180)

    import cv2

    (png,) = server.received  # type: ignore[attr-defined]
    sent = cv2.cvtColor(cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR),
                        cv2.COLOR_BGR2RGB).astype(int)
    frames = rgb_frames(project.bundle.resolve(project.takes[imported].file or "")).astype(int)
    assert len(frames) == FRAMES
    last, before_last = frames[-1], frames[-2]
    assert np.abs(sent - last).mean() < 4  # the clip's true last frame …
    assert np.abs(sent - before_last).mean() > 40  # … not the one before it
    # and it is the file recorded with the take
    assert take.request.reference_file is not None
    assert (bundle.path / take.request.reference_file).read_bytes() == png


def test_regenerating_an_imported_segment_keeps_the_imported_take(
        tmp_path: Path, server: FakeVideosServer) -> None:
    bundle, sb, imported = project_with_imported_clip(tmp_path)
    first = sb.segments[0]
    sb = set_segment_field(sb, first.id, "scene", "A harbour at dawn.").apply(sb)
    sb = set_segment_field(sb, first.id, "duration", 2.0).apply(sb)
    bundle.save(sb)
    project = load_project(bundle.path)
    backend = OpenAIBackend(name="fake", base_url=server.base_url, api_key="k",
                            poll_interval=0.05)
    result = run_generation(GenerationEngine(bundle, backend, check_faces=False), sb,
                            project.takes, [first.id])
    assert result.ok, result.failures
    new = result.takes[first.id]
    assert new.source is TakeSource.GENERATED and new.id != imported
    after = load_project(bundle.path)
    old = after.takes[imported]
    assert old.source is TakeSource.IMPORTED
    assert bundle.resolve(old.file or "").is_file()
    assert {t.id for t in after.takes.values() if t.segment_id == first.id} == {imported, new.id}


def test_an_imported_image_is_the_reference_its_segment_starts_from(
        tmp_path: Path, server: FakeVideosServer) -> None:
    image = tmp_path / "storyboard frame.png"
    subprocess.run([find_ffmpeg().path, "-v", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=640x360", "-frames:v", "1", str(image)], check=True,
                   stdin=subprocess.DEVNULL)
    bundle = Bundle.create(tmp_path / "Film", Storyboard(
        title="Film", default_model="test-video", default_size="320x180"))
    sb = bundle.load_storyboard()
    result = apply_import(bundle, sb, check_files([image]))
    sb = result.edit.apply(sb)
    seg = sb.segments[0]
    assert seg.duration == 4.0  # the test model allows 2, 3 or 4 s
    sb = set_segment_field(sb, seg.id, "scene", "The frame comes to life.").apply(sb)
    bundle.save(sb)
    backend = OpenAIBackend(name="fake", base_url=server.base_url, api_key="k",
                            poll_interval=0.05)
    run = run_generation(GenerationEngine(bundle, backend, check_faces=False), sb, {},
                         [seg.id])
    assert run.ok, run.failures

    import cv2

    (png,) = server.received  # type: ignore[attr-defined]
    sent = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR).astype(int)
    want = cv2.resize(cv2.imread(str(image)), (320, 180), interpolation=cv2.INTER_AREA)
    assert sent.shape == (180, 320, 3)
    assert np.abs(sent - want.astype(int)).mean() < 3
