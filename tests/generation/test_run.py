"""Headless runs: chains wait, independents overlap, resumes, the generation lock."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from soraboard.generation.animatic import AnimaticBackend
from soraboard.generation.engine import GenerationEngine, adoptable, run_generation
from soraboard.generation.journal import LOCK_FILE, BundleLock, LockHeld
from soraboard.generation.openai_backend import OpenAIBackend
from soraboard.model.take import TakeStatus
from soraboard.storage.bundle import load_project
from tests.generation.conftest import make_bundle
from tests.helpers.fake_videos_server import FakeVideosServer


def test_chains_wait_and_independents_overlap(tmp_path: Path, server: FakeVideosServer) -> None:
    server.state.latency = 1.0
    bundle = make_bundle(tmp_path / "Film", [False, True, False, False])
    sb = bundle.load_storyboard()
    backend = OpenAIBackend(name="fake", base_url=server.base_url, api_key="k",
                            poll_interval=0.05, concurrency=3)
    result = run_generation(GenerationEngine(bundle, backend), sb, {},
                            [s.id for s in sb.segments])
    assert result.ok, result.failures
    jobs = {j.prompt: j for j in server.state.jobs.values()}
    created = {s.id: next(j.created_at for p, j in jobs.items() if s.scene in p)
               for s in sb.segments}
    s1, s2, s3, s4 = (s.id for s in sb.segments)
    # Independents overlapped (one after another they would span two latencies) …
    assert max(created[s1], created[s3], created[s4]) - min(created[s1], created[s3],
                                                            created[s4]) < 1.0
    # … the chained one only after its predecessor's job had finished.
    assert created[s2] >= created[s1] + 1.0
    assert result.takes[s2].request.upstream_take == result.takes[s1].id
    assert sorted(server.state.creates.values()) == [1, 1, 1, 1]


def test_a_failure_blocks_the_chain_after_it(tmp_path: Path, server: FakeVideosServer) -> None:
    server.faults.fail_policy = True
    bundle = make_bundle(tmp_path / "Film", [False, True])
    sb = bundle.load_storyboard()
    backend = OpenAIBackend(name="fake", base_url=server.base_url, api_key="k",
                            poll_interval=0.05)
    result = run_generation(GenerationEngine(bundle, backend), sb, {},
                            [s.id for s in sb.segments])
    assert not result.ok
    assert "moderation" in result.failures[sb.segments[0].id]
    assert "failed" in result.failures[sb.segments[1].id]
    assert len(server.state.jobs) == 1


def test_an_animatic_run_chains_through_reference_frames(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path / "Film", [False, True])
    sb = bundle.load_storyboard()
    result = run_generation(GenerationEngine(bundle, AnimaticBackend()), sb, {},
                            [s.id for s in sb.segments])
    assert result.ok
    first, second = (result.takes[s.id] for s in sb.segments)
    assert first.cost == "0" and second.cost == "0"
    assert second.request.upstream_take == first.id
    assert second.request.reference_file and (bundle.path / second.request.reference_file).is_file()


def test_resumed_active_takes_are_not_submitted_again(tmp_path: Path, server: FakeVideosServer) -> None:
    bundle = make_bundle(tmp_path / "Film", [False])
    sb = bundle.load_storyboard()
    backend = OpenAIBackend(name="fake", base_url=server.base_url, api_key="k",
                            poll_interval=0.05)
    from soraboard.generation.backend import VideoRequest
    from soraboard.generation.engine import job_for
    from soraboard.model.take import RequestSnapshot, Take

    job = job_for(sb, 0)
    state = backend.submit(VideoRequest(job.prompt, job.model, job.size, job.seconds))
    take = Take(id="take_journaled", segment_id=job.segment_id, provider="fake",
                request=RequestSnapshot(job.prompt, job.model, job.size, job.seconds),
                job_id=state.job_id, status=TakeStatus.RUNNING, created_at=1, updated_at=1)
    bundle.write_take(take)
    project = load_project(bundle.path)
    result = run_generation(GenerationEngine(bundle, backend), sb, project.takes, [job.segment_id])
    assert result.ok
    assert result.takes[job.segment_id].id == "take_journaled"
    assert server.state.create_attempts == 1


def test_adoptable_picks_finished_takes_the_storyboard_does_not_use(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path / "Film", [False, False])
    sb = bundle.load_storyboard()
    result = run_generation(GenerationEngine(bundle, AnimaticBackend()), sb, {},
                            [sb.segments[0].id])
    project = load_project(bundle.path)
    assert adoptable(project.storyboard, project.takes) == {
        sb.segments[0].id: result.takes[sb.segments[0].id].id}


def test_the_lock_keeps_a_second_process_out(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path / "Film", [False])
    other = subprocess.Popen([sys.executable, "-c", "import time; print('up', flush=True); "
                              "time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        # running for real: just after Popen returns, the kernel may not have set the new
        # program's command line yet (the lock reads it for records without a start time)
        assert other.stdout is not None and other.stdout.readline().strip() == "up"
        (bundle.path / LOCK_FILE).write_text(json.dumps(
            {"pid": other.pid, "host": socket.gethostname(), "started": 0}))
        with pytest.raises(LockHeld, match=f"pid {other.pid}"):
            BundleLock(bundle).acquire()
    finally:
        other.kill()
        other.communicate()
    # Its process is gone now: the lock is taken over, with a log line.
    with BundleLock(bundle):
        record = json.loads((bundle.path / LOCK_FILE).read_text())
        assert record["pid"] == os.getpid()
    assert not (bundle.path / LOCK_FILE).exists()


def test_a_lock_from_another_host_is_refused(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path / "Film", [False])
    (bundle.path / LOCK_FILE).write_text(json.dumps({"pid": 1, "host": "elsewhere", "started": 0}))
    with pytest.raises(LockHeld, match="elsewhere"):
        BundleLock(bundle).acquire()


def test_another_providers_journaled_job_is_left_alone(tmp_path: Path) -> None:
    from soraboard.model.take import RequestSnapshot, Take

    bundle = make_bundle(tmp_path / "Film", [False, False])
    sb = bundle.load_storyboard()
    other = Take(id="take_other", segment_id=sb.segments[0].id, provider="litellm",
                 request=RequestSnapshot("p", "test-video", "320x180", 2.0),
                 job_id="video_elsewhere", status=TakeStatus.RUNNING, created_at=1,
                 updated_at=1)
    bundle.write_take(other)
    result = run_generation(GenerationEngine(bundle, AnimaticBackend()), sb,
                            {"take_other": other}, [s.id for s in sb.segments])
    assert "--provider litellm" in result.interrupted[sb.segments[0].id]
    assert result.takes[sb.segments[1].id].usable
    assert load_project(bundle.path).takes["take_other"] == other  # untouched, still active


def test_a_face_in_the_reference_frame_is_warned_about_before_the_create(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from soraboard.generation import frames
    from soraboard.generation.engine import EngineEvents

    monkeypatch.setattr(frames, "detect_faces", lambda img: frames.FaceCheck(True, 2))
    bundle = make_bundle(tmp_path / "Film", [False, True])
    sb = bundle.load_storyboard()
    order: list[str] = []
    events = EngineEvents(take_updated=lambda t: order.append(t.status.value),
                          warning=lambda t, text: order.append("warning: " + text))
    result = run_generation(GenerationEngine(bundle, AnimaticBackend(), events=events), sb, {},
                            [s.id for s in sb.segments])
    assert result.ok
    warnings = [i for i, o in enumerate(order) if o.startswith("warning")]
    assert len(warnings) == 1 and "2 faces" in order[warnings[0]]
    # After the journal record, before the create was answered.
    assert order[warnings[0] - 1] == "pending" and order[warnings[0] + 1] == "pending"


def test_an_unreadable_upstream_clip_fails_the_segment_before_anything_is_sent(tmp_path: Path) -> None:
    from soraboard.generation.engine import job_for
    from soraboard.generation.errors import GenerationError
    from soraboard.model.take import RequestSnapshot, Take

    bundle = make_bundle(tmp_path / "Film", [False, True])
    (bundle.media_dir / "broken.mp4").write_bytes(b"no video here")
    up = Take(id="take_up", segment_id="seg_01", provider="animatic",
              request=RequestSnapshot("p", "test-video", "320x180", 2.0),
              status=TakeStatus.DONE, file="media/broken.mp4")
    eng = GenerationEngine(bundle, AnimaticBackend())
    with pytest.raises(GenerationError, match="cannot make the reference frame"):
        eng.generate(job_for(bundle.load_storyboard(), 1, upstream=up))
    assert load_project(bundle.path).takes == {}
