"""The reference-frame picker: a chained segment starts from a frame the creator picks by
looking at the previous take, not by typing a time."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from soraboard.model.storyboard import Continuity, RefMode
from soraboard.model.take import RequestSnapshot, Take, TakeStatus
from soraboard.ui.frame_picker import FramePickerDialog
from tests.helpers.clips import make_clip


def _give_first_segment_a_take(win) -> str:  # type: ignore[no-untyped-def]
    doc = win.doc
    first, second = doc.storyboard.segments[0], doc.storyboard.segments[1]
    media = doc.bundle.path / "media"
    media.mkdir(exist_ok=True)
    # testsrc2 moves: frames at different times look different
    make_clip(media / "first.mp4", duration=2.0, audio=False)
    take = Take(id="take_first", segment_id=first.id, provider="imported",
                request=RequestSnapshot(prompt="", model=first.model or "sora-2",
                                        size="320x180", seconds=2.0),
                status=TakeStatus.DONE, file="media/first.mp4", media_duration=2.0,
                created_at=time.time())
    doc.record_take(take)
    doc.choose_take(first.id, take.id)
    doc.set_fields(second.id, continuity=Continuity.CHAIN, ref_mode=RefMode.AT_TIME)
    doc.select([second.id])
    return second.id


def test_pick_a_frame_of_the_previous_take_by_looking_at_it(qtbot: QtBot, window) -> None:  # type: ignore[no-untyped-def]
    win = window
    sid = _give_first_segment_a_take(win)
    insp = win.inspector
    assert insp.ref_pick_btn.isVisible() and insp.ref_pick_btn.isEnabled()
    # before any take of its own, the inspector shows the frame the segment will start from
    qtbot.waitUntil(lambda: not insp.ref_thumb.pixmap().isNull(), timeout=20_000)

    qtbot.mouseClick(insp.ref_pick_btn, Qt.MouseButton.LeftButton)
    dlg = win.findChild(FramePickerDialog)
    assert dlg is not None and dlg.isVisible()
    # it opens on the last frame (nothing picked yet) and shows it, decoded off the GUI thread
    qtbot.waitUntil(lambda: dlg.shown_at is not None, timeout=20_000)
    assert abs(dlg.value() - (2.0 - 1 / 30)) < 0.01
    late = dlg.frame.pixmap().toImage()
    assert not late.isNull() and late.width() > 300

    # scrub to 0.5 s with the keyboard and the strip: the picture follows
    dlg.seek(0.5)
    qtbot.waitUntil(lambda: dlg.shown_at == 0.5, timeout=20_000)
    early = dlg.frame.pixmap().toImage()
    assert early != late
    qtbot.keyClick(dlg, Qt.Key.Key_Right)
    assert abs(dlg.value() - (0.5 + 1 / 30)) < 0.002
    qtbot.waitUntil(lambda: dlg.shown_at == dlg.value(), timeout=20_000)
    # the strip of frames across the clip fills in
    qtbot.waitUntil(lambda: all(not b.icon().isNull() for b, _t in dlg.strip), timeout=20_000)
    dlg.strip[2][0].click()
    picked = dlg.strip[2][1]
    assert dlg.value() == picked

    dlg.use_btn.click()
    seg = win.doc.storyboard.segment(sid)
    assert seg.ref_mode is RefMode.AT_TIME and seg.ref_time == picked
    assert abs(insp.ref_time.value() - picked) < 0.01
    assert "frame at" in insp.ref_text.text()
    # one undo step takes the pick back
    win.doc.undo_stack.undo()
    assert win.doc.storyboard.segment(sid).ref_time != picked


def test_no_take_before_means_nothing_to_pick(qtbot: QtBot, window) -> None:  # type: ignore[no-untyped-def]
    win = window
    doc = win.doc
    second = doc.storyboard.segments[1]
    doc.set_fields(second.id, continuity=Continuity.CHAIN, ref_mode=RefMode.AT_TIME)
    doc.select([second.id])
    assert win.inspector.ref_pick_btn.isVisible()
    assert not win.inspector.ref_pick_btn.isEnabled()
    assert "no take" in win.inspector.ref_pick_btn.toolTip()
    assert win.pick_reference_frame(second.id) is None
    assert "no take" in win.statusBar().currentMessage()


def test_a_custom_reference_that_is_not_an_image_is_refused_and_changes_nothing(
        qtbot: QtBot, window, tmp_path, no_modal_dialogs) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QColor, QImage

    win = window
    seg = win.doc.storyboard.segments[0]
    bogus = tmp_path / "notes.png"
    bogus.write_text("not a picture")
    before = win.doc.undo_stack.count()
    win.inspector.image_chosen.emit(seg.id, str(bogus))
    assert win.doc.undo_stack.count() == before
    assert win.doc.storyboard.segment(seg.id).reference_image is None
    assert any("Not an image" in m for m in no_modal_dialogs)

    good = tmp_path / "street.png"
    img = QImage(64, 36, QImage.Format.Format_RGB32)
    img.fill(QColor("orange"))
    img.save(str(good))
    win.inspector.image_chosen.emit(seg.id, str(good))
    ref = win.doc.storyboard.segment(seg.id).reference_image
    assert ref is not None and (win.doc.bundle.path / ref).read_bytes() == good.read_bytes()
    assert win.doc.storyboard.segment(seg.id).ref_mode is RefMode.CUSTOM
