"""Settings: provider profiles and keys — the key goes to the keyring, never to a file."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from soraboard import paths
from soraboard.settings import Settings
from tests.helpers.memory_keyring import MemoryKeyring


def test_a_key_set_in_settings_lands_in_the_keyring_and_in_no_file(
        qtbot: QtBot, memory_keyring: MemoryKeyring) -> None:
    from soraboard.ui.settings_dialog import SettingsDialog

    dlg = SettingsDialog(Settings())
    qtbot.addWidget(dlg)
    dlg.add_profile("studio", "http://127.0.0.1:9", None, "sora-2")
    assert dlg.provider.findData("studio") >= 0
    secret = "sk-test-0123456789-very-secret"
    dlg.set_key("studio", secret)
    assert secret in memory_keyring.secrets.values()
    dlg.provider.setCurrentIndex(dlg.provider.findData("studio"))
    from soraboard.settings import save_settings

    save_settings(dlg.result_settings())
    for f in paths.config_dir().rglob("*"):
        if f.is_file():
            assert secret not in f.read_text(errors="replace"), f
    assert dlg.result_settings().provider == "studio"
    # the key column says where the key is, not what it is
    row = next(r for r in range(dlg.profiles.rowCount())
               if dlg.profiles.item(r, 0).text() == "studio")
    assert secret not in dlg.profiles.item(row, 2).text()
    # test connection against a closed port: an answer, not a hang or a crash
    dlg.profiles.selectRow(row)
    with qtbot.waitSignal(dlg._checks[-1].signals.done if dlg._checks else
                          _start_check(dlg), timeout=30_000) as blocker:
        pass
    assert blocker.args[1] is False
    assert "✕ studio" in dlg.profile_status.text()


def _start_check(dlg):  # type: ignore[no-untyped-def]
    dlg._test_selected()
    return dlg._checks[-1].signals.done


def test_settings_tells_litellm_users_to_turn_retries_off_and_copies_a_config(qtbot: QtBot) -> None:
    from PySide6.QtGui import QGuiApplication

    from soraboard.ui.settings_dialog import SettingsDialog

    dlg = SettingsDialog(Settings())
    qtbot.addWidget(dlg)
    assert "num_retries: 0" in dlg.gateway_note.text()
    assert "may be billed" in dlg.gateway_note.text()
    dlg.copy_litellm.click()
    copied = QGuiApplication.clipboard().text()
    assert "num_retries: 0" in copied and "mode: video_generation" in copied
    # The README shows the same config (the source tree's README: CI's installed-wheel run
    # names the tree in SORABOARD_SOURCE_TREE).
    import os
    from pathlib import Path

    root = Path(os.environ.get("SORABOARD_SOURCE_TREE") or Path(__file__).resolve().parents[2])
    readme = (root / "README.md").read_text("utf-8")
    assert copied in readme
