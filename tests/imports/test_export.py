"""Imported footage of every kind goes through each export preset intact.

One film mixes H.264 MP4, ProRes MOV, HEVC MKV and VP9 WebM; 23.976, 25, 29.97, 30, 60 fps
and a variable frame rate; yuv420p, 10-bit 4:2:2/4:2:0 and full-range yuvj420p; an anamorphic
(non-square pixel) clip and a portrait phone clip; mono, stereo, 5.1, 44.1 kHz and silent
sound. Each clip has a white flash and a tone burst starting on the same frame.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from soraboard.imports import apply_import, check_files
from soraboard.model.storyboard import Storyboard
from soraboard.model.timing import film_length
from soraboard.stitch.export import prepare_export, run_export
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
        # Not one of these clips can be copied into a 320x180 H.264 film as it is: the smart
        # preset falls back to a full encode and says why, naming each segment.
        assert prepared.mode == "full"
        why = " | ".join(prepared.fallback_reasons)
        assert "segment 2 “camera” is prores, not H.264" in why
        assert "segment 3 “drone” is hevc, not H.264" in why
        assert "segment 4 “web” is vp9, not H.264" in why
        assert "segment 5 “fullrange” " in why and "yuvj420p" in why
        assert "segment 6 “tenbit” " in why and "yuv420p10le" in why
        assert "segment 7 “anamorphic” " in why and "non-square pixels" in why
        assert "segment 8 “portrait” is 180x320" in why
        assert "full encode:" in prepared.summary
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
    """H.264 clips made elsewhere, in the film's own format, are copied bit for bit."""
    files = [make_clip(tmp_path / f"shot{i}.mp4", duration=1.0, fps="25", gop=25, color=c)
             for i, c in enumerate(("red", "blue"))]
    project = import_into_new_project(tmp_path, files)
    prepared = prepare_export(project, "smart")
    assert prepared.fallback_reasons == []
    assert prepared.mode == "copy"
    out = tmp_path / "film.mp4"
    result = run_export(prepared, out)
    assert result.mode == "copy"
    assert decode_errors(out) == ""
    assert media_duration(out) == pytest.approx(2.0, abs=0.04)


@pytest.mark.xfail(strict=True, reason=(
    "stitch/smart.py is all-or-nothing: one clip that cannot be copied makes the whole "
    "export a full encode (analyse → compatibility_problems → fallback), where issue 9 asks "
    "that the smart preset copy what it can and encode only the rest"))
def test_smart_copies_the_matching_clips_and_encodes_only_the_others(tmp_path: Path) -> None:
    files = [make_clip(tmp_path / f"shot{i}.mp4", duration=1.0, fps="25", gop=25, color=c)
             for i, c in enumerate(("red", "blue"))]
    files.append(make_clip(tmp_path / "phone.mp4", duration=1.0, fps="25", size="180x320"))
    project = import_into_new_project(tmp_path, files)
    prepared = prepare_export(project, "smart")
    assert prepared.smart is not None
    assert prepared.smart.copied_seconds >= 1.9


def test_the_smart_fallback_summary_does_not_claim_a_copy(
        tmp_path: Path, mixed_footage: list[Path]) -> None:
    prepared = prepare_export(import_into_new_project(tmp_path, mixed_footage), "smart")
    assert prepared.mode == "full"
    assert "bit for bit" not in prepared.summary
