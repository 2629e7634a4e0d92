"""New work starts on a current model; the seed guide's demo keeps its 2025 prices."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from soraboard.catalog.catalog import DEFAULT_MODEL, Catalog, ModelSpec, default_catalog
from soraboard.catalog.cost import estimate
from soraboard.demos import DEMOS, load_demo
from soraboard.model.storyboard import Storyboard
from soraboard.settings import Settings


def test_the_default_model_is_in_the_catalog_and_current() -> None:
    cat = default_catalog()
    assert DEFAULT_MODEL in cat and cat[DEFAULT_MODEL].retired is None
    assert Storyboard().default_model == DEFAULT_MODEL
    assert Settings().default_model == DEFAULT_MODEL
    assert cat.current_model() == DEFAULT_MODEL


def test_current_model_keeps_a_current_choice_and_replaces_a_retired_one() -> None:
    cat = default_catalog()
    assert cat["sora-2"].retired  # the premise: retired upstream
    assert cat.current_model("sora-2") == DEFAULT_MODEL
    assert cat.current_model("runwayml/gen4.5") == "runwayml/gen4.5"
    assert cat.current_model("no-such-model") == DEFAULT_MODEL
    # a catalog without the default falls back to its first current model
    only = Catalog([ModelSpec("old", "Old", "x", 1, (4.0,), ("1280x720",), (), retired="2026-01-01"),
                    ModelSpec("new", "New", "x", 1, (4.0,), ("1280x720",), ())])
    assert only.current_model() == "new"


def test_first_run_demo_and_new_demos_use_current_models() -> None:
    from soraboard.app import FIRST_RUN_DEMO

    cat = default_catalog()
    assert next(iter(DEMOS)) == FIRST_RUN_DEMO
    for name in ("goal", "mountain-road"):
        sb = load_demo(name)
        models = {sb.default_model} | {s.model for s in sb.segments}
        assert all(cat[m].retired is None for m in models), (name, models)
        assert all(cat[s.model].allows_duration(s.duration) for s in sb.segments)
        assert all(b.end <= s.duration for s in sb.segments for b in s.actions)


def test_city_morning_keeps_the_guides_price_and_says_so() -> None:
    sb = load_demo("city-morning")
    assert estimate(sb, default_catalog()).estimate.exact == Decimal("10.80")
    assert "2025 prices" in DEMOS["city-morning"]


def test_new_project_from_the_cli_is_on_a_current_model(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from soraboard.cli import main
    from soraboard.storage.bundle import load_project

    assert main(["new", str(tmp_path / "Film")]) == 0
    sb = load_project(tmp_path / "Film.soraboard").storyboard
    assert sb.default_model == DEFAULT_MODEL and sb.segments[0].model == DEFAULT_MODEL
