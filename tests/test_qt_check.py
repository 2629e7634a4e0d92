"""When Qt cannot open a window, soraboard says which libraries are missing and how to install
them (instead of Qt's abort, exit 134, that often names the wrong library)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from soraboard.qt_check import display_problem, install_hint, missing_libraries


def test_no_display_is_a_clear_error_not_an_abort(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["SORABOARD_HOME"] = str(tmp_path / "home")
    proc = subprocess.run([sys.executable, "-m", "soraboard"], capture_output=True, text=True,
                          env=env, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1, proc.stderr
    assert "no display to open a window on" in proc.stderr
    assert "xvfb-run -a soraboard" in proc.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("cc") is None
                    or shutil.which("ldd") is None, reason="needs Linux, a C compiler and ldd")
def test_a_plugin_whose_libraries_are_missing_names_them_and_the_apt_command(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a stand-in for libqxcb.so that needs two libraries which are then removed (named so that
    # no machine has them; the table learns their packages as it knows the real xcb ones)
    from soraboard import qt_check

    monkeypatch.setitem(qt_check.DEBIAN_PACKAGES, "libsbtest-icccm.so.4", "libxcb-icccm4")
    monkeypatch.setitem(qt_check.DEBIAN_PACKAGES, "libsbtest-keysyms.so.1", "libxcb-keysyms1")
    libs = tmp_path / "libs"
    libs.mkdir()
    (tmp_path / "stub.c").write_text("int stub(void) { return 1; }\n")
    for soname in ("libsbtest-icccm.so.4", "libsbtest-keysyms.so.1"):
        subprocess.run(["cc", "-shared", "-fPIC", f"-Wl,-soname,{soname}", "-o", str(libs / soname),
                        str(tmp_path / "stub.c")], check=True)
    platforms = tmp_path / "platforms"
    platforms.mkdir()
    subprocess.run(["cc", "-shared", "-fPIC", "-Wl,--no-as-needed", "-o", str(platforms / "libqxcb.so"),
                    str(tmp_path / "stub.c"), str(libs / "libsbtest-icccm.so.4"),
                    str(libs / "libsbtest-keysyms.so.1")], check=True)
    shutil.rmtree(libs)
    assert missing_libraries(platforms / "libqxcb.so") == ["libsbtest-icccm.so.4",
                                                          "libsbtest-keysyms.so.1"]
    problem = display_problem({"DISPLAY": ":0"}, platforms)
    assert problem is not None
    assert "lacks: libsbtest-icccm.so.4, libsbtest-keysyms.so.1" in problem
    assert problem.endswith("Install them with: sudo apt-get install libxcb-icccm4 libxcb-keysyms1")


def test_nothing_to_say_when_the_plugin_loads_or_qt_is_not_on_x() -> None:
    # this machine has the libraries (.ci/run installs them): the real plugin resolves
    assert display_problem({"DISPLAY": ":0"}) is None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}) is None


def test_install_hint_lists_unknown_libraries_too() -> None:
    assert install_hint(["libxcb-cursor.so.0", "libfoo.so.3"]) == \
        "sudo apt-get install libxcb-cursor0; also libfoo.so.3"
    assert install_hint(["libfoo.so.3"]) == "install the packages that provide libfoo.so.3"


def _source_tree() -> Path | None:
    import os

    root = Path(os.environ.get("SORABOARD_SOURCE_TREE") or Path(__file__).resolve().parents[1])
    return root if (root / ".ci" / "run").is_file() and (root / "README.md").is_file() else None


@pytest.mark.skipif(_source_tree() is None, reason="needs the source tree (README, .ci/run)")
def test_the_readme_apt_line_is_the_one_ci_installs() -> None:
    import re

    root = _source_tree()
    assert root is not None
    readme = (root / "README.md").read_text("utf-8")
    ci = (root / ".ci" / "run").read_text("utf-8")
    line = re.search(r"^sudo apt-get install -y (.+)$", readme, re.MULTILINE)
    ci_libs = re.search(r'^\s*QT_LIBS="([^"]+)"', ci, re.MULTILINE)
    assert line and ci_libs
    assert line.group(1).split() == ci_libs.group(1).split()
    # every library the xcb plugin needs from the table has its package in that line
    from soraboard.qt_check import DEBIAN_PACKAGES

    xcb = {pkg for lib, pkg in DEBIAN_PACKAGES.items() if lib.startswith("libxcb-")
           and pkg not in ("libxcb-shm0", "libxcb-render0", "libxcb-util1")}
    assert xcb <= set(line.group(1).split())
