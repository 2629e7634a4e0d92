"""The export dialog writes the dialogue as a subtitle track and .srt/.vtt files, and burns
it in when asked (issue 18.4)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
from pytestqt.qtbot import QtBot

from soraboard.stitch.presets import PresetName
from soraboard.ui.export_dialog import ExportDialog
from soraboard.workers.thumbnails import ThumbnailService
from tests.stitch.helpers import ff, frame_at
from tests.stitch.test_subtitles import _project


def test_the_dialog_exports_subtitles_and_burns_them_in_on_request(qtbot: QtBot,
                                                                   tmp_path: Path) -> None:
    project = _project(tmp_path)
    dlg = ExportDialog(project, ThumbnailService())
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.select_preset(PresetName.SMART)
    qtbot.waitUntil(lambda: len(dlg.prepared) == 3, timeout=60_000)
    assert not dlg.burn_subtitles.isChecked()  # by default: track and files, picture copied
    dlg.burn_subtitles.setChecked(True)
    film = tmp_path / "film.mp4"
    dlg.dest.setText(str(film))
    dlg.start_export()
    qtbot.waitUntil(lambda: dlg.result_path is not None or "failed" in dlg.stage.text(),
                    timeout=60_000)
    assert dlg.result_path == film
    # burned in: at 1 s (film time = the first clip's time) the line is drawn low in the frame
    n = 30  # 1 s at 30 fps
    diff = np.abs(frame_at(film, n).astype(int)
                  - frame_at(project.bundle.media_dir / "a.mp4", n).astype(int)).max(axis=2)
    assert (diff[90:162] > 60).sum() > 150 and (diff[:90] > 60).mean() < 0.01
    info = subprocess.run([ff(), "-hide_banner", "-i", str(film)], capture_output=True,
                          text=True).stderr
    assert "(eng): Subtitle: mov_text" in info
    assert film.with_suffix(".srt").read_text().startswith("1\n00:00:00,500 --> ")
    assert film.with_suffix(".vtt").exists()
