"""User directories and settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from soraboard import paths
from soraboard.settings import Settings, load_settings, save_settings


def test_soraboard_home_puts_every_dir_under_one_folder(isolated_user_dirs: Path) -> None:
    assert paths.config_dir() == isolated_user_dirs / "config"
    assert paths.data_dir() == isolated_user_dirs / "data"
    assert paths.cache_dir() == isolated_user_dirs / "cache"
    assert paths.log_dir() == isolated_user_dirs / "logs"
    assert not paths.config_dir().exists()  # created on use, not on import
    assert paths.config_dir(create=True).is_dir()


def test_without_soraboard_home_platform_dirs_are_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SORABOARD_HOME")
    assert "soraboard" in str(paths.config_dir()).lower()
    assert paths.config_dir() != paths.cache_dir()


def test_settings_round_trip_and_defaults() -> None:
    s, notes = load_settings()
    assert s == Settings() and notes == []
    s2 = Settings(provider="litellm", concurrency=4, ffmpeg_path="/usr/bin/ffmpeg",
                  recent_projects=("/a.soraboard",))
    save_settings(s2)
    assert load_settings() == (s2, [])
    text = paths.settings_file().read_text()
    assert "key" not in json.loads(text)


def test_bad_settings_fall_back_field_by_field_and_say_so() -> None:
    f = paths.settings_file()
    f.parent.mkdir(parents=True)
    f.write_text(json.dumps({"concurrency": "lots", "autosave_seconds": 30, "colour": "red",
                             "default_model": "sora-2-pro"}))
    s, notes = load_settings()
    assert s.concurrency == 2 and s.autosave_seconds == 30 and s.default_model == "sora-2-pro"
    assert any("'concurrency' has the wrong type" in n for n in notes)
    assert any("unknown setting 'colour'" in n for n in notes)
    f.write_text("{oops")
    s, notes = load_settings()
    assert s == Settings() and "unreadable" in notes[0]
    assert f.read_text() == "{oops"  # never rewritten on its own
    with pytest.raises(ValueError, match="concurrency"):
        save_settings(Settings(concurrency=0))
