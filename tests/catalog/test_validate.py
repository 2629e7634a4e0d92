"""validate(): every rule, in plain words, with the segment it concerns."""

from __future__ import annotations

from soraboard.catalog import Catalog, Severity, errors, validate
from soraboard.demos import load_demo
from soraboard.model import edits
from soraboard.model.storyboard import (
    Beat,
    Continuity,
    RefMode,
    Storyboard,
    Transition,
    TransitionType,
)

CAT = Catalog.load(use_user_file=False)


def _msgs(sb: Storyboard) -> list[str]:
    return [str(p) for p in errors(validate(sb, CAT))]


def test_the_demos_have_no_errors_and_only_the_2025_demo_is_on_retired_models() -> None:
    for name in ("city-morning", "goal", "mountain-road"):
        problems = validate(load_demo(name), CAT)
        assert errors(problems) == []
        warnings = [p for p in problems if p.severity is Severity.WARNING]
        if name == "city-morning":
            assert len(warnings) == 1 and "retired upstream on 2026-09-24" in str(warnings[0])
        else:
            assert warnings == []


def test_each_rule_names_the_segment_and_the_problem() -> None:
    sb = load_demo("city-morning")
    s = [x.id for x in sb.segments]
    sb = edits.set_segment_fields(sb, s[0], scene="", cinematography="", actions=(), audio="",
                                  dialogue="", continuity=Continuity.CHAIN).apply(sb)
    sb = edits.set_segment_fields(sb, s[1], duration=10.0, size="1792x1024").apply(sb)
    sb = edits.set_segment_fields(sb, s[2], trim_in=13.0).apply(sb)
    sb = edits.set_segment_fields(sb, s[3], actions=(Beat(0, 5, "a"), Beat(4, 13, "b"))).apply(sb)
    sb = edits.set_transition(sb, s[3], Transition(TransitionType.CROSSFADE, 7.0)).apply(sb)
    sb = edits.set_segment_fields(sb, s[4], ref_mode=RefMode.CUSTOM).apply(sb)
    sb = edits.set_storyboard_field(sb, "budget", "5").apply(sb)
    msgs = _msgs(sb)
    expected = [
        "Segment 1 “Skyline at dawn”: the prompt is empty",
        "Segment 1 “Skyline at dawn”: the first segment is chained",
        "Segment 2 “Street level”: duration 10 s is not allowed by sora-2 (4, 8 or 12 s)",
        "Segment 2 “Street level”: size 1792x1024 is not allowed by sora-2",
        "Segment 2 “Street level”: beat '[5–12 s] commuters cross",
        "Segment 3 “Cafe exterior”: trim in 13 s is outside the 12 s clip",
        "Segment 4 “Barista”: beat '[4–13 s] b' is outside the segment's 12 s",
        "Segment 4 “Barista”: beats '[0–5 s] a' and '[4–13 s] b' overlap",
        "Segment 4 “Barista”: the crossfade 7 s into segment 5 is longer than half of the shorter "
        "neighbour (6 s)",
        "Segment 5 “Coffee hand-off”: the reference is set to a custom image",
        "Storyboard: the estimate $9.60 is over the budget $5.00 by $4.60",
    ]
    for e in expected:
        assert any(m.startswith(e) for m in msgs), (e, msgs)
    assert len(msgs) == len(expected)


def test_unknown_model_and_trim_out_before_trim_in() -> None:
    sb = load_demo("mountain-road")
    s = sb.segments[0].id
    sb = edits.set_segment_fields(sb, s, model="nope", trim_in=4.0, trim_out=3.0).apply(sb)
    msgs = _msgs(sb)
    assert any("unknown model 'nope'" in m for m in msgs)
    assert any("trim out 3 s must be after trim in 4 s" in m for m in msgs)
