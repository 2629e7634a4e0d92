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
    # priced at the dearest medium size soraboard asks for (1536x1024 or 1024x1536: $0.063,
    # a square still $0.042), and every request asks for that quality: the default ("auto")
    # may bill a high-quality image at $0.167-0.25, more than the estimate said
    assert gpt.usd_per_image == Decimal("0.063") and gpt.quality == "medium"
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


def test_every_image_price_has_a_dated_source_or_says_it_is_an_estimate() -> None:
    cat = Catalog.load(use_user_file=False)
    assert {"gpt-image-1", "gemini/gemini-2.5-flash-image",
            "vertex_ai/imagen-4.0-generate-001"} <= set(cat.images)
    for m in cat.images.values():
        assert m.usd_per_image is not None, m.id
        assert m.price_date, m.id
        if m.price_estimate:  # no source found: the wording never presents it as fact
            assert m.price_wording().startswith("an estimate"), m.id
        else:  # a source a reader can open: a URL, or a file of a named release
            assert "http" in m.price_source or "litellm" in m.price_source.lower(), m.id
            assert m.price_wording().startswith("list price from "), m.id
            assert m.price_date in m.price_wording()
    # Imagen 4's $0.04 is only quoted second-hand: an estimate, and it says so
    imagen = cat.images["vertex_ai/imagen-4.0-generate-001"]
    assert imagen.price_estimate and "estimate" in imagen.price_wording()
    # the sourced prices, as LiteLLM 1.109.1's price map has them
    assert cat.images["gemini/gemini-2.5-flash-image"].usd_per_image == Decimal("0.039")
    assert cat.images["black_forest_labs/flux-pro-1.1"].usd_per_image == Decimal("0.04")
    assert "medium/1024-x-1024/gpt-image-1" in cat.images["gpt-image-1"].price_source


def test_the_stills_estimate_uses_the_catalogs_price() -> None:
    from soraboard.catalog.cost import stills_cost

    cat = Catalog.load(use_user_file=False)
    for m in cat.images.values():
        assert m.usd_per_image is not None
        assert stills_cost(cat, m.id, 5).exact == m.usd_per_image * 5


def test_an_unknown_or_estimated_price_is_worded_as_such(tmp_path: Path) -> None:
    f = tmp_path / "models.json"
    f.write_text(json.dumps({"models": [], "image_models": [
        {"id": "guess", "usd_per_image": "0.05", "price_estimate": True},
        {"id": "none"}, {"id": "bad", "price_estimate": "yes"}]}), "utf-8")
    with pytest.raises(CatalogError, match="price_estimate"):
        Catalog.load(f)
    f.write_text(json.dumps({"models": [], "image_models": [
        {"id": "guess", "usd_per_image": "0.05", "price_estimate": True},
        {"id": "none"}]}), "utf-8")
    cat = Catalog.load(f)
    assert cat.images["guess"].price_wording() == "an estimate, no published price found"
    assert cat.images["none"].price_wording() == "no known price"


def test_video_model_latencies_are_marked_as_estimates() -> None:
    cat = Catalog.load(use_user_file=False)
    for m in cat.values():
        assert m.typical_latency is not None and m.latency_is_estimate, m.id
