"""The ffmpeg chosen in Settings reaches every component: the animatic, probing, export, seams."""

from __future__ import annotations

import json
from pathlib import Path

import imageio_ffmpeg
import pytest

from soraboard import paths
from soraboard.cli import main
from soraboard.media import ffmpeg as ffmod

REAL = imageio_ffmpeg.get_ffmpeg_exe()


@pytest.fixture(autouse=True)
def fresh_choice() -> object:
    ffmod._find_cached.cache_clear()
    yield
    ffmod.use_ffmpeg(None)
    ffmod._find_cached.cache_clear()


def test_the_settings_ffmpeg_runs_every_step(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "calls.log"
    wrapper = tmp_path / "my-ffmpeg" / "ffmpeg"
    wrapper.parent.mkdir()
    wrapper.write_text(f"#!/bin/sh\necho \"$*\" >> '{log}'\nexec '{REAL}' \"$@\"\n")
    wrapper.chmod(0o755)
    settings = paths.settings_file()
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps({"ffmpeg_path": str(wrapper)}), "utf-8")

    project = tmp_path / "Road"
    assert main(["new", str(project), "--demo", "mountain-road"]) == 0
    bundle = str(project) + ".soraboard"
    assert main(["generate", bundle, "--segments", "1,2", "--yes"]) == 0, capsys.readouterr().err
    calls = log.read_text().splitlines()
    # the animatic renders with a graph file and probes/extracts frames: all through the wrapper
    assert any("-/filter_complex" in c for c in calls), calls

    # export needs every segment: make the third one too, then export and check the seams
    assert main(["generate", bundle, "--yes"]) == 0, capsys.readouterr().err
    log.write_text("")
    film = tmp_path / "film.mp4"
    assert main(["export", bundle, "-o", str(film), "--preset", "preview"]) == 0, \
        capsys.readouterr().err
    assert film.is_file()
    assert any(str(film) in c or ".part" in c for c in log.read_text().splitlines())
    log.write_text("")
    main(["seams", bundle])
    assert log.read_text().strip(), "the seam report ran another ffmpeg"
