"""check_files: every file is probed first; each bad one gets one plain line naming it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from soraboard.imports import ImageInfo, ImportRejected, check_files, shown_name
from tests.imports.conftest import make_image

#: what the line about each bad file says (besides its name)
EXPECTED = {
    "not media": "is a text file, not a video or image",
    "story text": "is a text file, not a video or image; import clips (MP4, MOV",
    "text with a NUL": "is not a video or image file (ffmpeg could only read it as text)",
    "zip archive": "is not a video or image file soraboard can read",
    "truncated": "is an MP4/MOV file that is damaged or cut short",
    "truncated faststart": "is cut short: the file says 2.00 s but its picture stops at",
    "audio only": "has sound but no picture (audio only)",
    "zero length": "has no picture and no sound in it (a zero-length clip)",
    "empty file": "is empty (0 bytes)",
    "missing": "does not exist",
    "unsupported image": "is a GIF image; images must be PNG, JPEG or WebP",
    "truncated image": "is a PNG image that is cut short",
    "folder": "is a folder, not a file",
    "odd name missing": "does not exist",
}


@pytest.mark.parametrize("what", sorted(EXPECTED))
def test_each_bad_file_is_named_in_one_plain_line(bad_files: dict[str, Path], what: str) -> None:
    with pytest.raises(ImportRejected) as err:
        check_files([bad_files[what]])
    (line,) = err.value.problems
    assert "\n" not in line and "\r" not in line
    assert line.startswith(shown_name(bad_files[what]) + ": ")
    assert EXPECTED[what] in line


def test_all_files_are_checked_and_every_bad_one_is_listed(
        bad_files: dict[str, Path], good_clip: Path) -> None:
    paths = [good_clip, *bad_files.values(), good_clip]
    with pytest.raises(ImportRejected) as err:
        check_files(paths)
    assert len(err.value.problems) == len(bad_files)
    assert all("\n" not in p for p in err.value.problems)
    assert "nothing was imported" in str(err.value)


def test_newlines_and_control_characters_in_names_are_escaped() -> None:
    assert shown_name("a\nb\r\tc\x1b[31m.mp4") == "a\\nb\\r\\tc\\x1b[31m.mp4"
    with pytest.raises(ImportRejected) as err:
        check_files(["/nowhere/two\nlines.mp4"])
    assert err.value.problems == ["/nowhere/two\\nlines.mp4: does not exist"]


@pytest.mark.parametrize("name", ["-i evil.mp4", "it's \"quoted\".mp4", "scene:1 file:2.mp4",
                                  "two\nlines.mp4", "concat:a.mp4", "-", "--help.mp4"])
def test_awkward_but_valid_names_import(tmp_path: Path, good_clip: Path, name: str) -> None:
    clip = shutil.copy(good_clip, tmp_path / name)
    image = make_image(tmp_path / (name + ".png"))
    video_item, image_item = check_files([Path(clip), image])
    assert video_item.kind == "video"
    assert video_item.duration == pytest.approx(1.5, abs=0.05)
    assert video_item.size == "320x180"
    assert image_item.kind == "image"
    assert image_item.info == ImageInfo("PNG", 64, 48)


def test_a_relative_name_with_a_leading_dash_is_never_an_option(
        tmp_path: Path, good_clip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(good_clip, tmp_path / "-y.mp4")
    monkeypatch.chdir(tmp_path)
    (item,) = check_files(["-y.mp4"])
    assert item.path == tmp_path / "-y.mp4"
    assert item.kind == "video"


def test_items_describe_the_footage(tmp_path: Path, good_clip: Path) -> None:
    jpeg = make_image(tmp_path / "board.jpg", "96x54")
    video, image = check_files([good_clip, jpeg])
    assert video.path == good_clip and video.name == "harbour_at_dawn.mp4"
    assert video.bytes == good_clip.stat().st_size
    assert not isinstance(video.info, ImageInfo) and video.info.audio is not None
    assert image.info == ImageInfo("JPEG", 96, 54)
    assert image.size == "96x54" and image.duration == 0.0


def test_an_empty_list_is_refused() -> None:
    with pytest.raises(ImportRejected, match="no files"):
        check_files([])
