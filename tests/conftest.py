"""Fixtures every test gets: user directories and the keyring point at tmp_path.

No test may read or write the real config, cache or keyring of the machine it runs on.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import pytest

from tests.helpers.memory_keyring import MemoryKeyring

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point every user directory (config, data, cache, logs) at a fresh folder."""
    home = tmp_path / "soraboard-home"
    monkeypatch.setenv("SORABOARD_HOME", str(home))
    from soraboard.catalog.catalog import reset_default_catalog

    reset_default_catalog()
    yield home
    reset_default_catalog()


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """An in-memory keyring: secrets never touch the machine's keyring or a file."""
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)
