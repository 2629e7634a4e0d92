"""Before the editor creates its QApplication: can Qt open a window here at all?

When Qt's platform plugin cannot load, Qt aborts the process (exit 134) with a line that often
names the wrong library ("xcb-cursor0 ... is needed" while the real gaps are libxcb-icccm4 and
libxcb-keysyms1). This module asks the dynamic linker instead (``ldd`` on the xcb plugin lists
every library it cannot find, its own dependencies' included) and turns the answer into a line
that names the missing libraries and the command that installs them. Qt-free: it only locates
PySide6's files, it never imports them.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

#: library file → Debian/Ubuntu package, for what Qt's xcb plugin and QtMultimedia need
DEBIAN_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libpulse.so.0": "libpulse0",
    "libasound.so.2": "libasound2",
}


def _platforms_dir() -> Path | None:
    spec = importlib.util.find_spec("PySide6")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "Qt" / "plugins" / "platforms"
    return folder if folder.is_dir() else None


def missing_libraries(binary: Path) -> list[str]:
    """Libraries ``binary`` needs that the dynamic linker cannot find (empty when all are
    found, or when ``ldd`` is not there to ask)."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return []
    try:
        out = subprocess.run([ldd, str(binary)], capture_output=True, text=True, timeout=10,
                             stdin=subprocess.DEVNULL, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    missing = []
    for line in out.splitlines():
        name, _, where = line.strip().partition("=>")
        if where.strip() == "not found" and name.strip() not in missing:
            missing.append(name.strip())
    return missing


def install_hint(missing: list[str]) -> str:
    """The command that installs ``missing`` on Debian and Ubuntu (or a plain list)."""
    packages = sorted({DEBIAN_PACKAGES[m] for m in missing if m in DEBIAN_PACKAGES})
    unknown = [m for m in missing if m not in DEBIAN_PACKAGES]
    hint = f"sudo apt-get install {' '.join(packages)}" if packages else ""
    if unknown:
        hint += ("; also " if hint else "install the packages that provide ") + ", ".join(unknown)
    return hint


def display_problem(environ: dict[str, str] | None = None,
                    platforms: Path | None = None) -> str | None:
    """Why Qt could not open a window on this Linux desktop, in words a user can act on; None
    when nothing is known to be wrong (or off Linux, or with a non-desktop Qt platform)."""
    env = os.environ if environ is None else environ
    if not sys.platform.startswith("linux"):
        return None
    platform = env.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith(("xcb", "wayland")):
        return None  # offscreen, vnc, eglfs…: no X libraries involved
    wayland = bool(env.get("WAYLAND_DISPLAY")) and not platform.startswith("xcb")
    if not env.get("DISPLAY") and not wayland:
        return ("no display to open a window on: $DISPLAY is not set. Run soraboard in a "
                "desktop session, or under a virtual screen (xvfb-run -a soraboard); the "
                "headless commands (soraboard --help) need no display.")
    if wayland:
        return None  # Qt tries Wayland first and falls back to X by itself
    folder = platforms if platforms is not None else _platforms_dir()
    if folder is None:
        return None
    plugin = folder / "libqxcb.so"
    if not plugin.exists():
        return None
    missing = missing_libraries(plugin)
    if not missing:
        return None
    return (f"Qt cannot open a window: its X11 (xcb) platform plugin needs libraries this "
            f"system lacks: {', '.join(missing)}. Install them with: {install_hint(missing)}")
