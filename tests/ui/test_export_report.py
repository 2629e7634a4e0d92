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


def test_an_editor_timeline_says_what_it_loses_then_is_written_beside_the_film(
        qtbot: QtBot, tmp_path: Path) -> None:
    from soraboard.model.storyboard import TransitionType as T

    project = make_project(tmp_path, [ClipSpec("a.mp4", 1.0, "red"),
                                      ClipSpec("b.mp4", 1.0, "blue"),
                                      ClipSpec("c.mp4", 1.0, "green")],
                           [(T.CROSSFADE, 0.3), (T.WIPE_LEFT, 0.3)])
    thumbs = ThumbnailService()
    dlg = ExportDialog(project, thumbs)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitUntil(lambda: len(dlg.prepared) == 3, timeout=60_000)
    assert dlg.nle_losses.text() == ""
    dlg.nle.setCurrentIndex(dlg.nle.findData("resolve"))
    assert dlg.nle_losses.text() == (
        "• segment 2 “Shot 2” → segment 3 “Shot 3”: the wipe left becomes Edge Wipe in "
        "DaVinci Resolve (its direction is the effect's default)")
    dlg.nle.setCurrentIndex(dlg.nle.findData("edl"))
    assert "becomes a dissolve (D) in a CMX 3600 EDL" in dlg.nle_losses.text()
    out = tmp_path / "film.mp4"
    dlg.dest.setText(str(out))
    dlg.select_preset(PresetName.PREVIEW)
    dlg.start_export()
    qtbot.waitUntil(lambda: dlg.result_path is not None or "failed" in dlg.stage.text(),
                    timeout=100_000)
    assert (tmp_path / "film.edl").is_file(), dlg.stage.text()
    assert "a CMX 3600 EDL timeline film.edl" in dlg.stage.text()
    thumbs.wait()
    dlg.close()
