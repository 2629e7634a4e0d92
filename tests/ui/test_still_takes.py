"""A still is a take too (issue 17.1), through the real window and the offline animatic: hold
a boundary with a keyframe, make its still again twice from the chooser, look at each with
its request, compare two, choose the first again (both shots follow), undo — and every still
made stays on disk and in the ledger, across a save and a reopen. A paid backend is priced
before anything is sent."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from soraboard.demos import load_demo
from soraboard.document import Document
from soraboard.settings import Settings
from soraboard.storage.bundle import Bundle, load_project
from soraboard.ui.still_takes import StillCompareDialog, StillTakesDialog
from tests.ui.scripted_ask import ScriptedAsk


@pytest.fixture
def kwin(qtbot: QtBot, tmp_path: Path) -> Iterator[object]:
    """Three chained Veo 3.1 shots (last-frame input), 4 s each."""
    from soraboard.ui.main_window import MainWindow

    demo = load_demo("mountain-road")
    sb = replace(demo, segments=tuple(s.with_changes(duration=4.0, actions=())
                                      for s in demo.segments))
    path = Bundle.create(tmp_path / "Road", sb).path
    doc = Document(load_project(path))
    win = MainWindow(doc, Settings(autosave_seconds=0), ask=ScriptedAsk())
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.keyframes.close()
    doc.undo_stack.setClean()
    win.ask = ScriptedAsk(default=True)
    win.close()
    win.thumbnails.wait()


def _dialogs(win: object, kind: type) -> list:  # type: ignore[type-arg]
    return [d for d in win.findChildren(kind) if d.isVisible()]  # type: ignore[attr-defined]


def _both(doc: Document, s1: str, s2: str) -> tuple[str | None, str | None]:
    sb = doc.storyboard
    return sb.segment(s1).last_keyframe, sb.segment(s2).first_keyframe


def test_regenerate_a_held_keyframe_twice_choose_the_first_again_undo_and_reopen(
        qtbot: QtBot, kwin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win = kwin
    doc = win.doc
    s1, s2, _s3 = (s.id for s in doc.storyboard.segments)
    panel = win.inspector.keyframes
    doc.select([s2])
    assert not panel.first.stills_btn.isVisibleTo(panel)  # nothing made for it yet

    # 1. Hold 1→2 from segment 2's first frame: Generate (offline: $0, nothing asked).
    qtbot.mouseClick(panel.first.generate_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: doc.storyboard.held_by_keyframe(0) and not win.keyframes.busy(),
                    timeout=30_000)
    k1, same = _both(doc, s1, s2)
    assert k1 is not None and same == k1
    assert panel.first.stills_btn.isVisibleTo(panel)
    assert panel.first.stills_btn.text() == "1 still"

    # 2. "1 still" opens the chooser for that frame.
    qtbot.mouseClick(panel.first.stills_btn, Qt.MouseButton.LeftButton)
    [dlg] = _dialogs(win, StillTakesDialog)
    assert (dlg.segment_id, dlg.which) == (s2, "first")
    assert [r.file for r in dlg.records()] == [k1]
    assert "boundary 1→2" in dlg.heading.text()

    # 3. Regenerate twice: each a new still with the same request, in use on both sides at
    #    once, one undo step each; the older ones stay.
    made = [k1]
    for n in (2, 3):
        steps = doc.undo_stack.count()
        qtbot.mouseClick(dlg.regenerate_btn, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda n=n: len(dlg.records()) == n and not win.keyframes.busy(),
                        timeout=30_000)
        new, other = _both(doc, s1, s2)
        assert new == other and new not in made and doc.storyboard.held_by_keyframe(0)
        assert doc.undo_stack.count() == steps + 1
        made.append(new)
    records = dlg.records()
    assert [r.file for r in records] == made
    assert len({(r.prompt, r.model, r.size, r.references) for r in records}) == 1
    assert all(doc.bundle.resolve(f).is_file() for f in made)
    assert panel.first.stills_btn.text() == "3 stills"
    # the same stills from the other side of the boundary
    doc.select([s1])
    assert panel.last.stills_btn.text() == "3 stills"
    doc.select([s2])
    assert dlg.strip.count() == 3 and "in use" in dlg.strip.item(2).text()
    assert "in use" not in dlg.strip.item(0).text()

    # 4. Each still shows its request; hovering another previews it, leaving goes back.
    dlg.strip.setCurrentRow(0)
    assert "Still 1" in dlg.request.text() and "gpt-image-1" in dlg.request.text()
    assert "1280x720" in dlg.request.text() and "$0.00" in dlg.request.text()
    assert records[0].prompt.split()[0] in dlg.request.text()
    assert dlg.preview.pixmap() is not None and not dlg.preview.pixmap().isNull()
    dlg.strip.itemEntered.emit(dlg.strip.item(1))
    assert "Still 2" in dlg.request.text()
    QApplication.sendEvent(dlg.strip.viewport(), QEvent(QEvent.Type.Leave))
    assert "Still 1" in dlg.request.text()

    # 5. Compare the first and the one in use side by side.
    assert dlg.compare_pair() == (records[0], records[2])
    qtbot.mouseClick(dlg.compare_btn, Qt.MouseButton.LeftButton)
    [cmp] = _dialogs(win, StillCompareDialog)
    assert len(cmp.images) == 2 and all(not i.pixmap().isNull() for i in cmp.images)
    assert not cmp.use_buttons[1].isEnabled()  # the one in use
    cmp.reject()

    # 6. Choose the first again: both shots follow, one undo step.
    steps = doc.undo_stack.count()
    assert dlg.choose_btn.isEnabled()
    qtbot.mouseClick(dlg.choose_btn, Qt.MouseButton.LeftButton)
    assert _both(doc, s1, s2) == (k1, k1) and doc.storyboard.held_by_keyframe(0)
    assert doc.undo_stack.count() == steps + 1
    assert "in use" in dlg.strip.item(0).text() and not dlg.choose_btn.isEnabled()
    assert k1 in panel.first.text.toolTip()

    # 7. Undo gives the third back on both sides; nothing made is lost.
    doc.undo_stack.undo()
    assert _both(doc, s1, s2) == (made[2], made[2])
    assert "in use" in dlg.strip.item(2).text()
    stills = doc.project.stills
    assert len(stills) == 3 and all(r.billing == "billed" for r in stills.values())
    assert sorted(r.file for r in stills.values()) == sorted(made)
    assert all(doc.bundle.resolve(f).is_file() for f in made)
    doc.undo_stack.redo()
    assert _both(doc, s1, s2) == (k1, k1)

    # 8. Saved and opened again: the choice, and all three stills of the frame.
    doc.save()
    dlg.close()
    again = Document(load_project(doc.bundle.path))
    assert _both(again, s1, s2) == (k1, k1)
    assert [r.file for r in again.stills_for(s2, "first")] == made
    assert [r.file for r in again.stills_for(s1, "last")] == made
    assert len(again.project.stills) == 3


def test_regenerate_on_a_paid_backend_is_priced_first_and_a_no_sends_nothing(
        qtbot: QtBot, kwin, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from soraboard.generation import factory
    from soraboard.generation.stills import OfflineStills

    sent: list[str] = []

    class Paid(OfflineStills):
        name = "paid"

        def make(self, request, dest):  # type: ignore[no-untyped-def]
            sent.append(request.prompt)
            return super().make(request, dest)

    win = kwin
    doc = win.doc
    s1, s2, _s3 = (s.id for s in doc.storyboard.segments)
    win.keyframes.hold_boundary(0)  # the animatic: $0
    qtbot.waitUntil(lambda: doc.storyboard.held_by_keyframe(0) and not win.keyframes.busy(),
                    timeout=30_000)
    k1 = doc.storyboard.segment(s1).last_keyframe
    monkeypatch.setattr(factory, "make_still_backend", lambda _provider: Paid())

    win.keyframes.ask = ScriptedAsk([False])
    assert not win.keyframes.regenerate_still(s2, "first")
    [question] = win.keyframes.ask.asked
    assert question.startswith("confirm: Regenerate the still: A new still of gpt-image-1 on "
                               "provider 'paid', 1280x720, with the same prompt: $0.06")
    assert not sent and not win.keyframes.busy() and len(doc.project.stills) == 1

    win.keyframes.ask = ScriptedAsk([True])
    assert win.keyframes.regenerate_still(s1, "last")  # the same boundary, from its other side
    qtbot.waitUntil(lambda: not win.keyframes.busy(), timeout=30_000)
    assert len(sent) == 1
    new = doc.storyboard.segment(s1).last_keyframe
    assert new != k1 and doc.storyboard.segment(s2).first_keyframe == new
    assert doc.cost().stills_spent == Decimal("0.063")
    doc.undo_stack.undo()
    assert doc.storyboard.segment(s2).first_keyframe == k1
    assert doc.cost().stills_spent == Decimal("0.063")  # a paid still stays paid
    assert doc.bundle.resolve(new).is_file()


def test_a_frame_not_held_keeps_its_neighbour_and_a_frame_with_nothing_made_generates(
        qtbot: QtBot, kwin) -> None:  # type: ignore[no-untyped-def]
    win = kwin
    doc = win.doc
    s1, s2, _s3 = (s.id for s in doc.storyboard.segments)
    win.keyframes.ask = ScriptedAsk()
    # a chooser opened and closed before the work starts is gone, and nothing calls it
    closed = win.show_still_takes(s2, "first")
    assert "No still has been made" in closed.preview.text()
    closed.close()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert _dialogs(win, StillTakesDialog) == []
    # nothing made for segment 2's first frame: Regenerate makes its boundary's still
    assert doc.stills_for(s2, "first") == []
    assert win.keyframes.regenerate_still(s2, "first")
    qtbot.waitUntil(lambda: doc.storyboard.held_by_keyframe(0) and not win.keyframes.busy(),
                    timeout=30_000)
    k1 = doc.storyboard.segment(s2).first_keyframe
    assert win.keyframes.regenerate_still(s2, "first")
    qtbot.waitUntil(lambda: not win.keyframes.busy(), timeout=30_000)
    k2 = doc.storyboard.segment(s2).first_keyframe
    assert k1 is not None and k2 is not None and k1 != k2
    # released, the boundary is not held: choosing segment 1's last frame changes only it
    win.keyframes.release_boundary(0)
    assert doc.storyboard.segment(s2).first_keyframe is None
    assert [r.file for r in doc.stills_for(s1, "last")] == [k1, k2]  # still listed
    assert win.keyframes.choose_still(s1, "last", k1)
    assert doc.storyboard.segment(s1).last_keyframe == k1
    assert doc.storyboard.segment(s2).first_keyframe is None
    assert not doc.storyboard.held_by_keyframe(0)
