"""The OpenAI backend + engine against a loopback server, one fault at a time.

For each fault: the right final state, a clear message, no crash, never two jobs on the
server for one request, and the take journaled in the bundle.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from soraboard.generation.backend import VideoRequest
from soraboard.generation.engine import CancelToken, EngineEvents, GenerationEngine, job_for
from soraboard.generation.errors import Rejected
from soraboard.generation.openai_backend import OpenAIBackend
from soraboard.media.probe import probe
from soraboard.model.take import Take, TakeStatus
from soraboard.storage.bundle import Bundle, load_project
from tests.generation.conftest import make_bundle
from tests.helpers.clips import make_clip
from tests.helpers.fake_videos_server import FakeVideosServer


def backend_for(srv: FakeVideosServer, timeout: float = 2.0, key: str = "sk-test") -> OpenAIBackend:
    return OpenAIBackend(name="fake", base_url=srv.base_url, api_key=key, timeout=timeout,
                         poll_interval=0.05, download_timeout=10)


def engine_for(bundle: Bundle, backend: OpenAIBackend, seen: list[Take] | None = None,
               **kw: object) -> GenerationEngine:
    events = EngineEvents(take_updated=(seen.append if seen is not None else lambda t: None))
    opts: dict[str, object] = {"backoff_base": 0.05, "backoff_cap": 0.2, "lookup_delay": 0.05}
    opts.update(kw)
    return GenerationEngine(bundle, backend, events=events, **opts)  # type: ignore[arg-type]


def generate_one(bundle: Bundle, srv: FakeVideosServer, seen: list[Take] | None = None,
                 timeout: float = 2.0, **kw: object) -> Take:
    sb = bundle.load_storyboard()
    eng = engine_for(bundle, backend_for(srv, timeout), seen, **kw)
    return eng.generate(job_for(sb, 0))


def journaled(bundle: Bundle, take: Take) -> Take:
    """The take as recorded on disk (the journal must match what the engine returned)."""
    return load_project(bundle.path).takes[take.id]


def assert_done(bundle: Bundle, take: Take, seconds: float = 2.0) -> None:
    assert take.status is TakeStatus.DONE, take.error
    assert take.file is not None and take.usable
    info = probe(bundle.resolve(take.file))
    assert info.video is not None and info.video.size == take.request.size
    assert abs(info.duration - seconds) < 0.1
    assert journaled(bundle, take) == take


def test_happy_path_records_cost_journal_and_a_probed_file(bundle: Bundle, server: FakeVideosServer) -> None:
    seen: list[Take] = []
    take = generate_one(bundle, server, seen)
    assert_done(bundle, take)
    assert take.cost == "0.20"  # $0.10/s × 2 s, at submit time
    assert take.provider == "fake" and take.job_id and take.job_id.startswith("video_")
    assert server.max_jobs_per_prompt() == 1 and server.state.create_attempts == 1
    # The first record was written before the create: PENDING with no job id.
    assert seen[0].status is TakeStatus.PENDING and seen[0].job_id is None
    statuses = [t.status for t in seen]
    assert TakeStatus.SUBMITTED in statuses and TakeStatus.DOWNLOADING in statuses


def test_429_is_retried_after_retry_after_ms_without_a_second_job(bundle: Bundle, server: FakeVideosServer) -> None:
    server.faults.create_429 = 2
    take = generate_one(bundle, server)
    assert_done(bundle, take)
    assert server.state.create_attempts == 3
    assert server.max_jobs_per_prompt() == 1


def test_retry_after_seconds_is_honoured(bundle: Bundle, server: FakeVideosServer) -> None:
    server.faults.create_429 = 1
    server.faults.retry_after_ms = None
    server.faults.retry_after = "1"
    t0 = time.monotonic()
    take = generate_one(bundle, server)
    assert take.status is TakeStatus.DONE
    assert time.monotonic() - t0 >= 1.0  # the backoff base is 0.05 s: the header won


def test_500_that_made_no_job_is_looked_up_and_never_resent_by_itself(bundle: Bundle, server: FakeVideosServer) -> None:
    server.faults.create_500 = 1
    take = generate_one(bundle, server)
    # The answer was lost and the list shows no job yet: a provider may list a job late, so
    # the engine does not send it again by itself; the user decides.
    assert take.status is TakeStatus.UNKNOWN
    assert "shows no job from this create yet" in (take.error or "")
    assert server.state.create_attempts == 1
    lists = [p for m, p in server.state.requests if m == "GET" and p.startswith("/v1/videos?")]
    assert len(lists) == 2  # two looks, a moment apart
    assert journaled(bundle, take) == take
    # Check again (sends nothing): still no job, so nothing was billed and the take is not sent
    eng = engine_for(bundle, backend_for(server, 2.0))
    checked = eng.check_again(take)
    assert checked.status is TakeStatus.NOT_SENT and server.state.create_attempts == 1
    # and the next run sends it once
    again = eng.generate(job_for(bundle.load_storyboard(), 0))
    assert_done(bundle, again)
    assert server.state.create_attempts == 2 and server.max_jobs_per_prompt() == 1


def test_reset_before_the_job_exists_is_left_to_the_user(bundle: Bundle, server: FakeVideosServer) -> None:
    server.faults.create_reset_before = 1
    take = generate_one(bundle, server)
    assert take.status is TakeStatus.UNKNOWN
    assert server.state.create_attempts == 1 and server.max_jobs_per_prompt() == 0
    assert any(m == "GET" and p.startswith("/v1/videos?") for m, p in server.state.requests)


def test_reset_after_the_job_was_created_finds_it_instead_of_resending(bundle: Bundle, server: FakeVideosServer) -> None:
    server.faults.create_reset_after = 1
    take = generate_one(bundle, server)
    assert_done(bundle, take)
    assert server.state.create_attempts == 1  # found in GET /videos, never sent again
    assert server.max_jobs_per_prompt() == 1
    assert take.job_id in server.state.jobs


def test_slow_create_past_the_timeout_is_found_not_repeated(bundle: Bundle, server: FakeVideosServer) -> None:
    server.faults.create_slow_after = 1
    server.faults.slow_seconds = 2.0
    take = generate_one(bundle, server, timeout=0.5)
    assert_done(bundle, take)
    assert server.state.create_attempts == 1
    assert server.max_jobs_per_prompt() == 1


def test_slow_polls_past_the_timeout_keep_polling(bundle: Bundle, server: FakeVideosServer) -> None:
    server.faults.poll_slow = 2
    server.faults.slow_seconds = 1.0
    server.faults.poll_500 = 2
    take = generate_one(bundle, server, timeout=0.5)
    assert_done(bundle, take)
    assert server.max_jobs_per_prompt() == 1


def test_unknown_status_processing_means_running(bundle: Bundle, server: FakeVideosServer) -> None:
    server.state.latency = 0.6
    server.faults.status_word = "processing"
    seen: list[Take] = []
    take = generate_one(bundle, server, seen)
    assert_done(bundle, take)
    assert TakeStatus.RUNNING in [t.status for t in seen]
    assert any(0 < t.progress < 1 for t in seen)


def test_failed_with_a_policy_error_keeps_the_providers_words(bundle: Bundle, server: FakeVideosServer) -> None:
    server.faults.fail_policy = True
    take = generate_one(bundle, server)
    assert take.status is TakeStatus.FAILED and take.file is None
    assert "blocked by our moderation system" in (take.error or "")
    assert "moderation_blocked" in (take.error or "")
    assert take.error_kind == "rejected"
    assert journaled(bundle, take) == take
    assert server.max_jobs_per_prompt() == 1


def test_completed_whose_download_fails_stays_resumable_not_done(bundle: Bundle, server: FakeVideosServer) -> None:
    server.faults.completed_without_file = True
    take = generate_one(bundle, server)
    assert take.status is TakeStatus.UNDOWNLOADED and take.file is None
    assert "finished, not downloaded" in (take.error or "")
    assert take.billing == "billed"  # the job finished: it is paid for
    assert take.job_id  # kept: the file is fetched by the next run
    assert server.max_jobs_per_prompt() == 1
    assert not list((bundle.media_dir / "takes").glob("*.mp4"))
    assert not list((bundle.media_dir / "takes").glob(".*part*"))  # no temp left behind


def test_a_truncated_download_is_retried_and_then_proven(bundle: Bundle, server: FakeVideosServer) -> None:
    server.faults.truncate_downloads = 1
    take = generate_one(bundle, server)
    assert_done(bundle, take)
    assert server.state.downloads == 2


def test_a_download_that_is_always_truncated_fails_clearly(bundle: Bundle, server: FakeVideosServer) -> None:
    server.faults.truncate_downloads = 99  # a short file that probes: not a transport fault
    take = generate_one(bundle, server)
    assert take.status is TakeStatus.FAILED
    assert "no usable video" in (take.error or "")
    assert not list((bundle.media_dir / "takes").glob("*.mp4"))


def test_a_reset_in_the_middle_of_the_download_is_retried(bundle: Bundle, server: FakeVideosServer) -> None:
    server.faults.reset_download = 1
    take = generate_one(bundle, server)
    assert_done(bundle, take)


def test_expired_content_ends_expired(bundle: Bundle, server: FakeVideosServer) -> None:
    server.faults.expired_content = True
    take = generate_one(bundle, server)
    assert take.status is TakeStatus.EXPIRED
    assert "expire" in (take.error or "")
    assert take.billing == "billed"  # it reached the provider: counted as spent
    assert server.max_jobs_per_prompt() == 1


def test_a_wrong_size_reference_is_rejected_with_the_providers_message(tmp_path: Path, server: FakeVideosServer) -> None:
    png = tmp_path / "ref.png"
    cv2.imwrite(str(png), np.zeros((100, 100, 3), np.uint8))
    backend = backend_for(server)
    with pytest.raises(Rejected, match="Inpaint image must match the requested width and height"):
        backend.submit(VideoRequest("p", "test-video", "320x180", 2, reference=png))
    assert server.max_jobs_per_prompt() == 0


def test_a_chained_reference_is_sent_at_exactly_the_requested_size(tmp_path: Path, server: FakeVideosServer) -> None:
    bundle = make_bundle(tmp_path / "Film", [False, True])
    upstream_clip = bundle.media_dir / "prev.mp4"
    make_clip(upstream_clip, duration=1.0, size="640x480", audio=False)
    up = Take(id="take_up", segment_id="seg_01", provider="x",
              request=__import__("soraboard.model.take", fromlist=["RequestSnapshot"]).RequestSnapshot(
                  "p", "test-video", "640x480", 1.0),
              status=TakeStatus.DONE, file=bundle.relative(upstream_clip))
    sb = bundle.load_storyboard()
    eng = engine_for(bundle, backend_for(server))
    take = eng.generate(job_for(sb, 1, upstream=up))
    assert_done(bundle, take)
    job = server.state.jobs[take.job_id or ""]
    assert job.reference_size == (320, 180)
    assert take.request.upstream_take == "take_up"
    assert take.request.reference_file and take.request.reference_sha256
    from soraboard.generation.frames import sha256_file

    assert sha256_file(bundle.resolve(take.request.reference_file)) == take.request.reference_sha256


def test_json_create_for_fields_the_sdk_drops(tmp_path: Path, server: FakeVideosServer) -> None:
    png = tmp_path / "ref.png"
    cv2.imwrite(str(png), np.zeros((180, 320, 3), np.uint8))
    backend = backend_for(server)
    state = backend.submit(VideoRequest("p", "test-video", "320x180", 2, reference=png,
                                        extra={"last_frame": {"image_url": "data:x"}}))
    job = server.state.jobs[state.job_id]
    assert job.json_body is not None and job.json_body["last_frame"] == {"image_url": "data:x"}
    assert job.json_body["seconds"] == "2" and job.reference_size == (320, 180)


def test_a_wrong_key_is_an_auth_failure_and_nothing_is_created(bundle: Bundle, server: FakeVideosServer) -> None:
    server.faults.require_key = "sk-right"
    take = generate_one(bundle, server)
    assert take.status is TakeStatus.FAILED and take.error_kind == "auth"
    assert "Incorrect API key" in (take.error or "")
    # Sent once, not retried (retrying cannot help), and nothing was created.
    assert [r for r in server.state.requests if r[0] == "POST"] == [("POST", "/v1/videos")]
    assert server.max_jobs_per_prompt() == 0


def test_quota_exceeded_is_not_retried(bundle: Bundle, server: FakeVideosServer) -> None:
    server.faults.quota_exceeded = True
    take = generate_one(bundle, server)
    assert take.status is TakeStatus.FAILED and take.error_kind == "quota"
    assert server.state.create_attempts == 1


def test_lost_answer_without_a_job_list_is_never_resent(bundle: Bundle, server: FakeVideosServer) -> None:
    server.faults.create_reset_after = 1
    server.faults.list_broken = True
    take = generate_one(bundle, server)
    assert take.status is TakeStatus.UNKNOWN and take.billing == "possibly"
    assert "not sent again" in (take.error or "")
    assert server.state.create_attempts == 1 and server.max_jobs_per_prompt() == 1


def test_cancel_while_polling_marks_cancelled_and_warns_about_billing(bundle: Bundle, server: FakeVideosServer) -> None:
    server.state.latency = 30
    cancel = CancelToken()
    sb = bundle.load_storyboard()
    running = threading.Event()

    def on_update(t: Take) -> None:
        if t.status in (TakeStatus.QUEUED, TakeStatus.RUNNING):
            running.set()

    eng = GenerationEngine(bundle, backend_for(server), events=EngineEvents(take_updated=on_update))
    out: list[Take] = []
    th = threading.Thread(target=lambda: out.append(eng.generate(job_for(sb, 0), cancel)))
    th.start()
    assert running.wait(10)
    cancel.cancel()
    th.join(10)
    take = out[0]
    assert take.status is TakeStatus.CANCELLED
    assert "may still bill" in (take.error or "")
    assert take.billing == "billed"
    assert journaled(bundle, take) == take


def test_resume_of_a_pending_take_finds_its_job_instead_of_resubmitting(bundle: Bundle, server: FakeVideosServer) -> None:
    sb = bundle.load_storyboard()
    backend = backend_for(server)
    eng = engine_for(bundle, backend)
    job = job_for(sb, 0)
    from soraboard.model.take import RequestSnapshot

    created = time.time()
    # The process "died" after sending the create and before saving the job id.
    backend.submit(VideoRequest(job.prompt, job.model, job.size, job.seconds))
    pending = Take(id="take_lost", segment_id=job.segment_id, provider="fake",
                   request=RequestSnapshot(job.prompt, job.model, job.size, job.seconds),
                   created_at=created, updated_at=created, sent_at=created)
    bundle.write_take(pending)
    take = eng.resume(pending)
    assert_done(bundle, take)
    assert server.state.create_attempts == 1 and server.max_jobs_per_prompt() == 1


def test_resume_of_a_pending_take_that_never_reached_the_server_submits_once(bundle: Bundle, server: FakeVideosServer) -> None:
    sb = bundle.load_storyboard()
    eng = engine_for(bundle, backend_for(server))
    job = job_for(sb, 0)
    from soraboard.model.take import RequestSnapshot

    now = time.time()
    pending = Take(id="take_unsent", segment_id=job.segment_id, provider="fake",
                   request=RequestSnapshot(job.prompt, job.model, job.size, job.seconds),
                   created_at=now, updated_at=now)
    bundle.write_take(pending)
    take = eng.resume(pending)
    assert_done(bundle, take)
    assert server.state.create_attempts == 1
    # The journal says no create went out: nothing to look up, it is simply sent.
    assert not [p for m, p in server.state.requests if p.startswith("/v1/videos?")]


def test_remix_where_the_model_supports_it(bundle: Bundle, server: FakeVideosServer) -> None:
    backend = backend_for(server)
    assert backend.can_remix("test-video")
    first = backend.submit(VideoRequest("p", "test-video", "320x180", 2))
    remixed = backend.remix(first.job_id, "p, but at night")
    assert remixed.job_id != first.job_id
    assert server.state.jobs[remixed.job_id].remixed_from == first.job_id


def test_engine_remix_makes_a_new_journaled_take(bundle: Bundle, server: FakeVideosServer) -> None:
    source = generate_one(bundle, server)
    eng = engine_for(bundle, backend_for(server))
    remixed = eng.remix(source, "the same shot, at night")
    assert_done(bundle, remixed)
    assert remixed.label == f"remix of {source.id}" and remixed.id != source.id
    assert server.state.jobs[remixed.job_id or ""].remixed_from == source.job_id
    assert remixed.request.prompt == "the same shot, at night"
