"""Image bombs (issue 15 item 7): a small file that says 32000x32000 is refused from its
header, on import and on generate, with little memory (peak RSS measured, < 500 MB); a large
but allowed reference is decoded at a reduced scale."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import tracemalloc
import zlib
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from soraboard.media.images import MAX_PIXELS, header_size, reduction_for
from soraboard.model.storyboard import RefMode
from soraboard.storage.bundle import Bundle, load_project

LIMIT_KIB = 500 * 1024


def png_bomb(path: Path, width: int = 32000, height: int = 32000) -> Path:
    """A 1-bit greyscale PNG of zeros: ~130 kB on disk, 3 GB once decoded to BGR."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + \
            struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    row = b"\x00" * (1 + (width + 7) // 8)
    z = zlib.compressobj(9)
    body = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height,
                                                                      1, 0, 0, 0, 0))
                     + chunk(b"IDAT", body) + chunk(b"IEND", b""))
    return path


def _measured(*args: str) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run the CLI in a fresh interpreter; its own peak RSS in KiB."""
    code = ("import resource, sys\nfrom soraboard.cli import main\nrc = main(sys.argv[1:])\n"
            "print('maxrss', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
            "file=sys.stderr)\nsys.exit(rc)\n")
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=180, env=os.environ.copy(), stdin=subprocess.DEVNULL)
    line = next(x for x in proc.stderr.splitlines() if x.startswith("maxrss"))
    return proc, int(line.split()[1])


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return png_bomb(tmp_path_factory.mktemp("bomb") / "poster.png")


def test_import_refuses_an_image_bomb_before_decoding(bomb: Path, project: Bundle) -> None:
    assert header_size(bomb.read_bytes()[:64]) == (32000, 32000)
    before = project.storyboard_file.read_bytes()
    proc, rss = _measured("import", str(project.path), str(bomb))
    assert proc.returncode == 1
    assert "is a PNG image of 32000x32000 (1024 megapixels); images up to 50 megapixels" \
        in proc.stderr
    assert rss < LIMIT_KIB, f"peak RSS {rss // 1024} MB"
    assert project.storyboard_file.read_bytes() == before


def test_generate_refuses_an_image_bomb_reference(bomb: Path, project: Bundle) -> None:
    # a crafted bundle: the segment starts from the bomb, placed in media/ by hand
    (project.media_dir / "poster.png").write_bytes(bomb.read_bytes())
    sb = project.load_storyboard()
    seg = replace(sb.segments[0], model="sora-2", size="1280x720", duration=4.0,
                  ref_mode=RefMode.CUSTOM, reference_image="media/poster.png",
                  scene="A harbour at dawn.")
    project.save(replace(sb, segments=(seg,)))
    proc, rss = _measured("generate", str(project.path), "--provider", "animatic", "--yes")
    assert proc.returncode == 1
    assert "poster.png is 32000x32000" in proc.stdout
    assert not load_project(project.path).takes  # refused before anything was journaled
    assert rss < LIMIT_KIB, f"peak RSS {rss // 1024} MB"


def test_a_large_reference_is_decoded_reduced(tmp_path: Path, project: Bundle) -> None:
    assert reduction_for((8000, 6000), (1280, 720)) == 4
    assert reduction_for((6000, 8000), (1280, 720)) == 4  # turned by EXIF: still covered
    assert reduction_for((1920, 1080), (1280, 720)) == 1
    assert MAX_PIXELS >= 8000 * 6000
    big = np.zeros((6000, 8000, 3), np.uint8)
    big[:, :] = (0, 180, 0)
    ok, buf = cv2.imencode(".jpg", big)
    assert ok
    (project.media_dir / "photo.jpg").write_bytes(buf.tobytes())
    del big
    sb = project.load_storyboard()
    seg = replace(sb.segments[0], model="sora-2", size="1280x720", duration=4.0,
                  ref_mode=RefMode.CUSTOM, reference_image="media/photo.jpg",
                  scene="A meadow at noon.")
    project.save(replace(sb, segments=(seg,)))
    proc, _rss = _measured("generate", str(project.path), "--provider", "animatic", "--yes")
    assert proc.returncode == 0, proc.stderr
    assert load_project(project.path).storyboard.segments[0].chosen_take
    # what the decode allocates: 8000x6000 whole is 144 MB of pixels, a quarter each way 9 MB
    from soraboard.generation.frames import read_image

    tracemalloc.start()
    try:
        img = read_image(project.media_dir / "photo.jpg", (1280, 720))
        reduced_peak = tracemalloc.get_traced_memory()[1]
        assert img.shape[:2] == (1500, 2000)
        del img
        tracemalloc.reset_peak()
        img = read_image(project.media_dir / "photo.jpg")
        full_peak = tracemalloc.get_traced_memory()[1]
        assert img.shape[:2] == (6000, 8000)
    finally:
        tracemalloc.stop()
    assert reduced_peak < 20 * 2**20 < 100 * 2**20 < full_peak, (reduced_peak, full_peak)
