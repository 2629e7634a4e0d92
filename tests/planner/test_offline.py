"""The offline planner on real stories: durations, validation, continuity, characters."""

from __future__ import annotations

from pathlib import Path

import pytest

from soraboard.catalog import default_catalog, errors, validate
from soraboard.model.dialogue import dialogue_problems, format_dialogue
from soraboard.model.prompt import compose_prompt
from soraboard.model.storyboard import Continuity, Storyboard, TransitionType
from soraboard.planner import PlanError, plan_story, plan_story_file
from soraboard.planner.shaping import (
    action_capacity,
    closest_total,
    dialogue_capacity,
    fit_durations,
    shorten_line,
    time_beats,
)
from soraboard.planner.story import StoryFormat, parse_story

DATA = Path(__file__).parent / "data"
GOAL = DATA / "goal.txt"
CITY = DATA / "city-morning.txt"
FOUNTAIN = DATA / "night-shift.fountain"
LONG = DATA / "lighthouse-orchard.md"


def check_plan(sb: Storyboard, model: str, total: float) -> None:
    """What every plan must satisfy, whatever the story."""
    spec = default_catalog()[model]
    assert sb.segments
    for seg in sb.segments:
        assert spec.allows_duration(seg.duration), seg.duration
        assert seg.model == model
        for beat in seg.actions:
            assert 0 <= beat.start < beat.end <= seg.duration
        if seg.dialogue:
            assert len(seg.dialogue) <= dialogue_capacity(seg.duration)
            assert not dialogue_problems(seg.dialogue, seg.duration)
        assert len(seg.actions) <= max(action_capacity(seg.duration), 2)
    assert sum(s.duration for s in sb.segments) == pytest.approx(total)
    assert errors(validate(sb)) == []
    assert sb.segments[0].continuity is Continuity.INDEPENDENT
    # every character is described once in the bible and that text is reused verbatim
    names = [c.name for c in sb.style.characters]
    assert len(names) == len(set(names))
    for i in range(len(sb.segments)):
        prompt = compose_prompt(sb, i).text
        for c in sb.style.characters:
            if f"- {c.name}:" in prompt:
                assert f"- {c.name}: {c.description}" in prompt


@pytest.mark.parametrize(("story", "model", "length"), [
    (GOAL, "sora-2", 60),
    (CITY, "sora-2", 60),
    (FOUNTAIN, "sora-2", 40),
    (FOUNTAIN, "vertex_ai/veo-3.1-fast-generate-001", 30),
    (LONG, "sora-2", 120),
    (LONG, "vertex_ai/veo-3.1-generate-001", 60),
    (LONG, "fal_ai/seedance-2.0-i2v", 90),
    (LONG, "runwayml/gen4.5", 45),
    (LONG, "sora-2-pro", 300),
    (LONG, "fal_ai/seedance-2.0-i2v", 600),
])
def test_durations_are_allowed_sum_to_the_target_and_validate(story: Path, model: str,
                                                              length: float) -> None:
    result = plan_story_file(story, length, model, planner="offline")
    assert result.planner == "offline"
    check_plan(result.storyboard, model, length)
    assert not any("closest length" in n for n in result.notes)


def test_a_length_the_model_cannot_make_gets_the_closest_and_says_so() -> None:
    result = plan_story_file(GOAL, 50, "sora-2", planner="offline")
    assert closest_total([4, 8, 12], 50) == 48
    check_plan(result.storyboard, "sora-2", 48)
    assert any("50 s cannot be made" in n and "48 s" in n for n in result.notes)
    # shorter than one segment: the shortest segment
    result = plan_story_file(GOAL, 3, "sora-2", planner="offline")
    check_plan(result.storyboard, "sora-2", 4)


