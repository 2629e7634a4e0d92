"""An image's pixel size from its header, before anything decodes it.

A 3 MB PNG can say 32000×32000: decoding it takes gigabytes. Every image soraboard decodes
(imports, reference frames) is measured here first and refused above :data:`MAX_PIXELS`;
below it, references are decoded at a reduced scale when they are much larger than needed
(:func:`reduction_for`). PNG, JPEG and WebP (the formats the providers accept) are read;
other formats give None and are left to the decoder's own limits.
"""

from __future__ import annotations

import struct
from pathlib import Path

#: the most pixels an image may have: 50 megapixels (8K UHD is 33, a 48 MP phone photo fits)
MAX_PIXELS = 50_000_000
#: how much of the file to read for the header (JPEG metadata can push SOF far in)
HEADER_BYTES = 512 * 1024


class ImageTooLarge(ValueError):
    """The image has more pixels than soraboard decodes; the message says how many."""

    def __init__(self, name: str, width: int, height: int) -> None:
        self.width = width
        self.height = height
        #: "32000x32000 (1024 megapixels); images up to 50 megapixels can be used — …"
        self.detail = (f"{width}x{height} ({width * height / 1e6:.0f} megapixels); images up "
                       f"to {MAX_PIXELS // 1_000_000} megapixels can be used — scale it down "
                       "first")
        super().__init__(f"{name} is {self.detail}")


def _png(head: bytes) -> tuple[int, int] | None:
    if len(head) >= 24 and head[12:16] == b"IHDR":
        w, h = struct.unpack(">II", head[16:24])
        return int(w), int(h)
    return None


def _jpeg(head: bytes) -> tuple[int, int] | None:
    i = 2
    n = len(head)
    while i + 4 <= n:
        if head[i] != 0xFF:
            i += 1
            continue
        marker = head[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length
            i += 2
            continue
        length = struct.unpack(">H", head[i + 2:i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if i + 9 > n:
                return None
            h, w = struct.unpack(">HH", head[i + 5:i + 9])
            return int(w), int(h)
        if marker == 0xDA:  # image data starts before any frame header: damaged
            return None
        i += 2 + length
    return None


def _webp(head: bytes) -> tuple[int, int] | None:
    if len(head) < 30:
        return None
    chunk = head[12:16]
    if chunk == b"VP8 ":
        w, h = struct.unpack("<HH", head[26:30])
        return int(w & 0x3FFF), int(h & 0x3FFF)
    if chunk == b"VP8L" and head[20] == 0x2F:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        w = int.from_bytes(head[24:27], "little") + 1
        h = int.from_bytes(head[27:30], "little") + 1
        return w, h
    return None


def header_size(head: bytes) -> tuple[int, int] | None:
    """(width, height) from the first bytes of a PNG, JPEG or WebP file; None otherwise."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _png(head)
    if head.startswith(b"\xff\xd8"):
        return _jpeg(head)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _webp(head)
    return None


def check_pixels(head: bytes, name: str = "the image") -> tuple[int, int] | None:
    """The header's size; raises :class:`ImageTooLarge` above :data:`MAX_PIXELS`."""
    size = header_size(head)
    if size is not None and size[0] * size[1] > MAX_PIXELS:
        raise ImageTooLarge(name, *size)
    return size


def check_file_pixels(path: Path) -> tuple[int, int] | None:
    """:func:`check_pixels` on a file's first bytes."""
    with open(path, "rb") as f:
        return check_pixels(f.read(HEADER_BYTES), Path(path).name)


def reduction_for(size: tuple[int, int] | None, need: tuple[int, int] | None) -> int:
    """The largest of 1, 2, 4, 8 that still decodes at least ``need`` pixels each way."""
    if size is None or need is None:
        return 1
    # compared side for side regardless of orientation (EXIF may turn the picture)
    small, big = sorted(size)
    need_small, need_big = sorted(need)
    for r in (8, 4, 2):
        if small // r >= need_small and big // r >= need_big:
            return r
    return 1


def reduced_flag(reduction: int) -> int:
    """OpenCV's imread flag for a colour decode at 1/``reduction`` scale."""
    import cv2

    flags: dict[int, int] = {2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
                             8: cv2.IMREAD_REDUCED_COLOR_8}
    return flags.get(reduction, cv2.IMREAD_COLOR)
