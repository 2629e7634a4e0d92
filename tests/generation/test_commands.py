"""``soraboard generate`` and ``soraboard providers``, in process."""

from __future__ import annotations

import io
import json
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from soraboard.cli import main
from soraboard.generation.providers import (
    PRESETS,
    ProviderProfile,
    get_key,
    get_profile,
    load_profiles,
    save_profile,
)
from soraboard.model.status import SegmentState, segment_status
from soraboard.storage.bundle import load_project
from tests.generation.conftest import make_bundle
from tests.helpers.fake_videos_server import FakeVideosServer


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_generate_with_the_animatic_chooses_the_new_takes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = make_bundle(tmp_path / "Film", [False, True, False])
    code, out, err = run(capsys, "generate", str(bundle.path))
    assert code == 0, err
    assert "offline animatic backend ($0)" in err
    assert "3 of 3 segment(s) generated, spent $0.00" in out
    project = load_project(bundle.path)
    for i, seg in enumerate(project.storyboard.segments):
        assert seg.chosen_take and project.takes[seg.chosen_take].usable
        assert segment_status(project.storyboard, project.takes, i).state is SegmentState.DONE
    # Nothing is missing or stale now.
    code, out, _ = run(capsys, "generate", str(bundle.path))
    assert code == 0 and "Nothing to generate" in out
    # Regenerating segment 1 makes the chained segment 2 stale; segment 3 stays done.
    code, out, _ = run(capsys, "generate", str(bundle.path), "--segments", "1")
    assert code == 0
    project = load_project(bundle.path)
    states = [segment_status(project.storyboard, project.takes, i).state for i in range(3)]
    assert states == [SegmentState.DONE, SegmentState.STALE, SegmentState.DONE]
    # Missing-or-stale then regenerates only segment 2.
    code, out, _ = run(capsys, "generate", str(bundle.path))
    assert code == 0 and "1 of 1 segment(s) generated" in out


def test_generate_refuses_past_max_cost_before_anything_is_sent(tmp_path: Path, server: FakeVideosServer, capsys: pytest.CaptureFixture[str]) -> None:
    save_profile(ProviderProfile("fake", server.base_url, needs_key=False, poll_interval=0.05))
    bundle = make_bundle(tmp_path / "Film", [False, False])
    code, _, err = run(capsys, "generate", str(bundle.path), "--provider", "fake",
                       "--max-cost", "0.30")
    assert code == 2 and "more than --max-cost $0.30" in err
    assert server.state.create_attempts == 0


def test_generate_over_budget_needs_yes(tmp_path: Path, server: FakeVideosServer, capsys: pytest.CaptureFixture[str]) -> None:
    save_profile(ProviderProfile("fake", server.base_url, needs_key=False, poll_interval=0.05))
    bundle = make_bundle(tmp_path / "Film", [False, False])
    sb = bundle.load_storyboard()
    from dataclasses import replace

    bundle.save(replace(sb, budget="0.10"))
    code, _, err = run(capsys, "generate", str(bundle.path), "--provider", "fake")
    assert code == 2 and "--yes" in err
    assert server.state.create_attempts == 0
    code, out, err = run(capsys, "generate", str(bundle.path), "--provider", "fake", "--yes")
    assert code == 0, err
    assert "spent $0.40" in out
    assert sorted(server.state.creates.values()) == [1, 1]


def test_generate_exit_code_is_1_when_a_segment_fails(tmp_path: Path, server: FakeVideosServer, capsys: pytest.CaptureFixture[str]) -> None:
    save_profile(ProviderProfile("fake", server.base_url, needs_key=False, poll_interval=0.05))
    server.faults.fail_policy = True
    bundle = make_bundle(tmp_path / "Film", [False])
    code, out, _ = run(capsys, "generate", str(bundle.path), "--provider", "fake", "--yes")
    assert code == 1
    assert "failed" in out and "moderation" in out


def test_generate_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = make_bundle(tmp_path / "Film", [False])
    assert run(capsys, "generate", str(bundle.path), "--segments", "7")[0] == 2
    assert run(capsys, "generate", str(bundle.path), "--model", "nope")[0] == 2
    code, _, err = run(capsys, "generate", str(bundle.path), "--provider", "nope")
    assert code == 1 and "no provider profile 'nope'" in err


