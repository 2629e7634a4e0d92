"""Each flow's controller works without a window: a scripted Ask answers its questions."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from soraboard.document import Document
from soraboard.model.status import SegmentState
from soraboard.settings import Settings
from soraboard.storage.bundle import load_project
from soraboard.ui.ask import Unsaved
from soraboard.ui.controllers.edit import EditController
from soraboard.ui.controllers.files import FilesController
from soraboard.ui.controllers.generation import GenerationController
from tests.ui.scripted_ask import ScriptedAsk


def _settings() -> Settings:
    return Settings(autosave_seconds=0)


def test_generate_asks_what_runs_then_runs_it(qtbot: QtBot, project_path: Path) -> None:
    doc = Document(load_project(project_path))
    seg = doc.storyboard.segments[0]
    doc.set_fields(seg.id, duration=4.0, actions=())
    ask = ScriptedAsk([False, True])
    gen = GenerationController(doc, _settings, ask)
    assert not gen.generate([seg.id])  # the creator said no: nothing starts
    assert gen.jobs is None
    with qtbot.waitSignal(gen.take_chosen, timeout=120_000):
        assert gen.generate([seg.id])
    assert ask.asked[1].startswith("confirm: Generate: Generate 1 segment (1) with the animatic")
    assert "$0.00" in ask.asked[1]
    assert doc.statuses()[0].state is SegmentState.DONE
    gen.close(detach=False)


def test_unsaved_changes_are_saved_discarded_or_kept_as_answered(project_path: Path) -> None:
    doc = Document(load_project(project_path))
    ask = ScriptedAsk([Unsaved.CANCEL, Unsaved.SAVE])
    files = FilesController(doc, _settings, ask)
    assert files.confirm_discard()  # nothing changed: nothing asked
    assert ask.asked == []
    doc.set_storyboard_field("title", "Changed")
    assert not files.confirm_discard()
    assert doc.is_modified()
    assert files.confirm_discard()
    assert not doc.is_modified()
    assert load_project(project_path).storyboard.title == "Changed"
    assert ask.asked[0] == "unsaved: Unsaved changes: Save the changes to “Changed”?"


def test_moving_a_chained_segment_says_which_chain_breaks(qtbot: QtBot, project_path: Path) -> None:
    doc = Document(load_project(project_path))
    edit = EditController(doc, _settings, ScriptedAsk())
    chained = next(i for i, s in enumerate(doc.storyboard.segments) if s.is_chained and i > 0)
    with qtbot.waitSignal(edit.message) as said:
        edit.move(doc.storyboard.segments[chained].id, 0)
    assert said.args[0].startswith("Chain broken: ")


def test_every_action_names_a_slot_its_owner_has(window) -> None:  # type: ignore[no-untyped-def]
    from soraboard.ui.actions import ACTIONS, TOOLBAR

    for spec in ACTIONS:
        owner, name = spec.slot.split(".", 1)
        assert owner in window.controllers, spec.id
        assert callable(getattr(window.controllers[owner], name, None)), spec.slot
    assert all(aid is None or aid in window.actions_by_id for aid in TOOLBAR)
