"""Cast in the style bible (issue 17.2): characters, props and places with reference images;
a segment lists who appears, and their images go to the model as references."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from soraboard.catalog.catalog import reset_default_catalog
from soraboard.catalog.validate import Severity, validate
from soraboard.generation.engine import GenerationEngine, job_for
from soraboard.generation.openai_backend import OpenAIBackend
from soraboard.model.prompt import suggest_cast
from soraboard.model.storyboard import CastKind, Character, Storyboard, StyleBible
from soraboard.model.take import TakeStatus
from soraboard.storage.bundle import Bundle
from soraboard.storage.codec import storyboard_from, storyboard_to_dict
from soraboard.storage.errors import SchemaError
from tests.generation.conftest import TEST_MODEL, seg
from tests.generation.test_keyframes import KEYFRAME_MODEL, still
from tests.helpers.fake_videos_server import FakeVideosServer

ADA = Character("Ada", "a lighthouse keeper in a yellow coat", CastKind.CHARACTER,
                ("media/cast/ada-front.png", "media/cast/ada-profile.png"))
LAMP = Character("The lamp", "a brass storm lamp", CastKind.PROP, ("media/cast/lamp.png",))


def film(cast: tuple[str, ...], model: str = "test-keyframes") -> Storyboard:
    s = seg(1, model=model).with_changes(scene="Ada climbs the stairs with the lamp.",
                                         cast=cast, references=("media/cast/stairs.png",))
    return Storyboard(title="Cast", default_model=model, default_size="320x180",
                      style=StyleBible(characters=(ADA, LAMP)), segments=(s,))


@pytest.fixture(autouse=True)
def keyframe_catalog(test_catalog: Path) -> None:
    test_catalog.write_text(json.dumps({"models": [
        TEST_MODEL, {**KEYFRAME_MODEL, "reference_images": 4}]}), "utf-8")
    reset_default_catalog()


def test_a_segment_sends_its_own_and_its_casts_images() -> None:
    sb = film(("Ada", "the lamp"))
    assert suggest_cast(sb.segments[0], sb.style.characters) == ("Ada", "The lamp")
    alone = sb.segments[0].with_changes(scene="Ada looks at the sea.")
    assert suggest_cast(alone, sb.style.characters) == ("Ada",)
    assert sb.reference_images(0) == ("media/cast/stairs.png", "media/cast/ada-front.png",
                                       "media/cast/ada-profile.png", "media/cast/lamp.png")
    assert film(("Ada",)).reference_images(0)[1:] == ADA.images
    assert film(()).reference_images(0) == ("media/cast/stairs.png",)


def test_the_cast_is_saved_and_checked_on_load() -> None:
    sb = film(("Ada", "The lamp"))
    assert storyboard_from(storyboard_to_dict(sb)) == sb
    doc = storyboard_to_dict(sb)
    assert doc["style"]["characters"][1]["kind"] == "prop"
    doc["style"]["characters"][0]["images"] = ["a.png"] * 5
    with pytest.raises(SchemaError, match="at most 4 images"):
        storyboard_from(doc)
    doc["style"]["characters"][0]["images"] = ["/etc/passwd"]
    with pytest.raises(SchemaError, match="absolute"):
        storyboard_from(doc)


def test_validate_counts_the_casts_images_against_the_model() -> None:
    problems = [p for p in validate(film(("Ada", "The lamp"), model="test-video"))
                if p.field in ("references", "cast")]
    assert [p.field for p in problems] == ["references"]
    assert problems[0].message.startswith("4 reference images (its own and its cast's)")
    assert not [p for p in validate(film(("Ada", "The lamp"))) if p.field == "references"]
    stranger = [p for p in validate(film(("Bob",))) if p.field == "cast"]
    assert [p.severity for p in stranger] == [Severity.WARNING]
    assert "Bob" in stranger[0].message


def test_the_casts_images_reach_the_provider(tmp_path: Path,
                                             server: FakeVideosServer) -> None:
    sb = film(("Ada",))
    bundle = Bundle.create(tmp_path / "Film", sb)
    cast_dir = bundle.media_dir / "cast"
    still(cast_dir / "stairs.png", 80, 60, (1, 2, 3))
    still(cast_dir / "ada-front.png", 90, 120, (1, 2, 3))
    still(cast_dir / "ada-profile.png", 100, 120, (1, 2, 3))
    backend = OpenAIBackend(name="router", base_url=server.base_url, api_key="k",
                            poll_interval=0.05, dialect="openrouter")
    take = GenerationEngine(bundle, backend, check_faces=False).generate(job_for(sb, 0))
    assert take.status is TakeStatus.DONE, take.error
    [fields] = server.state.create_fields
    assert [r["image_url"]["url"]["image"] for r in fields["input_references"]] == [
        (80, 60), (90, 120), (100, 120)]
    assert take.request.reference_files == sb.reference_images(0)
