"""Caption layout — the animatic's text and burned-in subtitles: the shipped font, exact text
widths from it, word wrapping, and a font size that keeps every line inside the title-safe
area.

ffmpeg's drawtext does not wrap, so a long beat ran off both edges of the frame. The widths
come from the TrueType file itself (``cmap`` format 4 + ``hmtx``; no kerning, which DejaVu's
``kern``/GPOS pairs only ever tighten), so a wrapped line is never wider than measured.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

#: the title-safe area is the central 80 % of the frame (SMPTE RP 2046-1 / EBU R 95)
SAFE_MARGIN = 0.10
FONT = "DejaVuSans.ttf"
FONT_BOLD = "DejaVuSans-Bold.ttf"


def font_path(bold: bool = False) -> Path:
    """The shipped font (a real file: ffmpeg needs a path)."""
    ref = resources.files("soraboard") / "resources" / "fonts" / (FONT_BOLD if bold else FONT)
    return Path(str(ref))


@dataclass(frozen=True)
class FontMetrics:
    """Advance widths of one TrueType font, in font units."""

    units_per_em: int
    advances: dict[int, int]  #: code point → advance width
    default_advance: int

    def width(self, text: str, size: float) -> float:
        """Width in pixels of ``text`` set at ``size`` pixels per em."""
        units = sum(self.advances.get(ord(ch), self.default_advance) for ch in text)
        return units * size / self.units_per_em


def _tables(data: bytes) -> dict[bytes, tuple[int, int]]:
    (num,) = struct.unpack_from(">H", data, 4)
    out = {}
    for i in range(num):
        tag, _check, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        out[tag] = (offset, length)
    return out


def _cmap_format4(data: bytes, start: int) -> dict[int, int]:
    """Code point → glyph id from a format-4 (BMP) cmap subtable."""
    (seg_x2,) = struct.unpack_from(">H", data, start + 6)
    n = seg_x2 // 2
    ends = struct.unpack_from(f">{n}H", data, start + 14)
    starts = struct.unpack_from(f">{n}H", data, start + 16 + seg_x2)
    deltas = struct.unpack_from(f">{n}h", data, start + 16 + 2 * seg_x2)
    ro_at = start + 16 + 3 * seg_x2
    offsets = struct.unpack_from(f">{n}H", data, ro_at)
    out: dict[int, int] = {}
    for i in range(n):
        for cp in range(starts[i], min(ends[i], 0xFFFE) + 1):
            if offsets[i] == 0:
                gid = (cp + deltas[i]) & 0xFFFF
            else:
                at = ro_at + 2 * i + offsets[i] + 2 * (cp - starts[i])
                (gid,) = struct.unpack_from(">H", data, at)
                if gid:
                    gid = (gid + deltas[i]) & 0xFFFF
            if gid:
                out[cp] = gid
    return out


@lru_cache(maxsize=4)
def font_metrics(path: Path) -> FontMetrics:
    """Read the advance widths of the TrueType font at ``path``."""
    data = Path(path).read_bytes()
    tables = _tables(data)
    head, _ = tables[b"head"]
    (upem,) = struct.unpack_from(">H", data, head + 18)
    hhea, _ = tables[b"hhea"]
    (n_metrics,) = struct.unpack_from(">H", data, hhea + 34)
    hmtx, _ = tables[b"hmtx"]
    adv = [struct.unpack_from(">H", data, hmtx + 4 * i)[0] for i in range(n_metrics)]
    cmap, _ = tables[b"cmap"]
    (n_sub,) = struct.unpack_from(">H", data, cmap + 2)
    mapping: dict[int, int] = {}
    for i in range(n_sub):
        platform, encoding, offset = struct.unpack_from(">HHI", data, cmap + 4 + 8 * i)
        (fmt,) = struct.unpack_from(">H", data, cmap + offset)
        if fmt == 4 and (platform, encoding) in ((3, 1), (0, 3), (0, 4)):
            mapping = _cmap_format4(data, cmap + offset)
            break
    advances = {cp: adv[min(g, n_metrics - 1)] for cp, g in mapping.items()}
    # a character the font lacks is drawn as .notdef (glyph 0); size it as the widest glyph
    return FontMetrics(upem, advances, max(adv))


def wrap(text: str, metrics: FontMetrics, size: float, max_width: float) -> list[str]:
    """Greedy word wrap; a word longer than a line is broken between characters."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if metrics.width(candidate, size) <= max_width:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = ""
            for ch in word:  # an over-long word: break it where it must
                if line and metrics.width(line + ch, size) > max_width:
                    lines.append(line)
                    line = ""
                line += ch
        if line:
            lines.append(line)
    return lines


@dataclass(frozen=True)
class CaptionLayout:
    """Lines to draw, their font size and the line pitch, all in pixels."""

    lines: tuple[str, ...]
    size: int
    line_height: int

    @property
    def height(self) -> int:
        return self.line_height * len(self.lines)


def fit_caption(text: str, metrics: FontMetrics, size: int, max_width: float,
                max_lines: int, min_size: int = 8) -> CaptionLayout:
    """Wrap ``text`` to ``max_width``; shrink the font (down to ``min_size``) until it fits in
    ``max_lines`` lines; if it still does not, keep the first lines and end with an ellipsis."""
    size = max(size, min_size)
    while True:
        lines = wrap(text, metrics, size, max_width)
        if len(lines) <= max_lines or size <= min_size:
            break
        size = max(min_size, int(size * 0.88))
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and metrics.width(last + "…", size) > max_width:
            last = last[:-1].rstrip()
        lines[-1] = last + "…"
    return CaptionLayout(tuple(lines), size, round(size * 1.3))
