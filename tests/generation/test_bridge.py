"""Bridge a bad seam (issue 17.6): the incoming shot regenerated between the two real frames,
or a short bridge clip inserted — priced before it runs, a new take (the old one kept), and
the seam scored again after. Offline animatic backend, real ffmpeg, real files."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from soraboard.catalog.catalog import Catalog, default_catalog, reset_default_catalog
from soraboard.cli import main
from soraboard.generation.bridge import (
    BridgeError,
    BridgeMode,
    bridge_mode,
    plan_bridge,
)
from soraboard.generation.providers import ProviderProfile, save_profile
from soraboard.media.ffmpeg import find_ffmpeg
from soraboard.model.edits import set_segment_field, set_segment_fields
from soraboard.model.storyboard import Continuity, RefMode
from soraboard.model.take import chosen_take
from soraboard.stitch.seams import MATCH, continuity_score, seam_report
from soraboard.storage.bundle import Bundle, load_project
from tests.generation.conftest import TEST_MODEL, make_bundle
from tests.generation.test_keyframes import KEYFRAME_MODEL, still
from tests.helpers.fake_videos_server import FakeVideosServer


@pytest.fixture(autouse=True)
def bridge_catalog(test_catalog: Path) -> None:
    """``test-video`` cannot end on a still; ``test-keyframes`` can."""
    test_catalog.write_text(json.dumps({"models": [TEST_MODEL, KEYFRAME_MODEL]}), "utf-8")
    reset_default_catalog()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def jumpy(tmp_path: Path, capsys: pytest.CaptureFixture[str], model: str,
          shots: int = 2) -> Bundle:
    """Two (or more) shots generated as unrelated shots — the second on a bright yellow
    still — then the second marked chained: its take does not start where the first ends,
    a deliberate jump."""
    bundle = make_bundle(tmp_path / "Film", [False] * shots, model=model)
    still(bundle.media_dir / "stills" / "yellow.png", 320, 180, (0, 220, 255))
    sb = bundle.load_storyboard()
    bundle.save(set_segment_field(sb, "seg_02", "reference_image",
                                  "media/stills/yellow.png").apply(sb))
    code, _, err = run(capsys, "generate", str(bundle.path), "--provider", "animatic")
    assert code == 0, err
    sb = bundle.load_storyboard()
    bundle.save(set_segment_fields(sb, "seg_02", continuity=Continuity.CHAIN,
                                   reference_image=None).apply(sb))
    return bundle


def last_time(seconds: float) -> float:
    return seconds - 1 / 24 - 1 / 48  # half a frame before the last frame, at 24 fps


def test_regenerate_mode_starts_the_shot_on_the_real_last_frame_and_keeps_the_old_take(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = jumpy(tmp_path, capsys, "test-keyframes")
    project = load_project(bundle.path)
    (before,) = seam_report(project)
    assert before.verdict == "jump" and before.score is not None and before.score < 0.55
    old = chosen_take(project.storyboard.segments[1], project.takes)
    assert old is not None and old.file is not None

    code, out, err = run(capsys, "bridge", str(bundle.path), "--after", "1",
                         "--provider", "animatic", "--yes")
    assert code == 0, err
    # the mode and the price come before the take
    assert "regenerate segment 2" in out
    assert out.index("Price: $0.00") < out.index("New take")
    after_project = load_project(bundle.path)
    seg2 = after_project.storyboard.segments[1]
    new = chosen_take(seg2, after_project.takes)
    assert new is not None and new.id != old.id and new.usable
    # nothing lost: the old take's record and file are still there
    assert old.id in after_project.takes
    assert bundle.resolve(old.file).is_file()
    # the edit: starts on A (a custom first still), ends on B (its own former last frame)
    assert seg2.ref_mode is RefMode.CUSTOM and seg2.is_chained
    assert seg2.reference_image and seg2.reference_image.startswith("media/bridges/")
    assert seg2.last_keyframe == f"media/bridges/{old.id}-last.png"
    assert new.request.last_frame_file is not None
    # measured with the seam metric: the new first frame is shot 1's last …
    (after,) = seam_report(after_project)
    assert after.score is not None and after.score >= MATCH > before.score
    assert after.verdict == "seamless"
    # … and the new last frame is the old take's last frame
    ff = find_ffmpeg()
    assert new.file is not None
    end = continuity_score(bundle.resolve(old.file), last_time(2.0),
                           bundle.resolve(new.file), last_time(2.0), ff)
    assert end >= MATCH
    assert f"Score: {before.score:.2f} → {after.score:.2f}" in out


def test_insert_mode_puts_a_short_bridge_clip_between_the_shots(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = jumpy(tmp_path, capsys, "test-keyframes")
    project = load_project(bundle.path)
    (before,) = seam_report(project)
    old_ids = [s.chosen_take for s in project.storyboard.segments]

    code, out, err = run(capsys, "bridge", str(bundle.path), "--after", "1", "--insert",
                         "--provider", "animatic", "--yes")
    assert code == 0, err
    assert "insert a 2 s bridge clip between segments 1 and 2" in out
    after_project = load_project(bundle.path)
    segs = after_project.storyboard.segments
    assert [s.id for s in segs][::2] == ["seg_01", "seg_02"] and len(segs) == 3
    bridge = segs[1]
    assert bridge.duration == 2.0 and bridge.model == "test-keyframes"
    assert "continuous transition" in bridge.scene
    # the shots either side keep their takes
    assert [segs[0].chosen_take, segs[2].chosen_take] == old_ids
    assert bridge.chosen_take and after_project.takes[bridge.chosen_take].usable
    # both new seams match: 1 → bridge starts on A, bridge → 2 ends on shot 2's first frame
    seams = seam_report(after_project)
    assert len(seams) == 2
    assert all(s.score is not None and s.score >= MATCH for s in seams), seams
    assert before.score is not None and min(s.score or 0 for s in seams) > before.score
    assert "Seam after: 1 → 2" in out and "2 → 3" in out


def test_a_model_without_last_frame_input_gets_a_bridge_clip_that_starts_on_the_frame(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = jumpy(tmp_path, capsys, "test-video")
    project = load_project(bundle.path)
    catalog = default_catalog()
    mode, why = bridge_mode(project.storyboard, project.takes, catalog, 0)
    assert mode is BridgeMode.INSERT and "cannot end on a still" in why
    plan = plan_bridge(bundle, project.storyboard, project.takes, catalog, 0)
    # priced from the catalog: 2 s (the model's shortest) at $0.10/s
    assert plan.cost.cost == Decimal("0.20") and plan.cost.seconds == 2.0
    sb = plan.edit.apply(project.storyboard)
    bridge = sb.segment(plan.target_id)
    assert bridge.last_keyframe is None  # the model could not take it
    assert bridge.reference_image == plan.frames.out_last
    # the edit is one undo step that leaves the storyboard as it was
    assert plan.edit.revert(sb) == project.storyboard

    code, out, err = run(capsys, "bridge", str(bundle.path), "--after", "1",
                         "--provider", "animatic", "--yes")
    assert code == 0, err
    assert "its end is free" in out  # said before it runs
    seams = seam_report(load_project(bundle.path))
    first = seams[0]
    assert first.score is not None and first.score >= MATCH  # the jump into the bridge is gone


def test_refusals_say_why_and_change_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = make_bundle(tmp_path / "Film", [False, True], model="test-keyframes")
    before = bundle.storyboard_file.read_bytes()
    # no take yet
    code, _, err = run(capsys, "bridge", str(bundle.path), "--after", "1",
                       "--provider", "animatic", "--yes")
    assert code == 2 and "segment 1 has no take yet" in err
    code, _, err = run(capsys, "generate", str(bundle.path), "--provider", "animatic")
    assert code == 0, err
    generated = bundle.storyboard_file.read_bytes()
    # the last segment has no seam after it; there is no segment 3
    code, _, err = run(capsys, "bridge", str(bundle.path), "--after", "2", "--yes")
    assert code == 2 and "segment 2 is the last one" in err
    code, _, err = run(capsys, "bridge", str(bundle.path), "--after", "3", "--yes")
    assert code == 2 and "there is no segment 3" in err
    # a model that cannot start on a still
    catalog = default_catalog()
    project = load_project(bundle.path)
    from dataclasses import replace

    blind = Catalog([replace(catalog[m], first_frame=False) for m in catalog])
    with pytest.raises(BridgeError, match="cannot start on a still"):
        bridge_mode(project.storyboard, project.takes, blind, 0)
    assert bundle.storyboard_file.read_bytes() == generated != before
    # without --yes and nobody to ask: nothing changes, nothing is generated
    takes = set(load_project(bundle.path).takes)
    code, out, err = run(capsys, "bridge", str(bundle.path), "--after", "1",
                         "--provider", "animatic")
    assert code == 2 and "--yes" in err and "Price:" in out
    assert bundle.storyboard_file.read_bytes() == generated
    assert set(load_project(bundle.path).takes) == takes


def test_a_paid_bridge_is_priced_and_refused_until_confirmed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], server: FakeVideosServer) -> None:
    bundle = jumpy(tmp_path, capsys, "test-keyframes")
    generated = bundle.storyboard_file.read_bytes()
    save_profile(ProviderProfile("router", server.base_url, needs_key=False,
                                 poll_interval=0.05, dialect="openrouter"))
    # over --max-cost: refused before anything is sent or changed
    code, out, err = run(capsys, "bridge", str(bundle.path), "--after", "1",
                         "--provider", "router", "--max-cost", "0.10", "--yes")
    assert code == 2 and "more than --max-cost $0.10" in err
    assert "Price: $0.20" in out
    # no --yes and nobody to ask: refused
    code, out, err = run(capsys, "bridge", str(bundle.path), "--after", "1",
                         "--provider", "router")
    assert code == 2 and "--yes" in err and "Price: $0.20" in out
    assert server.state.create_attempts == 0
    assert bundle.storyboard_file.read_bytes() == generated
    # confirmed: one create, starting on shot 1's last frame and ending on shot 2's
    code, out, err = run(capsys, "bridge", str(bundle.path), "--after", "1",
                         "--provider", "router", "--yes")
    assert code == 0, err
    assert server.state.create_attempts == 1
    [fields] = server.state.create_fields
    assert [f["frame_type"] for f in fields["frame_images"]] == ["first_frame", "last_frame"]
    assert fields["seconds"] == "2"
    project = load_project(bundle.path)
    take = chosen_take(project.storyboard.segments[1], project.takes)
    assert take is not None and take.provider == "router" and take.cost == "0.20"
    assert "Seam after:" in out


def test_a_provider_that_carries_no_last_frame_gets_a_bridge_clip_instead(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], server: FakeVideosServer) -> None:
    bundle = jumpy(tmp_path, capsys, "test-keyframes")
    save_profile(ProviderProfile("fake", server.base_url, needs_key=False, poll_interval=0.05))
    code, out, err = run(capsys, "bridge", str(bundle.path), "--after", "1",
                         "--provider", "fake", "--yes")
    assert code == 0, err
    assert "insert a 2 s bridge clip" in out and "request shape cannot end on a still" in out
    [fields] = server.state.create_fields
    assert fields["input_reference"]["image"] == (320, 180)  # the first frame went, alone
    assert len(load_project(bundle.path).storyboard.segments) == 3
