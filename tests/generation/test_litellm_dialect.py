"""The ``litellm`` dialect on the wire: the real ``openai`` client against the loopback
Videos server, which records every field. Each route's stills arrive in exactly the fields
and encodings docs/litellm-keyframes.md lists from LiteLLM's source; a model or route that
cannot take a last frame never receives one (validation says so first)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from soraboard.catalog.catalog import Catalog, reset_default_catalog
from soraboard.catalog.dialects import carriage, litellm_route
from soraboard.catalog.validate import validate
from soraboard.generation.engine import GenerationEngine, job_for
from soraboard.generation.errors import Rejected
from soraboard.generation.openai_backend import OpenAIBackend
from soraboard.generation.providers import PRESETS
from soraboard.model.take import TakeStatus
from soraboard.storage.bundle import Bundle
from tests.generation.conftest import TEST_MODEL
from tests.generation.test_keyframes import keyframe_bundle
from tests.helpers.fake_videos_server import FakeVideosServer

FULL = {"last_frame": True, "reference_images": 2, "reference_kinds": ["asset"]}
#: one test model per LiteLLM route (ids carry the route as LiteLLM names them)
ROUTE_MODELS = [
    {**TEST_MODEL, "id": "vertex_ai/test-veo", **FULL},
    {**TEST_MODEL, "id": "gemini/test-veo", **FULL},
    {**TEST_MODEL, "id": "volcengine/test-seedance", **FULL,
     "reference_kinds": ["subject"]},
    {**TEST_MODEL, "id": "minimax/test-hailuo", **FULL},
    {**TEST_MODEL, "id": "fal_ai/test-seedance", **FULL,
     "litellm_fields": {"last_frame": "end_image_url", "references": "image_urls"}},
    # the model takes a last frame, but the catalog names no fal field for it
    {**TEST_MODEL, "id": "fal_ai/test-kling", **FULL},
    {**TEST_MODEL, "id": "runwayml/test-gen", **FULL},
    # a proxy model_name without a route prefix: the catalog says where it goes
    {**TEST_MODEL, "id": "my-veo", **FULL, "litellm_route": "vertex_ai"},
]
PNG_320 = {"image": (320, 180), "mime": "image/png"}
PNG_REF = {"image": (100, 120), "mime": "image/png"}


@pytest.fixture(autouse=True)
def route_catalog(test_catalog: Path) -> None:
    test_catalog.write_text(json.dumps({"models": [TEST_MODEL, *ROUTE_MODELS]}), "utf-8")
    reset_default_catalog()


def litellm(server: FakeVideosServer) -> OpenAIBackend:
    return OpenAIBackend(name="litellm", base_url=server.base_url, api_key="k",
                         poll_interval=0.05, dialect="litellm")


def sent(tmp_path: Path, server: FakeVideosServer, model: str, *, last: bool = True,
         refs: int = 2) -> dict[str, Any]:
    bundle = keyframe_bundle(tmp_path, model, last=last, refs=refs)
    take = GenerationEngine(bundle, litellm(server)).generate(
        job_for(bundle.load_storyboard(), 0))
    assert take.status is TakeStatus.DONE, take.error
    [fields] = server.state.create_fields
    assert (fields["model"], fields["size"], fields["seconds"]) == (model, "320x180", "2")
    assert isinstance(fields["prompt"], str) and fields["prompt"]
    return fields


BASE = {"prompt", "model", "seconds", "size", "_json"}


def test_the_litellm_preset_speaks_the_litellm_dialect() -> None:
    assert PRESETS["litellm"].dialect == "litellm"


@pytest.mark.parametrize("model", ["vertex_ai/test-veo", "my-veo"])
def test_vertex_veo_gets_every_still_in_extra_body_instances(
        tmp_path: Path, server: FakeVideosServer, model: str) -> None:
    fields = sent(tmp_path, server, model)
    # LiteLLM's vertex route maps nothing else; input_reference beside ``instances`` would
    # be skipped by it, so it is not sent at all
    assert set(fields) == BASE | {"extra_body"}
    veo = {"veo": PNG_320}
    assert fields["extra_body"] == {"instances": {
        "image": veo, "lastFrame": veo,
        "referenceImages": [{"image": {"veo": PNG_REF}, "referenceType": "asset"}] * 2}}


def test_gemini_veo_gets_input_reference_as_a_veo_image_and_the_rest_at_the_top(
        tmp_path: Path, server: FakeVideosServer) -> None:
    fields = sent(tmp_path, server, "gemini/test-veo")
    assert set(fields) == BASE | {"input_reference", "lastFrame", "referenceImages"}
    assert fields["input_reference"] == {"veo": PNG_320}
    assert fields["lastFrame"] == {"veo": PNG_320}
    assert fields["referenceImages"] == [
        {"image": {"veo": PNG_REF}, "referenceType": "asset"}] * 2


@pytest.mark.parametrize("model", ["volcengine/test-seedance", "minimax/test-hailuo"])
def test_ark_and_minimax_get_a_content_array_with_roles(
        tmp_path: Path, server: FakeVideosServer, model: str) -> None:
    fields = sent(tmp_path, server, model)
    assert set(fields) == BASE | {"content"}  # the prompt stays in ``prompt``, no text item
    item = {"type": "image_url"}
    assert fields["content"] == [
        {**item, "image_url": {"url": PNG_320}, "role": "first_frame"},
        {**item, "image_url": {"url": PNG_320}, "role": "last_frame"},
        {**item, "image_url": {"url": PNG_REF}, "role": "reference_image"},
        {**item, "image_url": {"url": PNG_REF}, "role": "reference_image"},
    ]


def test_fal_gets_data_urls_under_the_models_own_field_names(
        tmp_path: Path, server: FakeVideosServer) -> None:
    fields = sent(tmp_path, server, "fal_ai/test-seedance")
    assert set(fields) == BASE | {"input_reference", "end_image_url", "image_urls"}
    # a string: LiteLLM's fal route refuses a file ("fal.ai needs a public image URL")
    assert fields["input_reference"] == PNG_320
    assert fields["end_image_url"] == PNG_320
    assert fields["image_urls"] == [PNG_REF, PNG_REF]


def test_runway_and_fal_without_field_names_take_a_first_frame_only(
        tmp_path: Path, server: FakeVideosServer) -> None:
    fields = sent(tmp_path / "r", server, "runwayml/test-gen", last=False, refs=0)
    assert set(fields) == BASE | {"input_reference"}
    assert fields["input_reference"] == PNG_320  # a data URL: LiteLLM makes it promptImage
    server.state.create_fields.clear()
    fields = sent(tmp_path / "k", server, "fal_ai/test-kling", last=False, refs=0)
    assert set(fields) == BASE | {"input_reference"}


def test_a_route_that_only_takes_a_first_frame_gets_the_multipart_shape(
        tmp_path: Path, server: FakeVideosServer) -> None:
    test_catalog_model = "test-video"  # no route: the OpenAI multipart create
    fields = sent(tmp_path, server, test_catalog_model, last=False, refs=0)
    assert "_json" not in fields and fields["input_reference"] == {
        "image": (320, 180), "mime": "image/png"}


@pytest.mark.parametrize("model", ["fal_ai/test-kling", "runwayml/test-gen"])
def test_a_last_frame_litellm_cannot_forward_is_never_sent(
        tmp_path: Path, server: FakeVideosServer, model: str) -> None:
    bundle = keyframe_bundle(tmp_path, model, refs=0)
    sb = bundle.load_storyboard()
    # The model itself takes a last frame: plain validation has nothing to say …
    assert not [p for p in validate(sb) if p.field == "last_keyframe"]
    # … but through a LiteLLM profile it is an error before any money, saying why.
    cat = Catalog.load().for_dialect("litellm")
    [problem] = [p for p in validate(sb, cat) if p.field == "last_keyframe"]
    assert "through this provider" in problem.message
    assert "vertex_ai/veo-3.1-generate-001" in problem.message  # a model it can send one to
    # And the backend refuses it too, with nothing on the wire.
    take_or_error: Any
    try:
        take_or_error = GenerationEngine(bundle, litellm(server)).generate(job_for(sb, 0))
    except Rejected as e:
        take_or_error = e
    text = str(take_or_error) if isinstance(take_or_error, Rejected) else \
        (take_or_error.error or "")
    assert "no last frame through LiteLLM" in text
    assert server.state.create_attempts == 0
    assert server.state.create_fields == []


def test_references_litellm_cannot_forward_are_refused(
        tmp_path: Path, server: FakeVideosServer) -> None:
    bundle = keyframe_bundle(tmp_path, "runwayml/test-gen", last=False, refs=1)
    cat = Catalog.load().for_dialect("litellm")
    [problem] = [p for p in validate(bundle.load_storyboard(), cat)
                 if p.field == "references"]
    assert "through this provider" in problem.message
    assert server.state.create_attempts == 0


def test_what_each_dialect_carries() -> None:
    cat = Catalog.load()
    veo = cat["vertex_ai/test-veo"]
    assert litellm_route(veo) == "vertex_ai" and litellm_route(cat["my-veo"]) == "vertex_ai"
    assert litellm_route(cat["test-video"]) == ""
    assert carriage("litellm", veo).last_frame and carriage("openrouter", veo).last_frame
    assert not carriage("openai", veo).last_frame
    assert carriage("openai", veo).first_frame and carriage(None, veo).reference_images == 2
    fal = cat["fal_ai/test-seedance"]
    assert carriage("litellm", fal).last_frame and carriage("litellm", fal).reference_images
    assert not carriage("litellm", cat["fal_ai/test-kling"]).last_frame
    # the built-in Seedance on fal: a last frame as end_image_url, no references
    seedance = Catalog.load(use_user_file=False)["fal_ai/seedance-2.0-i2v"]
    assert dict(seedance.litellm_fields) == {"last_frame": "end_image_url"}
    assert carriage("litellm", seedance).last_frame
    assert carriage("litellm", seedance).reference_images == 0


def test_a_bad_litellm_field_in_a_user_catalog_is_named(tmp_path: Path) -> None:
    from soraboard.catalog.catalog import CatalogError

    f = tmp_path / "models.json"
    f.write_text(json.dumps({"models": [{**TEST_MODEL, "litellm_fields": {"tail": "x"}}]}),
                 "utf-8")
    with pytest.raises(CatalogError, match="litellm_fields"):
        Catalog.load(f)


def test_the_cli_refuses_before_sending_what_the_profile_cannot_carry(
        tmp_path: Path, server: FakeVideosServer, isolated_user_dirs: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    from soraboard.cli import main

    cfg = isolated_user_dirs / "config"
    (cfg / "providers.json").write_text(json.dumps({"providers": [
        {"name": "proxy", "base_url": server.base_url, "needs_key": False,
         "dialect": "litellm", "poll_interval": 0.05}]}), "utf-8")
    bundle: Bundle = keyframe_bundle(tmp_path, "fal_ai/test-kling", refs=0)
    code = main(["generate", str(bundle.path), "--provider", "proxy", "--yes"])
    assert code == 2
    assert "through this provider" in capsys.readouterr().err
    assert server.state.create_attempts == 0
