"""Imported footage of every kind goes through each export preset intact.

One film mixes H.264 MP4, ProRes MOV, HEVC MKV and VP9 WebM; 23.976, 25, 29.97, 30, 60 fps
and a variable frame rate; yuv420p, 10-bit 4:2:2/4:2:0 and full-range yuvj420p; an anamorphic
(non-square pixel) clip and a portrait phone clip; mono, stereo, 5.1, 44.1 kHz and silent
sound. Each clip has a white flash and a tone burst starting on the same frame.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from soraboard.imports import apply_import, check_files
from soraboard.model.storyboard import Storyboard
from soraboard.model.timing import film_length
from soraboard.stitch.export import prepare_export, prepare_plan, probe_takes, run_export
from soraboard.stitch.plan import build_plan
from soraboard.stitch.presets import SMART
from soraboard.storage.bundle import Bundle, Project, load_project
from tests.helpers.clips import make_clip
from tests.imports.footage import (
    MIXED,
    beep_starts,
    decode_errors,
    flash_starts,
    frame_rgb,
    make_footage,
    media_duration,
    picture_columns,
)


@pytest.fixture(scope="module")
def mixed_footage(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("footage")
    return [make_footage(folder, spec) for spec in MIXED]


def import_into_new_project(root: Path, files: list[Path], size: str = "320x180") -> Project:
    bundle = Bundle.create(root / "Mixed", Storyboard(title="Mixed", default_size=size))
    sb = bundle.load_storyboard()
    result = apply_import(bundle, sb, check_files(files))
    bundle.save(result.edit.apply(sb))
    return load_project(bundle.path)


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["final", "preview", "smart"])
def test_mixed_footage_exports_in_sync_and_unstretched(
        tmp_path: Path, mixed_footage: list[Path], preset: str) -> None:
    project = import_into_new_project(tmp_path, mixed_footage)
    prepared = prepare_export(project, preset)
    if preset == "smart":
        # At the footage's most common rate (25 fps) not one clip is in the film's format:
        # nothing to copy, so a full encode that says why, segment by segment.
        fallback = prepare_export(project, "smart")
        assert fallback.mode == "full" and "full encode:" in fallback.summary
        why = {r.label: r.status for r in fallback.segments}
        assert why["segment 1 “phone”"] == "30 fps, the film is 25 fps"
        assert why["segment 2 “camera”"].startswith("ProRes, the film is H.264")
        assert why["segment 3 “drone”"].startswith("HEVC, the film is H.264")
        assert why["segment 4 “web”"].startswith("VP9, the film is H.264")
        assert why["segment 5 “fullrange”"] == "yuvj420p (full range), the film is yuv420p"
        assert why["segment 6 “tenbit”"] == "yuv420p10le, the film is yuv420p"
        assert "non-square pixels (SAR 4:3)" in why["segment 7 “anamorphic”"]
        assert why["segment 8 “portrait”"].startswith("180x320 portrait, the film is 320x180")
        assert len(fallback.fallback_reasons) == len(MIXED)
        # At 30 fps the phone clip is in the film's format: it is copied, and every other
        # clip is encoded whole to match it (the VFR clip too: its frames are irregular).
        files, probes, _ = probe_takes(project)
        prepared = prepare_plan(build_plan(project.storyboard, project.takes, files, probes,
                                           SMART, fps=Fraction(30)))
        assert prepared.mode == "smart" and prepared.fallback_reasons == []
        why = {r.label: r.status for r in prepared.segments}
        assert why["segment 1 “phone”"] == "copied"
        assert why["segment 8 “portrait”"] == "180x320 portrait, the film is 320x180"
        assert why["segment 9 “vfr”"].endswith("fps, the film is 30 fps")
        assert sum(1 for r in prepared.segments if r.copied) == 1
    out = tmp_path / f"film-{preset}.mp4"
    result = run_export(prepared, out)
    plan = prepared.plan
    fps = float(plan.format.fps)
    frame = 1 / fps

    assert decode_errors(out) == ""
    # the planned length, which is the storyboard's length (each clip rounded to a frame)
    assert media_duration(out) == pytest.approx(plan.duration, abs=frame)
    assert result.duration == pytest.approx(film_length(project.storyboard, project.takes),
                                            abs=frame * len(MIXED))

    flashes = flash_starts(out)
    # silencedetect also "ends" a silence at the end of the film: that is no beep
    beeps = [t for t in beep_starts(out) if t < plan.duration - 0.05]
    assert len(flashes) == len(MIXED), flashes
    assert len(beeps) == sum(1 for s in MIXED if s.audio is not None), beeps
    for i, spec in enumerate(MIXED):
        expected = plan.format.seconds(plan.start_frame(i)) + spec.flash_time
        flash = min(flashes, key=lambda t: abs(t - expected))
        assert flash == pytest.approx(expected, abs=1.5 * frame), spec.name
        if spec.audio is not None:
            beep = min(beeps, key=lambda t: abs(t - flash))
            # picture and sound arrive together, within one frame
            assert abs(beep - flash) <= frame + 1e-3, (spec.name, flash, beep)

    width = plan.format.width
    for i, spec in enumerate(MIXED):
        mid = plan.format.seconds(plan.start_frame(i)) + 0.25  # well before the flash
        left, right = picture_columns(frame_rgb(out, mid))
        shown = right - left + 1
        if spec.name == "portrait.mp4":
            # pillarboxed: black bars at the sides, the picture keeps its 9:16 shape
            assert left > width // 4 and right < width - width // 4
            assert shown == pytest.approx(width * (180 / 320) * (180 / 320), abs=4)
        else:
            # landscape clips, the anamorphic one included (240 px × SAR 4/3), fill the frame
            assert shown >= width - 2, spec.name


def test_smart_copies_imported_clips_that_match_the_film(tmp_path: Path) -> None:
    """H.264 clips made elsewhere, in the film's own format, are copied frame-exact."""
    files = [make_clip(tmp_path / f"shot{i}.mp4", duration=1.0, fps="25", gop=25, color=c)
             for i, c in enumerate(("red", "blue"))]
    project = import_into_new_project(tmp_path, files)
    prepared = prepare_export(project, "smart")
    assert prepared.fallback_reasons == []
    assert prepared.mode == "copy"
    assert [r.status for r in prepared.segments] == ["copied", "copied"]
    out = tmp_path / "film.mp4"
    result = run_export(prepared, out)
    assert result.mode == "copy"
    assert decode_errors(out) == ""
    assert media_duration(out) == pytest.approx(2.0, abs=0.04)


