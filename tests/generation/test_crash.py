"""kill -9 in the middle of a run, then run again: nothing lost, nothing paid twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from soraboard.generation.journal import LOCK_FILE
from soraboard.generation.providers import ProviderProfile, save_profile
from soraboard.storage.bundle import load_project
from tests.generation.conftest import make_bundle
from tests.helpers.fake_videos_server import FakeVideosServer


def _generate_cmd(project: Path) -> list[str]:
    return [sys.executable, "-m", "soraboard", "generate", str(project), "--provider", "fake",
            "--yes"]


def _wait_for(predicate: object, timeout: float) -> None:
    # A subprocess, not the GUI: polling the server's counters is the only way to watch it.
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the subprocess")
        time.sleep(0.02)


@pytest.mark.slow
def test_sigkill_while_polling_then_rerun_creates_each_segment_once(tmp_path: Path, clip_cache: Path) -> None:
    with FakeVideosServer(clip_cache, latency=2.0) as srv:
        save_profile(ProviderProfile("fake", srv.base_url, needs_key=False, poll_interval=0.05,
                                     timeout=5.0, concurrency=2))
        bundle = make_bundle(tmp_path / "Film", [False, True, False, True])
        sb = bundle.load_storyboard()
        proc = subprocess.Popen(_generate_cmd(bundle.path), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=os.environ.copy())
        try:
            # Two independent segments start at once; kill while both are being polled.
            _wait_for(lambda: len(srv.state.jobs) >= 2 and srv.state.polls >= 4, 60)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        assert proc.returncode == -signal.SIGKILL
        journal = load_project(bundle.path).takes
        active = [t for t in journal.values() if t.status.is_active]
        assert len(active) == 2 and all(t.job_id for t in active)
        assert (bundle.path / LOCK_FILE).exists()  # left behind by the dead process

        second = subprocess.run(_generate_cmd(bundle.path), capture_output=True, text=True,
                                env=os.environ.copy(), timeout=120)
        assert second.returncode == 0, second.stderr + second.stdout
        assert "taking over the lock of soraboard generate" in second.stderr

        # Exactly one create per segment, ever.
        assert sorted(srv.state.creates.values()) == [1, 1, 1, 1]
        project = load_project(bundle.path)
        for seg in project.storyboard.segments:
            assert seg.chosen_take is not None, seg.id
            take = project.takes[seg.chosen_take]
            assert take.usable and bundle.resolve(take.file or "").is_file()
        # The chained segments continue from the takes that were chosen before them.
        segs = project.storyboard.segments
        assert project.takes[segs[1].chosen_take or ""].request.upstream_take == segs[0].chosen_take
        assert project.takes[segs[3].chosen_take or ""].request.upstream_take == segs[2].chosen_take
        assert len(sb.segments) == 4
        assert not (bundle.path / LOCK_FILE).exists()


@pytest.mark.slow
@pytest.mark.parametrize("list_hidden", [False, True], ids=["listed", "behind-litellm"])
def test_sigkill_between_send_and_answer_then_rerun_never_pays_twice(tmp_path: Path, clip_cache: Path, list_hidden: bool) -> None:
    with FakeVideosServer(clip_cache, latency=0.3) as srv:
        save_profile(ProviderProfile("fake", srv.base_url, needs_key=False, poll_interval=0.05,
                                     timeout=60.0, concurrency=2))
        srv.faults.create_slow_after = 2  # both creates make their job, then hang
        srv.faults.slow_seconds = 30.0
        srv.faults.list_hidden = list_hidden
        bundle = make_bundle(tmp_path / "Film", [False, False])
        proc = subprocess.Popen(_generate_cmd(bundle.path), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=os.environ.copy())
        try:
            _wait_for(lambda: len(srv.state.create_log) >= 2, 60)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        journal = load_project(bundle.path).takes
        assert len(journal) == 2
        assert all(t.status.value == "pending" and t.sent_at and not t.job_id
                   for t in journal.values())

        second = subprocess.run(_generate_cmd(bundle.path), capture_output=True, text=True,
                                env=os.environ.copy(), timeout=120)
        # One job per prompt, whatever the list could tell.
        assert sorted(srv.state.creates.values()) == [1, 1]
        assert srv.state.create_attempts == 2
        project = load_project(bundle.path)
        if not list_hidden:
            assert second.returncode == 0, second.stderr + second.stdout
            made = {job_id for _p, _k, job_id, _t in srv.state.create_log}
            chosen = {project.takes[s.chosen_take or ""].job_id
                      for s in project.storyboard.segments}
            assert chosen == made
        else:
            assert second.returncode == 1
            assert second.stdout.count("outcome unknown — may be billed") == 2
            assert "--send-again 1" in second.stdout and "possibly billed $0.40" in second.stdout
            assert all(t.status.value == "unknown" for t in project.takes.values())
