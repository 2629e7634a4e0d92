"""The pure scheduler: chains wait, independents overlap, stale propagation, budget guard."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from soraboard.catalog.catalog import default_catalog
from soraboard.generation.scheduler import (
    Mode,
    check_budget,
    critical_path,
    decide,
    plan_segments,
    stale_after,
    stale_reasons,
)
from soraboard.model.status import SegmentState, segment_status
from soraboard.model.storyboard import Storyboard
from soraboard.model.take import RequestSnapshot, Take, TakeStatus
from tests.generation.conftest import seg


def board(chains: list[bool], budget: str | None = None) -> Storyboard:
    return Storyboard(segments=tuple(seg(i + 1, chain=c) for i, c in enumerate(chains)),
                      budget=budget)


def done_take(sb: Storyboard, index: int, take_id: str, upstream: str | None = None) -> Take:
    from soraboard.model.prompt import compose_prompt

    s = sb.segments[index]
    return Take(id=take_id, segment_id=s.id, provider="p", created_at=float(index),
                request=RequestSnapshot(compose_prompt(sb, index).text, s.model, s.size,
                                        s.duration, upstream_take=upstream),
                status=TakeStatus.DONE, file=f"media/takes/{take_id}.mp4", cost="0.20")


def ids(sb: Storyboard, *indices: int) -> list[str]:
    return [sb.segments[i].id for i in indices]


def test_independent_segments_start_at_once_up_to_the_concurrency_limit() -> None:
    sb = board([False, False, False, False])
    pending = ids(sb, 0, 1, 2, 3)
    d = decide(sb, {}, pending, {}, {}, dict.fromkeys(pending, "p"), {"p": 3})
    assert list(d.ready) == ids(sb, 0, 1, 2)
    assert "free slot" in d.waiting[sb.segments[3].id]
    # One already running on the provider leaves two slots.
    d = decide(sb, {}, pending[1:], {pending[0]: "p"}, {}, dict.fromkeys(pending, "p"), {"p": 3})
    assert list(d.ready) == ids(sb, 1, 2)


def test_limits_are_per_provider() -> None:
    sb = board([False, False, False])
    pending = ids(sb, 0, 1, 2)
    provider_of = {pending[0]: "a", pending[1]: "a", pending[2]: "b"}
    d = decide(sb, {}, pending, {}, {}, provider_of, {"a": 1, "b": 1})
    assert list(d.ready) == [pending[0], pending[2]]


def test_a_chained_segment_waits_for_its_predecessor_in_the_run() -> None:
    sb = board([False, True, True, False])
    pending = ids(sb, 0, 1, 2, 3)
    d = decide(sb, {}, pending, {}, {}, dict.fromkeys(pending, "p"), {"p": 4})
    assert list(d.ready) == ids(sb, 0, 3)
    assert "waits for segment 1" in d.waiting[pending[1]]
    assert "waits for segment 2" in d.waiting[pending[2]]
    # The predecessor finished in this run: the overlay makes its take the chosen one.
    t0 = done_take(sb, 0, "take_a")
    d = decide(sb, {"take_a": t0}, pending[1:3], {pending[3]: "p"}, {pending[0]: "take_a"},
               dict.fromkeys(pending, "p"), {"p": 4})
    assert list(d.ready) == [pending[1]]
    assert pending[2] in d.waiting


def test_a_chain_after_a_failure_is_blocked_with_the_reason() -> None:
    sb = board([False, True, True])
    pending = ids(sb, 1, 2)
    d = decide(sb, {}, pending, {}, {}, dict.fromkeys(pending, "p"), {"p": 2},
               failed={sb.segments[0].id})
    assert "segment 1 failed" in d.blocked[pending[0]]
    assert pending[1] in d.blocked  # the chain after it is blocked too
    assert d.ready == ()


def test_a_chained_segment_whose_predecessor_has_no_take_is_blocked() -> None:
    sb = board([False, True])
    d = decide(sb, {}, ids(sb, 1), {}, {}, {}, {"": 1})
    assert "no usable take" in d.blocked[sb.segments[1].id]


def test_a_chained_segment_uses_the_storyboard_choice_when_its_predecessor_is_not_planned() -> None:
    sb = board([False, True])
    t0 = done_take(sb, 0, "take_a")
    sb = replace(sb, segments=(sb.segments[0].with_changes(chosen_take="take_a"), sb.segments[1]))
    d = decide(sb, {"take_a": t0}, ids(sb, 1), {}, {}, {}, {"": 1})
    assert d.ready == (sb.segments[1].id,)


def test_plan_modes() -> None:
    sb = board([False, True, False, True])
    assert plan_segments(sb, {}, Mode.ALL) == ids(sb, 0, 1, 2, 3)
    assert plan_segments(sb, {}, Mode.SELECTED, ids(sb, 2)) == ids(sb, 2)
    assert plan_segments(sb, {}, Mode.REGENERATE_ONE, ids(sb, 1)) == ids(sb, 1)
    with pytest.raises(ValueError):
        plan_segments(sb, {}, Mode.REGENERATE_ONE, ids(sb, 0, 1))
    with pytest.raises(KeyError):
        plan_segments(sb, {}, Mode.SELECTED, ["seg_nope"])
    # Missing-or-stale: 0 and 1 are done and current, 2 is missing → 2 and the chain after it.
    t0, t1 = done_take(sb, 0, "take_0"), done_take(sb, 1, "take_1", upstream="take_0")
    sb = replace(sb, segments=(sb.segments[0].with_changes(chosen_take="take_0"),
                               sb.segments[1].with_changes(chosen_take="take_1"),
                               *sb.segments[2:]))
    takes = {"take_0": t0, "take_1": t1}
    assert plan_segments(sb, takes, Mode.MISSING_OR_STALE) == ids(sb, 2, 3)


def test_a_new_take_upstream_makes_the_chain_after_it_stale_with_the_reason() -> None:
    sb = board([False, True, True, False])
    t0 = done_take(sb, 0, "take_0")
    t1 = done_take(sb, 1, "take_1", upstream="take_0")
    t0b = done_take(sb, 0, "take_0b")
    sb = replace(sb, segments=(sb.segments[0].with_changes(chosen_take="take_0"),
                               sb.segments[1].with_changes(chosen_take="take_1"),
                               *sb.segments[2:]))
    takes = {"take_0": t0, "take_1": t1, "take_0b": t0b}
    assert stale_reasons(sb, takes) == {}
    # Choosing (or regenerating into) another take of segment 1 makes segment 2 stale.
    reasons = stale_reasons(sb, takes, {sb.segments[0].id: "take_0b"})
    assert reasons == {sb.segments[1].id: "segment 1's chosen take changed"}
    assert [i for i, _ in stale_after(sb, 0)] == [1, 2]
    assert stale_after(sb, 2) == []
    # The derived status agrees.
    sb2 = replace(sb, segments=(sb.segments[0].with_changes(chosen_take="take_0b"),
                                *sb.segments[1:]))
    assert segment_status(sb2, takes, 1).state is SegmentState.STALE


def test_critical_path_groups_chains() -> None:
    sb = board([False, True, True, False, True, False])
    assert critical_path(sb, ids(sb, 0, 1, 2, 3, 4, 5)) == [
        ids(sb, 0, 1, 2), ids(sb, 3, 4), ids(sb, 5)]


def test_budget_guard() -> None:
    cat = default_catalog()
    sb = board([False, False], budget="0.30")
    everything = ids(sb, 0, 1)
    check = check_budget(sb, {}, cat, everything)
    assert check.cost.known == Decimal("0.40")
    assert check.needs_confirmation and check.refused is None
    assert not check_budget(sb, {}, cat, ids(sb, 0)).needs_confirmation
    # What was already spent counts against the budget.
    spent = {"t": done_take(sb, 0, "t")}
    assert check_budget(sb, spent, cat, ids(sb, 1)).needs_confirmation
    # --max-cost refuses, whatever is confirmed.
    refused = check_budget(sb, {}, cat, everything, max_cost=Decimal("0.39"))
    assert refused.refused and "more than --max-cost" in refused.refused
    # The animatic is free: nothing to confirm.
    free = check_budget(sb, {}, cat, everything, free=True)
    assert free.cost.known == 0 and not free.needs_confirmation
    # An unknown price needs confirmation and cannot be held under a cap.
    odd = Storyboard(segments=(seg(1, size="999x999"),))
    assert check_budget(odd, {}, cat, ids(odd, 0)).needs_confirmation
    assert check_budget(odd, {}, cat, ids(odd, 0), max_cost=Decimal(5)).refused
