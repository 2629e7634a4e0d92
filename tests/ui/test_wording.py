"""Words that agree with what happens: plurals, the dialogue hint, the Regenerate button and
its confirmation, the toolbar's estimate."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from soraboard.model.status import SegmentState
from soraboard.model.words import plural
from tests.ui.scripted_ask import ScriptedAsk


def test_plural() -> None:
    assert plural(1, "segment") == "1 segment"
    assert plural(0, "segment") == "0 segments"
    assert plural(2, "warning") == "2 warnings"
    assert plural(3, "box", "boxes") == "3 boxes"


def test_one_segment_is_not_segments(window) -> None:  # type: ignore[no-untyped-def]
    win = window
    doc = win.doc
    doc.delete([s.id for s in doc.storyboard.segments[1:]])
    assert win.timeline_info.text().startswith("1 segment · ")
    assert "0 chained links" in win.timeline_info.text()
    assert win.status_left.text().startswith("1 segment · ")


def test_the_dialogue_hint_follows_the_duration(window) -> None:  # type: ignore[no-untyped-def]
    win = window
    seg = win.doc.storyboard.segments[0]
    win.doc.select([seg.id])
    win.doc.set_fields(seg.id, model="sora-2", duration=4.0, actions=())
    assert win.inspector.dialogue.placeholderText() == '[0–2 s] Name: "a short line" — at most one fits 4 s'
    win.doc.set_fields(seg.id, duration=8.0)
    assert win.inspector.dialogue.placeholderText() == '[0–2 s] Name: "a short line" — one or two lines fit 8 s'
    win.doc.set_fields(seg.id, duration=12.0)
    assert win.inspector.dialogue.placeholderText() == '[0–2 s] Name: "a short line" — up to 3 lines fit 12 s'


def test_regenerate_button_and_its_confirmation_agree(qtbot: QtBot, window) -> None:  # type: ignore[no-untyped-def]
    win = window
    doc = win.doc
    sb = doc.storyboard
    # segment 2 is followed by 3 and 4, which continue from it
    assert sb.chain_after(1) == [2, 3]
    seg = sb.segments[1]
    doc.set_fields(seg.id, duration=4.0, actions=())
    assert win.generation.generate([seg.id], confirm=False)
    # done, and its job let go (a segment whose job still runs is not generated again)
    qtbot.waitUntil(lambda: doc.statuses()[1].state is SegmentState.DONE
                    and not win.generation.active_segments(), timeout=120_000)
    doc.select([seg.id])
    button = win.inspector.generate_btn.text()
    assert button == "Regenerate 2 (+ stale 3, 4) · est. $2.80"  # (4 s + 2 × 12 s) × $0.10

    ask = ScriptedAsk([False])
    win.generation.ask = ask
    win.inspector.generate_btn.click()
    asked = ask.asked[0]
    assert asked.startswith("confirm: Generate: Generate 3 segments (2, 3, 4) with the animatic")
    assert "est. $2.80" in asked
    assert "In sequence, each from the last frame of the one before: 3 after 2, 4 after 3." in asked
    assert doc.statuses()[2].state is not SegmentState.GENERATING  # the creator said no


def test_the_toolbar_says_its_price_is_an_estimate(window, project_path: Path) -> None:  # type: ignore[no-untyped-def]
    win = window
    gen = win.actions_by_id["generate.missing"]
    assert gen.text() == "Generate missing && stale · est. $10.80"
    assert "animatic backend renders them offline for $0" in gen.toolTip()
