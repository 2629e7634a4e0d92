"""Keyframe mode (issue 17.5): a boundary held by a shared keyframe still does not make the
shot after it wait for the clip before it; all such clips start at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from soraboard.catalog.catalog import reset_default_catalog
from soraboard.generation.engine import GenerationEngine, run_generation
from soraboard.generation.openai_backend import OpenAIBackend
from soraboard.generation.scheduler import (
    Mode,
    boundary_modes,
    critical_path,
    decide,
    plan_segments,
    stale_after,
)
from soraboard.model.status import stale_reason
from soraboard.model.storyboard import RefMode, Storyboard
from soraboard.model.take import RequestSnapshot, Take, TakeStatus
from soraboard.storage.bundle import Bundle
from tests.generation.conftest import seg
from tests.generation.test_keyframes import KEYFRAME_MODEL, still
from tests.helpers.fake_videos_server import FakeVideosServer


def keyframed(n: int, held: set[int], model: str = "test-video") -> Storyboard:
    """``n`` chained shots; boundary ``i`` (after shot i, 0-based) is held by still K{i}
    when ``i`` is in ``held``."""
    segs = []
    for i in range(n):
        s = seg(i + 1, chain=i > 0, model=model)
        if i - 1 in held:
            s = s.with_changes(ref_mode=RefMode.CUSTOM, reference_image=f"media/stills/k{i - 1}.png")
        if i in held:
            s = s.with_changes(last_keyframe=f"media/stills/k{i}.png")
        segs.append(s)
    return Storyboard(segments=tuple(segs))


def test_held_boundaries_let_every_clip_start_at_once() -> None:
    sb = keyframed(5, {0, 1, 2, 3})
    assert boundary_modes(sb) == ["keyframe"] * 4
    ids = [s.id for s in sb.segments]
    d = decide(sb, {}, ids, {}, {}, dict.fromkeys(ids, "p"), {"p": 5})
    assert d.ready == tuple(ids) and not d.waiting
    # … up to the profile's concurrency.
    d = decide(sb, {}, ids, {}, {}, dict.fromkeys(ids, "p"), {"p": 3})
    assert d.ready == tuple(ids[:3])
    assert all("free slot" in why for why in d.waiting.values())
    assert critical_path(sb, ids) == [[i] for i in ids]


def test_a_chained_boundary_still_waits() -> None:
    sb = keyframed(4, {0, 2})
    assert boundary_modes(sb) == ["keyframe", "chain", "keyframe"]
    ids = [s.id for s in sb.segments]
    d = decide(sb, {}, ids, {}, {}, dict.fromkeys(ids, "p"), {"p": 5})
    assert d.ready == (ids[0], ids[1], ids[3])
    assert "continuity" in d.waiting[ids[2]]
    # A still that differs on the two sides holds nothing.
    sb2 = Storyboard(segments=(sb.segments[0].with_changes(last_keyframe="media/stills/x.png"),
                               *sb.segments[1:]))
    assert boundary_modes(sb2)[0] == "chain"


def test_a_new_take_before_a_held_boundary_makes_nothing_stale() -> None:
    from soraboard.model.prompt import compose_prompt

    sb = keyframed(3, {0})
    assert stale_after(sb, 0) == []
    assert [j for j, _ in stale_after(sb, 1)] == [2]
    s2 = sb.segments[1]
    take = Take(id="t2", segment_id=s2.id, provider="p", created_at=1.0,
                request=RequestSnapshot(compose_prompt(sb, 1).text, s2.model, s2.size,
                                        s2.duration), status=TakeStatus.DONE,
                file="media/takes/t2.mp4")
    board = Storyboard(segments=(sb.segments[0].with_changes(chosen_take="new"),
                                 s2.with_changes(chosen_take="t2"), sb.segments[2]))
    assert stale_reason(board, {"t2": take}, 1) is None
    # Generating what is missing or stale after shot 1 does not drag shot 2 along.
    s1 = sb.segments[0]
    t1 = Take(id="t1", segment_id=s1.id, provider="p", created_at=1.0,
              request=RequestSnapshot(compose_prompt(sb, 0).text, s1.model, s1.size,
                                      s1.duration), status=TakeStatus.FAILED)
    assert plan_segments(sb, {"t1": t1}, Mode.MISSING_OR_STALE) == [s.id for s in sb.segments]
    board2 = Storyboard(segments=(s1, s2.with_changes(chosen_take="t2"),
                                  sb.segments[2].with_changes(chosen_take="t3")))
    t3 = Take(id="t3", segment_id=sb.segments[2].id, provider="p", created_at=1.0,
              request=RequestSnapshot(compose_prompt(sb, 2).text, s2.model, s2.size,
                                      s2.duration, upstream_take="t2"),
              status=TakeStatus.DONE, file="media/takes/t3.mp4")
    assert plan_segments(board2, {"t2": take, "t3": t3}, Mode.MISSING_OR_STALE) == [s1.id]


def test_a_keyframe_run_sends_every_create_at_once(tmp_path: Path, server: FakeVideosServer,
                                                   test_catalog: Path) -> None:
    test_catalog.write_text(json.dumps({"models": [KEYFRAME_MODEL]}), "utf-8")
    reset_default_catalog()
    server.state.latency = 1.0
    sb = keyframed(3, {0, 1}, model="test-keyframes")
    bundle = Bundle.create(tmp_path / "Film", sb)
    for i in range(2):
        still(bundle.media_dir / "stills" / f"k{i}.png", 320, 180, (40 * i, 90, 200))
    backend = OpenAIBackend(name="fake", base_url=server.base_url, api_key="k",
                            poll_interval=0.05, concurrency=3, dialect="openrouter")
    result = run_generation(GenerationEngine(bundle, backend, check_faces=False), sb, {},
                            [s.id for s in sb.segments])
    assert result.ok, result.failures
    created = sorted(j.created_at for j in server.state.jobs.values())
    assert len(created) == 3 and created[-1] - created[0] < 0.5  # chained: >= 2 latencies
    # Each shot after a held boundary started on its still, not on the previous clip.
    for s in sb.segments[1:]:
        take = result.takes[s.id]
        assert take.request.upstream_take is None and take.request.reference_file


def test_generate_says_how_each_boundary_is_held(tmp_path: Path, test_catalog: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from soraboard.cli import main

    test_catalog.write_text(json.dumps({"models": [KEYFRAME_MODEL]}), "utf-8")
    reset_default_catalog()
    sb = keyframed(3, {0}, model="test-keyframes")
    bundle = Bundle.create(tmp_path / "Film", sb)
    still(bundle.media_dir / "stills" / "k0.png", 320, 180, (10, 90, 200))
    assert main(["generate", str(bundle.path)]) == 0
    err = capsys.readouterr().err
    assert "boundaries: 1→2 keyframe (in parallel), 2→3 chain (waits)" in err


def test_keyframes_command_holds_boundaries_then_generate_runs_them_at_once(
        tmp_path: Path, test_catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from soraboard.cli import main
    from soraboard.model.edits import hold_boundary
    from soraboard.storage.bundle import load_project

    test_catalog.write_text(json.dumps({"models": [KEYFRAME_MODEL]}), "utf-8")
    reset_default_catalog()
    sb = keyframed(3, set(), model="test-keyframes")
    bundle = Bundle.create(tmp_path / "Film", sb)
    assert main(["keyframes", str(bundle.path), "--provider", "animatic"]) == 0
    out = capsys.readouterr().out
    assert "2 of 2 boundaries held by keyframe stills (offline placeholders ($0))" in out
    after = load_project(bundle.path).storyboard
    assert boundary_modes(after) == ["keyframe", "keyframe"]
    for i in range(2):
        path = bundle.resolve(after.segments[i].last_keyframe or "")
        assert path.exists() and path.parent.name == "stills"
    # Releasing a boundary is one step back to chaining.
    released = hold_boundary(after, 0, None).apply(after)
    assert boundary_modes(released) == ["chain", "keyframe"]
    # Nothing left to hold; generate runs the keyframed film offline.
    assert main(["keyframes", str(bundle.path), "--provider", "animatic"]) == 0
    assert "Nothing to do" in capsys.readouterr().out
    assert main(["generate", str(bundle.path), "--provider", "animatic"]) == 0
    assert "1→2 keyframe (in parallel), 2→3 keyframe (in parallel)" in capsys.readouterr().err


def test_keyframes_command_refuses_a_model_without_last_frame_input(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from soraboard.cli import main

    bundle = Bundle.create(tmp_path / "Film", keyframed(2, set()))
    assert main(["keyframes", str(bundle.path), "--boundaries", "1",
                 "--provider", "animatic"]) == 2
    err = capsys.readouterr().err
    assert "cannot end on a still: 1 (test-video)" in err
    assert not (bundle.media_dir / "stills").exists()


def test_keyframes_on_a_provider_price_the_stills_and_use_its_images_api(
        tmp_path: Path, test_catalog: Path, server: FakeVideosServer,
        capsys: pytest.CaptureFixture[str]) -> None:
    from dataclasses import replace

    from soraboard.cli import main
    from soraboard.generation.providers import ProviderProfile, save_profile
    from soraboard.storage.bundle import load_project

    test_catalog.write_text(json.dumps({"models": [KEYFRAME_MODEL]}), "utf-8")
    reset_default_catalog()
    # a dialect that carries last frames (the OpenAI shape cannot: keyframes would refuse)
    save_profile(ProviderProfile("fake", server.base_url, needs_key=False,
                                 dialect="openrouter"))
    sb = replace(keyframed(3, set(), model="test-keyframes"), budget="0.05")
    bundle = Bundle.create(tmp_path / "Film", sb)
    # An image model the catalog has no price for: asks first.
    assert main(["keyframes", str(bundle.path), "--provider", "fake",
                 "--model", "imagen-x"]) == 2
    assert "unknown amount" in capsys.readouterr().err
    # Two stills of gpt-image-1 ($0.063 each at medium quality) pass the $0.05 budget.
    assert main(["keyframes", str(bundle.path), "--provider", "fake"]) == 2
    err = capsys.readouterr().err
    assert "2 still(s) of gpt-image-1: $0.13 — over the budget $0.05" in err
    assert server.state.image_requests == []
    assert main(["keyframes", str(bundle.path), "--provider", "fake", "--yes"]) == 0
    reqs = server.state.image_requests
    assert [(r["_endpoint"], r["model"], r["size"]) for r in reqs] == [
        ("generations", "gpt-image-1", "1536x1024")] * 2  # the nearest shape it makes
    # the quality the price is for, never the model's default ("auto" may bill high)
    assert [r.get("quality") for r in reqs] == ["medium"] * 2
    assert reqs[0]["prompt"].startswith("A single still frame")
    after = load_project(bundle.path).storyboard
    still_file = bundle.resolve(after.segments[0].last_keyframe or "")
    from soraboard.generation.frames import read_image

    assert read_image(still_file).shape[:2] == (180, 320)  # cropped to the clip's size
