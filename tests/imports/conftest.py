"""Fixtures for the import tests: a small project and a folder of files "from elsewhere"."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from soraboard.media.ffmpeg import find_ffmpeg
from soraboard.model.storyboard import Storyboard
from soraboard.storage.bundle import Bundle
from tests.helpers.clips import make_clip


def ffmpeg_make(*args: str) -> None:
    subprocess.run([find_ffmpeg().path, "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                    *args], check=True, stdin=subprocess.DEVNULL, capture_output=True)


def make_image(path: Path, size: str = "64x48") -> Path:
    ffmpeg_make("-f", "lavfi", "-i", f"testsrc2=size={size}", "-frames:v", "1", str(path))
    return path


@pytest.fixture
def project(tmp_path: Path) -> Bundle:
    """A project with one draft segment, on the storyboard's defaults."""
    sb = Storyboard(title="Film", default_size="320x180")
    sb = Storyboard(title="Film", default_size="320x180",
                    segments=(sb.new_segment(title="Opening"),))
    return Bundle.create(tmp_path / "Film", sb)


@pytest.fixture(scope="session")
def good_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1.5 s H.264/AAC clip (a template: tests copy it before importing)."""
    return make_clip(tmp_path_factory.mktemp("good") / "harbour_at_dawn.mp4", duration=1.5,
                     size="320x180", fps="25")


@pytest.fixture(scope="session")
def bad_files(tmp_path_factory: pytest.TempPathFactory, good_clip: Path) -> dict[str, Path]:
    """One file for every way an import can be refused, keyed by what is wrong."""
    d = tmp_path_factory.mktemp("bad")
    out: dict[str, Path] = {}
    notes = d / "notes.mp4"
    notes.write_text("these are my notes, not a video\n", "utf-8")
    out["not media"] = notes
    story = d / "story.txt"  # ffmpeg's tty demuxer makes a 0.08 s "video" of any text
    story.write_text("A lighthouse keeper finds a message in a bottle.\n" * 40, "utf-8")
    out["story text"] = story
    odd = d / "export-notes.txt"  # a NUL inside, so not sniffed as text: ffmpeg's tty demuxer
    odd.write_bytes(b"my notes\x00 about the film\n" * 20)
    out["text with a NUL"] = odd
    archive = d / "takes.zip"
    archive.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 8)
    out["zip archive"] = archive
    # an MP4 whose index is at the end, cut in half (a download that stopped)
    plain = make_clip(d / "plain.mp4", duration=2.0)
    data = plain.read_bytes()
    cut = d / "truncated.mp4"
    cut.write_bytes(data[: len(data) // 2])
    out["truncated"] = cut
    plain.unlink()
    # a streamable MP4 (index first) cut in half: the header promises more than is there
    fast = make_clip(d / "fast.mp4", duration=2.0, extra_video_args=["-movflags", "+faststart"])
    data = fast.read_bytes()
    cut2 = d / "truncated-faststart.mp4"
    cut2.write_bytes(data[: len(data) // 2])
    out["truncated faststart"] = cut2
    fast.unlink()
    audio = d / "voiceover.m4a"
    ffmpeg_make("-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac", str(audio))
    out["audio only"] = audio
    zero = d / "zero.mp4"
    ffmpeg_make("-f", "lavfi", "-i", "testsrc2=size=64x48", "-frames:v", "0", "-c:v",
                "libx264", str(zero))
    out["zero length"] = zero
    empty = d / "empty.mov"
    empty.write_bytes(b"")
    out["empty file"] = empty
    out["missing"] = d / "not-there.mp4"
    gif = d / "loop.gif"
    ffmpeg_make("-f", "lavfi", "-i", "testsrc2=size=64x48:duration=0.2", str(gif))
    out["unsupported image"] = gif
    png = make_image(d / "still.png")
    cut_png = d / "cut-still.png"
    cut_png.write_bytes(png.read_bytes()[:-40])
    png.unlink()
    out["truncated image"] = cut_png
    folder = d / "a-folder.mp4"
    folder.mkdir()
    out["folder"] = folder
    out["odd name missing"] = d / "-rm 'it':\nnow.mp4"
    return out


def tree(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` with its bytes (None for a folder): a project's fingerprint."""
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(root.rglob("*"))}
