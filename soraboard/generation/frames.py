"""Continuity frames: the picture a chained segment starts from.

* :func:`last_frames` — the true last frames of a clip. Frame-count metadata lies (edit
  lists, Matroska durations, VFR streams), so the count never comes from
  ``CAP_PROP_FRAME_COUNT``: it comes from the exact packet list (:func:`frame_times`, one
  demuxing pass of ffmpeg, no decoding). OpenCV is then asked for frame ``count - n`` and
  decodes *to the end of the stream*, keeping the last ``n``. Landing early only costs time;
  landing late falls back to decoding from the start — slower, never wrong. About 100 ms for
  a 12 s 720p clip with a 1 s GOP, and still correct with a single-GOP clip.
* :func:`sharpest_of_last` — of the last N frames, the one with the highest variance of the
  Laplacian (the guide: frames just before the end are often clearer than the very last).
* :func:`frame_at` — the frame shown at time t.
* :func:`fit_to_size` — crop to the aspect ratio, then scale to exactly the next segment's
  size (providers answer 400 to anything else).
* :func:`save_reference` — PNG into the bundle's ``media/`` and its sha256.
* :func:`detect_faces` — a warning before paying: providers reject images with faces.
"""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from soraboard.media.ffmpeg import FFmpeg, FFmpegError, run_ffmpeg
from soraboard.media.probe import parse_framemd5

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Image = NDArray[Any]
else:
    Image = Any


class FrameError(ValueError):
    """No frame could be read; the message says why in plain words."""


def _open(path: Path) -> Any:
    import cv2

    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        cap.release()
        raise FrameError(f"{Path(path).name}: OpenCV cannot open this video")
    return cap


def _decode_rest(cap: Any, keep: int, expected: int) -> tuple[list[Image], int]:
    """Decode every remaining frame, keeping the last ``keep``; returns (frames, count).

    The first ``expected - keep`` frames are only grabbed (decoded, not converted to BGR),
    which is most of the saving; decoding still runs to the end of the stream whatever
    ``expected`` says, so a wrong expectation costs time, never the true last frame.
    """
    ring: deque[Image] = deque(maxlen=keep)
    count = 0
    skip = max(expected - keep, 0)
    while count < skip:
        if not cap.grab():
            return list(ring), count
        count += 1
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        ring.append(frame)
        count += 1
    return list(ring), count


def frame_times(path: Path, ffmpeg: FFmpeg | None = None) -> list[float]:
    """Every video frame's presentation time, ascending, from the packet list (no decoding;
    ``framecrc`` because it is three times cheaper than ``framemd5``). Immune to container
    frame counts and durations that lie."""
    # absolute, so a name starting with "-" is never read as an option
    args = ["-i", str(Path(path).absolute()), "-map", "0:v:0", "-c", "copy",
            "-f", "framecrc", "pipe:1"]
    try:
        proc = run_ffmpeg(args, ffmpeg=ffmpeg, timeout=120, what=f"listing {Path(path).name}")
    except FFmpegError as e:
        raise FrameError(f"{Path(path).name}: cannot read its frames ({e})") from None
    return sorted(parse_framemd5(proc.stdout.decode("ascii", "replace")).times())


def last_frames(path: Path, n: int = 1, ffmpeg: FFmpeg | None = None) -> list[Image]:
    """The last ``n`` frames of the video (fewer if it is shorter), oldest first.

    The true frame count comes from the packet list; OpenCV is asked for frame
    ``count - n`` (it seeks to a keyframe before it and decodes forward) and then decodes
    *to the end of the stream*, keeping the last ``n``. Landing early only costs time;
    landing late (fewer than ``n`` frames decoded) falls back to decoding from the start.
    """
    import cv2

    path = Path(path)
    n = max(n, 1)
    total = len(frame_times(path, ffmpeg))
    if total == 0:
        raise FrameError(f"{path.name}: the video stream has no frames")
    want = min(n, total)
    cap = _open(path)
    try:
        if total > n:
            cap.set(cv2.CAP_PROP_POS_FRAMES, total - n)
            frames, count = _decode_rest(cap, n, n)
            if count >= want:
                return frames
            cap.release()
            cap = _open(path)
        frames, count = _decode_rest(cap, n, total)
    finally:
        cap.release()
    if not frames:
        raise FrameError(f"{path.name}: no frame could be decoded")
    return frames


def last_frame(path: Path, ffmpeg: FFmpeg | None = None) -> Image:
    """The true last frame of the video."""
    return last_frames(path, 1, ffmpeg)[-1]


def sharpness(frame: Image) -> float:
    """Variance of the Laplacian of the grey image: higher is sharper."""
    import cv2

    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def sharpest_of_last(path: Path, n: int = 8, ffmpeg: FFmpeg | None = None) -> Image:
    """Of the last ``n`` frames, the sharpest (the latest one on a tie)."""
    frames = last_frames(path, n, ffmpeg)
    best = max(range(len(frames)), key=lambda i: (sharpness(frames[i]), i))
    return frames[best]


