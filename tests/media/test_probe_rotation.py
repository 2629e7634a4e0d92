"""The display matrix as ffmpeg 9 and Debian's 5.1 print it: the size is the upright one."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from soraboard.media.probe import parse_banner

BANNER = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'phone.mp4':
  Duration: 00:00:02.00, start: 0.000000, bitrate: 811 kb/s
  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), \
1920x1080 [SAR {sar} DAR 16:9], 721 kb/s, 30 fps, 30 tbr, 15360 tbn (default)
    Metadata:
      handler_name    : VideoHandler
    Side data:
      {side}
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, stereo, fltp (default)
    Side data:
      {side2}
"""


@pytest.mark.parametrize(("side", "want"), [
    ("Display Matrix: rotation of 90.00 degrees", (1080, 1920, 90)),  # ffmpeg 9
    ("displaymatrix: rotation of -90.00 degrees", (1080, 1920, 270)),  # ffmpeg 5.1
    ("Display Matrix: rotation of -180.00 degrees", (1920, 1080, 180)),
    ("Display Matrix: rotation of 0.00 degrees", (1920, 1080, 0)),
    ("cpb: bitrate max/min/avg: 0/0/0", (1920, 1080, 0)),
])
def test_the_display_matrix_turns_the_size(side: str, want: tuple[int, int, int]) -> None:
    info = parse_banner(Path("phone.mp4"), BANNER.format(sar="1:1", side=side, side2="x"))
    v = info.video
    assert v is not None and (v.width, v.height, v.rotation) == want


def test_only_the_video_streams_own_side_data_counts() -> None:
    text = BANNER.format(sar="4:3", side="cpb: none",
                         side2="Display Matrix: rotation of 90.00 degrees")
    v = parse_banner(Path("x.mp4"), text).video
    assert v is not None and (v.width, v.height, v.rotation, v.sar) == (1920, 1080, 0,
                                                                        Fraction(4, 3))


def test_a_turned_stream_turns_its_pixel_shape_too() -> None:
    text = BANNER.format(sar="4:3", side="displaymatrix: rotation of 90.00 degrees", side2="")
    v = parse_banner(Path("x.mp4"), text).video
    assert v is not None and (v.width, v.height, v.sar) == (1080, 1920, Fraction(3, 4))
