"""Stills (issue 17.1): the OpenAI Images API through the official client against the
loopback server (which records every field), and the offline placeholder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from soraboard.generation import frames
from soraboard.generation.errors import Rejected
from soraboard.generation.stills import OfflineStills, OpenAIStills, StillRequest
from tests.generation.test_keyframes import still
from tests.helpers.fake_videos_server import FakeVideosServer


def test_a_still_from_a_prompt_comes_back_at_exactly_the_clip_size(
        tmp_path: Path, server: FakeVideosServer) -> None:
    stills = OpenAIStills(name="fake", base_url=server.base_url, api_key="k")
    out = stills.make(StillRequest("A lighthouse at dawn", "gpt-image-1", "1280x720",
                                   api_size="1536x1024"), tmp_path / "k1.png")
    [req] = server.state.image_requests
    assert req["_endpoint"] == "generations"
    assert (req["model"], req["prompt"], req["size"], req["n"]) == (
        "gpt-image-1", "A lighthouse at dawn", "1536x1024", 1)
    assert (out.width, out.height) == (1280, 720)
    assert frames.read_image(out.path).shape[:2] == (720, 1280)
    assert out.sha256 == frames.sha256_file(out.path)


def test_references_go_to_the_edits_endpoint_as_image_files(
        tmp_path: Path, server: FakeVideosServer) -> None:
    refs = [tmp_path / "ada.png", tmp_path / "lamp.png"]
    still(refs[0], 200, 300, (10, 20, 30))
    still(refs[1], 64, 64, (200, 20, 30))
    stills = OpenAIStills(name="fake", base_url=server.base_url, api_key="k")
    out = stills.make(StillRequest("Ada lights the lamp", "gpt-image-1", "320x180",
                                   references=tuple(refs)), tmp_path / "k.png")
    [req] = server.state.image_requests
    assert req["_endpoint"] == "edits"
    images = req["image[]"] if "image[]" in req else req["image"]
    assert [i["image"] for i in images] == [(200, 300), (64, 64)]
    assert all(i["mime"] == "image/png" for i in images)
    assert (out.width, out.height) == (320, 180)


def test_a_refused_still_is_a_clear_error_and_writes_nothing(
        tmp_path: Path, server: FakeVideosServer) -> None:
    server.faults.image_refuse = 1
    stills = OpenAIStills(name="fake", base_url=server.base_url, api_key="k")
    with pytest.raises(Rejected, match="safety system"):
        stills.make(StillRequest("x", "gpt-image-1", "320x180"), tmp_path / "k.png")
    assert not (tmp_path / "k.png").exists()


def test_the_offline_still_shows_the_prompt_and_costs_nothing(tmp_path: Path) -> None:
    a = OfflineStills().make(StillRequest("A red door", "any", "640x360", cast=("Ada",)),
                             tmp_path / "a.png")
    b = OfflineStills().make(StillRequest("A blue door", "any", "640x360"), tmp_path / "b.png")
    img = frames.read_image(a.path)
    assert img.shape[:2] == (360, 640)
    assert (img > 200).any()  # the text is drawn
    assert a.sha256 != b.sha256
    again = OfflineStills().make(StillRequest("A red door", "any", "640x360", cast=("Ada",)),
                                 tmp_path / "c.png")
    assert again.sha256 == a.sha256  # the same request, the same still
    assert np.array_equal(frames.read_image(again.path), img)
