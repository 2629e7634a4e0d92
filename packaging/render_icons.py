"""Render the application icon's PNG sizes from ``resources/icons/soraboard.svg`` with QtSvg,
and copy the SVG and the 256 px PNG into the package (``soraboard/resources/icons/``) so an
installed or frozen app can set its window icon.

    QT_QPA_PLATFORM=offscreen python packaging/render_icons.py          # regenerate
    QT_QPA_PLATFORM=offscreen python packaging/render_icons.py --check  # exit 1 if stale
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "soraboard.svg"
OUT = ROOT / "resources" / "icons"
PACKAGE = ROOT / "soraboard" / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
PACKAGE_PNG = 256


def png_name(size: int) -> str:
    return f"soraboard-{size}.png"


def render(svg: Path, size: int, target: Path) -> None:
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: not a valid SVG for QtSvg")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    if not image.save(str(target), "PNG"):
        raise SystemExit(f"could not write {target}")


def render_all(out: Path, package: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    package.mkdir(parents=True, exist_ok=True)
    written = []
    for size in SIZES:
        target = out / png_name(size)
        render(SVG, size, target)
        written.append(target)
    shutil.copyfile(SVG, package / "soraboard.svg")
    shutil.copyfile(out / png_name(PACKAGE_PNG), package / "soraboard.png")
    written += [package / "soraboard.svg", package / "soraboard.png"]
    return written


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="render into a temporary folder and fail if a committed file differs")
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - fonts, DPI
    if not args.check:
        for path in render_all(OUT, PACKAGE):
            print(path.relative_to(ROOT))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = render_all(Path(tmp) / "out", Path(tmp) / "pkg")
        committed = [OUT / p.name for p in fresh[:-2]] + [PACKAGE / p.name for p in fresh[-2:]]
        stale = [str(c.relative_to(ROOT)) for f, c in zip(fresh, committed)
                 if not c.is_file() or c.read_bytes() != f.read_bytes()]
    if stale:
        print("stale icons (run packaging/render_icons.py): " + ", ".join(stale))
        return 1
    print("icons are up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