def test_the_goal_is_five_chained_twelve_second_parts_cut_at_the_paragraphs() -> None:
    sb = plan_story_file(GOAL, 60, "sora-2", planner="offline").storyboard
    assert [s.duration for s in sb.segments] == [12.0] * 5
    assert [s.continuity for s in sb.segments] == [Continuity.INDEPENDENT] + [Continuity.CHAIN] * 4
    firsts = [s.actions[0].text for s in sb.segments]
    assert firsts[0].startswith("A Chinese football player in a red jersey dribbles")
    assert firsts[1] == "The player shoots powerfully."
    assert firsts[2] == "The ball hits the back of the net."
    assert firsts[3].startswith("His teammates reach him")
    assert "confetti" in firsts[4] or "stadium" in sb.segments[4].scene
    # the unnamed recurring player is the character, described by the story's own words
    assert [(c.name, c.description) for c in sb.style.characters] == [
        ("Player", "a Chinese football player in a red jersey")]
    assert format_dialogue(sb.segments[3].dialogue, timed=False) == 'Player: "Did you see that?"'
    second = compose_prompt(sb, 1).text
    assert second.startswith("Continue from the previous frame: He approaches the penalty box")
    assert "- Player: a Chinese football player in a red jersey" in second


def test_the_city_morning_shot_list_keeps_its_shots_and_framings() -> None:
    sb = plan_story_file(CITY, 60, "sora-2", planner="offline").storyboard
    assert [s.duration for s in sb.segments] == [12.0] * 5
    assert [s.continuity for s in sb.segments] == [
        Continuity.INDEPENDENT, Continuity.CHAIN, Continuity.CHAIN,
        Continuity.INDEPENDENT, Continuity.INDEPENDENT]
    assert sb.segments[1].cinematography == "Camera pans down to street level"
    assert sb.segments[3].cinematography == "Interior shot"
    assert sb.segments[4].cinematography == "Close-up"
    # moving inside is a new place: a short crossfade; the close-up is a plain cut
    assert sb.segments[2].transition_out.type is TransitionType.CROSSFADE
    assert sb.segments[2].transition_out.duration == 0.5
    assert sb.segments[3].transition_out.is_cut
    # a one-line shot stays one whole beat: "Steam rising." alone would be a fragment
    assert [(b.start, b.end, b.text) for b in sb.segments[3].actions] == [
        (0, 12, "Barista preparing coffee, steam rising.")]


def test_a_fountain_screenplay_scenes_cues_and_transitions() -> None:
    text = FOUNTAIN.read_text()
    story = parse_story(text)
    assert story.format is StoryFormat.FOUNTAIN
    assert story.title == "Night Shift"
    assert [s.location for s in story.scenes] == ["Harbour", "Container", "Harbour Office"]
    assert story.cues == ("Nadia", "Tomas")
    result = plan_story_file(FOUNTAIN, 48, "sora-2", planner="offline")
    sb = result.storyboard
    check_plan(sb, "sora-2", 48)
    assert sb.title == "Night Shift"
    chars = {c.name: c.description for c in sb.style.characters}
    assert "yellow raincoat" in chars["Nadia"] and "30s" in chars["Nadia"]
    assert "green hoodie" in chars["Tomas"]
    scenes = [s.scene.split(".")[0] for s in sb.segments if s.continuity is Continuity.INDEPENDENT]
    assert scenes == ["Exterior, harbour, night", "Interior, container, night",
                      "Interior, harbour office, night"]
    # CONTINUOUS is a straight cut; DISSOLVE TO: is a crossfade
    boundaries = [(sb.segments[i].transition_out.type, sb.segments[i + 1].scene.split(",")[1])
                  for i in range(len(sb.segments) - 1)
                  if sb.segments[i + 1].continuity is Continuity.INDEPENDENT]
    assert boundaries == [(TransitionType.CUT, " container"),
                          (TransitionType.CROSSFADE, " harbour office")]
    spoken = "\n".join(format_dialogue(s.dialogue, timed=False) for s in sb.segments)
    assert 'Tomas: "Please. Don\'t tell them I\'m here."' in spoken


