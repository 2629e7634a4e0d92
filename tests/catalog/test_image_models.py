"""Image models for keyframe stills in the catalog: per-image prices with their source."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from soraboard.catalog.catalog import Catalog, CatalogError


def test_builtin_image_models_have_a_price_and_its_source() -> None:
    cat = Catalog.load(use_user_file=False)
    gpt = cat.images["gpt-image-1"]
    assert gpt.usd_per_image == Decimal("0.042")
    assert all(m.price_source and m.price_date for m in cat.images.values())
    # A 16:9 clip asks for the model's widest size; a portrait one for its tallest.
    assert gpt.nearest_size(1280, 720) == "1536x1024"
    assert gpt.nearest_size(720, 1280) == "1024x1536"
    assert gpt.nearest_size(1024, 1024) == "1024x1024"


def test_a_user_file_overrides_an_image_price_and_bad_ones_are_named(tmp_path: Path) -> None:
    f = tmp_path / "models.json"
    f.write_text(json.dumps({"models": [], "image_models": [
        {"id": "gpt-image-1", "usd_per_image": "0.011"},
        {"id": "my-flux", "sizes": []}]}), "utf-8")
    cat = Catalog.load(f)
    assert cat.images["gpt-image-1"].usd_per_image == Decimal("0.011")
    assert cat.images["gpt-image-1"].sizes  # merged: the built-in sizes stay
    assert cat.images["my-flux"].usd_per_image is None  # unknown, never $0
    assert cat.images["my-flux"].nearest_size(1280, 720) is None
    f.write_text(json.dumps({"models": [], "image_models": [
        {"id": "x", "usd_per_image": "-1"}]}), "utf-8")
    with pytest.raises(CatalogError, match=r"image model 'x'.*0 or more"):
        Catalog.load(f)
