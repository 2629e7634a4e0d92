"""The preview shows what it will play: a poster frame before Play, the sequence on the first
Play after switching to Sequence, a playhead in Take mode too, and takes compared by name."""

from __future__ import annotations

from PySide6.QtMultimedia import QMediaPlayer
from pytestqt.qtbot import QtBot

from soraboard.model.status import SegmentState
from soraboard.ui.player import FrameCounter
from tests.ui.scripted_ask import ScriptedAsk

PLAYING = QMediaPlayer.PlaybackState.PlayingState


def _two_shots_generated(qtbot: QtBot, win) -> None:  # type: ignore[no-untyped-def]
    doc = win.doc
    doc.delete([s.id for s in doc.storyboard.segments[2:]])
    for seg in doc.storyboard.segments:
        doc.set_fields(seg.id, duration=4.0, actions=())
    win.generation.ask = ScriptedAsk(default=True)
    assert win.generation.generate([s.id for s in doc.storyboard.segments])
    # done, and every job let go (a segment whose job still runs is not generated again)
    qtbot.waitUntil(lambda: all(s.state is SegmentState.DONE for s in doc.statuses())
                    and not win.generation.active_segments(), timeout=180_000)
    doc.undo_stack.setClean()


def _frames(win) -> FrameCounter:  # type: ignore[no-untyped-def]
    return FrameCounter(win.player.sink, win)


def test_first_play_in_sequence_plays_the_film_and_frames_show_before_play(
        qtbot: QtBot, window) -> None:  # type: ignore[no-untyped-def]
    win = window
    _two_shots_generated(qtbot, win)
    doc, player, canvas = win.doc, win.player, win.timeline.canvas

    # Take mode: the selected take's first frame is on screen without pressing Play
    frames = _frames(win)
    doc.select([doc.storyboard.segments[0].id])
    qtbot.waitUntil(lambda: player.source is not None and frames.count > 0, timeout=10_000)
    frames.count = 0
    doc.select([doc.storyboard.segments[1].id])
    take_file = player.source
    assert take_file is not None and "takes" in str(take_file)
    qtbot.waitUntil(lambda: frames.count > 0, timeout=10_000)
    assert player.player.playbackState() != PLAYING
    # ... and the playhead marks where that take sits in the film
    assert canvas.playhead is not None
    assert abs(canvas.playhead - canvas.layouts[1].start) < 0.05

    # switch to Sequence and press Play at once, before the preview has rendered
    player.mode.button_for("sequence").click()
    assert player.source is None  # the take is gone: Play cannot play it
    player.play.click()
    assert player.will_play
    qtbot.waitUntil(lambda: player.source is not None and "sequence" in str(player.source)
                    and player.player.playbackState() == PLAYING, timeout=120_000)
    # it plays the film from the selected card (segment 2), not the take
    qtbot.waitUntil(lambda: player.position() > canvas.layouts[1].start + 0.2, timeout=10_000)
    assert canvas.playhead is not None and canvas.playhead >= canvas.layouts[1].start
    # what is on screen is named beside the switch, never under the (native) video surface
    qtbot.waitUntil(lambda: "segment 2 of 2" in player.overlay.text())
    assert player.overlay.isVisible() and player.overlay.text().startswith("Sequence preview")
    assert not player.overlay.geometry().intersects(player.stack_host.geometry())
    player.pause()

    # back to Take and again to Sequence: the film's frame at the card shows, no Play needed
    player.mode.button_for("take").click()
    doc.select([doc.storyboard.segments[0].id])
    frames.count = 0
    canvas.set_playhead(None)
    player.mode.button_for("sequence").click()
    assert "sequence" in str(player.source)
    qtbot.waitUntil(lambda: frames.count > 0, timeout=10_000)
    assert player.player.playbackState() != PLAYING
    assert abs(player.position() - canvas.layouts[0].start) < 0.1


def test_compare_names_each_take(qtbot: QtBot, window) -> None:  # type: ignore[no-untyped-def]
    from soraboard.ui.compare import CompareDialog

    win = window
    _two_shots_generated(qtbot, win)
    doc = win.doc
    seg = doc.storyboard.segments[0]
    doc.select([seg.id])
    first = seg.chosen_take
    assert win.generation.generate([seg.id], confirm=False)
    qtbot.waitUntil(lambda: doc.storyboard.segments[0].chosen_take != first, timeout=120_000)
    second = doc.storyboard.segments[0].chosen_take
    win.takes_panel.compare_requested.emit(second, first)
    dlg = win.findChild(CompareDialog)
    assert dlg is not None
    left, right = (lbl.text() for lbl in dlg.labels)
    model = doc.takes[first].model
    assert left.startswith("<b>Take 2</b> · " + model) and right.startswith("<b>Take 1</b> · ")
    assert left.endswith("$0.00") and ":" in left  # cost, and the time it was made
    # the takes list numbers them the same way
    win.tabs.setCurrentWidget(win.takes_panel)
    qtbot.waitUntil(lambda: win.takes_panel.list.count() == 2)
    texts = [win.takes_panel.list.item(i).text() for i in range(win.takes_panel.list.count())]
    assert texts[0].startswith("Take 2 · ") and texts[1].startswith("Take 1 · ")
    dlg.close()
