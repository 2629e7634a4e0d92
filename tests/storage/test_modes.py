"""Atomic writes give files the permissions a normal save would (issue 13 item 13)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from soraboard.demos import load_demo
from soraboard.model.take import RequestSnapshot, Take, TakeStatus
from soraboard.storage import Bundle
from soraboard.storage.atomic import atomic_write_bytes, current_umask


@pytest.fixture
def umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_storyboard_take_and_history_follow_the_umask(tmp_path: Path, umask: None) -> None:
    b = Bundle.create(tmp_path / "Film", load_demo("city-morning"))
    assert _mode(b.storyboard_file) == 0o644
    sb = b.load_storyboard()
    b.write_take(Take("take_1", sb.segments[0].id, "animatic",
                      RequestSnapshot("p", "m", "1280x720", 4.0, None, None, None),
                      TakeStatus.QUEUED, created_at=1.0))
    assert _mode(b.take_file("take_1")) == 0o644
    b.save(sb.__class__(title="other", segments=sb.segments))
    assert [_mode(h) for h in b.history()] == [0o644]
    os.umask(0o027)
    assert current_umask() == 0o027
    atomic_write_bytes(tmp_path / "new.json", b"{}")
    assert _mode(tmp_path / "new.json") == 0o640


def test_replacing_a_file_keeps_its_mode(tmp_path: Path, umask: None) -> None:
    f = tmp_path / "shared.json"
    f.write_text("{}")
    f.chmod(0o664)
    atomic_write_bytes(f, b"[]")
    assert _mode(f) == 0o664 and f.read_bytes() == b"[]"
