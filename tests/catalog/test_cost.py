"""The cost estimator reproduces the seed guide's figures exactly, and knows what it does not know."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from soraboard.catalog import (
    Catalog,
    CatalogError,
    estimate,
    fmt_usd,
    regenerate_cost,
    segment_cost,
)
from soraboard.catalog.catalog import reset_default_catalog
from soraboard.demos import load_demo
from soraboard.model import edits
from soraboard.model.status import storyboard_status
from soraboard.model.storyboard import Segment, Storyboard
from soraboard.model.take import RequestSnapshot, Take, TakeSource, TakeStatus

CAT = Catalog.load(use_user_file=False)


def _seg(model: str, seconds: float, size: str = "1280x720") -> Segment:
    return Segment(id=f"s{model}{seconds}{size}", model=model, size=size, duration=seconds)


@pytest.mark.parametrize(("model", "seconds", "size", "expected"), [
    ("sora-2", 4, "1280x720", "$0.40"),
    ("sora-2", 8, "720x1280", "$0.80"),
    ("sora-2", 12, "1280x720", "$1.20"),
    ("sora-2-pro", 12, "1280x720", "$3.60"),
    ("sora-2-pro", 12, "1792x1024", "$6.00"),
    ("sora-2-pro", 12, "1024x1792", "$6.00"),
])
def test_seed_guide_single_clip_figures(model: str, seconds: float, size: str, expected: str) -> None:
    assert fmt_usd(segment_cost(_seg(model, seconds, size), CAT).cost) == expected


def test_seed_guide_sixty_second_film_figures() -> None:
    sb = load_demo("city-morning")
    report = estimate(sb, CAT)
    assert report.estimate.exact == Decimal("10.80")
    assert report.what_if_cheapest.exact == Decimal("6.00")
    assert report.what_if_best.exact == Decimal("18.00")
    all_sora2 = sb
    for s in sb.segments:
        all_sora2 = edits.set_segment_field(all_sora2, s.id, "model", "sora-2").apply(all_sora2)
    assert estimate(all_sora2, CAT).estimate.exact == Decimal("6.00")
    by_model = {m.model: m.amount.exact for m in report.by_model}
    assert by_model == {"sora-2-pro": Decimal("7.20"), "sora-2": Decimal("3.60")}


def test_unknown_price_is_unknown_never_zero() -> None:
    sb = Storyboard(segments=(_seg("sora-2", 12), _seg("fal_ai/seedance-2.0-i2v", 5, "854x480"),
                              _seg("no-such-model", 4)))
    report = estimate(sb, CAT)
    assert report.segments[1].cost is None and report.segments[2].cost is None
    assert report.estimate.exact is None
    assert report.estimate.describe() == "$1.20 + 2 parts of unknown price"
    assert fmt_usd(None) == "unknown"


def test_spent_in_flight_remaining_and_budget_colour() -> None:
    sb = load_demo("city-morning")  # budget $20
    req = RequestSnapshot("p", "sora-2-pro", "1280x720", 12)
    takes = {
        "a": Take("a", sb.segments[0].id, "litellm", req, TakeStatus.DONE, cost="3.60", job_id="j1"),
        "b": Take("b", sb.segments[2].id, "litellm", req, TakeStatus.RUNNING, cost="1.20", job_id="j2"),
        "c": Take("c", sb.segments[3].id, "litellm", req, TakeStatus.FAILED, cost="1.20", job_id="j3"),
        "d": Take("d", sb.segments[4].id, "litellm", req, TakeStatus.CANCELLED, cost="0.40", job_id="j4"),
    }
    report = estimate(sb, CAT, takes)
    assert report.spent == Decimal("4.00")  # done + cancelled-after-submit (may be billed)
    assert report.in_flight == Decimal("1.20")
    assert report.remaining == Decimal("14.80")
    assert not report.over_budget and not report.near_budget
    tight = edits.set_storyboard_field(sb, "budget", "11.00").apply(sb)
    assert estimate(tight, CAT).near_budget
    over = edits.set_storyboard_field(sb, "budget", "10.00").apply(sb)
    assert estimate(over, CAT).over_budget


def test_regenerating_one_segment_counts_the_chained_segments_it_makes_stale() -> None:
    sb = load_demo("city-morning")  # 3 and 4 continue from 2
    r = regenerate_cost(sb, CAT, 1)
    assert r.stale_after == (2, 3)
    assert r.amount.exact == Decimal("3.60")
    assert r.describe() == "Regenerate 2 (+ stale 3, 4) · $3.60"
    assert regenerate_cost(sb, CAT, 4).describe() == "Regenerate 5 · $3.60"


def test_a_segment_made_of_imported_footage_costs_nothing_until_regenerated() -> None:
    sb = load_demo("city-morning")  # $10.80: 3.60 + 1.20 + 1.20 + 1.20 + 3.60
    first = sb.segments[0]
    req = RequestSnapshot(first.scene, first.model, first.size, first.duration)
    mine = Take("mine", first.id, "imported", req, TakeStatus.DONE, source=TakeSource.IMPORTED,
                cost="0", file="media/mine.mp4", media_duration=first.duration)
    sb = edits.choose_take(sb, first.id, "mine").apply(sb)
    report = estimate(sb, CAT, {"mine": mine}, storyboard_status(sb, {"mine": mine}))
    assert report.segments[0].imported and report.segments[0].cost == Decimal(0)
    assert report.estimate.exact == Decimal("7.20")
    assert report.what_if_cheapest.exact <= Decimal("7.20")
    assert report.spent == 0
    # redoing it with the model is priced as usual
    assert regenerate_cost(sb, CAT, 0).amount.exact == Decimal("3.60")


def test_to_generate_counts_missing_and_stale_only() -> None:
    sb = load_demo("mountain-road")
    report = estimate(sb, CAT, {}, storyboard_status(sb, {}))
    assert report.to_generate_count == 3 and report.to_generate.exact == Decimal("2.40")


def test_estimate_is_fast_enough_for_every_keystroke_on_300_segments() -> None:
    base = load_demo("city-morning")
    sb = Storyboard(segments=tuple(s.with_changes(id=f"s{i}") for i in range(60)
                                   for s in base.segments))
    # behaviour, not timing: the numbers scale exactly
    assert estimate(sb, CAT).estimate.exact == Decimal("10.80") * 60


def test_user_catalog_overrides_fields_and_adds_models(isolated_user_dirs: Path) -> None:
    cfg = isolated_user_dirs / "config"
    cfg.mkdir(parents=True)
    (cfg / "models.json").write_text(json.dumps({"models": [
        {"id": "sora-2", "prices": [{"sizes": ["1280x720"], "usd_per_second": "0.20"}]},
        {"id": "my-local-wan", "durations": [5], "sizes": ["832x480"], "family": "wan",
         "prices": [{"sizes": ["832x480"], "usd_per_second": "0"}]},
    ]}))
    cat = Catalog.load()
    assert cat.price_per_second("sora-2", "1280x720") == Decimal("0.20")
    assert cat["sora-2"].durations == (4.0, 8.0, 12.0)  # untouched fields kept
    assert cat.price_per_second("sora-2", "720x1280") is None  # the override replaced the tiers
    assert cat.price_per_second("my-local-wan", "832x480") == Decimal("0")
    reset_default_catalog()


def test_a_broken_user_catalog_says_which_file_and_entry(isolated_user_dirs: Path) -> None:
    cfg = isolated_user_dirs / "config"
    cfg.mkdir(parents=True)
    f = cfg / "models.json"
    f.write_text('{"models": [{"id": "x", "durations": "four", "sizes": []}]}')
    with pytest.raises(CatalogError, match=r"model 'x'.*'durations'"):
        Catalog.load()
    f.write_text('{"models": [')
    with pytest.raises(CatalogError, match=r"not valid JSON \(line 1"):
        Catalog.load()
