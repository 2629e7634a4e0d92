"""The editor driven through its real widgets: timeline, inspector, actions, undo."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from soraboard.document import Document, read_autosave
from soraboard.model.storyboard import TransitionType
from soraboard.storage.bundle import load_project


def _titles(win) -> list[str]:  # type: ignore[no-untyped-def]
    return [s.title for s in win.doc.storyboard.segments]


def _click_card(qtbot: QtBot, win, index: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:  # type: ignore[no-untyped-def]
    canvas = win.timeline.canvas
    rect = canvas.layouts[index].rect
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, modifier, rect.center())


def test_add_reorder_delete_undo_redo(qtbot: QtBot, window) -> None:  # type: ignore[no-untyped-def]
    win = window
    start = _titles(win)
    _click_card(qtbot, win, 1)
    assert win.doc.current_index() == 1
    win.actions_by_id["edit.add"].trigger()
    assert len(win.doc.storyboard.segments) == 6
    assert win.doc.current_index() == 2  # added after the selection, and selected
    assert win.doc.storyboard.segments[2].model == "sora-2"  # takes its neighbour's model
    win.actions_by_id["edit.duplicate"].trigger()
    assert len(win.doc.storyboard.segments) == 7
    win.actions_by_id["edit.delete"].trigger()  # the copy; the next card is selected
    assert win.doc.current_index() == 3
    _click_card(qtbot, win, 2)
    win.actions_by_id["edit.delete"].trigger()  # the added one
    assert _titles(win) == start
    # drag card 1 onto the boundary after card 3
    canvas = win.timeline.canvas
    src = canvas.layouts[0].rect.center()
    dst = QPoint(canvas.layouts[2].rect.right() - 4, src.y())
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=src)
    for x in range(src.x(), dst.x(), 20):
        qtbot.mouseMove(canvas, QPoint(x, src.y()))
    qtbot.mouseMove(canvas, dst)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=dst)
    assert _titles(win)[:3] == [start[1], start[2], start[0]]
    # segment 3 ("Cafe exterior") was chained to "Street level" — still next to it, fine;
    # undo everything back to the start, then redo once
    while win.doc.undo_stack.canUndo():
        win.actions_by_id["edit.undo"].trigger()
    assert _titles(win) == start
    assert not win.doc.is_modified()
    win.actions_by_id["edit.redo"].trigger()
    assert len(win.doc.storyboard.segments) == 6
    assert win.isWindowModified()


def test_multi_select_and_delete_is_one_undo_step(qtbot: QtBot, window) -> None:  # type: ignore[no-untyped-def]
    win = window
    _click_card(qtbot, win, 0)
    _click_card(qtbot, win, 2, Qt.KeyboardModifier.ControlModifier)
    _click_card(qtbot, win, 4, Qt.KeyboardModifier.ControlModifier)
    assert len(win.doc.selection) == 3
    win.actions_by_id["edit.delete"].trigger()
    assert _titles(win) == ["Street level", "Barista"]
    assert win.doc.undo_stack.undoText() == "Delete 3 segments"
    win.doc.undo_stack.undo()
    assert len(win.doc.storyboard.segments) == 5


def test_keyboard_arrows_move_the_selection(qtbot: QtBot, window) -> None:  # type: ignore[no-untyped-def]
    win = window
    _click_card(qtbot, win, 0)
    qtbot.keyClick(win.timeline.canvas, Qt.Key.Key_Right)
    qtbot.keyClick(win.timeline.canvas, Qt.Key.Key_Right)
    assert win.doc.current_index() == 2
    qtbot.keyClick(win.timeline.canvas, Qt.Key.Key_Left)
    assert win.doc.current_index() == 1


def test_typing_a_prompt_changes_the_composed_prompt_and_is_one_undo_step(qtbot: QtBot, window) -> None:  # type: ignore[no-untyped-def]
    win = window
    _click_card(qtbot, win, 1)
    insp = win.inspector
    insp.scene.setFocus()
    insp.scene.selectAll()
    qtbot.keyClicks(insp.scene, "A rainy avenue at dusk.")
    assert win.doc.storyboard.segments[1].scene == "A rainy avenue at dusk."
    assert "Scene: A rainy avenue at dusk." in insp.prompt.toPlainText()
    assert win.doc.undo_stack.count() == 1  # every keystroke merged into one step
    # segment 3 continues from 2's final action: its composed prompt follows too
    _click_card(qtbot, win, 2)
    assert insp.prompt.toPlainText().startswith("Continue from the previous frame: commuters cross")
    win.doc.undo_stack.undo()
    assert win.doc.storyboard.segments[1].scene.startswith("The camera descends")


def test_changing_the_model_limits_durations_and_updates_the_cost(qtbot: QtBot, window) -> None:  # type: ignore[no-untyped-def]
    win = window
    _click_card(qtbot, win, 0)
    insp = win.inspector
    assert win.cost_panel.estimate.text() == "$10.80"
    idx = insp.model.findData("runwayml/gen4.5")
    insp.model.setCurrentIndex(idx)
    insp.model.activated.emit(idx)
    seg = win.doc.storyboard.segments[0]
    assert seg.model == "runwayml/gen4.5"
    assert seg.duration == 10.0  # 12 s is not allowed: the nearest allowed value
    labels = [insp.duration._group.button(i).text() for i in range(len(insp.duration._values))]
    assert labels == [f"{d} s" for d in range(2, 11)]
    assert win.doc.cost().estimate.exact == Decimal("8.40")  # 10 s × $0.12 + 3 × $1.20 + $3.60
    assert win.cost_panel.estimate.text() == "$8.40"
    assert "8.40" in win.actions_by_id["generate.missing"].text()
    win.doc.undo_stack.undo()  # model and duration changed in one step
    assert win.doc.storyboard.segments[0].model == "sora-2-pro"
    assert win.doc.storyboard.segments[0].duration == 12.0


def test_transition_chip_popup_changes_the_transition(qtbot: QtBot, window) -> None:  # type: ignore[no-untyped-def]
    from soraboard.ui.main_window import TransitionPopup

    win = window
    canvas = win.timeline.canvas
    chip = canvas.chip_rect(1)
    with qtbot.waitSignal(canvas.transition_clicked):
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=chip.center())
    popup = win.findChild(TransitionPopup)
    assert popup is not None
    popup.kind.setCurrentIndex(popup.kind.findData(TransitionType.CROSSFADE))
    popup.kind.activated.emit(popup.kind.currentIndex())
    popup.duration.setValue(1.0)
    assert win.doc.storyboard.segments[1].transition_out.type is TransitionType.CROSSFADE
    assert win.doc.storyboard.segments[1].transition_out.duration == 1.0
    popup.close()


def test_save_then_autosave_and_recovery(qtbot: QtBot, window, project_path) -> None:  # type: ignore[no-untyped-def]
    win = window
    win.doc.set_storyboard_field("title", "Saved title")
    assert win.files.save()
    assert load_project(project_path).storyboard.title == "Saved title"
    assert not win.isWindowModified()
    win.doc.set_storyboard_field("title", "Unsaved title")
    win.files.autosave()
    assert (project_path / "autosave.json").exists()
    assert load_project(project_path).storyboard.title == "Saved title"  # never over the save
    # "crash": a new document on the same bundle finds the autosave and recovers it
    doc2 = Document(load_project(project_path))
    assert read_autosave(doc2.bundle) is not None
    assert doc2.recover_autosave()
    assert doc2.storyboard.title == "Unsaved title"
    doc2.undo_stack.undo()
    assert doc2.storyboard.title == "Saved title"
    win.files.save()
    assert not (project_path / "autosave.json").exists()


def test_style_bible_edits_reach_every_composed_prompt(qtbot: QtBot, window) -> None:  # type: ignore[no-untyped-def]
    win = window
    editor = win.style_editor
    editor.style_text.setPlainText("Hand-drawn watercolour animation")
    _click_card(qtbot, win, 0)
    assert "Style: Hand-drawn watercolour animation" in win.inspector.prompt.toPlainText()
    editor.budget.setText("5")
    editor.budget.editingFinished.emit()
    assert win.doc.storyboard.budget == "5.00"
    assert "left $5.00 of $5.00" in win.cost_panel.detail.text()
    assert win.budget_chip.text() == "Budget $5.00 · left $5.00"


def test_the_open_project_is_remembered_in_open_recent(qtbot: QtBot, window, project_path, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from soraboard.demos import load_demo
    from soraboard.settings import load_settings
    from soraboard.storage.bundle import Bundle

    win = window
    assert load_settings()[0].recent_projects[0] == str(project_path)
    other = Bundle.create(tmp_path / "Other", load_demo("goal")).path
    from dataclasses import replace

    win.settings = replace(win.settings, recent_projects=(str(project_path), str(other),
                                                          str(tmp_path / "gone.soraboard")))
    win._fill_recent()
    names = [a.text() for a in win.recent_menu.actions()]
    assert names == ["Other"]  # the open one and a missing one are not offered


def test_dialogue_lines_are_typed_as_timed_lines_and_warn_when_too_fast(qtbot: QtBot, window) -> None:  # type: ignore[no-untyped-def]
    from soraboard.model.storyboard import DialogueLine

    win = window
    _click_card(qtbot, win, 3)
    insp = win.inspector
    assert insp.dialogue.toPlainText() == '[0–2 s] Barista: "One flat white, coming up."'
    insp.dialogue.setFocus()
    insp.dialogue.selectAll()
    insp.dialogue.insertPlainText('[1–3 s] Barista: "One flat white."\n[5 s] Customer: Thanks!')
    qtbot.waitUntil(lambda: win.doc.storyboard.segments[3].dialogue != (
        DialogueLine("Barista", "One flat white, coming up.", 0.0, 2.0),), timeout=3000)
    seg = win.doc.storyboard.segments[3]
    assert seg.dialogue == (DialogueLine("Barista", "One flat white.", 1.0, 3.0),
                            DialogueLine("Customer", "Thanks!", 5.0, 5.5))
    assert '- Barista: "One flat white."\n- Customer: "Thanks!"' in insp.prompt.toPlainText()
    assert win.doc.undo_stack.count() == 1
    # a line with no words is an error under the box, and changes nothing
    insp.dialogue.selectAll()
    qtbot.keyClicks(insp.dialogue, '[1 s] Barista: ""')
    qtbot.waitUntil(lambda: insp.dialogue_note.isVisible(), timeout=3000)
    assert "line 1: expected" in insp.dialogue_note.text()
    assert win.doc.storyboard.segments[3].dialogue == seg.dialogue
    # a line too long for its time is a warning, and it is kept
    insp.dialogue.selectAll()
    qtbot.keyClicks(insp.dialogue, "[0-1 s] Barista: one two three four five six seven")
    qtbot.waitUntil(lambda: "needs about" in insp.dialogue_note.text(), timeout=3000)
    assert win.doc.storyboard.segments[3].dialogue[0].text.startswith("one two")


def test_dialogue_lines_are_dragged_on_the_beat_strip_in_their_own_lane(qtbot: QtBot, window) -> None:  # type: ignore[no-untyped-def]
    from soraboard.model.storyboard import DialogueLine

    win = window
    _click_card(qtbot, win, 3)
    strip = win.inspector.beat_strip
    assert strip.dialogue == (DialogueLine("Barista", "One flat white, coming up.", 0.0, 2.0),)
    qtbot.waitUntil(lambda: strip.height() >= strip.sizeHint().height() - 1, timeout=3000)
    line = strip._rect(strip.dialogue[0], "dialogue")
    action = strip._rect(strip.beats[0], "actions")
    assert line.top() > action.bottom()  # a lane of its own, below the actions
    y = int(line.center().y())
    qtbot.mousePress(strip, Qt.MouseButton.LeftButton, pos=QPoint(int(strip._x(1.0)), y))
    qtbot.mouseMove(strip, QPoint(int(strip._x(3.0)), y))
    qtbot.mouseRelease(strip, Qt.MouseButton.LeftButton, pos=QPoint(int(strip._x(3.0)), y))
    seg = win.doc.storyboard.segments[3]
    assert seg.dialogue == (DialogueLine("Barista", "One flat white, coming up.", 2.0, 4.0),)
    assert seg.actions == win.doc.storyboard.segments[3].actions  # the actions stayed put
    assert win.inspector.dialogue.toPlainText() == '[2–4 s] Barista: "One flat white, coming up."'
    assert win.doc.undo_stack.count() == 1
    win.doc.undo_stack.undo()
    assert win.doc.storyboard.segments[3].dialogue[0].start == 0.0
