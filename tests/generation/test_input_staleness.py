"""Staleness of keyframe inputs (issue 17): a take goes stale, with the reason, when the
keyframe stills or the reference images it was made from change — another file named, or
the same file with other content (the sha256 recorded in the request snapshot)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from soraboard.generation.engine import GenerationEngine, job_for
from soraboard.generation.openai_backend import OpenAIBackend
from soraboard.model.edits import choose_take
from soraboard.model.status import SegmentState, input_paths, segment_status, stale_reason
from soraboard.model.storyboard import Storyboard
from soraboard.model.take import TakeStatus
from soraboard.storage.bundle import Bundle, load_project
from tests.generation.test_keyframes import keyframe_bundle, keyframe_catalog, still
from tests.helpers.fake_videos_server import FakeVideosServer

__all__ = ["keyframe_catalog"]  # the fixture: the catalog with a last-frame model


def generated(tmp_path: Path, server: FakeVideosServer) -> tuple[Bundle, Storyboard]:
    """One shot with a first keyframe, a last keyframe and one reference image, generated
    over the loopback server (the openrouter dialect carries all three)."""
    bundle = keyframe_bundle(tmp_path, refs=1)
    sb = bundle.load_storyboard()
    backend = OpenAIBackend(name="router", base_url=server.base_url, api_key="k",
                            poll_interval=0.05, dialect="openrouter")
    take = GenerationEngine(bundle, backend).generate(job_for(sb, 0))
    assert take.status is TakeStatus.DONE, take.error
    sb = choose_take(sb, sb.segments[0].id, take.id).apply(sb)
    bundle.save(sb)
    return bundle, sb


def test_a_take_records_the_images_it_was_made_from_with_their_hashes(
        tmp_path: Path, server: FakeVideosServer) -> None:
    bundle, sb = generated(tmp_path, server)
    project = load_project(bundle.path)  # what was journaled survives a reload
    [take] = project.takes.values()
    assert [(role, path) for role, path, _sha in take.request.inputs or ()] == [
        ("first keyframe", "media/stills/first.png"),
        ("last keyframe", "media/stills/last.png"),
        ("reference image", "media/stills/ref0.png")]
    hashes = bundle.input_hashes(input_paths(sb))
    assert [sha for _r, _p, sha in take.request.inputs or ()] == [
        hashes["media/stills/first.png"], hashes["media/stills/last.png"],
        hashes["media/stills/ref0.png"]]
    assert stale_reason(sb, project.takes, 0, hashes) is None


@pytest.mark.parametrize(("name", "role"), [("first.png", "first keyframe"),
                                            ("last.png", "last keyframe"),
                                            ("ref0.png", "reference image")])
def test_an_input_image_edited_in_place_makes_the_take_stale(
        tmp_path: Path, server: FakeVideosServer, name: str, role: str) -> None:
    bundle, sb = generated(tmp_path, server)
    takes = load_project(bundle.path).takes
    still(bundle.media_dir / "stills" / name, 320, 180, (9, 99, 199))  # painted over
    hashes = bundle.input_hashes(input_paths(sb))
    status = segment_status(sb, takes, 0, hashes)
    assert status.state is SegmentState.STALE
    assert status.reason == f"the {role} media/stills/{name} changed since this take"
    # Without the hashes only a change of file is seen.
    assert stale_reason(sb, takes, 0) is None
    # A missing input is said as such.
    (bundle.media_dir / "stills" / name).unlink()
    assert stale_reason(sb, takes, 0, bundle.input_hashes(input_paths(sb))) == (
        f"the {role} media/stills/{name} is missing")


def test_naming_other_images_makes_the_take_stale(
        tmp_path: Path, server: FakeVideosServer) -> None:
    bundle, sb = generated(tmp_path, server)
    takes = load_project(bundle.path).takes
    seg = sb.segments[0]

    def why(**changes: object) -> str | None:
        board = Storyboard(title=sb.title, segments=(seg.with_changes(**changes),))
        return stale_reason(board, takes, 0)

    assert why(last_keyframe="media/stills/other.png") == (
        "last keyframe replaced since this take")
    assert why(last_keyframe=None) == "last keyframe removed since this take"
    assert why(reference_image=None) == "first keyframe removed since this take"
    assert why(references=("media/stills/ref0.png", "media/stills/ref1.png")) == (
        "reference images changed since this take")
    assert why(references=()) == "reference images changed since this take"
    assert why() is None


def test_a_take_from_before_inputs_were_kept_is_not_called_stale(
        tmp_path: Path, server: FakeVideosServer) -> None:
    bundle, sb = generated(tmp_path, server)
    [take] = load_project(bundle.path).takes.values()
    old = take.with_changes(request=replace(take.request, inputs=None))
    bundle.write_take(old)
    assert "inputs" not in (bundle.takes_dir / f"{take.id}.json").read_text("utf-8")
    reloaded = load_project(bundle.path).takes
    assert reloaded[take.id].request.inputs is None
    still(bundle.media_dir / "stills" / "last.png", 320, 180, (9, 99, 199))
    assert stale_reason(sb, reloaded, 0, bundle.input_hashes(input_paths(sb))) is None


def test_generate_remakes_a_shot_whose_still_was_edited(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from soraboard.cli import main

    bundle = keyframe_bundle(tmp_path, refs=0)
    assert main(["generate", str(bundle.path), "--provider", "animatic"]) == 0
    assert main(["generate", str(bundle.path), "--provider", "animatic"]) == 0
    assert "Nothing to generate" in capsys.readouterr().out
    still(bundle.media_dir / "stills" / "last.png", 320, 180, (9, 99, 199))
    assert main(["generate", str(bundle.path), "--provider", "animatic"]) == 0
    assert "Generating 1 segment(s)" in capsys.readouterr().err
    assert len(load_project(bundle.path).takes) == 2
