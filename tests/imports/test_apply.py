"""apply_import and create_from_files: copies, imported takes, one undoable edit, rollback."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import soraboard.imports.apply as apply_mod
from soraboard.imports import (
    ImportFailed,
    ImportRejected,
    apply_import,
    check_files,
    create_from_files,
)
from soraboard.model.edits import EditError
from soraboard.model.status import SegmentState, segment_status
from soraboard.model.storyboard import (
    CUT,
    Continuity,
    RefMode,
    Storyboard,
    Transition,
    TransitionType,
)
from soraboard.model.take import TakeSource, TakeStatus
from soraboard.model.timing import film_length
from soraboard.storage.bundle import Bundle, load_project
from soraboard.storage.errors import ProjectError
from tests.imports.conftest import make_image, tree


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def footage(tmp_path: Path, good_clip: Path) -> tuple[Path, Path]:
    folder = tmp_path / "from-my-phone"
    folder.mkdir()
    clip = Path(shutil.copy(good_clip, folder / "Harbour_at dawn.mp4"))
    return clip, make_image(folder / "sketch.png", "96x54")


def test_a_video_becomes_a_segment_with_an_imported_take(
        project: Bundle, footage: tuple[Path, Path]) -> None:
    clip, _ = footage
    before = (sha(clip), clip.stat().st_mtime_ns)
    sb = project.load_storyboard()
    (item,) = check_files([clip])
    result = apply_import(project, sb, [item])

    (seg,), (take,) = result.segments, result.takes
    assert seg.title == "Harbour at dawn"
    assert seg.duration == pytest.approx(item.duration)
    assert (seg.trim_in, seg.trim_out) == (0.0, None)
    assert (seg.model, seg.size) == (sb.default_model, sb.default_size)
    assert seg.chosen_take == take.id and seg.continuity is Continuity.INDEPENDENT
    assert take.source is TakeSource.IMPORTED and take.status is TakeStatus.DONE
    assert (take.provider, take.cost, take.label) == ("imported", "0", "Harbour_at dawn.mp4")
    assert take.segment_id == seg.id and take.usable and take.billing == "none"
    assert take.request.prompt == "" and take.request.size == "320x180"
    assert take.request.seconds == pytest.approx(item.duration)
    assert take.media_duration == pytest.approx(item.duration)
    # the copy is in media/, byte for byte; the original was neither moved nor touched
    copy = project.resolve(take.file or "")
    assert project.media_dir in copy.parents
    assert sha(copy) == before[0]
    assert (sha(clip), clip.stat().st_mtime_ns) == before
    assert not [p for p in copy.parent.iterdir() if p.name.startswith(".")]  # no temp left
    # the take record is on disk; the storyboard file is not written
    assert json.loads(project.take_file(take.id).read_text("utf-8"))["take"]["source"] == \
        "imported"
    assert project.load_storyboard() == sb
    after = result.edit.apply(sb)
    project.save(after)
    reopened = load_project(project.path)
    assert reopened.takes[take.id] == take
    # imported footage is never stale, whatever the segment's model or size says
    assert segment_status(reopened.storyboard, reopened.takes, 1).state is SegmentState.DONE


def test_an_image_becomes_a_draft_that_starts_from_it(
        project: Bundle, footage: tuple[Path, Path]) -> None:
    _, image = footage
    sb = project.load_storyboard()
    result = apply_import(project, sb, check_files([image]))
    (seg,) = result.segments
    assert result.takes == []
    assert seg.title == "sketch" and seg.chosen_take is None
    assert seg.ref_mode is RefMode.CUSTOM and seg.continuity is Continuity.INDEPENDENT
    assert seg.duration == 4.0  # sora-2 allows 4, 8 or 12 s
    assert seg.reference_image is not None
    assert sha(project.resolve(seg.reference_image)) == sha(image)
    after = result.edit.apply(sb)
    assert segment_status(after, {}, 1).state is SegmentState.DRAFT


def test_an_image_draft_takes_the_models_nearest_allowed_duration(
        project: Bundle, footage: tuple[Path, Path], isolated_user_dirs: Path) -> None:
    from soraboard.catalog.catalog import reset_default_catalog

    cfg = isolated_user_dirs / "config"
    cfg.mkdir(parents=True, exist_ok=True)
    (cfg / "models.json").write_text(json.dumps({"models": [{
        "id": "five-or-ten", "name": "T", "family": "t", "rank": 1, "durations": [5, 10],
        "sizes": ["320x180"], "prices": []}]}), "utf-8")
    reset_default_catalog()
    sb = Storyboard(default_model="five-or-ten")
    result = apply_import(project, sb, check_files([footage[1]]))
    assert result.segments[0].duration == 5.0


def test_several_files_are_one_edit_at_the_position_given(
        project: Bundle, footage: tuple[Path, Path]) -> None:
    clip, image = footage
    sb = project.load_storyboard()
    fade = Transition(TransitionType.CROSSFADE, 0.5)
    result = apply_import(project, sb, check_files([clip, image, clip]), at=0, transition=fade)
    after = result.edit.apply(sb)
    assert [s.id for s in after.segments] == [*(s.id for s in result.segments),
                                             sb.segments[0].id]
    assert [s.transition_out for s in after.segments] == [fade, fade, CUT, CUT]
    assert result.edit.revert(after) == sb  # one undo step takes all three away
    assert len(result.takes) == 2 and result.takes[0].file != result.takes[1].file
    takes = {t.id: t for t in result.takes}
    assert film_length(after, takes) == pytest.approx(
        2 * result.takes[0].media_duration + 4.0 + 4.0 - 2 * 0.5)  # type: ignore[operator]


def test_a_bad_position_fails_before_anything_is_written(
        project: Bundle, footage: tuple[Path, Path]) -> None:
    before = tree(project.path)
    with pytest.raises(EditError, match="outside the storyboard"):
        apply_import(project, project.load_storyboard(), check_files([footage[0]]), at=5)
    assert tree(project.path) == before


def test_a_full_disk_halfway_leaves_the_project_as_it_was(
        project: Bundle, footage: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    clip, image = footage
    items = check_files([clip, clip, image])
    before = tree(project.path)
    real = apply_mod._copy_into
    calls: list[Path] = []

    def copy_then_fill_the_disk(src: Path, folder: Path, expected: int) -> Path:
        calls.append(src)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(src, folder, expected)

    monkeypatch.setattr(apply_mod, "_copy_into", copy_then_fill_the_disk)
    with pytest.raises(ImportFailed, match=r"No space left on device.*nothing was imported"):
        apply_import(project, project.load_storyboard(), items)
    assert len(calls) == 3
    assert tree(project.path) == before


def test_a_failing_take_record_removes_the_copies_and_records_already_written(
        project: Bundle, footage: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    clip, _ = footage
    items = check_files([clip, clip])
    before = tree(project.path)
    real = Bundle.write_take
    written: list[str] = []

    def write_once(self: Bundle, take: object) -> None:
        if written:
            raise OSError(errno.EIO, "Input/output error")
        real(self, take)  # type: ignore[arg-type]
        written.append("x")

    monkeypatch.setattr(Bundle, "write_take", write_once)
    with pytest.raises(ImportFailed, match="Input/output error"):
        apply_import(project, project.load_storyboard(), items)
    assert written == ["x"]
    assert tree(project.path) == before


def test_a_file_that_changes_after_the_check_is_refused(
        project: Bundle, footage: tuple[Path, Path]) -> None:
    clip, _ = footage
    items = check_files([clip])
    with clip.open("ab") as f:
        f.write(b"more bytes: still being copied by another program")
    before = tree(project.path)
    with pytest.raises(ImportFailed, match="changed since it was checked"):
        apply_import(project, project.load_storyboard(), items)
    assert tree(project.path) == before


def test_create_from_files_makes_a_project_in_one_step(
        tmp_path: Path, footage: tuple[Path, Path]) -> None:
    clip, image = footage
    made = create_from_files(tmp_path / "Trip", [clip, image],
                             Transition(TransitionType.FADE_BLACK, 1.0))
    reopened = load_project(tmp_path / "Trip.soraboard")
    assert reopened.storyboard == made.storyboard
    assert reopened.takes == made.takes
    assert reopened.storyboard.title == "Trip"
    assert [s.title for s in reopened.storyboard.segments] == ["Harbour at dawn", "sketch"]
    assert reopened.storyboard.segments[0].transition_out.type is TransitionType.FADE_BLACK
    assert len(reopened.bundle.history()) == 1  # created, then saved once with the files


def test_a_project_made_from_phone_footage_is_portrait(tmp_path: Path,
                                                      footage: tuple[Path, Path]) -> None:
    from tests.helpers.clips import make_clip

    phone = [make_clip(tmp_path / f"phone{n}.mp4", duration=2.0, size="180x320", audio=False)
             for n in range(2)]
    made = create_from_files(tmp_path / "Phone", [footage[0], *phone])
    # 4 s of portrait against the landscape clip: the film is the phone clips' size, so they
    # are neither pillarboxed into a landscape frame nor scaled (Smart copies them)
    assert made.storyboard.default_size == "180x320"
    assert {s.size for s in made.storyboard.segments} == {"180x320"}
    wide = create_from_files(tmp_path / "Wide", [footage[0]])
    assert wide.storyboard.default_size == "320x180"


def test_a_project_made_from_rotated_phone_clips_takes_their_upright_size(
        tmp_path: Path, footage: tuple[Path, Path]) -> None:
    from soraboard.imports.check import check_files
    from soraboard.media.ffmpeg import find_ffmpeg
    from tests.helpers.clips import make_clip

    stored = make_clip(tmp_path / "stored.mp4", duration=2.0, size="640x360")
    phone = []
    for n in range(2):  # a phone's way: landscape frames, a display matrix turning them
        phone.append(tmp_path / f"phone{n}.mp4")
        subprocess.run([find_ffmpeg().path, "-v", "error", "-display_rotation", "90", "-i",
                        str(stored), "-c", "copy", str(phone[-1])], check=True)
    assert [i.size for i in check_files(phone)] == ["360x640", "360x640"]
    made = create_from_files(tmp_path / "Phone", [footage[0], *phone])
    assert made.storyboard.default_size == "360x640"
    # most of the footage at 640x360: so is the film (not a 1280x720 that copies nothing)
    wide = create_from_files(tmp_path / "Wide", [stored, footage[0], stored])
    assert wide.storyboard.default_size == "640x360"


def test_create_from_bad_files_creates_nothing(
        tmp_path: Path, footage: tuple[Path, Path], bad_files: dict[str, Path]) -> None:
    with pytest.raises(ImportRejected) as err:
        create_from_files(tmp_path / "Trip", [footage[0], bad_files["audio only"]])
    assert len(err.value.problems) == 1
    assert not (tmp_path / "Trip.soraboard").exists()


def test_create_from_files_never_touches_an_existing_project(
        project: Bundle, footage: tuple[Path, Path]) -> None:
    before = tree(project.path)
    with pytest.raises(ProjectError, match="already exists"):
        create_from_files(project.path, [footage[0]])
    assert tree(project.path) == before


def test_create_from_files_cleans_up_when_copying_fails(
        tmp_path: Path, footage: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    def no_space(src: Path, folder: Path, expected: int) -> Path:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(apply_mod, "_copy_into", no_space)
    with pytest.raises(ImportFailed):
        create_from_files(tmp_path / "Trip", [footage[0]])
    assert not (tmp_path / "Trip.soraboard").exists()
