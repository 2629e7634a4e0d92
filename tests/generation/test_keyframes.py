"""Keyframes (issue 17.3–17.4): what each model can take, in the catalog; validate stops a
storyboard that asks for more; the create carries first frame, last frame and references in
the provider's dialect, as the loopback server records every field."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from soraboard.catalog.catalog import Catalog, CatalogError, reset_default_catalog
from soraboard.catalog.validate import validate
from soraboard.generation.engine import GenerationEngine, job_for
from soraboard.generation.errors import Rejected
from soraboard.generation.openai_backend import OpenAIBackend
from soraboard.generation.providers import ProviderError, _from_dict
from soraboard.model.storyboard import Storyboard
from soraboard.model.take import TakeStatus
from soraboard.storage.bundle import Bundle
from soraboard.storage.codec import storyboard_from, storyboard_to_dict
from soraboard.storage.errors import SchemaError
from soraboard.storage.migrations import SCHEMA_VERSION, migrate
from tests.generation.conftest import TEST_MODEL, seg
from tests.helpers.fake_videos_server import FakeVideosServer

#: a model with first and last frame input and two reference images
KEYFRAME_MODEL = {**TEST_MODEL, "id": "test-keyframes", "last_frame": True,
                  "reference_images": 2, "reference_kinds": ["asset"]}


@pytest.fixture(autouse=True)
def keyframe_catalog(test_catalog: Path) -> None:
    test_catalog.write_text(json.dumps({"models": [TEST_MODEL, KEYFRAME_MODEL]}), "utf-8")
    reset_default_catalog()


def still(path: Path, w: int, h: int, colour: tuple[int, int, int]) -> None:
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = colour
    assert cv2.imwrite(str(path), img)


def keyframe_bundle(tmp_path: Path, model: str = "test-keyframes", *, last: bool = True,
                    refs: int = 1) -> Bundle:
    s = seg(1, model=model).with_changes(
        reference_image="media/stills/first.png",
        last_keyframe="media/stills/last.png" if last else None,
        references=tuple(f"media/stills/ref{n}.png" for n in range(refs)))
    bundle = Bundle.create(tmp_path / "Film", Storyboard(
        title="Keyframes", default_model=model, default_size="320x180", segments=(s,)))
    stills = bundle.media_dir / "stills"
    still(stills / "first.png", 640, 360, (0, 0, 255))  # fitted to 320x180 when sent
    still(stills / "last.png", 320, 180, (255, 0, 0))
    for n in range(refs):
        still(stills / f"ref{n}.png", 100, 120, (0, 255, 0))  # references go as they are
    return bundle


def test_the_catalog_says_what_each_model_takes() -> None:
    cat = Catalog.load(use_user_file=False)
    veo = cat["vertex_ai/veo-3.1-generate-001"]
    assert (veo.first_frame, veo.last_frame, veo.reference_images) == (True, True, 3)
    assert veo.reference_kinds == ("asset",)
    sora = cat["sora-2"]
    assert (sora.first_frame, sora.last_frame, sora.reference_images) == (True, False, 0)
    assert all(m.typical_latency and m.typical_latency > 0 for m in cat.values())


def test_a_bad_capability_in_a_user_catalog_is_a_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "models.json"
    f.write_text(json.dumps({"models": [{**TEST_MODEL, "reference_images": -1}]}), "utf-8")
    with pytest.raises(CatalogError, match="reference_images"):
        Catalog.load(f)


def test_validate_stops_what_the_model_cannot_take(tmp_path: Path) -> None:
    bundle = keyframe_bundle(tmp_path, "test-video", refs=2)
    problems = [p for p in validate(bundle.load_storyboard()) if p.field in (
        "last_keyframe", "references")]
    assert [p.field for p in problems] == ["last_keyframe", "references"]
    assert "cannot end on a still" in problems[0].message
    assert "vertex_ai/veo-3.1-generate-001" in problems[0].message  # says which model can
    assert "takes no reference images" in problems[1].message
    # The same storyboard on a model that can: no such error.
    sb = bundle.load_storyboard()
    sb2 = Storyboard(title=sb.title, segments=tuple(
        s.with_changes(model="test-keyframes") for s in sb.segments))
    assert not [p for p in validate(sb2) if p.field in ("last_keyframe", "references")]
    sb3 = Storyboard(title=sb.title, segments=tuple(
        s.with_changes(model="test-keyframes", references=("a.png", "b.png", "c.png"))
        for s in sb.segments))
    assert [p.field for p in validate(sb3) if p.field == "references"] == ["references"]


def test_openrouter_dialect_sends_frame_images_and_references(
        tmp_path: Path, server: FakeVideosServer) -> None:
    bundle = keyframe_bundle(tmp_path, refs=2)
    sb = bundle.load_storyboard()
    backend = OpenAIBackend(name="router", base_url=server.base_url, api_key="k",
                            poll_interval=0.05, dialect="openrouter")
    engine = GenerationEngine(bundle, backend)
    take = engine.generate(job_for(sb, 0))
    assert take.status is TakeStatus.DONE, take.error
    [fields] = server.state.create_fields
    assert fields["_json"] is True
    assert (fields["model"], fields["size"], fields["seconds"]) == (
        "test-keyframes", "320x180", "2")
    assert "input_reference" not in fields
    assert fields["frame_images"] == [
        {"type": "image_url", "frame_type": "first_frame",
         "image_url": {"url": {"image": (320, 180), "mime": "image/png"}}},
        {"type": "image_url", "frame_type": "last_frame",
         "image_url": {"url": {"image": (320, 180), "mime": "image/png"}}},
    ]
    assert fields["input_references"] == [
        {"type": "image_url", "image_url": {"url": {"image": (100, 120), "mime": "image/png"}}}
    ] * 2
    # The take remembers what it sent, so a resume sends the same.
    assert take.request.last_frame_file and take.request.reference_files
    again = engine.request_of(take)
    assert again.last_frame is not None and again.last_frame.exists()
    assert len(again.references) == 2


def test_openai_dialect_sends_the_first_frame_as_a_multipart_file(
        tmp_path: Path, server: FakeVideosServer) -> None:
    bundle = keyframe_bundle(tmp_path, last=False, refs=0)
    backend = OpenAIBackend(name="fake", base_url=server.base_url, api_key="k",
                            poll_interval=0.05)
    take = GenerationEngine(bundle, backend).generate(job_for(bundle.load_storyboard(), 0))
    assert take.status is TakeStatus.DONE, take.error
    [fields] = server.state.create_fields
    assert fields["input_reference"]["image"] == (320, 180)
    assert "frame_images" not in fields and "_json" not in fields


def test_a_last_frame_is_never_sent_where_it_cannot_go(
        tmp_path: Path, server: FakeVideosServer) -> None:
    # A model without last-frame input: refused before anything is journaled or sent.
    bundle = keyframe_bundle(tmp_path, "test-video", refs=0)
    backend = OpenAIBackend(name="router", base_url=server.base_url, api_key="k",
                            poll_interval=0.05, dialect="openrouter")
    with pytest.raises(Rejected, match="not sent: test-video takes no last frame"):
        GenerationEngine(bundle, backend).generate(job_for(bundle.load_storyboard(), 0))
    assert server.state.create_attempts == 0
    assert bundle.load_takes()[0] == {}
    # A model that can, on a provider whose dialect cannot carry it: refused, nothing sent.
    bundle2 = keyframe_bundle(tmp_path / "b", refs=0)
    plain = OpenAIBackend(name="fake", base_url=server.base_url, api_key="k",
                          poll_interval=0.05)
    take = GenerationEngine(bundle2, plain).generate(job_for(bundle2.load_storyboard(), 0))
    assert take.status is TakeStatus.FAILED and "first frame only" in (take.error or "")
    assert server.state.create_attempts == 0


def test_a_profile_with_an_unknown_dialect_is_refused() -> None:
    assert _from_dict({"name": "r", "base_url": "http://x", "dialect": "openrouter"}).dialect \
        == "openrouter"
    with pytest.raises(ProviderError, match="dialect"):
        _from_dict({"name": "r", "base_url": "http://x", "dialect": "grpc"})


def test_keyframes_are_saved_and_an_older_reader_refuses_them(tmp_path: Path) -> None:
    bundle = keyframe_bundle(tmp_path, refs=2)
    sb = bundle.load_storyboard()
    s = sb.segments[0]
    assert s.last_keyframe == "media/stills/last.png"
    assert s.references == ("media/stills/ref0.png", "media/stills/ref1.png")
    assert storyboard_from(storyboard_to_dict(sb)) == sb
    doc = json.loads((bundle.path / "storyboard.json").read_text("utf-8"))
    assert doc["schema_version"] == SCHEMA_VERSION == 3
    # A version-2 file (no keyframes) still opens …
    old = {**doc, "schema_version": 2}
    assert migrate(old)["schema_version"] == 3
    # … and a soraboard that reads up to 2 refuses this one rather than drop its keyframes.
    with pytest.raises(SchemaError, match="newer soraboard"):
        migrate(doc, current=2)
    # A keyframe path that escapes the bundle is an error on load.
    bad = storyboard_to_dict(sb)
    bad["segments"][0]["reference"]["images"] = ["../../etc/passwd"]
    with pytest.raises(SchemaError, match="escapes the bundle"):
        storyboard_from(bad)



def test_the_animatic_starts_on_the_first_still_and_ends_on_the_last(tmp_path: Path) -> None:
    """Keyframe mode rehearsed offline: shot 1 ends on K, shot 2 starts on K."""
    from soraboard.generation import frames
    from soraboard.generation.animatic import AnimaticBackend

    a = seg(1, model="test-keyframes").with_changes(
        reference_image="media/stills/a.png", last_keyframe="media/stills/k.png")
    b = seg(2, model="test-keyframes").with_changes(reference_image="media/stills/k.png")
    bundle = Bundle.create(tmp_path / "Film", Storyboard(
        title="Keyframes", default_model="test-keyframes", default_size="320x180",
        segments=(a, b)))
    sb = bundle.load_storyboard()
    assert sb.held_by_keyframe(0) and not sb.held_by_keyframe(1)
    stills = bundle.media_dir / "stills"
    still(stills / "a.png", 320, 180, (200, 40, 40))  # BGR: blue
    still(stills / "k.png", 640, 360, (40, 200, 40))  # green, fitted to 320x180
    engine = GenerationEngine(bundle, AnimaticBackend(), check_faces=False)
    one, two = (engine.generate(job_for(sb, i)) for i in (0, 1))
    assert one.status is TakeStatus.DONE and two.status is TakeStatus.DONE

    def diff(img: np.ndarray, colour: tuple[int, int, int]) -> float:
        return float(np.abs(img.astype(float) - np.array(colour, float)).mean())

    first_of_one = frames.frame_at(bundle.resolve(one.file or ""), 0.0)
    last_of_one = frames.last_frame(bundle.resolve(one.file or ""))
    first_of_two = frames.frame_at(bundle.resolve(two.file or ""), 0.0)
    # Shot 1 starts on A (under its title) and ends exactly on K; shot 2 starts on K.
    assert diff(first_of_one, (200, 40, 40)) < 25
    assert diff(last_of_one, (40, 200, 40)) < 4
    assert diff(first_of_two, (40, 200, 40)) < 25
    assert diff(last_of_one, (200, 40, 40)) > 100
