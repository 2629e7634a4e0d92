"""Package data: what an installed soraboard needs besides its code.

The suite runs twice in CI (.ci/run): from the source tree, and against the built wheel
installed in a fresh venv with SORABOARD_TEST_INSTALLED=1 — then soraboard must come from
site-packages, and everything below is checked on the installed files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from importlib import resources
from pathlib import Path

import pytest

import soraboard

ROOT = Path(__file__).resolve().parents[2]
INSTALLED = os.environ.get("SORABOARD_TEST_INSTALLED") == "1"

#: files (relative to the soraboard package) that must be installed with it
PACKAGE_DATA = (
    "demos/city-morning.json",
    "demos/goal.json",
    "demos/mountain-road.json",
    "catalog/models.json",
    "resources/fonts/DejaVuSans.ttf",
    "resources/fonts/DejaVuSans-Bold.ttf",
    "resources/fonts/LICENSE-DejaVu.txt",
    "resources/icons/soraboard.svg",
    "resources/icons/soraboard.png",
)


@pytest.mark.skipif(not INSTALLED, reason="only in the installed-wheel run of .ci/run")
def test_soraboard_is_imported_from_site_packages_not_the_source_tree() -> None:
    here = Path(soraboard.__file__).resolve()
    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    assert here.is_relative_to(site), f"soraboard imported from {here}, not {site}"
    source = os.environ.get("SORABOARD_SOURCE_TREE")
    if source:
        assert not here.is_relative_to(Path(source).resolve())


def test_the_package_carries_its_data_files() -> None:
    base = resources.files("soraboard")
    missing = [name for name in PACKAGE_DATA if not base.joinpath(name).is_file()]
    assert not missing, f"not installed with the package: {missing}"


@pytest.mark.slow
@pytest.mark.skipif(INSTALLED or not (ROOT / "pyproject.toml").is_file(),
                    reason="builds a wheel from the source tree")
def test_a_wheel_built_from_the_tree_holds_the_package_data_and_no_tests(tmp_path: Path) -> None:
    # a copy of the tree: building in place would leave build/ and egg-info behind
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns(".*", "build", "dist", "*.egg-info", "__pycache__", "tests",
                                    "venv", "docs")
    shutil.copytree(ROOT, src, ignore=ignore)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                           "-w", str(tmp_path), str(src)],
                          capture_output=True, text=True, timeout=240, check=False,
                          env=dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1"))
    assert proc.returncode == 0, proc.stderr
    wheel = next(tmp_path.glob("soraboard-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [n for n in PACKAGE_DATA if f"soraboard/{n}" not in names]
    assert not missing, missing
    assert "soraboard/selftest.py" in names and "soraboard/licences.py" in names
    assert not [n for n in names if n.startswith(("tests/", "packaging/", "resources/"))]
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "soraboard = soraboard.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()
