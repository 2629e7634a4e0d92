"""Never pay twice behind a real gateway (issue 14): the three outcomes of a create.

The real ``openai`` client against the loopback server playing LiteLLM's cases: a create that
is accepted and then answered 500 / reset / timed out, a job list that cannot be read, decoy
jobs of the same prompt, wrapped errors, download outages. For each: the creates per prompt
in the server's log (exactly one), the take's final state and the ledger.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest

from soraboard.catalog.catalog import default_catalog
from soraboard.catalog.cost import estimate
from soraboard.generation.backend import VideoRequest
from soraboard.generation.engine import (
    CancelToken,
    GenerationEngine,
    Interrupted,
    job_for,
    run_generation,
)
from soraboard.generation.errors import Rejected, Transient
from soraboard.generation.openai_backend import OpenAIBackend, map_error, unwrap_message
from soraboard.model.take import Take, TakeStatus
from soraboard.storage.bundle import Bundle, load_project
from tests.generation.conftest import make_bundle
from tests.generation.test_faults import assert_done, backend_for, engine_for, journaled
from tests.helpers.fake_videos_server import FakeVideosServer


def _run(bundle: Bundle, srv: FakeVideosServer, eng: GenerationEngine | None = None,
         **kw: object) -> Take:
    sb = bundle.load_storyboard()
    eng = eng or engine_for(bundle, backend_for(srv), **kw)
    return eng.generate(job_for(sb, 0))


def _ledger(bundle: Bundle) -> tuple[Decimal, Decimal, Decimal]:
    project = load_project(bundle.path)
    rep = estimate(project.storyboard, default_catalog(), project.takes)
    return rep.spent, rep.in_flight, rep.possibly_billed


# ----------------------------------------------------------------------------- unknown outcomes


@pytest.mark.parametrize("fault", ["create_500_after", "create_reset_after", "timeout"])
def test_an_accepted_create_with_a_lost_answer_behind_litellm_is_unknown_never_resent(
        bundle: Bundle, server: FakeVideosServer, fault: str) -> None:
    server.faults.list_hidden = True  # LiteLLM cannot list jobs
    server.faults.litellm_errors = True
    if fault == "timeout":
        server.faults.create_slow_after = 1
        server.faults.slow_seconds = 2.0
    else:
        setattr(server.faults, fault, 1)
    take = _run(bundle, server, eng=engine_for(bundle, backend_for(server, timeout=0.5),
                                               lookup_delay=0.05))
    assert take.status is TakeStatus.UNKNOWN, take.error
    assert take.error and take.error.startswith("outcome unknown — may be billed")
    assert "LLM Provider NOT provided" in take.error  # why the list could not tell
    assert take.sent_at is not None and take.job_id is None
    assert server.state.create_attempts == 1 and server.max_jobs_per_prompt() == 1
    assert journaled(bundle, take) == take
    # The ledger counts it as possibly billed, not as spent, and budget checks see it.
    assert _ledger(bundle) == (Decimal(0), Decimal(0), Decimal("0.20"))


def test_a_500_after_the_job_was_made_adopts_that_job(bundle: Bundle, server: FakeVideosServer) -> None:
    server.faults.create_500_after = 1
    take = _run(bundle, server)
    assert_done(bundle, take)
    assert server.state.create_attempts == 1 and server.max_jobs_per_prompt() == 1
    assert take.job_id == server.state.create_log[0][2]
    assert _ledger(bundle) == (Decimal("0.20"), Decimal(0), Decimal(0))


def test_an_older_same_prompt_job_is_not_adopted(bundle: Bundle, server: FakeVideosServer) -> None:
    sb = bundle.load_storyboard()
    prompt = job_for(sb, 0).prompt
    decoy = server.add_job(prompt, age=60)  # another project's job, a minute earlier
    server.faults.create_500_after = 1
    take = _run(bundle, server)
    assert_done(bundle, take)
    assert take.job_id != decoy and take.job_id == server.state.create_log[0][2]
    assert server.state.create_attempts == 1


def test_two_jobs_that_could_be_ours_are_shown_not_guessed(bundle: Bundle, server: FakeVideosServer) -> None:
    sb = bundle.load_storyboard()
    prompt = job_for(sb, 0).prompt
    decoy = server.add_job(prompt, age=1)  # made a second before our send: within the clock slack
    server.faults.create_500_after = 1
    take = _run(bundle, server)
    assert take.status is TakeStatus.UNKNOWN
    made = server.state.create_log[0][2]
    assert decoy in (take.error or "") and made in (take.error or "")
    assert "none was taken" in (take.error or "")
    assert server.state.create_attempts == 1


def test_a_different_model_size_or_duration_is_not_adopted(bundle: Bundle, server: FakeVideosServer) -> None:
    sb = bundle.load_storyboard()
    prompt = job_for(sb, 0).prompt
    server.add_job(prompt, size="640x360")
    server.add_job(prompt, seconds="3")
    server.add_job(prompt, model="other-model")
    server.faults.create_500_after = 1
    take = _run(bundle, server)
    assert_done(bundle, take)
    assert take.job_id == server.state.create_log[0][2]


def test_every_create_of_a_take_carries_the_same_idempotency_key(bundle: Bundle, server: FakeVideosServer) -> None:
    server.faults.create_429 = 2
    take = _run(bundle, server)
    assert_done(bundle, take)
    assert server.state.attempt_keys == [f"soraboard-{take.id}"] * 3


def test_a_gateway_that_honours_the_key_makes_one_job_for_a_resend(tmp_path: Path, server: FakeVideosServer) -> None:
    server.faults.honour_idempotency = True
    backend = backend_for(server)
    request = VideoRequest("p", "test-video", "320x180", 2, idempotency_key="soraboard-take_x")
    first = backend.submit(request)
    again = backend.submit(request)
    assert first.job_id == again.job_id and server.max_jobs_per_prompt() == 1


def test_connection_refused_is_not_sent_and_is_retried(bundle: Bundle, clip_cache: Path) -> None:
    srv = FakeVideosServer(clip_cache)
    port = srv.port
    srv._server.server_close()  # nothing listens on the port any more
    backend = OpenAIBackend(name="fake", base_url=f"http://127.0.0.1:{port}/v1", api_key="k",
                            timeout=2, poll_interval=0.05)
    with pytest.raises(Transient) as info:
        backend.submit(VideoRequest("p", "test-video", "320x180", 2))
    assert not info.value.ambiguous and "nothing was sent" in info.value.message
    eng = engine_for(bundle, backend, create_attempts=3)
    take = _run(bundle, srv, eng=eng)
    assert take.status is TakeStatus.FAILED and take.billing == "none"
    assert "gave up after 3 attempts; nothing billed" in (take.error or "")


def test_a_4xx_refusal_is_final_and_not_looked_up(bundle: Bundle, server: FakeVideosServer) -> None:
    server.faults.create_refuse_before = 1
    server.faults.litellm_errors = True
    take = _run(bundle, server)
    assert take.status is TakeStatus.FAILED and take.error_kind == "rejected"
    # LiteLLM's wrapper is unwrapped to the provider's own words.
    assert take.error == "create: Invalid 'size': must be one of 320x180, 640x360."
    assert not [p for _m, p in server.state.requests if p.startswith("/v1/videos?")]


def test_litellm_wrapped_messages_are_unwrapped() -> None:
    wrapped = ('litellm.BadRequestError: OpenAIException - {"error": {"message": "Your request '
               'was blocked by our moderation system.", "type": "invalid_request_error", '
               '"param": null, "code": "moderation_blocked"}}')
    assert unwrap_message(wrapped) == ("Your request was blocked by our moderation system.",
                                       "moderation_blocked")
    assert unwrap_message("litellm.InternalServerError: OpenAIException - Server disconnected") \
        == ("Server disconnected", None)
    assert unwrap_message("plain words") == ("plain words", None)


def test_a_5xx_on_a_poll_is_plain_transient_but_on_a_create_is_unknown() -> None:
    import httpx2
    import openai

    response = httpx2.Response(502, request=httpx2.Request("POST", "http://x/v1/videos"),
                               json={"error": {"message": "Bad gateway"}})
    err = openai.InternalServerError("Bad gateway", response=response, body=None)
    create = map_error(err, "create", create=True)
    poll = map_error(err, "status")
    assert isinstance(create, Transient) and create.ambiguous
    assert isinstance(poll, Transient) and not poll.ambiguous
    bad = openai.BadRequestError("x", response=httpx2.Response(
        400, request=response.request), body={"error": {"message": "nope"}})
    assert isinstance(map_error(bad, "create", create=True), Rejected)


# ----------------------------------------------------------------------------- the user's choice


def _unknown_take(bundle: Bundle, server: FakeVideosServer) -> Take:
    server.faults.list_hidden = True
    server.faults.create_500_after = 1
    take = _run(bundle, server)
    assert take.status is TakeStatus.UNKNOWN
    return take


def test_check_again_adopts_the_job_once_the_list_can_be_read(bundle: Bundle, server: FakeVideosServer) -> None:
    take = _unknown_take(bundle, server)
    eng = engine_for(bundle, backend_for(server))
    still = eng.check_again(take)
    assert still.status is TakeStatus.UNKNOWN  # the list is still hidden: nothing guessed
    server.faults.list_hidden = False
    done = eng.check_again(still)
    assert_done(bundle, done)
    assert done.id == take.id and server.max_jobs_per_prompt() == 1


def test_check_again_with_no_job_listed_marks_it_not_sent(bundle: Bundle, server: FakeVideosServer) -> None:
    server.faults.list_hidden = True
    server.faults.create_500 = 1  # a 500 that made nothing
    take = _run(bundle, server)
    assert take.status is TakeStatus.UNKNOWN
    server.faults.list_hidden = False
    after = engine_for(bundle, backend_for(server)).check_again(take)
    assert after.status is TakeStatus.NOT_SENT and after.billing == "none"
    assert server.max_jobs_per_prompt() == 0


def test_forget_stops_counting_it(bundle: Bundle, server: FakeVideosServer) -> None:
    take = _unknown_take(bundle, server)
    gone = engine_for(bundle, backend_for(server)).forget(take)
    assert gone.status is TakeStatus.FAILED and gone.error_kind == "forgotten"
    assert _ledger(bundle)[2] == 0


def test_a_run_blocks_a_segment_whose_outcome_is_unknown_until_send_again(tmp_path: Path, server: FakeVideosServer) -> None:
    bundle = make_bundle(tmp_path / "Film", [False, True])
    take = _unknown_take(bundle, server)
    project = load_project(bundle.path)
    ids = [s.id for s in project.storyboard.segments]
    eng = engine_for(bundle, backend_for(server))
    result = run_generation(eng, project.storyboard, project.takes, ids)
    # Checked again (still unknown), never resent; its chained successor waits.
    assert "seg_01" in result.unknown and "--send-again 1" in result.unknown["seg_01"]
    assert "$0.20" in result.unknown["seg_01"]
    assert "seg_02" in result.failures and not result.ok
    assert server.state.create_attempts == 1
    # The user's word: pay again.
    project = load_project(bundle.path)
    again = run_generation(eng, project.storyboard, project.takes, ids, send_again={"seg_01"})
    assert again.ok, (again.failures, again.unknown)
    assert server.jobs_for(take.request.prompt) == 2  # the one the user chose to pay for
    spent, in_flight, possibly = _ledger(bundle)
    assert (spent, in_flight, possibly) == (Decimal("0.40"), Decimal(0), Decimal("0.20"))


# ----------------------------------------------------------------------------- stopping


def test_stopping_during_a_429_backoff_is_not_sent_and_simply_starts_next_time(bundle: Bundle, server: FakeVideosServer) -> None:
    server.faults.create_429 = 1
    server.faults.retry_after_ms = None
    server.faults.retry_after = "30"
    server.faults.list_hidden = True  # as behind LiteLLM
    eng = engine_for(bundle, backend_for(server), backoff_cap=30)
    cancel = CancelToken()
    out: list[Take] = []
    th = threading.Thread(target=lambda: out.append(
        eng.generate(job_for(bundle.load_storyboard(), 0), cancel)))
    th.start()
    deadline = time.monotonic() + 10
    while server.state.create_attempts < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.1)
    t0 = time.monotonic()
    cancel.detach()  # Ctrl+C
    th.join(5)
    assert time.monotonic() - t0 < 1.0
    take = out[0]
    assert take.status is TakeStatus.NOT_SENT and take.billing == "none"
    # Next run: nothing to look up (the list cannot be read anyway), it is just generated.
    project = load_project(bundle.path)
    result = run_generation(engine_for(bundle, backend_for(server)), project.storyboard,
                            project.takes, ["seg_01"])
    assert result.ok, result.failures
    assert server.max_jobs_per_prompt() == 1


def test_ctrl_c_with_a_create_in_flight_stops_within_a_second_and_resumes_by_lookup(bundle: Bundle, server: FakeVideosServer) -> None:
    server.faults.create_slow_after = 1
    server.faults.slow_seconds = 8.0
    eng = engine_for(bundle, backend_for(server, timeout=30))
    cancel = CancelToken()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            eng.generate(job_for(bundle.load_storyboard(), 0), cancel)
        except Interrupted as e:
            errors.append(e)

    th = threading.Thread(target=work)
    th.start()
    deadline = time.monotonic() + 10
    while not server.state.create_log and time.monotonic() < deadline:
        time.sleep(0.02)
    t0 = time.monotonic()
    cancel.detach()
    th.join(5)
    assert time.monotonic() - t0 < 1.0 and errors
    (take,) = load_project(bundle.path).takes.values()
    assert take.status is TakeStatus.PENDING and take.sent_at is not None
    resumed = engine_for(bundle, backend_for(server)).resume(take)
    assert_done(bundle, resumed)
    assert server.max_jobs_per_prompt() == 1


def test_cancel_while_a_poll_is_in_flight_takes_effect_at_once(bundle: Bundle, server: FakeVideosServer) -> None:
    server.state.latency = 30
    server.faults.poll_slow = 99
    server.faults.slow_seconds = 10
    eng = engine_for(bundle, backend_for(server, timeout=30))
    cancel = CancelToken()
    out: list[Take] = []
    th = threading.Thread(target=lambda: out.append(
        eng.generate(job_for(bundle.load_storyboard(), 0), cancel)))
    th.start()
    deadline = time.monotonic() + 10
    while server.state.polls < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    t0 = time.monotonic()
    cancel.cancel()
    th.join(5)
    assert time.monotonic() - t0 < 1.0
    assert out[0].status is TakeStatus.CANCELLED and out[0].billing == "billed"


# ----------------------------------------------------------------------------- downloads


def test_a_download_outage_leaves_a_paid_take_that_the_next_run_fetches(bundle: Bundle, server: FakeVideosServer) -> None:
    server.download_outage(2.0)
    take = _run(bundle, server, download_attempts=2)
    assert take.status is TakeStatus.UNDOWNLOADED and take.billing == "billed"
    assert _ledger(bundle) == (Decimal("0.20"), Decimal(0), Decimal(0))
    time.sleep(max(server.faults.download_outage_until - time.time(), 0) + 0.05)
    project = load_project(bundle.path)
    result = run_generation(engine_for(bundle, backend_for(server)), project.storyboard,
                            project.takes, ["seg_01"])
    assert result.ok and result.takes["seg_01"].id == take.id
    assert_done(bundle, result.takes["seg_01"])
    assert server.max_jobs_per_prompt() == 1
    assert _ledger(bundle) == (Decimal("0.20"), Decimal(0), Decimal(0))  # counted once


def test_an_undownloaded_take_whose_file_expired_ends_expired(bundle: Bundle, server: FakeVideosServer) -> None:
    server.download_outage(60)
    take = _run(bundle, server, download_attempts=1)
    assert take.status is TakeStatus.UNDOWNLOADED
    server.faults.download_outage_until = 0
    server.faults.expired_content = True
    after = engine_for(bundle, backend_for(server)).resume(take)
    assert after.status is TakeStatus.EXPIRED and server.max_jobs_per_prompt() == 1


@pytest.mark.slow
def test_a_20_second_download_outage_is_ridden_out_with_one_job(bundle: Bundle, server: FakeVideosServer) -> None:
    server.download_outage(20.0)
    backend = backend_for(server)
    eng = GenerationEngine(bundle, backend, backoff_base=1.0, backoff_cap=8.0,
                           download_attempts=6, lookup_delay=0.05)
    take = eng.generate(job_for(bundle.load_storyboard(), 0))
    assert_done(bundle, take)
    assert server.max_jobs_per_prompt() == 1
    assert _ledger(bundle) == (Decimal("0.20"), Decimal(0), Decimal(0))