def frame_at(path: Path, seconds: float, ffmpeg: FFmpeg | None = None) -> Image:
    """The frame on screen at ``seconds`` (clamped to the clip: past the end → last frame)."""
    times = frame_times(path, ffmpeg)
    if not times:
        raise FrameError(f"{Path(path).name}: the video stream has no frames")
    start = times[0]
    target = start + max(seconds, 0.0)
    # Index of the frame displayed at target: the last whose pts ≤ target.
    index = max(sum(1 for t in times if t <= target + 1e-6) - 1, 0)
    if index >= len(times) - 1:
        return last_frame(path, ffmpeg)
    cap = _open(path)
    try:
        # Decode forward from the start, counting frames: exact, and clips are short.
        frame = None
        for _ in range(index + 1):
            ok, img = cap.read()
            if not ok:
                break
            frame = img
    finally:
        cap.release()
    if frame is None:
        raise FrameError(f"{Path(path).name}: no frame at {seconds:g} s")
    result: Image = frame
    return result


def fit_to_size(frame: Image, width: int, height: int) -> Image:
    """Centre-crop to ``width:height``, then scale to exactly ``width``×``height``."""
    import cv2

    h, w = frame.shape[:2]
    target = width / height
    if abs(w / h - target) > 1e-3:
        if w / h > target:  # too wide: crop the sides
            new_w = max(round(h * target), 1)
            x = (w - new_w) // 2
            frame = frame[:, x:x + new_w]
        else:  # too tall: crop top and bottom
            new_h = max(round(w / target), 1)
            y = (h - new_h) // 2
            frame = frame[y:y + new_h, :]
    h, w = frame.shape[:2]
    if (w, h) != (width, height):
        interp = cv2.INTER_AREA if w > width else cv2.INTER_CUBIC
        frame = cv2.resize(frame, (width, height), interpolation=interp)
    result: Image = frame
    return result


@dataclass(frozen=True)
class SavedFrame:
    """A reference frame written into the bundle."""

    path: Path
    sha256: str
    width: int
    height: int


def save_png(frame: Image, dest: Path) -> SavedFrame:
    """Write ``frame`` as PNG atomically; returns its path and sha256."""
    import cv2

    # Level 1: a 720p frame encodes in a third of the default's time, ~20 % larger.
    ok, buf = cv2.imencode(".png", frame, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise FrameError("the frame could not be encoded as PNG")
    data = buf.tobytes()
    from soraboard.storage.atomic import atomic_write_bytes

    dest.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(dest, data)
    h, w = frame.shape[:2]
    return SavedFrame(dest, hashlib.sha256(data).hexdigest(), int(w), int(h))


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file (read in 1 MB chunks)."""
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def read_image(path: Path, need: tuple[int, int] | None = None) -> Image:
    """A BGR image from a file (PNG, JPEG, WebP …); raises :class:`FrameError`.

    Its size is read from the header first: above the pixel limit it is refused without
    decoding; when ``need`` (width, height) is given, a much larger image is decoded at a
    reduced scale that still covers it."""
    import cv2

    from soraboard.media.images import (
        ImageTooLarge,
        check_file_pixels,
        reduced_flag,
        reduction_for,
    )

    try:
        size = check_file_pixels(path)
    except ImageTooLarge as e:
        raise FrameError(str(e)) from None
    except OSError as e:
        raise FrameError(f"{Path(path).name}: cannot be read ({e.strerror or e})") from None
    img = cv2.imread(str(path), reduced_flag(reduction_for(size, need)))
    if img is None:
        raise FrameError(f"{Path(path).name}: not an image OpenCV can read")
    result: Image = img
    return result


# ---------------------------------------------------------------------------- faces


@dataclass(frozen=True)
class FaceCheck:
    """What the face detector found. ``available`` is False when this OpenCV build has no
    detector (OpenCV 5 dropped the bundled Haar cascades): then nothing is known."""

    available: bool
    faces: int = 0
    note: str = ""

    @property
    def warning(self) -> str | None:
        if not self.available:
            return None
        if self.faces:
            return (f"the reference frame seems to show {self.faces} face"
                    f"{'s' if self.faces != 1 else ''}; providers usually reject images "
                    "with human faces or real people")
        return None


def face_detector() -> tuple[Path | None, str]:
    """The Haar cascade file this OpenCV ships, or None and why not.

    OpenCV 4 bundles ``haarcascade_frontalface_default.xml`` (``cv2.data.haarcascades``);
    OpenCV 5 dropped both the cascades and ``CascadeClassifier``, so there the check is
    reported as unavailable rather than silently passing.
    """
    import cv2

    data_dir = getattr(getattr(cv2, "data", None), "haarcascades", None)
    if getattr(cv2, "CascadeClassifier", None) is None or not data_dir:
        return None, (f"OpenCV {cv2.__version__} ships no face detector, so reference frames "
                      "are not checked for faces")
    xml = Path(data_dir) / "haarcascade_frontalface_default.xml"
    if not xml.is_file():
        return None, f"{xml.name} is missing from this OpenCV; faces are not checked"
    return xml, ""


def detect_faces(frame: Image) -> FaceCheck:
    """Look for frontal faces with OpenCV's bundled Haar cascade, when the build has one."""
    import cv2

    xml, why = face_detector()
    if xml is None:
        return FaceCheck(False, note=why)
    # getattr: OpenCV 5's type stubs no longer declare the class.
    detector = getattr(cv2, "CascadeClassifier")(str(xml))  # noqa: B009
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
    h = grey.shape[0]
    found = detector.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5,
                                      minSize=(max(h // 12, 24), max(h // 12, 24)))
    return FaceCheck(True, len(found))
