"""The seam report's Bridge… button (issue 17.6): offered on a jumping seam, it asks with the
price, then applies one undoable edit and generates the new take; the old take stays."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from soraboard.document import Document
from soraboard.model.edits import set_segment_field
from soraboard.model.storyboard import Continuity, RefMode
from soraboard.settings import Settings
from soraboard.storage.bundle import Project, load_project
from soraboard.ui.controllers.generation import GenerationController
from soraboard.ui.export_dialog import ExportDialog
from soraboard.workers.thumbnails import ThumbnailService
from tests.stitch.helpers import ClipSpec, make_project
from tests.ui.scripted_ask import ScriptedAsk


def _jump(tmp_path: Path) -> Project:
    """Red, then a chained blue shot (it should have started on red: a jump), then blue
    again (a seamless cut)."""
    project = make_project(tmp_path, [ClipSpec("a.mp4", 1.0, "red"),
                                      ClipSpec("b.mp4", 1.0, "blue"),
                                      ClipSpec("c.mp4", 1.0, "blue")])
    sb = project.storyboard
    project.bundle.save(set_segment_field(sb, sb.segments[1].id, "continuity",
                                          Continuity.CHAIN).apply(sb))
    return load_project(project.bundle.path)


def test_bridge_button_applies_one_undoable_edit_and_generates(
        qtbot: QtBot, tmp_path: Path) -> None:
    doc = Document(_jump(tmp_path))
    original = doc.storyboard
    old_take = original.segments[1].chosen_take
    ask = ScriptedAsk([False, True])
    gen = GenerationController(doc, lambda: Settings(autosave_seconds=0), ask)
    thumbs = ThumbnailService()
    dlg = ExportDialog(doc.snapshot(), thumbs)
    qtbot.addWidget(dlg)
    dlg.bridge_requested.connect(gen.bridge)
    dlg.show()
    qtbot.waitUntil(lambda: hasattr(dlg, "seams"), timeout=60_000)
    assert [s.verdict for s in dlg.seams] == ["jump", "seamless"]
    from PySide6.QtWidgets import QPushButton

    button = dlg.findChild(QPushButton, "bridge_0")
    assert button is not None and button.text() == "Bridge…"
    assert dlg.findChild(QPushButton, "bridge_1") is None  # a seamless cut needs no bridge

    # No: nothing changes.
    button.click()
    assert ask.asked[0].startswith("confirm: Bridge the seam: Bridge 1 → 2: regenerate "
                                   "segment 2")
    assert "$0.00 — animatic clips are free" in ask.asked[0]
    assert doc.storyboard == original and doc.undo_stack.count() == 0

    # Yes: one undo step, segment 2 selected and generated between the two real frames.
    with qtbot.waitSignal(gen.take_chosen, timeout=120_000):
        button.click()
    # the bridge is one step; choosing the new take when it arrives is the next
    assert [doc.undo_stack.text(i) for i in range(doc.undo_stack.count())] == [
        "Bridge seam 1→2", "Choose take"]
    seg2 = doc.storyboard.segments[1]
    assert doc.selection == [seg2.id]
    assert seg2.ref_mode is RefMode.CUSTOM and seg2.reference_image and seg2.last_keyframe
    qtbot.waitUntil(lambda: doc.storyboard.segments[1].chosen_take != old_take,
                    timeout=60_000)
    assert old_take in doc.takes  # the old take is kept
    # Undo: the edit goes (and choosing the new take, its own step); the takes stay.
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    assert doc.storyboard == original
    assert old_take in doc.takes and len(doc.takes) == 4
    gen.close(detach=False)
    thumbs.wait()
    dlg.close()


def test_the_window_closes_the_report_and_asks_before_bridging(
        qtbot: QtBot, tmp_path: Path, no_modal_dialogs: list[str]) -> None:
    from PySide6.QtWidgets import QPushButton

    from soraboard.ui.main_window import MainWindow

    doc = Document(_jump(tmp_path))
    original = doc.storyboard
    win = MainWindow(doc, Settings(autosave_seconds=0))
    qtbot.addWidget(win)
    win.show()
    win.export_film()
    dlg = win.export_dialog
    qtbot.waitUntil(lambda: hasattr(dlg, "seams"), timeout=60_000)
    dlg.findChild(QPushButton, "bridge_0").click()
    assert not dlg.isVisible()
    # the scripted message box says no (the fixture's answer): nothing is changed or sent
    assert any(s.startswith("question: Bridge the seam: Bridge 1 → 2") for s in no_modal_dialogs)
    assert doc.storyboard == original and doc.undo_stack.count() == 0
    assert win.generation.active_segments() == []
    win.generation.close(detach=False)
    win.thumbnails.wait()


def test_the_timeline_boundary_menu_bridges_too(
        qtbot: QtBot, tmp_path: Path, no_modal_dialogs: list[str]) -> None:
    from soraboard.ui.main_window import MainWindow

    doc = Document(_jump(tmp_path))
    original = doc.storyboard
    win = MainWindow(doc, Settings(autosave_seconds=0))
    qtbot.addWidget(win)
    win.show()
    menu = win.boundary_menu(0)
    bridge = next(a for a in menu.actions() if a.text().startswith("&Bridge the Seam 1→2"))
    assert bridge.isEnabled()
    bridge.trigger()
    # it asks with the mode and the price (the fixture's message box says no): nothing changes
    assert any(s.startswith("question: Bridge the seam: Bridge 1 → 2") for s in no_modal_dialogs)
    assert doc.storyboard == original and doc.undo_stack.count() == 0

    # a shot without a take cannot be bridged yet: the action says why
    doc.set_field(doc.storyboard.segments[1].id, "chosen_take", None)
    bridge = next(a for a in win.boundary_menu(0).actions() if "Bridge" in a.text())
    assert not bridge.isEnabled() and "need a take" in bridge.toolTip()
    win.generation.close(detach=False)
    win.thumbnails.wait()
