"""Checking files before anything is imported: every file is probed first, and one bad file
rejects the whole import, so a project never gets half of what the user dropped.

Each problem is one plain line naming the file as the user gave it, with newlines, tabs and
other control characters escaped so the line stays a line on a terminal or in a dialog.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from soraboard.media.ffmpeg import FFmpeg, FFmpegNotFound, find_ffmpeg
from soraboard.media.images import (
    HEADER_BYTES,
    ImageTooLarge,
    check_pixels,
    reduced_flag,
    reduction_for,
)
from soraboard.media.probe import MediaError, MediaInfo, probe

#: image formats a segment may start from (what the providers accept as input_reference)
IMAGE_FORMATS = ("PNG", "JPEG", "WebP")
_UNSUPPORTED_IMAGE_SUFFIXES = {
    ".gif": "GIF", ".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF", ".heic": "HEIC",
    ".heif": "HEIF", ".avif": "AVIF", ".svg": "SVG", ".ico": "ICO", ".psd": "PSD",
    ".jxl": "JPEG XL",
}
#: the container's header may say a little more than the picture lasts (audio running on,
#: edit lists); beyond this the file has lost its end
_CUT_SHORT_TOLERANCE = 0.5


@dataclass(frozen=True)
class ImageInfo:
    """What an image import needs to know: its format and pixel size."""

    format: str  #: "PNG", "JPEG" or "WebP"
    width: int
    height: int


@dataclass(frozen=True)
class ImportItem:
    """One checked file, ready for :func:`soraboard.imports.apply_import`."""

    path: Path  #: absolute path of the original (never moved or modified)
    kind: str  #: "video" or "image"
    duration: float  #: seconds of picture (0 for an image)
    size: str  #: "WIDTHxHEIGHT" in stored pixels (see ``info.video.sar`` for the shape)
    info: MediaInfo | ImageInfo
    bytes: int = 0  #: file size when checked (a file that changes before the copy is refused)

    @property
    def name(self) -> str:
        """The original file name (the take's label)."""
        return self.path.name


class ImportRejected(ValueError):
    """Some files cannot be imported; nothing was changed. ``problems`` has one plain line per
    bad file, naming it."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        n = len(self.problems)
        super().__init__(f"nothing was imported: {n} file{'s' if n != 1 else ''} cannot be "
                         "used — " + "; ".join(self.problems))


def shown_name(path: Path | str) -> str:
    """The file as the user gave it, with control characters escaped (``\\n``, ``\\x1b``) so
    a name can never break a message over two lines or drive a terminal."""
    out = []
    for ch in str(path):
        if ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out)


class _Bad(Exception):
    """One file's problem (internal: collected into :class:`ImportRejected`)."""


def _sniff_image(head: bytes, suffix: str) -> str | None:
    """"PNG"/"JPEG"/"WebP" for a supported image, "unsupported:<NAME>" for another image,
    None for anything else (then it is probed as video)."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "unsupported:GIF"
    if head[:2] == b"BM" and suffix == ".bmp":
        return "unsupported:BMP"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "unsupported:TIFF"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"avif"):
        return "unsupported:" + ("AVIF" if head[8:12] == b"avif" else "HEIC")
    if suffix in _UNSUPPORTED_IMAGE_SUFFIXES:
        return "unsupported:" + _UNSUPPORTED_IMAGE_SUFFIXES[suffix]
    return None


def _check_image(path: Path, fmt: str, data: bytes) -> ImageInfo:
    # A cut-short file often still decodes (the rest grey); the format's end marker does not
    # lie. Decoding from bytes also spares OpenCV any trouble with unusual file names.
    if fmt == "PNG" and b"IEND" not in data[-64:]:
        raise _Bad("is a PNG image that is cut short (no end chunk)")
    if fmt == "JPEG" and not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        raise _Bad("is a JPEG image that is cut short (no end marker)")
    if fmt == "WebP" and int.from_bytes(data[4:8], "little") + 8 > len(data):
        raise _Bad("is a WebP image that is cut short")
    # measured before decoding: a few MB of PNG can decode to gigabytes
    try:
        size = check_pixels(data[:HEADER_BYTES])
    except ImageTooLarge as e:
        raise _Bad(f"is a {fmt} image of {e.detail}") from None
    import cv2
    import numpy as np

    # checking that it decodes does not need every pixel: large ones at a reduced scale
    reduction = reduction_for(size, (1024, 1024))
    img = cv2.imdecode(np.frombuffer(data, np.uint8), reduced_flag(reduction))
    if img is None:
        raise _Bad(f"looks like a {fmt} image but cannot be decoded (damaged?)")
    h, w = img.shape[:2]
    if reduction > 1 and size is not None:  # the real size, turned as the decoder turned it
        w, h = size if (w >= h) == (size[0] >= size[1]) else (size[1], size[0])
    return ImageInfo(fmt, int(w), int(h))


def _damaged_or_not_media(head: bytes) -> str:
    if head[4:8] == b"ftyp":
        return ("is an MP4/MOV file that is damaged or cut short (its index is missing; "
                "was it still downloading or copying?)")
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "is a Matroska/WebM file that is damaged or cut short"
    return "is not a video or image file soraboard can read"


#: ffmpeg demuxers that turn any file into "video" (the tty demuxer renders text as a picture)
_NOT_MEDIA_FORMATS = frozenset({"tty"})


def _looks_like_text(start: bytes) -> bool:
    """Plain text (a story, notes, JSON …): no NUL byte and valid UTF-8 in the first KBs.
    Every video container has binary headers with NULs in its first bytes."""
    if not start or b"\x00" in start:
        return False
    try:
        start.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start < len(start) - 3:  # more than a character cut at the end of the sample
            return False
    return True


def _check_video(path: Path, head: bytes, ff: FFmpeg) -> MediaInfo:
    try:
        header = probe(path, ff, count_frames=False)
    except MediaError:
        raise _Bad(_damaged_or_not_media(head)) from None
    if header.format_name in _NOT_MEDIA_FORMATS:
        raise _Bad("is not a video or image file (ffmpeg could only read it as text)")
    if header.video is None:
        if header.audio is not None:
            raise _Bad("has sound but no picture (audio only); import a video or an image")
        raise _Bad("has no picture and no sound in it (a zero-length clip)")
    try:
        info = probe(path, ff)
    except MediaError as e:
        text = str(e)
        if "no frames" in text:
            raise _Bad("is a video with no frames (zero length)") from None
        raise _Bad("is damaged: its video frames cannot be listed") from None
    v = info.video
    if v is None or not v.width or not v.height:
        raise _Bad("has a video stream without a picture size")
    if not v.frame_count or info.duration <= 0:
        raise _Bad("is a video with no frames (zero length)")
    if header.duration > info.duration + max(_CUT_SHORT_TOLERANCE, 0.05 * header.duration):
        raise _Bad(f"is cut short: the file says {header.duration:.2f} s but its picture stops "
                   f"at {info.duration:.2f} s (was it still downloading or copying?)")
    return info


def _check_one(path: Path, ff: FFmpeg | None) -> ImportItem:
    if not path.exists():
        raise _Bad("does not exist")
    if path.is_dir():
        raise _Bad("is a folder, not a file")
    if not path.is_file():
        raise _Bad("is not a regular file")
    try:
        size = path.stat().st_size
        if size == 0:
            raise _Bad("is empty (0 bytes)")
        with path.open("rb") as f:
            start = f.read(4096)
        head = start[:64]
    except OSError as e:
        raise _Bad(f"cannot be read ({e.strerror or e})") from None
    kind = _sniff_image(head, path.suffix.lower())
    if kind is not None and kind.startswith("unsupported:"):
        raise _Bad(f"is a {kind.split(':', 1)[1]} image; images must be "
                   + ", ".join(IMAGE_FORMATS[:-1]) + f" or {IMAGE_FORMATS[-1]}")
    if kind is not None:
        try:
            data = path.read_bytes()
        except OSError as e:
            raise _Bad(f"cannot be read ({e.strerror or e})") from None
        img = _check_image(path, kind, data)
        return ImportItem(path, "image", 0.0, f"{img.width}x{img.height}", img, size)
    if _looks_like_text(start):
        raise _Bad("is a text file, not a video or image; import clips (MP4, MOV, MKV, WebM …) "
                   "or images (PNG, JPEG, WebP)")
    if ff is None:
        raise _Bad("cannot be checked: no usable ffmpeg was found")
    info = _check_video(path, head, ff)
    assert info.video is not None
    return ImportItem(path, "video", info.duration, info.video.size, info, size)


def check_files(paths: Sequence[Path | str], ffmpeg: FFmpeg | None = None) -> list[ImportItem]:
    """Probe every file; return one :class:`ImportItem` each, in the order given.

    Every file is checked before the answer: when any is unusable (missing, a folder, empty,
    not media, cut short, audio only, no frames, an image format other than PNG/JPEG/WebP)
    this raises :class:`ImportRejected` with one line per bad file, and the caller changes
    nothing. Names with quotes, colons, newlines or a leading dash are fine: ffmpeg only ever
    sees absolute paths, which cannot be read as an option or a protocol.
    """
    if not paths:
        raise ImportRejected(["no files were given"])
    try:
        ff: FFmpeg | None = ffmpeg or find_ffmpeg()
    except FFmpegNotFound:
        ff = None  # images can still be checked; each video says why it cannot
    items: list[ImportItem] = []
    problems: list[str] = []
    for raw in paths:
        given = Path(raw)
        try:
            items.append(_check_one(given.absolute(), ff))
        except _Bad as e:
            problems.append(f"{shown_name(raw)}: {e}")
    if problems:
        raise ImportRejected(problems)
    return items
