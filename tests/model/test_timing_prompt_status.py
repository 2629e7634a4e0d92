"""Beats, trims, the prompt composer and derived segment status."""

from __future__ import annotations

import pytest

from soraboard.demos import load_demo
from soraboard.model import edits
from soraboard.model.prompt import compose_prompt
from soraboard.model.status import SegmentState, segment_status, stale_reason
from soraboard.model.storyboard import (
    Beat,
    Continuity,
    Segment,
    Storyboard,
    Transition,
    TransitionType,
)
from soraboard.model.take import RequestSnapshot, Take, TakeSource, TakeStatus
from soraboard.model.timing import (
    BeatSyntaxError,
    beat_problems,
    film_length,
    fmt_duration,
    format_beat,
    parse_beats,
    used_duration,
)


def test_beats_parse_in_every_dash_style_and_format_back() -> None:
    beats = parse_beats("[0–4 s] she walks in\n\n[4-8s] she sits\n[8 — 12] she waves")
    assert beats == (Beat(0, 4, "she walks in"), Beat(4, 8, "she sits"), Beat(8, 12, "she waves"))
    assert format_beat(Beat(0, 2.5, "x")) == "[0–2.5 s] x"
    assert parse_beats(format_beat(Beat(1.25, 3, "y"))) == (Beat(1.25, 3, "y"),)


def test_a_bad_beat_line_names_its_line() -> None:
    with pytest.raises(BeatSyntaxError, match="line 2"):
        parse_beats("[0–4 s] ok\nno brackets here")


def test_beat_problems_outside_overlapping_backwards() -> None:
    probs = beat_problems([Beat(0, 5, "a"), Beat(4, 8, "b"), Beat(9, 13, "c"), Beat(3, 2, "d")], 12)
    text = " | ".join(probs)
    assert "overlap" in text
    assert "[9–13 s] c' is outside the segment's 12 s" in text
    assert "ends before it starts" in text
    assert beat_problems([Beat(0, 4, "a"), Beat(4, 12, "b")], 12) == []


def _seg(**kw: object) -> Segment:
    base: dict[str, object] = {"id": "s", "model": "sora-2", "size": "1280x720", "duration": 12.0}
    base.update(kw)
    return Segment(**base)  # type: ignore[arg-type]


def test_used_duration_and_film_length_follow_trims_and_transitions() -> None:
    a = _seg(id="a", trim_in=1.0, trim_out=11.0, transition_out=Transition(TransitionType.CROSSFADE, 0.5))
    b = _seg(id="b", trim_in=2.0)
    sb = Storyboard(segments=(a, b))
    assert used_duration(a) == 10.0
    assert used_duration(b) == 10.0
    assert film_length(sb) == 19.5
    # a take's real length wins over the requested duration
    take = Take("t", "b", "animatic", RequestSnapshot("", "sora-2", "1280x720", 12), TakeStatus.DONE,
                file="media/t.mp4", media_duration=8.0)
    sb2 = Storyboard(segments=(a, b.with_changes(chosen_take="t")))
    assert used_duration(sb2.segments[1], {"t": take}) == 6.0


def test_composer_unchained_segment_follows_the_guide_structure() -> None:
    sb = load_demo("city-morning")
    text = compose_prompt(sb, 0).text
    assert text.splitlines()[0] == "Style: Cinematic 35mm film, warm morning tones, shallow depth of field"
    order = [text.index(h) for h in ("Style:", "Palette:", "Scene:", "Cinematography:", "Actions:",
                                     "Audio:", "Avoid:")]
    assert order == sorted(order)
    assert "1. [0-6s]: the first light spills over the rooftops" in text
    assert "Continue from" not in text
    assert "Characters:" not in text  # the Barista is not in this shot
    assert compose_prompt(sb, 0).text == text  # deterministic


def test_composer_chained_segment_begins_with_the_continuity_line() -> None:
    sb = load_demo("city-morning")
    p = compose_prompt(sb, 3)
    first = p.text.splitlines()[0]
    assert first == "Continue from the previous frame: slow push-in to the hand-painted sign."
    assert "Characters:\n- Barista: a woman in her thirties" in p.text
    assert 'Dialogue:\n- Barista: "One flat white, coming up."' in p.text
    assert p.length == len(p.text)
    assert not p.over_limit
    assert compose_prompt(sb, 3, limit=100).over_limit