def test_providers_presets_add_list_and_key(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, server: FakeVideosServer) -> None:
    assert PRESETS["litellm"].base_url == "http://localhost:4000"
    assert not PRESETS["litellm"].needs_key
    assert PRESETS["vllm-omni"].base_url == "http://localhost:8091/v1"
    assert "retired 2026-09-24" in PRESETS["openai"].label
    code, out, _ = run(capsys, "providers", "add", "gw", "--base-url", server.base_url,
                       "--model", "test-video")
    assert code == 0
    assert get_profile("gw").default_model == "test-video"
    monkeypatch.setattr("sys.stdin", io.StringIO("sk-secret-123\n"))
    code, out, _ = run(capsys, "providers", "set-key", "gw")
    assert code == 0
    assert get_key(get_profile("gw")) == "sk-secret-123"
    code, out, _ = run(capsys, "providers")
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith("gw "))
    assert "keyring" in row and row.rstrip().endswith("ok (answers 1 model(s))")
    assert "sk-secret-123" not in out
    # The key is in no file under the user directories.
    from soraboard import paths

    for f in paths.config_dir().rglob("*"):
        if f.is_file():
            assert "sk-secret-123" not in f.read_text("utf-8", "replace")
    assert json.loads((paths.config_dir() / "providers.json").read_text())["providers"][0][
        "name"] == "gw"
    assert [p.name for p in load_profiles()][:3] == ["litellm", "vllm-omni", "openai"]


def test_providers_key_from_an_environment_variable(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "providers", "add", "envy", "--base-url", "http://127.0.0.1:9/v1",
               "--key-env", "ENVY_KEY")[0] == 0
    monkeypatch.setenv("ENVY_KEY", "sk-env")
    assert get_key(get_profile("envy")) == "sk-env"
    _code, out, _ = run(capsys, "providers", "--no-check")
    assert "$ENVY_KEY" in out and "sk-env" not in out


def test_set_key_without_a_keyring_points_to_the_environment(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    keyring.set_keyring(fail.Keyring())
    monkeypatch.setattr("sys.stdin", io.StringIO("sk-x\n"))
    code, _, err = run(capsys, "providers", "set-key", "litellm")
    assert code == 1
    assert "no OS keyring" in err and "--key-env" in err
    code, out, _ = run(capsys, "providers", "--no-check")
    assert "environment variables" in out


def test_a_provider_that_does_not_answer_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    save_profile(ProviderProfile("dead", "http://127.0.0.1:9/v1", needs_key=False))
    code, out, _ = run(capsys, "providers")
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith("dead "))
    assert "unreachable" in row


def test_make_backend_animatic_litellm_without_key_and_a_missing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    from soraboard.generation.factory import make_backend
    from soraboard.generation.openai_backend import OpenAIBackend
    from soraboard.generation.providers import ProviderError

    assert make_backend(None).name == "animatic"
    assert make_backend("animatic").name == "animatic"
    litellm = make_backend("litellm")
    assert isinstance(litellm, OpenAIBackend)
    assert litellm.base_url == "http://localhost:4000"
    with pytest.raises(ProviderError, match="needs an API key"):
        make_backend("openai")


