"""Adaptive polling (issue 17.7): a finished job is seen within about a second, long jobs are
asked at most every few seconds, a 429 on a poll slows the polls down."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from soraboard.generation.engine import GenerationEngine, job_for
from soraboard.generation.openai_backend import OpenAIBackend
from soraboard.generation.polling import LatencyBook, PollPlan
from soraboard.model.take import TakeStatus
from tests.generation.conftest import make_bundle
from tests.helpers.fake_videos_server import FakeVideosServer


def simulate(plan: PollPlan, latency: float, report_progress: bool = True,
             limit: int = 10_000) -> tuple[list[float], float]:
    """Poll a simulated job of ``latency`` seconds whose progress is reported in whole
    percent (as servers do): the times of every look, and how late the end was seen."""
    t = 0.0
    looks: list[float] = []
    for _ in range(limit):
        t += plan.next_wait(t)
        looks.append(t)
        if t >= latency:
            return looks, t - latency
        pct = int(100 * t / latency) / 100 if report_progress else 0.0
        plan.observe(t, pct)
    raise AssertionError("never finished")


@pytest.mark.parametrize("latency", [3.0, 8.0, 45.0, 300.0, 900.0])
def test_the_end_is_seen_within_a_second_with_few_looks(latency: float) -> None:
    looks, late = simulate(PollPlan(cap=5.0), latency)
    assert late <= 1.0
    # On a long job, no more than one look every few seconds on average.
    if latency >= 45:
        assert latency / len(looks) >= 3.0, (latency, len(looks))
    gaps = [b - a for a, b in itertools.pairwise(looks)]
    assert max(gaps, default=0) <= 5.0
    assert looks[0] <= 1.0  # soon after the create


def test_without_progress_the_models_typical_latency_paces_the_polls() -> None:
    looks, late = simulate(PollPlan(cap=5.0, expected=60.0), 60.0, report_progress=False)
    assert looks[0] <= 1.0  # soon after the create, even when a long job is expected
    plan = PollPlan(cap=5.0, expected=60.0)
    plan.observe(0.0, 0.0)  # the create's own answer: queued
    assert plan.next_wait(0.0) == pytest.approx(1.0)
    assert late <= 1.0
    assert 60.0 / len(looks) >= 3.0
    # Knowing nothing at all, it still never waits more than the cap.
    looks, late = simulate(PollPlan(cap=5.0), 60.0, report_progress=False)
    assert late <= 5.0 and len(looks) <= 25


def test_a_late_job_is_asked_less_often_the_later_it_runs() -> None:
    looks, _late = simulate(PollPlan(cap=5.0, expected=10.0), 100.0, report_progress=False)
    gaps = [b - a for a, b in itertools.pairwise(looks)]
    assert gaps[-1] == pytest.approx(5.0)
    assert len(looks) < 40


def test_a_throttled_poll_backs_off_and_recovers() -> None:
    plan = PollPlan(cap=2.0)
    assert plan.throttled(None) == 2.0
    assert plan.throttled(0.5) == 4.0
    assert plan.throttled(30.0) == 30.0  # the server's Retry-After wins when longer
    assert plan.next_wait(10.0) >= 8.0
    for n in range(6):
        plan.observe(10.0 + n, 0.0)
    assert plan.next_wait(20.0) <= 2.0


def test_latency_book_learns_per_model() -> None:
    book = LatencyBook()
    assert book.get("m") is None
    book.learn("m", 10.0)
    book.learn("m", 20.0)
    assert book.get("m") == pytest.approx(15.0)
    assert book.get("other") is None


def _generate_one(tmp_path: Path, server: FakeVideosServer,
                  poll_interval: float) -> tuple[GenerationEngine, float]:
    bundle = make_bundle(tmp_path / "Film", [False])
    sb = bundle.load_storyboard()
    backend = OpenAIBackend(name="fake", base_url=server.base_url, api_key="k",
                            poll_interval=poll_interval)
    engine = GenerationEngine(bundle, backend)
    take = engine.generate(job_for(sb, 0))
    assert take.status is TakeStatus.DONE, take.error
    job = next(iter(server.state.jobs.values()))
    finished = job.started + job.latency
    seen = min(t for t in server.state.poll_times if t >= finished)
    return engine, seen - finished


def test_a_finished_job_is_seen_within_a_second_at_the_default_interval(
        tmp_path: Path, server: FakeVideosServer) -> None:
    # A 3 s job with the profile's default 5 s interval: a fixed poll would see it at +5 s.
    server.state.latency = 3.0
    engine, late = _generate_one(tmp_path, server, poll_interval=5.0)
    assert late <= 1.2, late
    assert server.state.polls <= 6
    # What the job took is remembered for the next job of this model.
    assert engine.latencies.get("test-video") == pytest.approx(3.0, abs=1.3)


def test_a_429_on_a_poll_backs_off(tmp_path: Path, server: FakeVideosServer) -> None:
    server.state.latency = 0.5
    server.faults.poll_429 = 2
    server.faults.retry_after_ms = "200"
    _engine, _late = _generate_one(tmp_path, server, poll_interval=0.05)
    times = server.state.poll_times
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # The two throttled polls were followed by waits of at least 1 s, then 2 s (doubling),
    # not the 0.2 s the header asked for nor the 0.05 s interval.
    assert gaps[0] >= 1.0 and gaps[1] >= 2.0, gaps
