"""The export dialog asks before replacing a film, names an unwritable folder, never writes
into the project outside exports/, and its default name follows the preset."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from soraboard.stitch.presets import PresetName
from soraboard.ui.export_dialog import ExportDialog
from soraboard.workers.thumbnails import ThumbnailService
from tests.stitch.helpers import ClipSpec, make_project


def _answer(button_text: str, seen: list[str]) -> None:
    """Click ``button_text`` in the replace question as soon as it is up."""
    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, click)
            return
        seen.append(box.text())
        for b in box.buttons():
            if b.text().replace("&", "") == button_text:
                b.click()
                return
    QTimer.singleShot(0, click)


def test_replacing_a_film_is_asked_and_cancel_keeps_it(qtbot: QtBot, tmp_path: Path) -> None:
    project = make_project(tmp_path, [ClipSpec("a.mp4", 1.0, "red")], name="Film")
    thumbs = ThumbnailService()
    dlg = ExportDialog(project, thumbs)
    qtbot.addWidget(dlg)
    dlg.show()
    # the default name carries the preset and follows it
    assert Path(dlg.dest.text()).name == "Film - smart.mp4"
    dlg.select_preset(PresetName.FINAL)
    assert Path(dlg.dest.text()) == project.bundle.exports_dir / "Film - final.mp4"
    qtbot.waitUntil(lambda: len(dlg.prepared) == 3, timeout=60_000)

    film = tmp_path / "film.mp4"
    film.write_bytes(b"an earlier film")
    dlg.dest.setText(str(film))
    seen: list[str] = []
    _answer("Cancel", seen)
    dlg.start_export()
    assert seen and "film.mp4 already exists" in seen[0]
    assert dlg.job is None and film.read_bytes() == b"an earlier film"

    _answer("Replace", seen)
    dlg.start_export()
    qtbot.waitUntil(lambda: dlg.result_path is not None or "failed" in dlg.stage.text(),
                    timeout=60_000)
    assert dlg.result_path == film and film.stat().st_size > 1000

    # into the project, outside exports/: refused with a line, nothing asked
    dlg.dest.setText(str(project.bundle.storyboard_file))
    before = project.bundle.storyboard_file.read_bytes()
    dlg.start_export()
    assert "inside the project" in dlg.stage.text() and dlg.job is None
    assert project.bundle.storyboard_file.read_bytes() == before
    dlg.dest.setText(str(tmp_path / "missing" / "film.mp4"))
    dlg.start_export()
    assert dlg.stage.text() == f"cannot write to {tmp_path / 'missing'}: the folder does not exist"
    assert len(seen) == 2
    thumbs.wait()
    dlg.close()
