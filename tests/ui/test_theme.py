"""View ▸ Theme: Dark (the default), Light, System — applied live and remembered."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from soraboard import paths
from soraboard.settings import Settings, load_settings
from soraboard.ui import theme

Role = QPalette.ColorRole


@pytest.fixture(autouse=True)
def back_to_system(qapp) -> Iterator[None]:  # type: ignore[no-untyped-def]
    yield
    theme.apply("system")  # the application palette is global: leave it as found


def _canvas_lightness(win) -> float:  # type: ignore[no-untyped-def]
    img = win.timeline.canvas.grab().toImage()
    return QColor(img.pixel(img.width() - 3, img.height() - 3)).lightnessF()


def test_theme_menu_switches_live_and_is_remembered(qtbot: QtBot, window) -> None:  # type: ignore[no-untyped-def]
    win = window
    app = QApplication.instance()
    system_window = app.palette().color(Role.Window).name()
    assert [a.text() for a in win.theme_menu.actions()] == ["&Dark", "&Light", "&System"]

    win.theme_actions["dark"].trigger()
    pal = app.palette()
    assert pal.color(Role.Window).name() == "#1b1c1f"  # the mock-up's roles
    assert pal.color(Role.Text).name() == "#d7d9de"
    assert pal.color(Role.Highlight).name() == "#4c7dff"
    assert theme.card().name() == "#2a2c31"
    assert win.theme_actions["dark"].isChecked()
    assert "#4c7dff" in win.primary_button.styleSheet()
    assert _canvas_lightness(win) < 0.3  # repainted at once
    assert load_settings()[0].theme == "dark"

    win.theme_actions["light"].trigger()
    pal = app.palette()
    assert pal.color(Role.Window).lightnessF() > 0.85
    assert pal.color(Role.Text).lightnessF() < 0.2
    assert win.theme_actions["light"].isChecked() and not win.theme_actions["dark"].isChecked()
    assert _canvas_lightness(win) > 0.7
    assert json.loads(paths.settings_file().read_text())["theme"] == "light"

    win.theme_actions["system"].trigger()
    assert app.palette().color(Role.Window).name() == system_window
    assert load_settings()[0].theme == "system"


def test_dark_is_the_default_and_a_bad_theme_falls_back(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert Settings().theme == "dark"
    f = tmp_path / "settings.json"
    f.write_text(json.dumps({"theme": "purple"}))
    settings, notes = load_settings(f)
    assert settings.theme == "dark"
    assert any("theme must be one of dark, light, system" in n for n in notes)
    with pytest.raises(ValueError, match="unknown theme 'purple'"):
        theme.apply("purple")
