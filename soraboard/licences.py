"""What soraboard ships and under which licences — the data behind the About dialog.

Qt-free and cheap: versions come from installed package metadata, the name of the ffmpeg
binary that ``imageio-ffmpeg`` ships and the DejaVu font's own header. Nothing is imported
beyond the standard library, and no process is started (the About dialog may pass the Qt and
ffmpeg versions it already knows).

    >>> [c.name for c in bundled_components()][:3]
    ['soraboard', 'Qt', 'Qt for Python (PySide6)']
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import platform
import re
import struct
from dataclasses import dataclass
from pathlib import Path

from soraboard import __version__

HOMEPAGE = "https://github.com/soraboard/soraboard"
#: licence identifiers are SPDX ids or expressions: https://spdx.org/licenses/
SPDX_LIST = "https://spdx.org/licenses/"

_PACKAGE_DIR = Path(__file__).resolve().parent
FONT_DIR = _PACKAGE_DIR / "resources" / "fonts"
FONT_LICENCE_FILE = FONT_DIR / "LICENSE-DejaVu.txt"


@dataclass(frozen=True)
class Component:
    """One bundled component: shown as a row of the About dialog."""

    name: str
    version: str | None  #: None when it cannot be read cheaply
    licence: str  #: an SPDX identifier or expression
    url: str  #: the project's home page
    note: str = ""  #: one short sentence (how it is built, where its source is)
    licence_file: Path | None = None  #: the full text, when soraboard ships it

    @property
    def licence_url(self) -> str:
        """The SPDX page of a single-id licence; the SPDX list for an expression."""
        if re.fullmatch(r"[A-Za-z0-9.+-]+", self.licence):
            return f"{SPDX_LIST}{self.licence}.html"
        return SPDX_LIST

    def describe(self) -> str:
        """``"FFmpeg 9.0.2 — GPL-3.0-or-later"``."""
        return f"{self.name} {self.version or '(version unknown)'} — {self.licence}"


def dist_version(*names: str) -> str | None:
    """The installed version of the first distribution found under one of ``names``."""
    for name in names:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def _package_dir(module: str) -> Path | None:
    """Where a package lives, without importing it."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def imageio_ffmpeg_binary() -> Path | None:
    """The ffmpeg executable the ``imageio-ffmpeg`` wheel ships (not run, not imported)."""
    folder = _package_dir("imageio_ffmpeg")
    if folder is None:
        return None
    found = sorted((folder / "binaries").glob("ffmpeg-*"))
    return found[0] if found else None


def ffmpeg_version_from_name(path: Path | str) -> str | None:
    """``ffmpeg-linux-x86_64-v9.0.2`` → ``9.0.2``; ``ffmpeg-win-x86_64-v7.1.exe`` → ``7.1``."""
    m = re.search(r"-v(\d+(?:\.\d+)*)(?:\.exe)?$", Path(path).name)
    return m.group(1) if m else None


def font_version(path: Path) -> str | None:
    """A TrueType font's revision from its ``head`` table (DejaVuSans.ttf → ``2.37``)."""
    try:
        with path.open("rb") as f:
            header = f.read(12)
            if len(header) < 12:
                return None
            (num_tables,) = struct.unpack(">H", header[4:6])
            directory = f.read(16 * num_tables)
            for i in range(num_tables):
                tag, _checksum, offset, _length = struct.unpack(
                    ">4sIII", directory[16 * i:16 * i + 16])
                if tag == b"head":
                    f.seek(offset + 4)
                    (revision,) = struct.unpack(">i", f.read(4))
                    return f"{revision / 65536:.2f}"
    except (OSError, struct.error):
        return None
    return None


def bundled_components(*, qt_version: str | None = None,
                       ffmpeg_version: str | None = None) -> list[Component]:
    """soraboard and what it ships or depends on, soraboard first.

    ``qt_version`` is ``PySide6.QtCore.qVersion()`` when the caller has Qt loaded (else the
    PySide6 package version, which follows Qt's); ``ffmpeg_version`` is the version of the
    ffmpeg soraboard found (else the one in the name of imageio-ffmpeg's binary, else the
    imageio-ffmpeg package version).
    """
    pyside = dist_version("PySide6-Essentials", "PySide6", "pyside6-essentials")
    qt = qt_version or pyside
    binary = imageio_ffmpeg_binary()
    imageio = dist_version("imageio-ffmpeg")
    ffmpeg = ffmpeg_version or (ffmpeg_version_from_name(binary) if binary else None) or (
        f"from imageio-ffmpeg {imageio}" if imageio else None)
    return [
        Component("soraboard", __version__, "GPL-3.0-or-later", HOMEPAGE,
                  "Free software: you may share and change it under the GNU GPL v3 or later."),
        Component("Qt", qt, "LGPL-3.0-only", "https://www.qt.io/",
                  "Qt 6 libraries, used under the LGPL v3; they can be replaced by the user."),
        Component("Qt for Python (PySide6)", pyside, "LGPL-3.0-only",
                  "https://doc.qt.io/qtforpython-6/"),
        Component("FFmpeg libraries of Qt Multimedia", f"as shipped with Qt {qt}" if qt else None,
                  "LGPL-2.1-or-later", "https://ffmpeg.org/",
                  "Qt's playback backend: an LGPL build of the FFmpeg libraries."),
        Component("FFmpeg", ffmpeg, "GPL-3.0-or-later", "https://ffmpeg.org/",
                  "The ffmpeg program from imageio-ffmpeg (configured with --enable-gpl "
                  "--enable-version3, x264 and x265 included); its source is at "
                  "https://ffmpeg.org/download.html and https://github.com/BtbN/FFmpeg-Builds."),
        Component("DejaVu fonts", font_version(FONT_DIR / "DejaVuSans.ttf"), "Bitstream-Vera",
                  "https://dejavu-fonts.github.io/",
                  "Used in animatic clips and slates; DejaVu's changes are in the public domain.",
                  FONT_LICENCE_FILE if FONT_LICENCE_FILE.is_file() else None),
        Component("OpenCV", dist_version("opencv-python-headless", "opencv-python"),
                  "Apache-2.0", "https://opencv.org/"),
        Component("OpenAI Python library", dist_version("openai"), "Apache-2.0",
                  "https://github.com/openai/openai-python"),
        Component("OpenTimelineIO", dist_version("opentimelineio", "OpenTimelineIO"),
                  "Apache-2.0", "https://opentimeline.io/"),
        Component("NumPy", dist_version("numpy"), "BSD-3-Clause", "https://numpy.org/"),
        Component("eSpeak NG (espeakng-loader)", dist_version("espeakng-loader"),
                  "GPL-3.0-or-later", "https://github.com/espeak-ng/espeak-ng",
                  note="the animatic's offline scratch voice; library and voice data ship in "
                       "the espeakng-loader wheel"),
        Component("imageio-ffmpeg", imageio, "BSD-2-Clause",
                  "https://github.com/imageio/imageio-ffmpeg"),
        Component("keyring", dist_version("keyring"), "MIT",
                  "https://github.com/jaraco/keyring"),
        Component("platformdirs", dist_version("platformdirs"), "MIT",
                  "https://github.com/tox-dev/platformdirs"),
        Component("Python", platform.python_version(), "PSF-2.0", "https://www.python.org/"),
    ]
