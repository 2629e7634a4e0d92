"""New from story (planned in a worker, reviewed, applied as one undo step) and files dropped
on the timeline (imported as one undo step)."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from soraboard.model.take import TakeSource
from tests.helpers.clips import make_clip

STORY = """A cyclist races down a mountain pass at dawn. She leans into a hairpin bend.
At the bottom of the valley she stops at a small cafe and orders a coffee.
The barista hands her the cup; she smiles and looks back at the mountain."""


def _fresh_window(qtbot: QtBot, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A window on a new project: one empty placeholder segment, as File ▸ New makes it."""
    from dataclasses import replace

    from soraboard.document import Document
    from soraboard.model.storyboard import Storyboard
    from soraboard.settings import Settings
    from soraboard.storage.bundle import Bundle, load_project
    from soraboard.ui.main_window import MainWindow

    sb = Storyboard(title="Fresh")
    sb = replace(sb, segments=(sb.new_segment(title="Segment 1"),))
    doc = Document(load_project(Bundle.create(tmp_path / "Fresh", sb).path))
    win = MainWindow(doc, Settings(autosave_seconds=0))
    qtbot.addWidget(win)
    win.show()
    return win


def test_story_dialog_plans_in_a_worker_and_applying_is_one_undo_step(qtbot: QtBot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from soraboard.ui.story_dialog import StoryDialog

    win = _fresh_window(qtbot, tmp_path)
    before = win.doc.storyboard
    dlg = StoryDialog(win.doc.catalog, "sora-2", "1280x720", win)
    qtbot.addWidget(dlg)
    dlg.text.setPlainText(STORY)
    dlg.length.setValue(24)
    dlg.planner.setCurrentIndex(dlg.planner.findData("offline"))
    dlg.plan()
    qtbot.waitUntil(lambda: dlg.result_plan is not None, timeout=30_000)
    assert dlg.table.rowCount() >= 2
    assert "$" in dlg.summary.text()
    dlg.table.item(0, 0).setText("Descent")  # the user edits before accepting
    planned = dlg.edited_storyboard()
    assert planned is not None and sum(s.duration for s in planned.segments) == 24
    win.imports.apply_plan(planned)
    assert win.doc.storyboard.segments[0].title == "Descent"
    assert win.doc.undo_stack.undoText() == "Plan from story"
    win.doc.undo_stack.undo()
    assert win.doc.storyboard == before
    win.doc.undo_stack.setClean()


def test_a_replan_shows_its_diff_and_keeps_edited_segments(qtbot: QtBot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import json

    from soraboard.planner import plan_story
    from soraboard.storage.codec import segment_to_dict
    from tests.ui.scripted_ask import ScriptedAsk

    win = _fresh_window(qtbot, tmp_path)
    win.imports.ask = ScriptedAsk([])  # no question over an empty placeholder
    first = plan_story(STORY, 24, "sora-2", planner="offline").storyboard
    win.imports.apply_plan(first)  # over an empty placeholder: applied without a question
    assert win.imports.ask.asked == [] and len(win.doc.storyboard.segments) == len(first.segments)
    edited_id = win.doc.storyboard.segments[0].id
    win.doc.set_field(edited_id, "title", "My descent")
    mine = json.dumps(segment_to_dict(win.doc.storyboard.segments[0]))
    before = win.doc.storyboard
    depth = win.doc.undo_stack.count()

    win.imports.ask = ScriptedAsk([False, True])  # first the user says no, then yes
    win.imports.apply_plan(plan_story(STORY, 48, "sora-2", planner="offline").storyboard)
    asked = win.imports.ask.asked
    assert len(asked) == 1 and win.doc.storyboard == before  # asked first, nothing changed
    assert "keep     1. My descent — you edited it" in asked[0]

    win.imports.apply_plan(plan_story(STORY, 48, "sora-2", planner="offline").storyboard)
    sb = win.doc.storyboard
    assert json.dumps(segment_to_dict(sb.segments[0])) == mine  # byte-identical
    assert sum(s.duration for s in sb.segments) > sum(s.duration for s in before.segments)
    assert win.doc.undo_stack.count() == depth + 1  # one undo step
    win.doc.undo_stack.undo()
    assert win.doc.storyboard == before
    win.doc.undo_stack.setClean()


def test_dropping_clips_and_an_image_imports_them_as_one_undo_step(
        qtbot: QtBot, window, tmp_path: Path, no_modal_dialogs: list[str]) -> None:  # type: ignore[no-untyped-def]
    win = window
    a = make_clip(tmp_path / "phone clip.mp4", duration=1.5, size="180x320", color="red")
    b = make_clip(tmp_path / "drone.mov", duration=2.0, size="320x180", color="blue", audio=False)
    img = tmp_path / "key frame.png"
    from PySide6.QtGui import QColor, QImage

    picture = QImage(320, 180, QImage.Format.Format_RGB32)
    picture.fill(QColor("orange"))
    assert picture.save(str(img))
    n = len(win.doc.storyboard.segments)
    before = win.doc.cost().estimate.exact
    win.imports.import_paths([str(a), str(b), str(img)], 1)  # probed and copied in a worker
    qtbot.waitUntil(lambda: len(win.doc.storyboard.segments) == n + 3, timeout=30_000)
    # the two clips are the creator's own footage: the estimate grows only by the image's
    # segment, which still has to be generated
    image_seg = win.doc.storyboard.segments[3]
    from soraboard.catalog.cost import segment_cost

    assert win.doc.cost().estimate.exact == before + segment_cost(image_seg, win.doc.catalog).cost
    segs = win.doc.storyboard.segments
    assert len(segs) == n + 3
    clip_seg = segs[1]
    take = win.doc.takes[clip_seg.chosen_take]
    assert take.source is TakeSource.IMPORTED and take.cost in ("0", None, "0.00")
    assert abs(clip_seg.duration - 1.5) < 0.05
    assert segs[3].reference_image is not None
    assert a.exists() and b.exists()  # copied, never moved
    assert win.doc.undo_stack.undoText().startswith("Import")
    win.doc.undo_stack.undo()
    assert len(win.doc.storyboard.segments) == n
    assert take.id in win.doc.takes  # the take record stays: undo never deletes footage
    # a bad file: nothing changes, the user is told
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    win.imports.import_paths([str(a), str(bad)], None)
    qtbot.waitUntil(lambda: any("Nothing was imported" in m for m in no_modal_dialogs),
                    timeout=30_000)
    assert "notes.mp4" in no_modal_dialogs[-1]
    assert len(win.doc.storyboard.segments) == n


def test_file_new_and_the_planner_start_on_a_current_model(qtbot: QtBot, window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from soraboard.catalog.catalog import DEFAULT_MODEL
    from soraboard.ui.story_dialog import StoryDialog

    win = window
    dlg = StoryDialog(win.doc.catalog, "sora-2", "1280x720", win)  # a project on sora-2
    qtbot.addWidget(dlg)
    assert dlg.model.currentData() == DEFAULT_MODEL
    win.settings = replace(win.settings, default_model="sora-2")  # saved before it retired
    target = tmp_path / "Fresh.soraboard"
    from soraboard.storage.bundle import load_project
    from tests.ui.scripted_ask import ScriptedAsk

    win.files.settings = lambda: win.settings
    win.files.ask = ScriptedAsk([str(target)])
    opened: list[object] = []
    win.files.project_loaded.connect(opened.append)  # the window would open it
    win.files.new_project()
    assert len(opened) == 1
    sb = load_project(target).storyboard
    assert sb.default_model == DEFAULT_MODEL and sb.segments[0].model == DEFAULT_MODEL


def test_the_replan_diff_shows_the_plans_proposals_and_make_keyframes_follows_them(
        qtbot: QtBot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Issue 17.8: the re-plan question names the cast entries and keyframe stills a plan
    proposes; "Make keyframes for all boundaries" then makes the proposed ones."""
    from soraboard.planner import plan_story_file
    from tests.ui.scripted_ask import ScriptedAsk

    story = Path(__file__).parents[1] / "planner" / "data" / "lighthouse-keeper.txt"
    veo = "vertex_ai/veo-3.1-fast-generate-001"
    win = _fresh_window(qtbot, tmp_path)
    win.doc.set_field(win.doc.storyboard.segments[0].id, "scene", "My own opening shot.")
    win.imports.ask = ScriptedAsk([True])
    planned = plan_story_file(story, 30, veo, planner="offline").storyboard
    win.imports.apply_plan(planned)
    asked = win.imports.ask.asked
    assert len(asked) == 1
    assert "+ cast     Elias (character), Boat (prop)" in asked[0]
    assert "proposed keyframe stills at boundaries 2→3 (nothing is made or spent" in asked[0]
    sb = win.doc.storyboard
    assert sb.segments[0].scene == "My own opening shot."  # kept as it is
    assert sb.proposed_keyframes() == [1]
    # the proposal, not every boundary the model could hold (1→2 and 3→4 are cuts)
    assert win.keyframes.boundaries_to_hold() == [1]
    win.doc.undo_stack.setClean()
