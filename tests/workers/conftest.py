"""The generation tests' test model, for the worker tests too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.generation.conftest import TEST_MODEL


@pytest.fixture(autouse=True)
def test_catalog(isolated_user_dirs: Path) -> Path:
    from soraboard.catalog.catalog import reset_default_catalog

    cfg = isolated_user_dirs / "config"
    cfg.mkdir(parents=True, exist_ok=True)
    (cfg / "models.json").write_text(json.dumps({"models": [TEST_MODEL]}), "utf-8")
    reset_default_catalog()
    return cfg / "models.json"
