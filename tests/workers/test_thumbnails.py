"""Card thumbnails show a phone clip upright: OpenCV applies the display matrix."""

from __future__ import annotations

import subprocess
from pathlib import Path

from soraboard.media.ffmpeg import find_ffmpeg
from soraboard.workers.thumbnails import load_thumbnail
from tests.helpers.clips import make_clip


def test_a_rotated_clips_thumbnail_is_upright(tmp_path: Path) -> None:
    stored = make_clip(tmp_path / "stored.mp4", duration=1.0, size="320x180", audio=False)
    phone = tmp_path / "phone.mp4"
    subprocess.run([find_ffmpeg().path, "-v", "error", "-display_rotation", "90", "-i",
                    str(stored), "-c", "copy", str(phone)], check=True)
    img = load_thumbnail(phone, 0.5, 90)
    assert img is not None and (img.width(), img.height()) == (90, 160)
    img = load_thumbnail(stored, 0.5, 160)
    assert img is not None and (img.width(), img.height()) == (160, 90)
