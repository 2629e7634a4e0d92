"""Continuity frames on clips made in the test: long GOPs, lying frame counts, sharpness."""

from __future__ import annotations

import struct
from pathlib import Path

import cv2
import numpy as np
import pytest

from soraboard.generation import frames
from tests.helpers.clips import make_clip


def decode_all(path: Path) -> list[np.ndarray]:
    """The reference answer: every frame, decoded from the start."""
    cap = cv2.VideoCapture(str(path))
    out = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        out.append(f)
    cap.release()
    return out


def lying_mkv(tmp_path: Path) -> Path:
    """A Matroska clip whose header says it lasts three times longer than it does."""
    src = make_clip(tmp_path / "true.mkv", duration=2.0, size="160x90", fps="25", audio=False)
    data = bytearray(src.read_bytes())
    i = data.find(b"\x44\x89")  # EBML id of Segment/Info/Duration
    assert i > 0 and data[i + 2] == 0x88  # an 8-byte float follows
    (value,) = struct.unpack(">d", data[i + 3:i + 11])
    data[i + 3:i + 11] = struct.pack(">d", value * 3)
    out = tmp_path / "lying.mkv"
    out.write_bytes(bytes(data))
    return out


def test_last_frame_of_a_short_gop_clip_is_the_true_last_frame(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", duration=3.0, size="320x180", fps="25", gop=12,
                     audio=False)
    want = decode_all(clip)[-1]
    assert np.array_equal(frames.last_frame(clip), want)


def test_last_frame_of_a_single_gop_clip(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "long-gop.mp4", duration=3.0, size="320x180", fps="25",
                     gop=600, audio=False,
                     extra_video_args=["-bf", "3", "-sc_threshold", "0"])
    from soraboard.media.probe import keyframe_times

    assert len(keyframe_times(clip)) == 1  # one keyframe for the whole clip
    assert len(frames.frame_times(clip)) == 75
    assert np.array_equal(frames.last_frame(clip), decode_all(clip)[-1])


def test_last_frame_when_the_container_frame_count_lies(tmp_path: Path) -> None:
    clip = lying_mkv(tmp_path)
    cap = cv2.VideoCapture(str(clip))
    claimed = cap.get(cv2.CAP_PROP_FRAME_COUNT)
    cap.release()
    truth = decode_all(clip)
    assert claimed != len(truth)  # the premise: the metadata is wrong
    assert np.array_equal(frames.last_frame(clip), truth[-1])
    last3 = frames.last_frames(clip, 3)
    assert len(last3) == 3 and all(np.array_equal(a, b) for a, b in zip(last3, truth[-3:]))


def test_sharpest_of_the_last_frames_skips_a_blurred_ending(tmp_path: Path) -> None:
    # The last four frames are heavily blurred; the sharpest of the last eight is before them.
    clip = make_clip(tmp_path / "blur.mp4", duration=2.0, size="320x180", fps="25", gop=10,
                     audio=False,
                     extra_video_args=["-vf", "boxblur=8:enable='gte(n,46)'"])
    truth = decode_all(clip)
    best = frames.sharpest_of_last(clip, 8)
    assert frames.sharpness(best) > 2 * frames.sharpness(truth[-1])
    assert any(np.array_equal(best, f) for f in truth[-8:-4])


def test_frame_at_a_time(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "t.mp4", duration=2.0, size="320x180", fps="25", gop=10,
                     audio=False)
    truth = decode_all(clip)
    assert np.array_equal(frames.frame_at(clip, 1.0), truth[25])
    assert np.array_equal(frames.frame_at(clip, 0), truth[0])
    assert np.array_equal(frames.frame_at(clip, 99), truth[-1])


@pytest.mark.parametrize(("src", "dst"), [((640, 480), (320, 180)), ((320, 180), (180, 320)),
                                          ((100, 100), (1280, 720)), ((320, 180), (320, 180))])
def test_fit_to_size_gives_exactly_the_size(src: tuple[int, int], dst: tuple[int, int]) -> None:
    img = np.random.default_rng(1).integers(0, 255, (src[1], src[0], 3), dtype=np.uint8)
    out = frames.fit_to_size(img, *dst)
    assert out.shape == (dst[1], dst[0], 3)


def test_fit_to_size_crops_the_centre_rather_than_squashing() -> None:
    # A 4:3 picture with a red band at the top: a centred 16:9 crop drops it entirely.
    img = np.zeros((480, 640, 3), np.uint8)
    img[:, :, 1] = 255
    img[:60, :, :] = (0, 0, 255)  # red top band, outside a centred 16:9 crop
    out = frames.fit_to_size(img, 320, 180)
    assert out[:, :, 2].max() == 0


def test_save_png_records_the_hash(tmp_path: Path) -> None:
    img = np.full((180, 320, 3), 90, np.uint8)
    saved = frames.save_png(img, tmp_path / "media" / "refs" / "r.png")
    assert saved.path.is_file() and (saved.width, saved.height) == (320, 180)
    assert saved.sha256 == frames.sha256_file(saved.path)
    assert np.array_equal(frames.read_image(saved.path), img)


def test_face_check_on_a_test_pattern_finds_nothing_and_says_when_it_cannot_look(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "p.mp4", duration=1.0, size="320x180", audio=False)
    check = frames.detect_faces(frames.last_frame(clip))
    assert check.warning is None
    # pyproject pins OpenCV 4, whose wheel ships the Haar cascade: the check really runs
    assert check.available, check.note
    assert check.faces == 0


def test_face_check_warning_text() -> None:
    assert "faces" in (frames.FaceCheck(True, 2).warning or "")
    assert frames.FaceCheck(False, 0, "no detector").warning is None


def test_a_file_that_is_not_a_video_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all")
    with pytest.raises(frames.FrameError, match=r"bad\.mp4"):
        frames.last_frame(bad)


def test_face_check_with_a_cascade_reports_faces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Where OpenCV ships a Haar cascade (OpenCV 4), its detections become the warning.
    (tmp_path / "haarcascade_frontalface_default.xml").write_text("<opencv_storage/>")

    class FakeCascade:
        def __init__(self, path: str) -> None:
            assert path.endswith("haarcascade_frontalface_default.xml")

        def detectMultiScale(self, grey: np.ndarray, **kw: object) -> list[tuple[int, ...]]:
            assert grey.ndim == 2
            return [(1, 2, 30, 30)]

    monkeypatch.setattr(cv2, "CascadeClassifier", FakeCascade, raising=False)
    monkeypatch.setattr(cv2.data, "haarcascades", str(tmp_path), raising=False)
    check = frames.detect_faces(np.zeros((180, 320, 3), np.uint8))
    assert check.available and check.faces == 1
    assert "1 face;" in (check.warning or "") and "reject" in (check.warning or "")
