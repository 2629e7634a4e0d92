"""find_ffmpeg looks in settings, $SORABOARD_FFMPEG, PATH, then imageio-ffmpeg — in that order."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import imageio_ffmpeg
import pytest

from soraboard.media import ffmpeg as ffmod
from soraboard.media.ffmpeg import ENV_VAR, FFmpegNotFound, check_ffmpeg, find_ffmpeg

REAL = imageio_ffmpeg.get_ffmpeg_exe()


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    ffmod._find_cached.cache_clear()
    monkeypatch.delenv(ENV_VAR, raising=False)
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # no system ffmpeg unless a test puts one there
    yield
    ffmod._find_cached.cache_clear()


def _wrapper(folder: Path, name: str = "ffmpeg") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / name
    script.write_text(f"#!/bin/sh\nexec '{REAL}' \"$@\"\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_settings_path_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    configured = _wrapper(tmp_path / "settings")
    monkeypatch.setenv(ENV_VAR, str(_wrapper(tmp_path / "env")))
    monkeypatch.setenv("PATH", str(_wrapper(tmp_path / "path").parent))
    ff = find_ffmpeg(str(configured))
    assert (ff.source, ff.path) == ("settings", str(configured))
    assert ff.has_filter("xfade") and ff.has_encoder("libx264")


def test_then_the_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = _wrapper(tmp_path / "env")
    monkeypatch.setenv(ENV_VAR, str(env))
    monkeypatch.setenv("PATH", str(_wrapper(tmp_path / "path").parent))
    ff = find_ffmpeg()
    assert (ff.source, ff.path) == (f"${ENV_VAR}", str(env))


def test_then_path_then_imageio_ffmpeg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    on_path = _wrapper(tmp_path / "path")
    monkeypatch.setenv("PATH", str(on_path.parent))
    assert find_ffmpeg().source == "PATH" and find_ffmpeg().path == str(on_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    ff = find_ffmpeg()
    assert (ff.source, ff.path) == ("imageio-ffmpeg", REAL)
    assert "9.0" in ff.version


def test_broken_candidates_are_skipped_and_all_listed_when_none_works(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    not_ffmpeg = tmp_path / "fake" / "ffmpeg"
    not_ffmpeg.parent.mkdir()
    not_ffmpeg.write_text("#!/bin/sh\necho hello\n")
    not_ffmpeg.chmod(0o755)
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "missing-ffmpeg"))
    # a broken settings path falls through to the next candidate
    assert find_ffmpeg(str(not_ffmpeg)).source == "imageio-ffmpeg"
    ffmod._find_cached.cache_clear()
    monkeypatch.setattr(imageio_ffmpeg, "get_ffmpeg_exe", lambda: str(tmp_path / "gone"))
    with pytest.raises(FFmpegNotFound) as ei:
        find_ffmpeg(str(not_ffmpeg))
    msg = str(ei.value)
    assert f"settings {not_ffmpeg}: does not print an ffmpeg version banner" in msg
    assert f"${ENV_VAR} {tmp_path / 'missing-ffmpeg'}: no such file" in msg
    assert f"imageio-ffmpeg {tmp_path / 'gone'}: no such file" in msg
    assert msg.index("settings") < msg.index(ENV_VAR) < msg.index("imageio-ffmpeg")


def test_an_ffmpeg_without_the_needed_filters_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "old-ffmpeg"
    fake.write_text("#!/bin/sh\necho 'ffmpeg version 2.8 Copyright'\n")
    fake.chmod(0o755)
    with pytest.raises(ValueError, match=r"version 2\.8 lacks xfade, acrossfade"):
        check_ffmpeg(str(fake), "settings")
    with pytest.raises(ValueError, match="not executable"):
        (tmp_path / "plain").write_text("x")
        check_ffmpeg(str(tmp_path / "plain"), "settings")
