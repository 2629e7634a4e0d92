"""Desktop integration files and the icon: valid, consistent with each other, and shipped."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RES = ROOT / "resources"
DESKTOP = RES / "soraboard.desktop"
METAINFO = RES / "io.github.soraboard.soraboard.metainfo.xml"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)

# the repository's resources/ folder is not part of an installed wheel: these tests run from
# the source tree only (the wheel run in .ci/run sets SORABOARD_TEST_INSTALLED)
source_tree_only = pytest.mark.skipif(not RES.is_dir(), reason="needs the source tree")


def _desktop() -> configparser.SectionProxy:
    cp = configparser.ConfigParser(interpolation=None)
    cp.optionxform = str  # type: ignore[assignment, method-assign]
    cp.read(DESKTOP, encoding="utf-8")
    return cp["Desktop Entry"]


@source_tree_only
def test_desktop_file_is_valid() -> None:
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        pytest.skip("desktop-file-validate is not installed (apt: desktop-file-utils)")
    proc = subprocess.run([tool, str(DESKTOP)], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr


@source_tree_only
def test_metainfo_is_valid() -> None:
    tool = shutil.which("appstreamcli")
    if tool is None:
        pytest.skip("appstreamcli is not installed (apt: appstream)")
    proc = subprocess.run([tool, "validate", "--no-net", str(METAINFO)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@source_tree_only
def test_desktop_file_metainfo_and_icon_agree() -> None:
    entry = _desktop()
    assert entry["Exec"].split()[0] == "soraboard"
    assert entry["StartupWMClass"] == "soraboard"  # app.setDesktopFileName("soraboard")
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == "io.github.soraboard.soraboard" == METAINFO.name.removesuffix(
        ".metainfo.xml")
    assert root.findtext("launchable") == DESKTOP.name
    assert root.findtext("icon") == entry["Icon"] == "soraboard"
    assert root.findtext("project_license") == "GPL-3.0-or-later"
    from soraboard import __version__

    assert root.find("releases/release").get("version") == __version__  # type: ignore[union-attr]
    # every screenshot is one of ours, with its real size, under the documented URL pattern
    for image in root.iter("image"):
        url = image.text or ""
        m = re.fullmatch(r"https://raw\.githubusercontent\.com/soraboard/soraboard/v"
                         + re.escape(__version__) + r"/resources/screenshots/([\w-]+\.png)", url)
        assert m, url
        shot = RES / "screenshots" / m.group(1)
        assert shot.is_file(), shot
        w, h = _png_size(shot)
        assert (image.get("width"), image.get("height")) == (str(w), str(h))


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@source_tree_only
def test_icon_pngs_have_their_sizes_and_are_up_to_date() -> None:
    for size in SIZES:
        assert _png_size(RES / "icons" / f"soraboard-{size}.png") == (size, size)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, str(ROOT / "packaging" / "render_icons.py"), "--check"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_installed_package_carries_the_icon_and_it_renders(qapp: object) -> None:
    from PySide6.QtGui import QIcon, QImage

    folder = resources.files("soraboard") / "resources" / "icons"
    svg = Path(str(folder / "soraboard.svg"))
    png = Path(str(folder / "soraboard.png"))
    assert svg.is_file() and png.is_file()
    assert _png_size(png) == (256, 256)
    image = QIcon(str(svg)).pixmap(32, 32).toImage().convertToFormat(
        QImage.Format.Format_ARGB32)
    assert image.width() == 32
    # not blank: the strip and its three coloured cards are drawn
    colours = {image.pixelColor(x, 16).name() for x in range(32)}
    assert len(colours) >= 4, colours