def test_a_keyring_that_stores_nothing_is_refused(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """What `keyring --disable` selects (issue 15 item 9): set-key must not say "Stored"."""
    from keyring.backends import null

    keyring.set_keyring(null.Keyring())
    monkeypatch.setattr("sys.stdin", io.StringIO("sk-thrown-away-123\n"))
    code, out, err = run(capsys, "providers", "set-key", "litellm")
    assert code == 1 and "Stored" not in out
    assert "keyring is disabled" in err and "stores nothing" in err and "--key-env" in err
    assert get_key(get_profile("litellm")) is None


def test_generate_behind_litellm_with_a_lost_create_exits_1_and_says_how_to_resend(tmp_path: Path, server: FakeVideosServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # a wide terminal: the whole reason fits
    save_profile(ProviderProfile("fake", server.base_url, needs_key=False, poll_interval=0.05))
    server.faults.list_hidden = True
    server.faults.litellm_errors = True
    server.faults.create_500_after = 1
    bundle = make_bundle(tmp_path / "Film", [False, True])
    code, out, _ = run(capsys, "generate", str(bundle.path), "--provider", "fake", "--yes")
    assert code == 1
    line = next(x for x in out.splitlines() if x.startswith("segment 1: "))
    assert "outcome unknown — may be billed" in line and "Server disconnected" in line
    assert "--send-again 1' (pays again, $0.20)" in line and "--forget 1" in line
    assert "0 of 2 segment(s) generated, spent $0.00, 1 failed, 1 outcome unknown" in out
    assert "Ledger: spent $0.00, in flight $0.00, possibly billed $0.20" in out
    assert server.state.create_attempts == 1
    # Running again never resends it on its own: it is checked again, still unknown. On a
    # narrow terminal the reason is shortened, never the command.
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run(capsys, "generate", str(bundle.path), "--provider", "fake", "--yes")
    assert code == 1 and server.state.create_attempts == 1
    line = next(x for x in out.splitlines() if x.startswith("segment 1: "))
    assert "…" in line and line.endswith("--send-again 1' (pays again, $0.20) or '--forget 1'")
    # The cost command shows it.
    code, out, _ = run(capsys, "cost", str(bundle.path))
    assert "possibly billed $0.20" in out
    # The user's word: send it again (pays again).
    code, out, err = run(capsys, "generate", str(bundle.path), "--provider", "fake", "--yes",
                         "--send-again", "1")
    assert code == 0, out + err
    assert "2 of 2 segment(s) generated" in out
    assert sorted(server.state.creates.values()) == [1, 2]


def test_forget_an_unknown_outcome(tmp_path: Path, server: FakeVideosServer, capsys: pytest.CaptureFixture[str]) -> None:
    save_profile(ProviderProfile("fake", server.base_url, needs_key=False, poll_interval=0.05))
    server.faults.list_hidden = True
    server.faults.create_reset_after = 1
    bundle = make_bundle(tmp_path / "Film", [False])
    assert run(capsys, "generate", str(bundle.path), "--provider", "fake", "--yes")[0] == 1
    code, out, _ = run(capsys, "generate", str(bundle.path), "--provider", "fake", "--forget", "1")
    assert code == 0 and "Forgot the unknown outcome of segment 1" in out
    assert server.state.create_attempts == 1  # forgetting sends nothing
    code, _, err = run(capsys, "generate", str(bundle.path), "--provider", "fake",
                       "--send-again", "1")
    assert code == 2 and "no create of unknown outcome" in err


def test_generate_refuses_what_validate_flags_before_any_request(tmp_path: Path, server: FakeVideosServer, capsys: pytest.CaptureFixture[str]) -> None:
    save_profile(ProviderProfile("fake", server.base_url, needs_key=False, poll_interval=0.05))
    bundle = make_bundle(tmp_path / "Film", [False, False])
    sb = bundle.load_storyboard()
    from dataclasses import replace

    segs = (sb.segments[0], sb.segments[1].with_changes(size="1280x720"))
    bundle.save(replace(sb, segments=segs))
    code, _, err = run(capsys, "generate", str(bundle.path), "--provider", "fake", "--yes")
    assert code == 2 and "error: not sent: Segment 2" in err and "1280x720" in err
    assert server.state.requests == []


def test_the_providers_own_reason_is_not_cut_at_60_characters(tmp_path: Path, server: FakeVideosServer, capsys: pytest.CaptureFixture[str]) -> None:
    save_profile(ProviderProfile("fake", server.base_url, needs_key=False, poll_interval=0.05))
    server.faults.fail_policy = True
    bundle = make_bundle(tmp_path / "Film", [False])
    code, out, _ = run(capsys, "generate", str(bundle.path), "--provider", "fake", "--yes")
    assert code == 1
    assert ("segment 1: Your request was blocked by our moderation system. "
            "(moderation_blocked)") in out


def test_provider_check_works_behind_litellm_and_tells_the_failures_apart(tmp_path: Path, server: FakeVideosServer, clip_cache: Path) -> None:
    from soraboard.generation.openai_backend import OpenAIBackend
    from tests.helpers.fake_chat_server import Reply, fake_chat_server

    def probe(url: str, key: str = "sk-x") -> str:
        return str(OpenAIBackend(name="p", base_url=url, api_key=key).probe(timeout=2))

    # LiteLLM: no job list, but /models names the video model groups.
    server.faults.list_hidden = True
    server.faults.litellm_models = True
    assert probe(server.base_url).startswith("ok (video models: test-video")
    # A plain OpenAI-shaped Videos server: a made-up job id is a 404 about that job.
    server.faults.litellm_models = False
    assert probe(server.base_url).startswith("ok")
    server.faults.require_key = "sk-right"
    assert probe(server.base_url, "sk-wrong").startswith("auth failed")
    assert probe("http://127.0.0.1:9/v1").startswith("unreachable")
    with fake_chat_server([Reply("hi")]) as chat:  # answers, but not the Videos API
        assert probe(chat.url).startswith("not a Videos endpoint")
    assert not [p for _m, p in server.state.requests if p.startswith("/v1/videos?")]
