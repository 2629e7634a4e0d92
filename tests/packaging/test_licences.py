"""The About dialog's data: every bundled component with a version, an SPDX licence and a link."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

import pytest

from soraboard import __version__, licences
from soraboard.licences import bundled_components, ffmpeg_version_from_name, font_version


def _by_name() -> dict[str, licences.Component]:
    return {c.name: c for c in bundled_components()}


def test_soraboard_comes_first_under_the_gpl() -> None:
    first = bundled_components()[0]
    assert (first.name, first.version, first.licence) == ("soraboard", __version__,
                                                          "GPL-3.0-or-later")


def test_every_component_has_a_licence_id_and_a_web_link() -> None:
    comps = bundled_components()
    assert len({c.name for c in comps}) == len(comps)
    for c in comps:
        assert re.fullmatch(r"[A-Za-z0-9.+-]+", c.licence), c
        assert c.url.startswith("https://"), c
        assert c.licence_url == f"https://spdx.org/licenses/{c.licence}.html"
        assert c.describe().startswith(f"{c.name} ")


def test_qt_is_lgpl_with_its_installed_version_or_the_one_given() -> None:
    pyside = importlib.metadata.version("PySide6-Essentials")
    comps = _by_name()
    assert comps["Qt"].licence == "LGPL-3.0-only" and comps["Qt"].version == pyside
    assert comps["Qt for Python (PySide6)"].version == pyside
    given = {c.name: c for c in bundled_components(qt_version="6.99.1")}
    assert given["Qt"].version == "6.99.1"
    assert given["FFmpeg libraries of Qt Multimedia"].licence == "LGPL-2.1-or-later"


def test_ffmpeg_is_the_gpl_build_with_the_version_of_the_shipped_binary() -> None:
    import imageio_ffmpeg

    ff = _by_name()["FFmpeg"]
    assert ff.licence == "GPL-3.0-or-later"
    exe = Path(imageio_ffmpeg.get_ffmpeg_exe())
    assert ff.version == ffmpeg_version_from_name(exe)
    # the licence is what the binary was configured with: --enable-gpl --enable-version3
    banner = subprocess.run([str(exe), "-hide_banner", "-version"], capture_output=True,
                            text=True, timeout=30, check=True).stdout
    assert "--enable-gpl" in banner and "--enable-version3" in banner
    assert re.search(rf"ffmpeg version n?{re.escape(ff.version or '?')}", banner), banner[:200]
    assert {c.name: c for c in bundled_components(ffmpeg_version="7.1")}["FFmpeg"].version == "7.1"


@pytest.mark.parametrize(("name", "version"), [
    ("ffmpeg-linux-x86_64-v9.0.2", "9.0.2"),
    ("ffmpeg-win-x86_64-v7.1.exe", "7.1"),
    ("ffmpeg-macos-aarch64-v7.1", "7.1"),
    ("ffmpeg", None),
])
def test_ffmpeg_version_from_the_binary_name(name: str, version: str | None) -> None:
    assert ffmpeg_version_from_name(name) == version


def test_the_fonts_licence_text_ships_and_the_version_comes_from_the_font(tmp_path: Path) -> None:
    dejavu = _by_name()["DejaVu fonts"]
    assert dejavu.licence == "Bitstream-Vera"
    assert dejavu.licence_file is not None and "Bitstream" in dejavu.licence_file.read_text()
    assert dejavu.version is not None and re.fullmatch(r"\d+\.\d\d", dejavu.version)
    junk = tmp_path / "junk.ttf"
    junk.write_bytes(b"not a font")
    assert font_version(junk) is None
    assert font_version(tmp_path / "missing.ttf") is None


def test_apache_and_other_components_carry_their_installed_versions() -> None:
    comps = _by_name()
    for name, dist in (("OpenCV", "opencv-python-headless"), ("OpenAI Python library", "openai"),
                       ("OpenTimelineIO", "opentimelineio")):
        assert comps[name].licence == "Apache-2.0"
        assert comps[name].version == importlib.metadata.version(dist)


def test_importing_and_listing_starts_no_process_and_loads_no_heavy_module() -> None:
    code = (
        "import os, subprocess, sys\n"
        "def boom(*a, **k): raise AssertionError('a process was started')\n"
        "subprocess.Popen.__init__ = boom; os.posix_spawn = boom; os.fork = boom\n"
        "from soraboard.licences import bundled_components\n"
        "comps = bundled_components()\n"
        "heavy = [m for m in ('PySide6', 'shiboken6', 'cv2', 'openai', 'numpy', 'imageio_ffmpeg',\n"
        "                     'opentimelineio') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "print(len(comps))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout) >= 10