def _take(seg: Segment, sb: Storyboard, index: int, tid: str = "t1", upstream: str | None = None,
          status: TakeStatus = TakeStatus.DONE, created: float = 1.0) -> Take:
    req = RequestSnapshot(compose_prompt(sb, index).text, seg.model, seg.size, seg.duration,
                          upstream_take=upstream)
    return Take(tid, seg.id, "animatic", req, status, file=f"media/{tid}.mp4", created_at=created)


def test_status_draft_done_then_stale_when_the_prompt_changes() -> None:
    sb = load_demo("mountain-road")
    assert segment_status(sb, {}, 0).state is SegmentState.DRAFT
    t = _take(sb.segments[0], sb, 0)
    sb = edits.choose_take(sb, sb.segments[0].id, "t1").apply(sb)
    takes = {"t1": t}
    assert segment_status(sb, takes, 0).state is SegmentState.DONE
    sb2 = edits.set_segment_field(sb, sb.segments[0].id, "scene", "A different road.").apply(sb)
    st = segment_status(sb2, takes, 0)
    assert st.state is SegmentState.STALE and st.reason == "prompt edited since this take"
    sb3 = edits.set_segment_field(sb, sb.segments[0].id, "duration", 4.0).apply(sb)
    assert stale_reason(sb3, takes, 0) == "duration changed from 8 s to 4 s"


def test_choosing_another_take_upstream_makes_the_chained_successor_stale_and_undo_heals() -> None:
    sb = load_demo("mountain-road")
    a = _take(sb.segments[0], sb, 0, "a1")
    sb = edits.choose_take(sb, sb.segments[0].id, "a1").apply(sb)
    b = _take(sb.segments[1], sb, 1, "b1", upstream="a1")
    sb = edits.choose_take(sb, sb.segments[1].id, "b1").apply(sb)
    a2 = _take(sb.segments[0], sb, 0, "a2", created=2.0)
    takes = {"a1": a, "b1": b, "a2": a2}
    assert segment_status(sb, takes, 1).state is SegmentState.DONE
    e = edits.choose_take(sb, sb.segments[0].id, "a2")
    after = e.apply(sb)
    st = segment_status(after, takes, 1)
    assert st.state is SegmentState.STALE and st.reason == "segment 1's chosen take changed"
    assert segment_status(e.revert(after), takes, 1).state is SegmentState.DONE


def test_running_failed_and_imported_states() -> None:
    sb = load_demo("goal")
    seg = sb.segments[0]
    running = _take(seg, sb, 0, "r", status=TakeStatus.RUNNING).with_changes(progress=0.62)
    st = segment_status(sb, {"r": running}, 0)
    assert st.state is SegmentState.GENERATING and st.describe() == "generating 62 %"
    queued = _take(seg, sb, 0, "q", status=TakeStatus.PENDING)
    assert segment_status(sb, {"q": queued}, 0).state is SegmentState.QUEUED
    failed = _take(seg, sb, 0, "f", status=TakeStatus.FAILED).with_changes(
        error="rejected by the provider's content policy")
    st = segment_status(sb, {"f": failed}, 0)
    assert st.state is SegmentState.FAILED and "content policy" in st.reason
    imported = Take("i", seg.id, "imported", RequestSnapshot("", "x", "1x1", 3), TakeStatus.DONE,
                    source=TakeSource.IMPORTED, file="media/i.mp4", media_duration=3)
    sb2 = edits.set_segment_fields(sb, seg.id, chosen_take="i", scene="changed").apply(sb)
    assert segment_status(sb2, {"i": imported}, 0).state is SegmentState.DONE


def test_chain_after_lists_only_the_continuing_run() -> None:
    sb = load_demo("city-morning")
    assert sb.chain_after(1) == [2, 3]
    assert sb.chain_after(3) == []
    sb2 = edits.set_segment_field(sb, sb.segments[4].id, "continuity", Continuity.CHAIN).apply(sb)
    assert sb2.chain_after(1) == [2, 3, 4]


def test_fmt_duration_reads_like_a_person_would_say_it() -> None:
    assert fmt_duration(0.4) == "0 s"
    assert fmt_duration(44.6) == "45 s"
    assert fmt_duration(134) == "2 min 14 s"
    assert fmt_duration(3780) == "1 h 03 min"
