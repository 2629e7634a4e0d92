"""find_ffmpeg looks in settings, $SORABOARD_FFMPEG, imageio-ffmpeg, then PATH — in that order,
and uses a candidate only if it passes the version and feature check."""

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


def test_then_the_bundled_one_then_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    on_path = _wrapper(tmp_path / "path")
    monkeypatch.setenv("PATH", str(on_path.parent))
    ff = find_ffmpeg()
    assert (ff.source, ff.path) == ("imageio-ffmpeg", REAL)  # the bundled build is the default
    assert "9.0" in ff.version and ff.rejected == ()
    ffmod._find_cached.cache_clear()
    # PATH is the fallback when the bundled binary is missing (a stripped or broken install)
    monkeypatch.setattr(imageio_ffmpeg, "get_ffmpeg_exe", lambda: str(tmp_path / "gone"))
    ff = find_ffmpeg()
    assert (ff.source, ff.path) == ("PATH", str(on_path))
    assert ff.rejected == (f"imageio-ffmpeg {tmp_path / 'gone'}: no such file",)


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


def _old(folder: Path, banner: str) -> Path:
    """A wrapper that runs the real ffmpeg but says it is another version."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "ffmpeg"
    script.write_text(f"#!/bin/sh\nif [ \"$1\" = -version ]; then echo '{banner}'; exit 0; fi\n"
                      f"exec '{REAL}' \"$@\"\n")
    script.chmod(0o755)
    return script


def test_an_ffmpeg_older_than_7_is_not_used_and_settings_says_why(tmp_path: Path) -> None:
    old = _old(tmp_path / "old", "ffmpeg version 5.1.6-0+deb12u1 Copyright (c) 2000-2024")
    with pytest.raises(ValueError, match=r"version 5\.1\.6-0\+deb12u1 is older than 7\.0"):
        check_ffmpeg(str(old), "settings")
    ff = find_ffmpeg(str(old))
    assert ff.source == "imageio-ffmpeg"
    assert ff.explain().splitlines() == [
        f"Using ffmpeg {ff.version} (imageio-ffmpeg: {REAL}).",
        f"Not used: settings {old}: version 5.1.6-0+deb12u1 is older than 7.0, "
        "which soraboard needs"]


def test_a_snapshot_build_must_prove_it_reads_graph_files(tmp_path: Path) -> None:
    # a git build prints no release number: the feature check runs the graph-file option
    snap = _old(tmp_path / "snap", "ffmpeg version N-112233-gdeadbeef Copyright (c) 2000-2026")
    assert check_ffmpeg(str(snap), "settings").version == "N-112233-gdeadbeef"
    liar = tmp_path / "liar" / "ffmpeg"
    liar.parent.mkdir()
    liar.write_text(f"#!/bin/sh\ncase \"$*\" in *-/filter_complex*) "
                    "echo \"Unrecognized option '/filter_complex'.\" >&2; exit 8;; esac\n"
                    f"if [ \"$1\" = -version ]; then echo 'ffmpeg version N-1-gabc'; exit 0; fi\n"
                    f"exec '{REAL}' \"$@\"\n")
    liar.chmod(0o755)
    with pytest.raises(ValueError, match=r"cannot read a filter graph from a file .*"
                       r"Unrecognized option '/filter_complex'"):
        check_ffmpeg(str(liar), "settings")


DEBIAN_FFMPEG = Path("/usr/bin/ffmpeg")


@pytest.mark.skipif(not DEBIAN_FFMPEG.exists(), reason="no distro ffmpeg in /usr/bin")
def test_a_distro_ffmpeg_first_on_path_is_not_preferred(monkeypatch: pytest.MonkeyPatch) -> None:
    """Debian 12's ffmpeg 5.1 first on PATH: the bundled build is used; if the user picks the
    distro one in Settings and it is too old, Settings names it and says why."""
    monkeypatch.setenv("PATH", f"{DEBIAN_FFMPEG.parent}:/bin")
    ff = find_ffmpeg()
    assert (ff.source, ff.path) == ("imageio-ffmpeg", REAL)
    ffmod._find_cached.cache_clear()
    chosen = find_ffmpeg(str(DEBIAN_FFMPEG))
    try:
        check_ffmpeg(str(DEBIAN_FFMPEG), "settings")
    except ValueError as e:  # Debian 12 (5.1): refused, with the reason
        assert chosen.source == "imageio-ffmpeg"
        assert f"Not used: settings {DEBIAN_FFMPEG}: {e}" in chosen.explain()
    else:  # a distro with ffmpeg 7+: used as configured
        assert chosen.source == "settings"


def test_use_ffmpeg_makes_the_settings_path_the_default(tmp_path: Path) -> None:
    configured = _wrapper(tmp_path / "settings")
    try:
        ffmod.use_ffmpeg(str(configured))
        assert find_ffmpeg().path == str(configured)
        ffmod.use_ffmpeg(None)
        assert find_ffmpeg().path == REAL
    finally:
        ffmod.use_ffmpeg(None)


def test_an_ffmpeg_without_the_needed_filters_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "old-ffmpeg"
    fake.write_text("#!/bin/sh\necho 'ffmpeg version 7.1 Copyright'\n")
    fake.chmod(0o755)
    with pytest.raises(ValueError, match=r"version 7\.1 lacks xfade, acrossfade"):
        check_ffmpeg(str(fake), "settings")
    with pytest.raises(ValueError, match="not executable"):
        (tmp_path / "plain").write_text("x")
        check_ffmpeg(str(tmp_path / "plain"), "settings")
