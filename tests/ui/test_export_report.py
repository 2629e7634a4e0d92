"""The export dialog says, before anything runs, which takes the Smart preset must encode
and why — so a creator can fix the source instead of wondering about the quality."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from soraboard.stitch.presets import PresetName
from soraboard.ui.export_dialog import ExportDialog
from soraboard.workers.thumbnails import ThumbnailService
from tests.stitch.helpers import ClipSpec, make_project


def test_smart_preset_lists_the_segments_it_must_encode(qtbot: QtBot, tmp_path: Path) -> None:
    project = make_project(tmp_path, [
        ClipSpec(name="a.mp4", duration=1.0, color="red", title="Wide"),
        ClipSpec(name="b.mp4", duration=1.0, color="blue", size="180x320", title="Phone"),
        ClipSpec(name="c.mp4", duration=1.0, color="green", title="Close"),
    ])
    thumbs = ThumbnailService()
    dlg = ExportDialog(project, thumbs)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitUntil(lambda: PresetName.SMART in dlg.prepared, timeout=60_000)
    text = dlg.preset_rows[PresetName.SMART][1].text()
    assert "Phone" in text and "encoded —" in text and "180x320" in text
    assert "Wide" not in text and "Close" not in text  # copied: not listed
    # the other presets encode everything anyway: no per-segment list there
    assert "encoded —" not in dlg.preset_rows[PresetName.FINAL][1].text()
    thumbs.wait()
    dlg.close()
