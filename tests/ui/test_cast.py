"""The cast in the GUI: the style bible's cast editor (entries, imported images, sheets) and
the inspector's Cast section (chips, suggestions), each step undoable, saved and reopened."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from soraboard.document import Document
from soraboard.model.storyboard import CastKind, Character, Storyboard
from soraboard.settings import Settings
from soraboard.storage.bundle import load_project
from soraboard.ui.cast_panel import CastPanel
from soraboard.ui.controllers.cast import CastController
from soraboard.ui.style_bible import CastEntryCard, StyleBibleEditor
from tests.ui.scripted_ask import ScriptedAsk

RED = QColor("#d03030")
REFS_MODEL = "vertex_ai/veo-3.1-fast-generate-001"  #: takes reference images
NO_REFS_MODEL = "sora-2-pro"  #: takes none


def _png(path: Path, colour: QColor = RED) -> Path:
    image = QImage(120, 160, QImage.Format.Format_RGB32)
    image.fill(colour)
    assert image.save(str(path))
    return path


def _type_name(qtbot: QtBot, card: CastEntryCard, name: str) -> None:
    card.name.setFocus()
    card.name.selectAll()
    qtbot.keyClicks(card.name, name)
    qtbot.keyClick(card.name, Qt.Key.Key_Return)


def _card(editor: StyleBibleEditor, name: str) -> CastEntryCard:
    cards = [c for c in editor.cast_cards if c.entry is not None and c.entry.name == name]
    assert len(cards) == 1, [c.entry for c in editor.cast_cards]
    return cards[0]


def test_a_character_with_an_imported_image_in_two_segments_renamed_undone_and_reopened(
        window, qtbot: QtBot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win = window
    doc: Document = win.doc
    editor: StyleBibleEditor = win.style_editor
    panel: CastPanel = win.inspector.cast_panel
    start = doc.storyboard
    states: list[Storyboard] = [start]

    def step() -> None:
        states.append(doc.storyboard)
        assert doc.undo_stack.index() == len(states) - 1, "each step is one undo step"

    # 1. add a character (named "Character 1", ready to type over), and name it
    qtbot.mouseClick(editor.add_buttons[CastKind.CHARACTER], Qt.MouseButton.LeftButton)
    assert doc.storyboard.style.characters[-1] == Character("Character 1", "")
    step()
    _type_name(qtbot, _card(editor, "Character 1"), "Mara")
    assert doc.storyboard.style.characters[-1].name == "Mara"
    step()
    card = _card(editor, "Mara")
    qtbot.keyClicks(card.description, "a courier in a red coat")
    assert doc.storyboard.style.characters[-1].description == "a courier in a red coat"
    step()  # typing merged into one step

    # 2. import an image: copied into the bundle, shown as a thumbnail
    png = _png(tmp_path / "mara.png")
    win.cast.ask = ScriptedAsk([[str(png)]])
    qtbot.mouseClick(card.add_image, Qt.MouseButton.LeftButton)
    mara = doc.storyboard.style.characters[-1]
    assert mara.images == ("media/references/mara.png",)
    assert doc.bundle.resolve(mara.images[0]).read_bytes() == png.read_bytes()
    step()
    assert len(card.thumb_widgets) == 1 and card.thumb_widgets[0].isVisibleTo(editor)
    thumb = card.thumb_widgets[0].pixmap().toImage()
    assert thumb.pixelColor(thumb.width() // 2, thumb.height() // 2).name() == RED.name()

    # 3. mark it in two segments, with the inspector's chips
    win._show_tab(0)
    first, third = doc.storyboard.segments[0].id, doc.storyboard.segments[2].id
    for sid in (first, third):
        doc.select([sid])
        chip = panel.chips["Mara"]
        assert not chip.isChecked()
        assert not chip.icon().isNull()
        image = chip.icon().pixmap(28, 28).toImage()
        assert image.pixelColor(14, 14).name() == RED.name(), "the chip shows the first image"
        qtbot.mouseClick(chip, Qt.MouseButton.LeftButton)
        assert "Mara" in doc.storyboard.segment(sid).cast
        assert panel.chips["Mara"].isChecked()
        step()
    assert "media/references/mara.png" in doc.storyboard.cast_images(0)

    # 4. rename it: the segments that list it follow, in the same undo step
    _type_name(qtbot, _card(editor, "Mara"), "Maya")
    sb = doc.storyboard
    assert sb.style.characters[-1].name == "Maya"
    assert "Maya" in sb.segment(first).cast and "Maya" in sb.segment(third).cast
    assert all("Mara" not in s.cast for s in sb.segments)
    step()
    doc.select([first])
    assert panel.chips["Maya"].isChecked() and "Mara" not in panel.chips

    # a clash is refused on the card, and is no undo step
    _type_name(qtbot, _card(editor, "Maya"), "barista")
    card = _card(editor, "Maya")
    assert card.error.isVisibleTo(editor) and "already has an entry" in card.error.text()
    assert card.name.text() == "Maya" and doc.undo_stack.index() == len(states) - 1

    # 5. undo each step back to the start; the views follow (the name field too, though it
    # still has the focus from typing)
    for k, expected in enumerate(reversed(states[:-1])):
        doc.undo_stack.undo()
        assert doc.storyboard == expected
        if k == 0:
            renamed_back = _card(editor, "Mara")
            assert renamed_back.name.text() == "Mara"
            doc.select([first])
            assert panel.chips["Mara"].isChecked() and "Maya" not in panel.chips
    assert doc.storyboard == start
    assert [c.entry for c in editor.cast_cards] == list(start.style.characters)
    assert "Maya" not in panel.chips and "Mara" not in panel.chips

    # 6. redo everything, save, reopen: the cast and the segments' lists come back
    while doc.undo_stack.canRedo():
        doc.undo_stack.redo()
    assert doc.storyboard == states[-1]
    doc.save()
    reopened = load_project(doc.bundle.path).storyboard
    assert reopened == states[-1]
    maya = reopened.style.characters[-1]
    assert (maya.name, maya.kind, maya.images) == ("Maya", CastKind.CHARACTER,
                                                   ("media/references/mara.png",))
    assert doc.bundle.resolve(maya.images[0]).is_file()


def _standalone(doc: Document, qtbot: QtBot, ask: ScriptedAsk,
                provider: str | None = None) -> tuple[StyleBibleEditor, CastController]:
    """The editor and the controller wired as the window wires them."""
    from soraboard.ui.controllers.edit import EditController

    def settings() -> Settings:
        return Settings(provider=provider)

    editor = StyleBibleEditor(doc)
    qtbot.addWidget(editor)
    edit = EditController(doc, settings, ask)
    cast = CastController(doc, settings, ask, edit.import_image)
    cast.sheets_changed.connect(editor.set_sheets_running)
    editor.image_add_requested.connect(cast.add_images)
    editor.image_remove_requested.connect(cast.remove_image)
    editor.sheet_requested.connect(cast.make_sheet)
    return editor, cast


def test_an_offline_sheet_is_made_in_a_worker_and_added_as_one_step(
        qtbot: QtBot, project_path: Path) -> None:
    doc = Document(load_project(project_path))
    ask = ScriptedAsk()  # animatic: $0, nothing to ask
    editor, cast = _standalone(doc, qtbot, ask)
    index = editor.add_entry(CastKind.LOCATION)
    doc.set_cast_entry(index, Character("Cafe", "a narrow corner café at dawn",
                                        CastKind.LOCATION))
    before = doc.storyboard
    card = editor.cast_cards[index]
    qtbot.mouseClick(card.make_sheet, Qt.MouseButton.LeftButton)
    assert cast.is_making_sheet("Cafe")
    assert not card.make_sheet.isEnabled() and card.make_sheet.text() == "Making sheet…"
    qtbot.waitUntil(lambda: not cast.running, timeout=30_000)
    QThreadPool.globalInstance().waitForDone(5000)
    images = doc.storyboard.style.characters[index].images
    assert len(images) == 3 and all(p.startswith("media/cast/") for p in images)
    assert all(doc.bundle.resolve(p).is_file() for p in images)
    assert len(card.thumb_widgets) == 3 and card.make_sheet.isEnabled()
    stills, _ = doc.bundle.load_stills()
    assert sorted(r.file or "" for r in stills.values()) == sorted(images)
    assert {r.status for r in stills.values()} == {"done"}
    assert {r.cost_value for r in stills.values()} == {Decimal(0)}
    assert ask.asked == []
    doc.undo_stack.undo()
    assert doc.storyboard == before
    # removing an image from its thumbnail is one step too; the file stays
    doc.undo_stack.redo()
    qtbot.mouseClick(card.thumb_widgets[1].remove, Qt.MouseButton.LeftButton)
    assert doc.storyboard.style.characters[index].images == (images[0], images[2])
    assert doc.bundle.resolve(images[1]).is_file()


def test_a_paid_sheet_is_priced_first_and_declining_sends_nothing(
        qtbot: QtBot, project_path: Path) -> None:
    doc = Document(load_project(project_path))
    doc.set_storyboard_field("budget", None)
    ask = ScriptedAsk([False])
    editor, cast = _standalone(doc, qtbot, ask, provider="some-gateway")
    index = editor.add_entry(CastKind.CHARACTER)
    before = doc.storyboard
    assert not cast.make_sheet(index)
    assert len(ask.asked) == 1
    assert "3 images" in ask.asked[0] and "$0.19" in ask.asked[0], ask.asked
    assert not cast.running and doc.storyboard == before
    assert doc.bundle.load_stills()[0] == {}


def test_a_paid_sheet_confirmed_goes_to_the_image_model_and_the_ledger(
        qtbot: QtBot, project_path: Path, tmp_path: Path) -> None:
    from soraboard.generation.providers import ProviderProfile, save_profile
    from tests.helpers.fake_videos_server import FakeVideosServer

    doc = Document(load_project(project_path))
    doc.set_storyboard_field("budget", None)
    ask = ScriptedAsk([True])
    with FakeVideosServer(tmp_path / "clips", latency=0.1) as server:
        save_profile(ProviderProfile("loop", server.base_url, needs_key=False))
        editor, cast = _standalone(doc, qtbot, ask, provider="loop")
        index = editor.add_entry(CastKind.CHARACTER)
        doc.set_cast_entry(index, Character("Mara", "a courier in a red coat"))
        assert cast.make_sheet(index)
        qtbot.waitUntil(lambda: not cast.running, timeout=60_000)
        QThreadPool.globalInstance().waitForDone(5000)
        requests = list(server.state.image_requests)
    assert [r["_endpoint"] for r in requests] == ["generations"] * 3, requests
    assert {r["model"] for r in requests} == {"gpt-image-1"}
    assert {r["size"] for r in requests} == {"1024x1024"}
    assert "profile view" in requests[1]["prompt"] and "a courier in a red coat" in \
        requests[1]["prompt"]
    assert len(doc.storyboard.style.characters[index].images) == 3
    assert doc.cost().stills_spent == Decimal("0.189")


def test_a_paid_sheet_over_the_budget_stops_before_anything_is_sent(
        qtbot: QtBot, project_path: Path) -> None:
    doc = Document(load_project(project_path))
    doc.set_storyboard_field("budget", "0.00")
    ask = ScriptedAsk()
    editor, cast = _standalone(doc, qtbot, ask, provider="some-gateway")
    index = editor.add_entry(CastKind.PROP)
    assert not cast.make_sheet(index)
    assert ask.asked and ask.asked[0].startswith("warn: Over budget")
    assert not cast.running and doc.bundle.load_stills()[0] == {}


def test_the_panel_suggests_named_entries_and_says_when_the_model_takes_no_references(
        qtbot: QtBot, project_path: Path, tmp_path: Path) -> None:
    doc = Document(load_project(project_path))
    panel = CastPanel(doc)
    qtbot.addWidget(panel)
    seg = doc.storyboard.segments[1]
    doc.select([seg.id])
    doc.add_cast_entry(Character("Mara", "a courier", images=("media/references/m.png",)))
    assert panel.suggestions() == []
    assert not panel.suggest_row.isVisibleTo(panel)
    doc.set_field(seg.id, "scene", seg.scene + " Mara crosses the street.")
    assert panel.suggestions() == ["Mara"]
    assert panel.suggest_row.isVisibleTo(panel)
    button = next(b for b in panel.suggest_buttons if "Mara" in b.text())
    assert button.text() == "Mara — add"
    assert "Mara" not in doc.storyboard.segment(seg.id).cast  # offered, never added by itself
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert "Mara" in doc.storyboard.segment(seg.id).cast
    assert panel.suggestions() == [] and panel.chips["Mara"].isChecked()

    doc.set_field(seg.id, "model", REFS_MODEL)
    assert not panel.model_note.isVisibleTo(panel)
    doc.set_field(seg.id, "model", NO_REFS_MODEL)
    assert panel.model_note.isVisibleTo(panel)
    assert "takes no reference images" in panel.model_note.text()
    assert "Generate stops" in panel.model_note.text()  # it lists an entry with an image
    doc.undo_stack.undo()
    assert not panel.model_note.isVisibleTo(panel)
