"""``soraboard plan``: exit codes, output, the bundle it creates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from soraboard.cli import main
from soraboard.planner import PlannerConfig, save_planner_config
from soraboard.planner.config import KEY_ENV
from soraboard.storage.bundle import load_project
from tests.helpers.fake_chat_server import Reply, fake_chat_server
from tests.planner.test_llm import plan

DATA = Path(__file__).parent / "data"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_plan_creates_the_bundle_and_prints_the_cost(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "plan", str(DATA / "goal.txt"), "--length", "60",
                         "--model", "sora-2", "-o", str(tmp_path / "Goal"))
    assert code == 0, err
    assert err == ""
    assert out.startswith(f"Created {tmp_path / 'Goal.soraboard'} — Goal, 5 segments "
                          "(offline planner)")
    assert "note: characters in the style bible: Player" in out
    assert "Goal — 5 segments, 60 s film (60 s of clips)" in out
    assert "Estimate   $6.00" in out
    assert "↳ " in out  # chained segments are marked in the table
    project = load_project(tmp_path / "Goal.soraboard")
    assert [s.duration for s in project.storyboard.segments] == [12.0] * 5
    code, out, _ = run(capsys, "validate", str(tmp_path / "Goal.soraboard"))
    assert code == 0 and "OK — 5 segments" in out
    # the same place again: refused, one line, nothing overwritten
    code, out, err = run(capsys, "plan", str(DATA / "goal.txt"), "--length", "60",
                         "-o", str(tmp_path / "Goal"))
    assert code == 1 and out == "" and err.count("\n") == 1 and "already exists" in err


def test_plan_without_output_only_prints_and_shows_prompts(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "plan", str(DATA / "city-morning.txt"), "--length", "62",
                       "--model", "sora-2-pro", "--size", "1792x1024", "--prompts",
                       "--planner", "offline")
    assert code == 0
    assert "nothing written" in out
    assert "note: 62 s cannot be made from sora-2-pro's 4, 8 or 12 s segments; the plan is 60 s" \
        in out
    assert "Continue from the previous frame: The first light spilling over the rooftops." in out
    assert "Estimate   $30.00" in out  # 60 s at $0.50/s
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--length", "60", "--model", "nope"], 2, "unknown model 'nope'"),
    (["--length", "60", "--size", "1x1"], 2,
     "size 1x1 is not allowed by vertex_ai/veo-3.1-fast-generate-001"),
    (["--length", "60", "--planner", "llm"], 1, "no LLM planner endpoint is configured"),
])
def test_plan_errors_are_one_line_with_exit_codes(capsys: pytest.CaptureFixture[str],
                                                  args: list[str], code: int, message: str) -> None:
    got, out, err = run(capsys, "plan", str(DATA / "goal.txt"), *args)
    assert got == code
    assert out == "" and err.count("\n") == 1 and message in err
    assert "Traceback" not in err


def test_a_missing_story_file_and_a_bad_length(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "plan", str(tmp_path / "nope.txt"), "--length", "60")
    assert code == 1 and "cannot read the story" in err
    with pytest.raises(SystemExit) as ei:
        main(["plan", str(DATA / "goal.txt"), "--length", "soon"])
    assert ei.value.code == 2
    assert "'soon' is not a number of seconds" in capsys.readouterr().err


def test_plan_uses_the_llm_endpoint_from_planner_json(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "sk-cli")
    with fake_chat_server([Reply(json.dumps(plan([12] * 5)))]) as server:
        save_planner_config(PlannerConfig(base_url=server.url, model="m", timeout_seconds=5.0))
        code, out, err = run(capsys, "plan", str(DATA / "goal.txt"), "--length", "60",
                             "--model", "sora-2", "-o", str(tmp_path / "G"))
    assert code == 0, err
    assert "(llm planner)" in out and "Goal! — 5 segments" in out
    assert load_project(tmp_path / "G.soraboard").storyboard.style.characters[0].name == "Striker"
    # --planner offline ignores the endpoint
    code, out, _ = run(capsys, "plan", str(DATA / "goal.txt"), "--length", "24",
                       "--planner", "offline")
    assert code == 0 and "(offline planner)" in out
    assert "sk-cli" not in out


def test_plan_starts_on_a_current_model_when_the_settings_name_a_retired_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from soraboard.catalog.catalog import DEFAULT_MODEL
    from soraboard.settings import Settings, save_settings
    from soraboard.storage.bundle import load_project

    save_settings(Settings(default_model="sora-2"))
    story = tmp_path / "s.txt"
    story.write_text("Mara opens the door of the bakery. She switches on the oven.\n", "utf-8")
    out = tmp_path / "P"
    assert main(["plan", str(story), "--length", "8", "--planner", "offline", "-o", str(out)]) == 0
    sb = load_project(out.with_suffix(".soraboard")).storyboard
    assert sb.default_model == DEFAULT_MODEL
    assert {s.model for s in sb.segments} == {DEFAULT_MODEL}
