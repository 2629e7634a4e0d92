"""The LLM planner against a loopback chat-completions server, through the real openai client."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from soraboard.catalog import default_catalog, errors, validate
from soraboard.model.dialogue import format_dialogue
from soraboard.model.prompt import compose_prompt
from soraboard.model.storyboard import Continuity, TransitionType
from soraboard.planner import PlanError, PlannerConfig, plan_story, save_planner_config
from soraboard.planner.config import KEY_ENV, load_planner_config
from soraboard.planner.llm import PLAN_SCHEMA, schema_problems
from tests.helpers.fake_chat_server import FakeChatServer, Reply, fake_chat_server
from tests.helpers.memory_keyring import MemoryKeyring

GOAL = (Path(__file__).parent / "data" / "goal.txt").read_text()


def segment(title: str, duration: float, continuity: str = "chain",
            transition: tuple[str, float] = ("cut", 0), dialogue: list[dict[str, str]] | None = None,
            beats: list[tuple[float, float, str]] | None = None) -> dict[str, Any]:
    beats = beats if beats is not None else [(0, duration / 2, f"{title} begins"),
                                             (duration / 2, duration, f"{title} ends")]
    return {
        "title": title, "duration": duration,
        "scene": "A packed stadium on a sunny afternoon",
        "cinematography": "Tracking shot at pitch level",
        "actions": [{"start": s, "end": e, "text": t} for s, e, t in beats],
        "dialogue": dialogue or [], "audio": "crowd roar",
        "continuity": continuity,
        "transition_out": {"type": transition[0], "duration": transition[1]},
        "cast": [], "keyframe_out": False,
    }


def plan(durations: list[float]) -> dict[str, Any]:
    titles = ["The run", "The shot", "In the net", "Teammates pile on", "The whole stadium"]
    segs = [segment(titles[i % 5] + ("" if i < 5 else f" {i}"), d,
                    "independent" if i == 0 else "chain") for i, d in enumerate(durations)]
    segs[min(3, len(segs) - 1)]["dialogue"] = [{"speaker": "Striker", "line": "Did you see that?"},
                           {"speaker": "Striker", "line": "Top corner!"}]
    segs[0]["actions"][0]["text"] = "the Striker beats the first defender"
    segs[-1]["transition_out"] = {"type": "cut", "duration": 0}
    # the story's first and last moments, as every plan must keep them
    segs[0]["scene"] = ("A Chinese football player in a red jersey dribbles past two defenders "
                        "on a sunny day, the stadium crowd cheering")
    segs[-1]["scene"] += ". Red scarves wave in the stands and confetti falls over the pitch"
    return {
        "title": "Goal!",
        "style": {"style": "Broadcast sports footage", "palette": "grass green, jersey red",
                  "negative": "no real players"},
        "characters": [{"name": "Striker", "kind": "character",
                        "description": "a footballer in a red jersey with the number 9"}],
        "segments": segs,
    }


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "sk-test-123")


def config(server: FakeChatServer, **changes: Any) -> PlannerConfig:
    return replace(PlannerConfig(base_url=server.url, model="planner-model", timeout_seconds=5.0),
                   **changes)


@pytest.fixture()
def server_factory() -> Iterator[Any]:
    started: list[FakeChatServer] = []

    def make(replies: list[Reply]) -> FakeChatServer:
        s = FakeChatServer(replies)
        s.start()
        started.append(s)
        return s

    yield make
    for s in started:
        s.stop()


def test_a_valid_plan_becomes_the_storyboard(server_factory: Any) -> None:
    server = server_factory([Reply(json.dumps(plan([12] * 5)))])
    result = plan_story(GOAL, 60, "sora-2", planner="llm", config=config(server))
    sb = result.storyboard
    assert result.planner == "llm"
    assert [s.duration for s in sb.segments] == [12.0] * 5
    assert [s.title for s in sb.segments][:2] == ["The run", "The shot"]
    assert sb.segments[0].continuity is Continuity.INDEPENDENT
    assert sb.segments[1].continuity is Continuity.CHAIN
    assert sb.style.characters[0].description == "a footballer in a red jersey with the number 9"
    assert format_dialogue(sb.segments[3].dialogue, timed=False) == \
        'Striker: "Did you see that?"\nStriker: "Top corner!"'
    assert errors(validate(sb)) == []
    assert "- Striker: a footballer in a red jersey with the number 9" in compose_prompt(sb, 0).text
    # the only note says what it proposed (a valid answer needs no correction)
    assert result.notes == ("cast proposed in the style bible: Striker (character) — each "
                            "segment lists the cast that appears in it, so their descriptions "
                            "go into its prompt",)
    # what went over the wire: the model, the key, the schema and the rules
    assert len(server.requests) == 1
    req = server.requests[0]
    assert req["model"] == "planner-model"
    assert server.headers[0]["authorization"] == "Bearer sk-test-123"
    assert req["response_format"]["json_schema"]["schema"] == PLAN_SCHEMA
    assert "4, 8 or 12 s" in req["messages"][0]["content"]
    assert "add up to exactly 60 s" in req["messages"][0]["content"]
    assert "Did you see that?" in req["messages"][1]["content"]


def test_invalid_json_gets_one_repair_round_trip(server_factory: Any) -> None:
    server = server_factory([Reply("Sure! Here is your plan: {\"title\": \"Goal!\", "),
                             Reply("```json\n" + json.dumps(plan([12] * 5)) + "\n```")])
    result = plan_story(GOAL, 60, "sora-2", planner="llm", config=config(server))
    assert len(result.storyboard.segments) == 5
    assert any("repaired" in n for n in result.notes)
    assert len(server.requests) == 2
    repair = server.requests[1]["messages"]
    assert repair[-2]["role"] == "assistant" and repair[-2]["content"].startswith("Sure!")
    assert "not valid JSON" in repair[-1]["content"]


def test_still_invalid_after_the_repair_is_an_error_naming_the_problem(server_factory: Any) -> None:
    broken = plan([12] * 5)
    del broken["segments"][1]["continuity"]
    server = server_factory([Reply(json.dumps(broken))])
    with pytest.raises(PlanError, match=r"still invalid after one repair: "
                                        r"\$\.segments\[1\]: missing 'continuity'"):
        plan_story(GOAL, 60, "sora-2", planner="llm", config=config(server))
    assert len(server.requests) == 2  # exactly one repair, no more


def test_a_refusal_is_a_clear_error(server_factory: Any) -> None:
    server = server_factory([Reply(refusal="I can't help with that request.")])
    with pytest.raises(PlanError, match="the planner model refused: I can't help with that"):
        plan_story(GOAL, 60, "sora-2", planner="llm", config=config(server))
    assert len(server.requests) == 1  # a refusal is not repaired


def test_a_content_filter_stop_is_a_refusal(server_factory: Any) -> None:
    server = server_factory([Reply("", finish_reason="content_filter")])
    with pytest.raises(PlanError, match="refused: its content filter"):
        plan_story(GOAL, 60, "sora-2", planner="llm", config=config(server))


def test_a_slow_endpoint_times_out_with_a_message(server_factory: Any) -> None:
    server = server_factory([Reply(json.dumps(plan([12] * 5)), delay=10)])
    t0 = time.monotonic()
    with pytest.raises(PlanError, match=r"did not answer within 1 s"):
        plan_story(GOAL, 60, "sora-2", planner="llm",
                   config=config(server, timeout_seconds=1.0))
    assert time.monotonic() - t0 < 5  # no hidden retries


def test_durations_near_an_allowed_value_are_corrected_and_fitted(server_factory: Any) -> None:
    # 10 → 12 (ties go long), 13 → 12, 7 → 8: then the total is fitted to 60 s
    server = server_factory([Reply(json.dumps(plan([10, 13, 7, 12, 12])))])
    result = plan_story(GOAL, 60, "sora-2", planner="llm", config=config(server))
    sb = result.storyboard
    assert sum(s.duration for s in sb.segments) == 60
    assert all(default_catalog()["sora-2"].allows_duration(s.duration) for s in sb.segments)
    assert any("segment 1 10 → 12 s" in n and "segment 2 13 → 12 s" in n
               and "segment 3 7 → 8 s" in n for n in result.notes)
    assert any("adjusted to add up to 60 s" in n for n in result.notes)
    # the beats were written for the asked durations and are retimed to the real ones
    for seg in sb.segments:
        assert seg.actions[-1].end == seg.duration
    assert errors(validate(sb)) == []


def test_durations_far_from_any_allowed_value_are_rejected(server_factory: Any) -> None:
    server = server_factory([Reply(json.dumps(plan([45, 15])))])
    with pytest.raises(PlanError, match=r"segments\[0\]\.duration: 45 s is not one of sora-2's "
                                        r"durations \(4, 8 or 12 s\)"):
        plan_story(GOAL, 60, "sora-2", planner="llm", config=config(server))
    assert len(server.requests) == 2
    assert "45 s is not one of" in server.requests[1]["messages"][-1]["content"]


def test_too_long_transitions_and_a_chained_opening_are_fixed(server_factory: Any) -> None:
    p = plan([12, 4, 12, 12, 12, 8])
    p["segments"][0]["continuity"] = "chain"
    p["segments"][0]["transition_out"] = {"type": "fade_black", "duration": 5}
    server = server_factory([Reply(json.dumps(p))])
    sb = plan_story(GOAL, 60, "sora-2", planner="llm", config=config(server)).storyboard
    assert sb.segments[0].continuity is Continuity.INDEPENDENT
    tr = sb.segments[0].transition_out
    assert tr.type is TransitionType.FADE_BLACK and tr.duration == 2  # half of the 4 s neighbour
    assert errors(validate(sb)) == []


def test_missing_key_is_a_clear_error_and_the_keyring_is_used(
        server_factory: Any, monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring) -> None:
    monkeypatch.delenv(KEY_ENV)
    server = server_factory([Reply(json.dumps(plan([12] * 5)))])
    with pytest.raises(PlanError, match=f"no API key for the planner endpoint: set {KEY_ENV}"):
        plan_story(GOAL, 60, "sora-2", planner="llm", config=config(server))
    assert server.requests == []
    memory_keyring.set_password("soraboard", "planner", "sk-from-keyring")
    plan_story(GOAL, 60, "sora-2", planner="llm", config=config(server))
    assert server.headers[-1]["authorization"] == "Bearer sk-from-keyring"
    # a local server that needs no key
    memory_keyring.delete_password("soraboard", "planner")
    plan_story(GOAL, 60, "sora-2", planner="llm", config=config(server, requires_api_key=False))
    assert server.headers[-1]["authorization"] == "Bearer not-needed"


def test_auto_uses_the_configured_endpoint_and_falls_back_offline(server_factory: Any) -> None:
    server = server_factory([Reply(json.dumps(plan([12] * 5)))])
    save_planner_config(config(server))
    assert load_planner_config()[0].base_url == server.url
    result = plan_story(GOAL, 60, "sora-2")  # auto, settings from planner.json
    assert result.planner == "llm"
    server.replies = [Reply(refusal="no")]
    result = plan_story(GOAL, 60, "sora-2")
    assert result.planner == "offline"
    assert any("LLM planner failed (the planner model refused: no)" in n for n in result.notes)
    assert errors(validate(result.storyboard)) == []


def test_unreachable_and_http_errors(server_factory: Any) -> None:
    server = server_factory([Reply(status=400, error="model 'planner-model' not found")])
    with pytest.raises(PlanError, match=r"answered 400: .*not found"):
        plan_story(GOAL, 60, "sora-2", planner="llm", config=config(server))
    with pytest.raises(PlanError, match="cannot reach the planner endpoint"):
        plan_story(GOAL, 60, "sora-2", planner="llm",
                   config=PlannerConfig(base_url="http://127.0.0.1:9/v1", model="m",
                                        timeout_seconds=2.0))
    with pytest.raises(PlanError, match="no LLM planner endpoint is configured"):
        plan_story(GOAL, 60, "sora-2", planner="llm", config=PlannerConfig())


def test_the_schema_checker() -> None:
    assert schema_problems(plan([12]), PLAN_SCHEMA) == []
    bad = plan([12])
    bad["segments"][0]["duration"] = "12"
    bad["segments"][0]["continuity"] = "sideways"
    bad["extra"] = 1
    assert schema_problems(bad, PLAN_SCHEMA) == [
        "$.segments[0].duration: expected a number, got a string",
        "$.segments[0].continuity: 'sideways' is not one of chain, independent",
        "$: unexpected 'extra'",
    ]
    with fake_chat_server([Reply("{}")]) as s:
        assert s.url.startswith("http://127.0.0.1:")


LIGHTHOUSE = (Path(__file__).parent / "data" / "lighthouse-keeper.txt").read_text()


def _lighthouse_plan(*, title_shot: bool = False, drop_ending: bool = False,
                     empty_scene: bool = False) -> dict[str, Any]:
    lines = ["Every night, old Elias climbs the spiral stairs of the lighthouse",
             "One stormy night, the beam catches a small boat tossed by the waves",
             "At dawn, he finds the boat safe in the harbour, a young girl waving from its deck"]
    segs = [segment(f"Shot {i + 1}", 8, "independent", beats=[(0, 8, t)])
            for i, t in enumerate(lines)]
    for s, place in zip(segs, ("The lighthouse stairs, night", "The sea in a storm, night",
                               "The harbour at dawn")):
        s["scene"] = place
    if title_shot:
        segs.insert(0, segment("Title", 4, "independent",
                               beats=[(0, 4, "The Lighthouse Keeper")]))
        segs[0]["scene"] = "Black"
        segs[1]["duration"] = 4
        segs[1]["actions"][0]["end"] = 4
    if drop_ending:
        segs = segs[:2]
        segs[1]["duration"] = 16
    if empty_scene:
        segs[1]["scene"] = ""
    return {"title": "The Lighthouse Keeper",
            "style": {"style": "", "palette": "", "negative": ""},
            "characters": [{"name": "Elias", "kind": "character",
                            "description": "an old man in a navy jumper"}],
            "segments": segs}


@pytest.mark.parametrize(("broken", "problem"), [
    ({"title_shot": True}, "is the story's title ('The Lighthouse Keeper')"),
    ({"drop_ending": True}, "leaves out the story's last moment ('At dawn, he finds"),
    ({"empty_scene": True}, "segments[1].scene is empty"),
])
def test_the_llm_plan_is_held_to_the_story_rules_with_one_repair(
        server_factory: Any, broken: dict[str, bool], problem: str) -> None:
    server = server_factory([Reply(json.dumps(_lighthouse_plan(**broken))),
                             Reply(json.dumps(_lighthouse_plan()))])
    result = plan_story(LIGHTHOUSE, 24, "vertex_ai/veo-3.1-fast-generate-001", planner="llm",
                        config=config(server))
    assert len(server.requests) == 2
    assert problem in server.requests[1]["messages"][-1]["content"]
    assert any("repaired" in n for n in result.notes)
    sb = result.storyboard
    assert sb.title == "The Lighthouse Keeper" and len(sb.segments) == 3
    # and when the repair is still wrong, the planner gives up saying why
    server = server_factory([Reply(json.dumps(_lighthouse_plan(**broken)))])
    with pytest.raises(PlanError, match=re.escape(problem)):
        plan_story(LIGHTHOUSE, 24, "vertex_ai/veo-3.1-fast-generate-001", planner="llm",
                   config=config(server))


def test_the_llm_is_told_the_story_rules() -> None:
    from soraboard.planner.llm import system_prompt

    text = system_prompt(default_catalog()["sora-2"], "1280x720", 60, None)
    assert "first and last moments" in text and "never empty" in text
    assert "chain only inside one continuous scene" in text