def test_smart_copies_the_matching_clips_and_encodes_only_the_others(tmp_path: Path) -> None:
    files = [make_clip(tmp_path / f"shot{i}.mp4", duration=1.0, fps="25", gop=25, color=c)
             for i, c in enumerate(("red", "blue"))]
    files.append(make_clip(tmp_path / "phone.mp4", duration=1.0, fps="25", size="180x320"))
    project = import_into_new_project(tmp_path, files)
    prepared = prepare_export(project, "smart")
    assert prepared.smart is not None
    assert prepared.smart.copied_seconds >= 1.9
    assert [r.status for r in prepared.segments] == [
        "copied", "copied", "180x320 portrait, the film is 320x180"]
    out = tmp_path / "film.mp4"
    result = run_export(prepared, out)
    assert result.mode == "smart" and decode_errors(out) == ""
    assert media_duration(out) == pytest.approx(3.0, abs=0.04)
    assert [r.text for r in result.segments] == [
        "segment 1 “shot0”: copied (1.0 s frame-exact)",
        "segment 2 “shot1”: copied (1.0 s frame-exact)",
        "segment 3 “phone”: encoded — 180x320 portrait, the film is 320x180"]


def test_the_smart_fallback_summary_does_not_claim_a_copy(
        tmp_path: Path, mixed_footage: list[Path]) -> None:
    # without the phone clip not one take is in the film's format (25 fps, then): nothing to
    # copy, so a full encode, and every segment says why
    others = [f for f in mixed_footage if f.name != "phone.mp4"]
    prepared = prepare_export(import_into_new_project(tmp_path, others), "smart")
    assert prepared.mode == "full"
    assert "frame-exact" not in prepared.summary
    assert len(prepared.fallback_reasons) == len(others)
    assert prepared.fallback_reasons[0] == "segment 1 “camera”: ProRes, the film is H.264; " \
        "23.976 fps, the film is 25 fps; yuv422p10le, the film is yuv420p"
