"""Probing without ffprobe: packets with dts, IDR times, and awkward file names."""

from __future__ import annotations

from pathlib import Path

import pytest

from soraboard.media.probe import MediaError, idr_times, keyframe_times, list_packets, probe
from tests.helpers.clips import make_clip


def test_idr_times_and_decode_timestamps(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "g.mp4", duration=1.0, gop=10,
                     extra_video_args=["-preset", "medium"])
    assert idr_times(clip) == pytest.approx([0.0, 1 / 3, 2 / 3], abs=1e-3)
    assert keyframe_times(clip) == pytest.approx([0.0, 1 / 3, 2 / 3], abs=1e-3)
    packets = list_packets(clip)
    assert len(packets.dts) == len(packets.pts) == 30
    assert packets.first_delay > 0  # B-frames: the first packet is decoded before it is shown
    assert packets.sorted_pts()[0] == 0


def test_probe_handles_names_with_a_leading_dash_newlines_and_colons(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "-x: 'a'\nb ☃.mp4", duration=1.0, size="160x90")
    info = probe(clip)
    assert info.video is not None and info.video.frame_count == 30
    assert info.audio is not None and info.audio.sample_rate == 48000
    with pytest.raises(MediaError, match="does not exist"):
        probe(tmp_path / "-missing.mp4")