def test_the_long_story_is_condensed_with_its_characters_reused() -> None:
    text = LONG.read_text()
    assert 2700 <= len(text.split()) <= 3300
    result = plan_story_file(LONG, 120, "sora-2", planner="offline")
    sb = result.storyboard
    check_plan(sb, "sora-2", 120)
    chars = {c.name: c.description for c in sb.style.characters}
    assert set(chars) >= {"Ines", "Oskar", "Mr. Haddow"}
    assert "Lost" not in chars and "Marigold" not in chars  # a word in a quote, a boat
    assert chars["Ines"] == "a ferry mechanic in a rust-coloured boilersuit with a long grey braid"
    assert chars["Oskar"] == "a boy of ten in a blue raincoat and a knitted yellow hat"
    assert any("condensed" in n for n in result.notes)
    assert any("dialogue did not fit" in n for n in result.notes)
    # one independent shot per section of the story, chained inside a section
    independent = [s for s in sb.segments if s.continuity is Continuity.INDEPENDENT]
    assert len(independent) >= 8
    assert independent[0].scene.startswith("The ferry dock.")
    mentions = sum("- Oskar: a boy of ten" in compose_prompt(sb, i).text
                   for i in range(len(sb.segments)))
    assert mentions >= 4
    assert 'Ines: "You must be Oskar."' in format_dialogue(sb.segments[0].dialogue, timed=False)


def test_a_terse_brief_is_stretched_over_the_segments_it_needs() -> None:
    result = plan_story("A red fox trots through a snowy forest at dusk.", 36, "sora-2",
                        planner="offline")
    sb = result.storyboard
    check_plan(sb, "sora-2", 36)
    assert len(sb.segments) == 3
    assert [s.continuity for s in sb.segments[1:]] == [Continuity.CHAIN] * 2
    assert any("fewer moments" in n for n in result.notes)


def test_style_given_is_the_style_bible() -> None:
    sb = plan_story_file(GOAL, 24, "sora-2", style="Broadcast sports footage, slight slow motion",
                         planner="offline").storyboard
    assert sb.style.style == "Broadcast sports footage, slight slow motion"
    assert all(compose_prompt(sb, i).text.count("Style: Broadcast sports footage") == 1
               for i in range(len(sb.segments)))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"text": "   "}, "the story is empty"),
    ({"model": "no-such-model"}, "unknown model 'no-such-model'"),
    ({"size": "640x480"}, "size 640x480 is not allowed by sora-2"),
    ({"length_s": 0}, "the length must be between"),
    ({"length_s": 1}, "shorter than sora-2's shortest segment"),
    ({"planner": "magic"}, "unknown planner 'magic'"),
])
def test_bad_requests_raise_plan_error(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"text": "A fox runs.", "length_s": 12, "model": "sora-2",
                               "planner": "offline"}
    args.update(kwargs)
    with pytest.raises(PlanError, match=message):
        plan_story(**args)  # type: ignore[arg-type]


def test_shaping_rules() -> None:
    assert fit_durations([10, 10, 10], [4, 8, 12], 36) == [12, 12, 12]
    assert fit_durations([10, 10, 10], [4, 8, 12], 28) == [8, 8, 12]
    assert fit_durations([12], [4, 8, 12], 30) is None
    beats = time_beats(["a", "b", "c"], [1, 1, 2], 12)
    assert [(b.start, b.end) for b in beats] == [(0, 3), (3, 6), (6, 12)]
    assert time_beats(["a", "b"], [1, 1], 5)[-1].end == 5
    assert shorten_line("Nobody's telling anyone anything tonight. What's in the box?", 4) == \
        "What's in the box?"
    assert shorten_line("one two three four five six seven eight", 4) == "one two three four…"
    assert dialogue_capacity(12) == 2 and dialogue_capacity(8) == 1 and dialogue_capacity(2) == 0
