"""Keyframes in the editor (issue 17.3 and 17.5), through the real window and the offline
animatic: import a still as a segment's first frame, hold boundaries with keyframe stills
(the boundary menu and "Make keyframes for all boundaries"), see the timeline's boundary
marks change, generate everything — the shots on both sides of a held boundary start at once,
and each meets the shared still — then undo each step."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from soraboard.demos import load_demo
from soraboard.document import Document
from soraboard.model.status import SegmentState
from soraboard.model.storyboard import Continuity, RefMode, Storyboard
from soraboard.settings import Settings
from soraboard.storage.bundle import Bundle, load_project
from tests.ui.scripted_ask import ScriptedAsk

GREEN = (40, 200, 40)  # BGR


def _still(path: Path, colour: tuple[int, int, int], w: int = 640, h: int = 360) -> Path:
    import cv2

    img = np.zeros((h, w, 3), np.uint8)
    img[:] = colour
    assert cv2.imwrite(str(path), img)
    return path


@pytest.fixture
def kwin(qtbot: QtBot, tmp_path: Path) -> Iterator[object]:
    """Three chained Veo 3.1 shots (last-frame input), 4 s each, concurrency 3."""
    from soraboard.ui.main_window import MainWindow

    demo = load_demo("mountain-road")
    sb = replace(demo, segments=tuple(s.with_changes(duration=4.0, actions=())
                                      for s in demo.segments))
    assert all(s.model == "vertex_ai/veo-3.1-fast-generate-001" for s in sb.segments)
    path = Bundle.create(tmp_path / "Road", sb).path
    doc = Document(load_project(path))
    win = MainWindow(doc, Settings(autosave_seconds=0, concurrency=3), ask=ScriptedAsk())
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.keyframes.close()
    # pytest-qt closes its widgets before fixtures end: close here, saved or not
    doc.undo_stack.setClean()  # no "unsaved changes" prompt
    win.ask = ScriptedAsk(default=True)  # a failed test may leave jobs running: close anyway
    win.close()
    win.thumbnails.wait()


def _modes(win) -> list[str]:  # type: ignore[no-untyped-def]
    canvas = win.timeline.canvas
    return [canvas.boundary_mode(i) for i in range(len(win.doc.storyboard.segments) - 1)]


def _trigger(menu: QMenu, words: str) -> None:
    acts = [a for a in menu.actions() if words in a.text().replace("&", "")]
    assert len(acts) == 1, [a.text() for a in menu.actions()]
    assert acts[0].isEnabled(), acts[0].toolTip()
    acts[0].trigger()


def _diff(img: np.ndarray, ref: np.ndarray) -> float:
    return float(np.abs(img.astype(float) - ref.astype(float)).mean())


def test_keyframes_from_the_inspector_to_parallel_generation_and_undo(
        qtbot: QtBot, kwin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from soraboard.generation import frames

    win = kwin
    doc = win.doc
    s1, s2, s3 = (s.id for s in doc.storyboard.segments)
    panel = win.inspector.keyframes
    assert _modes(win) == ["chain", "chain"]

    # 1. Segment 2's first frame: an imported still, through the inspector's Import button.
    png = _still(tmp_path / "dawn.png", GREEN)
    doc.select([s2])
    win.keyframes.ask = ScriptedAsk([[str(png)]])
    qtbot.mouseClick(panel.first.import_btn, Qt.MouseButton.LeftButton)
    seg2 = doc.storyboard.segment(s2)
    assert seg2.first_keyframe is not None and seg2.first_keyframe.startswith("media/stills/")
    assert seg2.ref_mode is RefMode.CUSTOM
    imported = seg2.first_keyframe
    assert doc.bundle.resolve(imported).read_bytes() == png.read_bytes()
    assert panel.first_mode.currentData() == "still"
    assert panel.first.thumb.pixmap() is not None and not panel.first.thumb.pixmap().isNull()
    assert "dawn" in panel.first.text.text()
    doc.undo_stack.undo()
    assert doc.storyboard.segment(s2).first_keyframe is None
    assert panel.first_mode.currentData() == "chain"
    doc.undo_stack.redo()
    assert doc.storyboard.segment(s2).first_keyframe == imported
    # segment 1 does not end on it: the boundary is not held by a keyframe yet
    assert _modes(win) == ["chain", "chain"]

    # 2. Hold boundary 2→3 from its mark's menu: a still (offline placeholder, $0, no
    #    question asked), shot 2 ends on it and shot 3 starts on it — one undo step.
    steps = doc.undo_stack.count()
    win.keyframes.ask = ScriptedAsk()  # the animatic's stills are free: nothing to confirm
    _trigger(win.boundary_menu(1), "Hold 2→3 with a Keyframe")
    qtbot.waitUntil(lambda: doc.storyboard.held_by_keyframe(1), timeout=30_000)
    qtbot.waitUntil(lambda: not win.keyframes.busy(), timeout=10_000)
    assert doc.undo_stack.count() == steps + 1
    k1 = doc.storyboard.segment(s2).last_keyframe
    assert k1 is not None and doc.storyboard.segment(s3).first_keyframe == k1
    assert doc.bundle.resolve(k1).is_file()
    assert _modes(win) == ["chain", "keyframe"]
    assert "shared keyframe" in win.timeline.canvas.boundary_tooltip(1)
    assert "chaining" in win.timeline.canvas.boundary_tooltip(0)
    assert doc.project.stills and all(r.cost_value == Decimal(0)
                                      for r in doc.project.stills.values())
    doc.select([s3])
    assert "shared with segment 2" in panel.first.text.text()

    # 3. Generate ▸ Make Keyframes for All Boundaries: the one left (1→2) — its still
    #    replaces segment 2's imported first frame; one undo step gives that back.
    win.actions_by_id["generate.keyframes"].trigger()
    qtbot.waitUntil(lambda: doc.storyboard.held_by_keyframe(0), timeout=30_000)
    qtbot.waitUntil(lambda: not win.keyframes.busy(), timeout=10_000)
    k0 = doc.storyboard.segment(s1).last_keyframe
    assert k0 is not None and k0 != k1 and doc.storyboard.segment(s2).first_keyframe == k0
    assert _modes(win) == ["keyframe", "keyframe"]
    doc.undo_stack.undo()
    assert doc.storyboard.segment(s2).first_keyframe == imported
    assert _modes(win) == ["chain", "keyframe"]
    doc.undo_stack.redo()
    assert _modes(win) == ["keyframe", "keyframe"]

    # 4. Generate all: the confirmation says stills, then clips in parallel; every clip
    #    starts at once (nothing waits for a previous clip), as the CLI's engine runs them.
    ask = ScriptedAsk([True])
    win.generation.ask = ask
    assert win.generation.generate([s1, s2, s3])
    assert set(win.generation.active_segments()) == {s1, s2, s3}
    assert set(win.generation.jobs.running_segments()) == {s1, s2, s3}
    text = ask.asked[0]
    assert "2 stills $0.00, then 3 clips in parallel" in text, text
    assert "about one clip's time" in text and "in sequence" not in text.lower()
    assert "1→2 keyframe (in parallel), 2→3 keyframe (in parallel)" in text
    qtbot.waitUntil(lambda: all(s.state is SegmentState.DONE for s in doc.statuses())
                    and not win.generation.active_segments(), timeout=180_000)

    # Shot n ends on K(n) and shot n+1 starts on it (the animatic honours both frames).
    sb = doc.storyboard
    files = [doc.bundle.resolve(doc.takes[s.chosen_take or ""].file or "")
             for s in sb.segments]
    w, h = 1280, 720
    for n, key in enumerate((k0, k1)):
        ref = frames.fit_to_size(frames.read_image(doc.bundle.resolve(key)), w, h)
        last = frames.last_frame(files[n])
        first_next = frames.frame_at(files[n + 1], 0.0)
        assert _diff(last, ref) < 6, n
        assert _diff(first_next, ref) < 25, n
        assert _diff(last, first_next) < 25, n
    # … and the two stills differ, so meeting the right one means something.
    other = frames.fit_to_size(frames.read_image(doc.bundle.resolve(k1)), w, h)
    assert _diff(frames.last_frame(files[0]), other) > 6

    # 4b. Any take's frame as a still: segment 3 ends on a frame of segment 1's take, picked
    #     in the frame picker and cut in a worker.
    doc.select([s3])
    dlg = win.pick_keyframe_from_take(s3, "last", sb.segments[0].chosen_take or "")
    assert dlg is not None
    picked = dlg.value()
    dlg.accept()
    qtbot.waitUntil(lambda: doc.storyboard.segment(s3).last_keyframe is not None,
                    timeout=30_000)
    qtbot.waitUntil(lambda: not win.keyframes.busy(), timeout=10_000)
    cut = doc.storyboard.segment(s3).last_keyframe
    assert cut is not None and cut.startswith("media/stills/")
    assert _diff(frames.read_image(doc.bundle.resolve(cut)),
                 frames.frame_at(files[0], picked)) < 2
    assert "Ends on" in panel.last.text.text()
    doc.undo_stack.undo()
    assert doc.storyboard.segment(s3).last_keyframe is None

    # 5. Undo each step: the three chosen takes, the keyframes for all, the hold of 2→3,
    #    the import. Takes are paid results and stay; the boundary marks follow.
    for _ in range(3):
        doc.undo_stack.undo()
    assert all(s.chosen_take is None for s in doc.storyboard.segments)
    assert len(doc.takes) == 3
    doc.undo_stack.undo()
    assert _modes(win) == ["chain", "keyframe"]
    doc.undo_stack.undo()
    assert _modes(win) == ["chain", "chain"]
    assert doc.storyboard.segment(s2).last_keyframe is None
    assert doc.storyboard.segment(s3).first_keyframe is None
    assert doc.storyboard.segment(s2).first_keyframe == imported
    doc.undo_stack.undo()
    assert doc.storyboard.segment(s2).first_keyframe is None
    assert doc.bundle.resolve(k0).is_file() and doc.bundle.resolve(k1).is_file()


def test_last_frame_is_offered_only_where_the_model_can_end_on_a_still(
        qtbot: QtBot, kwin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win = kwin
    doc = win.doc
    s1 = doc.storyboard.segments[0].id
    panel = win.inspector.keyframes
    doc.select([s1])
    assert panel.last.import_btn.isEnabled() and panel.last.generate_btn.isEnabled()
    doc.set_field(s1, "model", "sora-2")
    assert not panel.last.import_btn.isEnabled()
    assert not panel.last.generate_btn.isEnabled()
    assert "sora-2 has no last-frame input" in panel.last.text.text()
    # neither the boundary menu nor the controller lets it through
    menu = win.boundary_menu(0)
    hold = [a for a in menu.actions() if "Keyframe" in a.text()]
    assert len(hold) == 1 and not hold[0].isEnabled() and "sora-2" in hold[0].toolTip()
    win.keyframes.ask = ScriptedAsk()
    assert not win.keyframes.use_still(s1, "last", "media/stills/x.png")
    assert not win.keyframes.hold_boundary(0)
    assert doc.storyboard.segments[0].last_keyframe is None
    assert any("cannot end on a still" in q.lower() for q in win.keyframes.ask.asked)
    # "for all" skips it, as the CLI does
    assert win.keyframes.boundaries_to_hold() == [1]
    # the first segment cannot chain: its "previous take" choice is off
    item = panel.first_mode.model().item(0)
    assert not item.isEnabled()


def test_a_paid_still_backend_is_priced_first_and_a_no_sends_nothing(
        qtbot: QtBot, kwin, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from soraboard.generation import factory
    from soraboard.generation.stills import OfflineStills

    made: list[str] = []

    class Paid(OfflineStills):
        name = "paid"

        def make(self, request, dest):  # type: ignore[no-untyped-def]
            made.append(request.prompt)
            return super().make(request, dest)

    monkeypatch.setattr(factory, "make_still_backend", lambda _provider: Paid())
    win = kwin
    doc = win.doc
    win.keyframes.ask = ScriptedAsk([False])
    assert not win.keyframes.make_keyframes_for_all()
    question = win.keyframes.ask.asked[0]
    assert question.startswith("confirm: Make keyframe stills: 2 stills of gpt-image-1")
    assert "$0.13" in question  # 2 × $0.063
    assert not win.keyframes.busy() and not made
    assert not any(doc.storyboard.held_by_keyframe(i) for i in range(2))

    win.keyframes.ask = ScriptedAsk([True])
    assert win.keyframes.make_keyframes_for_all()
    qtbot.waitUntil(lambda: not win.keyframes.busy(), timeout=30_000)
    assert len(made) == 2 and all(doc.storyboard.held_by_keyframe(i) for i in range(2))
    # the stills are in the ledger the cost strip reads, at their price
    assert doc.cost().stills_spent == Decimal("0.126")
    doc.undo_stack.undo()  # one step for the whole batch
    assert not any(doc.storyboard.held_by_keyframe(i) for i in range(2))
    assert doc.cost().stills_spent == Decimal("0.126")  # paid stills stay paid


def test_first_frame_modes_from_the_list(qtbot: QtBot, kwin) -> None:  # type: ignore[no-untyped-def]
    win = kwin
    doc = win.doc
    s2 = doc.storyboard.segments[1].id
    doc.select([s2])
    panel = win.inspector.keyframes
    assert panel.first_mode.currentData() == "chain"
    panel.first_mode.setCurrentIndex(panel.first_mode.findData("none"))
    panel.first_mode.activated.emit(panel.first_mode.currentIndex())
    seg = doc.storyboard.segment(s2)
    assert not seg.is_chained and seg.first_keyframe is None
    assert win.timeline.canvas.boundary_mode(0) == "none"
    assert "not held" in win.timeline.canvas.boundary_tooltip(0)
    doc.undo_stack.undo()
    assert doc.storyboard.segment(s2).is_chained
    assert win.timeline.canvas.boundary_mode(0) == "chain"
    assert isinstance(doc.storyboard, Storyboard)


def test_the_first_segment_s_first_frame_and_the_last_segment_s_last_frame_are_generated(
        qtbot: QtBot, kwin) -> None:  # type: ignore[no-untyped-def]
    from soraboard.model.prompt import frame_prompt
    from soraboard.ui.still_takes import StillTakesDialog

    win = kwin
    doc = win.doc
    s1, s2, s3 = (s.id for s in doc.storyboard.segments)
    panel = win.inspector.keyframes
    win.keyframes.ask = ScriptedAsk()  # offline placeholders: $0, nothing to confirm

    # 1. Segment 1's first frame, from its own prompt: it starts on it, one undo step.
    doc.select([s1])
    assert panel.first.generate_btn.isEnabled(), panel.first.generate_btn.toolTip()
    assert "own prompt" in panel.first.generate_btn.toolTip()
    steps = doc.undo_stack.count()
    qtbot.mouseClick(panel.first.generate_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: doc.storyboard.segment(s1).first_keyframe is not None
                    and not win.keyframes.busy(), timeout=30_000)
    first = doc.storyboard.segment(s1).first_keyframe
    assert first is not None and doc.bundle.resolve(first).is_file()
    assert doc.undo_stack.count() == steps + 1
    assert panel.first_mode.currentData() == "still"
    [record] = doc.project.stills.values()
    assert (record.role, record.segment_id, record.file) == ("first", s1, first)
    assert record.prompt == frame_prompt(doc.storyboard, 0, "first")
    assert not any(doc.storyboard.held_by_keyframe(i) for i in range(2))  # nothing shared
    # the chooser lists it for that frame
    assert [r.file for r in doc.stills_for(s1, "first")] == [first]
    assert panel.first.stills_btn.text() == "1 still"
    qtbot.mouseClick(panel.first.stills_btn, Qt.MouseButton.LeftButton)
    [dlg] = [d for d in win.findChildren(StillTakesDialog) if d.isVisible()]
    assert (dlg.segment_id, dlg.which) == (s1, "first")
    assert [r.file for r in dlg.records()] == [first]
    # … and Regenerate there makes another of the same slot, in use at once
    qtbot.mouseClick(dlg.regenerate_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(dlg.records()) == 2 and not win.keyframes.busy(),
                    timeout=30_000)
    again = doc.storyboard.segment(s1).first_keyframe
    assert again not in (None, first)
    assert {(r.role, r.segment_id) for r in doc.project.stills.values()} == {("first", s1)}
    dlg.close()
    doc.undo_stack.undo()
    assert doc.storyboard.segment(s1).first_keyframe == first
    doc.undo_stack.undo()
    assert doc.storyboard.segment(s1).first_keyframe is None
    assert doc.bundle.resolve(first).is_file()  # the stills stay

    # 2. Segment 2's first frame keeps today's Generate: the boundary 1→2's still.
    doc.select([s2])
    assert "previous shot ends" in panel.first.generate_btn.toolTip()

    # 3. The last segment's last frame (Veo 3.1: last-frame input), from its own close.
    doc.select([s3])
    assert panel.last.generate_btn.isEnabled(), panel.last.generate_btn.toolTip()
    qtbot.mouseClick(panel.last.generate_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: doc.storyboard.segment(s3).last_keyframe is not None
                    and not win.keyframes.busy(), timeout=30_000)
    last = doc.storyboard.segment(s3).last_keyframe
    assert last is not None and "Ends on" in panel.last.text.text()
    assert [(r.role, r.segment_id) for r in doc.stills_for(s3, "last")] == [("last", s3)]
    assert doc.stills_for(s3, "first") == []
    doc.undo_stack.undo()
    assert doc.storyboard.segment(s3).last_keyframe is None

    # 4. A model without last-frame input: disabled, with the reason; the controller too.
    doc.set_field(s3, "model", "sora-2")
    assert not panel.last.generate_btn.isEnabled()
    assert "sora-2 has no last-frame input" in panel.last.text.text()
    n = len(doc.project.stills)
    assert not win.keyframes.generate_still(s3, "last")
    assert any("cannot end on a still" in q.lower() for q in win.keyframes.ask.asked)
    assert len(doc.project.stills) == n and not win.keyframes.busy()

    # 5. Mid-film, a shot the next one cuts away from ends on a still of its own; a shot the
    #    next one continues from holds their boundary, as before.
    doc.select([s2])
    assert "Hold the boundary 2→3" in panel.last.generate_btn.toolTip()
    doc.set_field(s3, "continuity", Continuity.INDEPENDENT)
    assert "own prompt" in panel.last.generate_btn.toolTip()
    assert win.keyframes.generate_still(s2, "last")
    qtbot.waitUntil(lambda: not win.keyframes.busy(), timeout=30_000)
    mid = doc.storyboard.segment(s2).last_keyframe
    assert mid is not None and doc.storyboard.segment(s3).first_keyframe is None
    assert [(r.role, r.segment_id) for r in doc.stills_for(s2, "last")] == [("last", s2)]


def test_a_segment_s_own_still_on_a_paid_backend_is_priced_first_and_a_no_sends_nothing(
        qtbot: QtBot, kwin, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from soraboard.generation import factory
    from soraboard.generation.stills import OfflineStills

    made: list[str] = []

    class Paid(OfflineStills):
        name = "paid"

        def make(self, request, dest):  # type: ignore[no-untyped-def]
            made.append(request.prompt)
            return super().make(request, dest)

    monkeypatch.setattr(factory, "make_still_backend", lambda _provider: Paid())
    win = kwin
    doc = win.doc
    s1 = doc.storyboard.segments[0].id
    win.keyframes.ask = ScriptedAsk([False])
    assert not win.keyframes.generate_still(s1, "first")
    [question] = win.keyframes.ask.asked
    assert question.startswith("confirm: Make a keyframe still: A still of gpt-image-1")
    assert "segment 1's first frame" in question and ": $0.06 (" in question
    assert not win.keyframes.busy() and not made and not doc.project.stills
    assert doc.storyboard.segment(s1).first_keyframe is None

    win.keyframes.ask = ScriptedAsk([True])
    assert win.keyframes.generate_still(s1, "first")
    qtbot.waitUntil(lambda: not win.keyframes.busy(), timeout=30_000)
    assert len(made) == 1 and doc.storyboard.segment(s1).first_keyframe is not None
    assert doc.cost().stills_spent == Decimal("0.063")
