"""Issue 18.1: the offline planner keeps the story — its title, its whole beats, its scenes,
its beginning and its end — at every length from 8 s to 180 s."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from soraboard.catalog import default_catalog
from soraboard.model.storyboard import Continuity, Segment, TransitionType
from soraboard.planner import plan_story_file
from soraboard.planner.beats import BeatKind, split_beats, split_sentences
from soraboard.planner.characters import find_characters
from soraboard.planner.offline import plan_offline
from soraboard.planner.story import ElementKind, parse_story, read_story_file

DATA = Path(__file__).parent / "data"
STORIES = {
    "lighthouse-keeper.txt": "The Lighthouse Keeper",
    "the-last-bus.txt": "The Last Bus",
    "bakery-brief.md": "Sunday Bread",
    "night-shift.fountain": "Night Shift",
}
LENGTHS = (8, 12, 20, 30, 45, 60, 90, 120, 180)
MODELS = ("sora-2", "vertex_ai/veo-3.1-fast-generate-001")


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def _segment_text(seg: Segment) -> str:
    return " ".join([seg.scene, *(d.text for d in seg.dialogue), *(b.text for b in seg.actions)])


def _in_plan(beat_text: str, segments: tuple[Segment, ...]) -> bool:
    """Most of the beat's words are in one segment (beats may be shortened, never lost)."""
    want = set(_words(beat_text))
    return any(len(want & set(_words(_segment_text(s)))) >= 0.6 * len(want) for s in segments)


def _plan(name: str, length: float, model: str):  # type: ignore[no-untyped-def]
    text, fmt = read_story_file(DATA / name)
    story = parse_story(text, fmt)
    spec = default_catalog()[model]
    return story, plan_offline(story, length, spec, spec.sizes[0])


@pytest.mark.parametrize("name", list(STORIES))
def test_the_title_is_the_films_title_and_never_a_shot(name: str) -> None:
    result = plan_story_file(DATA / name, 60, "sora-2", planner="offline")
    sb = result.storyboard
    assert sb.title == STORIES[name]
    for seg in sb.segments:
        assert all(b.text.rstrip(".") != STORIES[name] for b in seg.actions)
        assert seg.title != STORIES[name]


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("name", list(STORIES))
def test_first_and_last_beats_whole_beats_and_chaining_within_scenes(name: str,
                                                                    model: str) -> None:
    for length in LENGTHS:
        _, plan = _plan(name, length, model)
        sb = plan.storyboard
        planned = plan.story
        assert planned is not None
        beats = split_beats(planned, frozenset(c.name for c in find_characters(planned)))
        where = f"{name} at {length} s on {model}"
        # the beginning and the end of the story are in every plan
        assert _in_plan(beats[0].text, sb.segments), where
        assert _in_plan(beats[-1].text, sb.segments), where
        # whole beats: nothing under four words unless the story's own sentence is that short
        sources = {" ".join(_words(s)) for sc in planned.scenes for e in sc.elements
                   for s in (split_sentences(e.text) if e.kind is ElementKind.ACTION
                             else [e.text])}
        for seg in sb.segments:
            for b in seg.actions:
                if len(b.text.split()) < 4:
                    assert " ".join(_words(b.text)) in sources, (where, b.text)
        # chained only inside one continuous scene
        scenes = plan.segment_scenes
        assert len(scenes) == len(sb.segments)
        for i, seg in enumerate(sb.segments):
            if seg.continuity is Continuity.CHAIN:
                assert i > 0 and scenes[i] == scenes[i - 1], where
        # every card says where and when it is, and the cards are not all framed alike
        assert all(seg.scene.strip() for seg in sb.segments), where
        if len(sb.segments) >= 3:
            assert len({seg.cinematography for seg in sb.segments}) >= 2, where


def test_the_lighthouse_keeper_scenes_cuts_and_transitions() -> None:
    _, plan = _plan("lighthouse-keeper.txt", 60, "sora-2")
    sb = plan.storyboard
    assert sb.title == "The Lighthouse Keeper"
    firsts = [s.actions[0].text for s in sb.segments]
    assert firsts[0].startswith("Every night, old Elias climbs the spiral stairs")
    stormy = next(i for i, t in enumerate(firsts) if t.startswith("One stormy night"))
    dawn = next(i for i, t in enumerate(firsts) if t.startswith("At dawn"))
    # a change of time is a new shot, never chained; "at dawn" implies time passing: a fade
    assert sb.segments[stormy].continuity is Continuity.INDEPENDENT
    assert sb.segments[dawn].continuity is Continuity.INDEPENDENT
    assert sb.segments[dawn - 1].transition_out.type is TransitionType.FADE_BLACK
    assert sb.segments[stormy - 1].transition_out.is_cut
    # climbing up and then polishing the lens at the top is one continuous scene
    assert sb.segments[1].continuity is Continuity.CHAIN
    assert "lighthouse" in sb.segments[0].scene.lower()
    assert "night" in sb.segments[0].scene.lower()
    assert "storm" in sb.segments[stormy].scene.lower()
    assert "harbour" in sb.segments[dawn].scene.lower()
    assert "dawn" in sb.segments[dawn].scene.lower()


def test_a_short_target_keeps_the_ending_says_what_it_left_out_and_proposes_a_length() -> None:
    result = plan_story_file(DATA / "lighthouse-keeper.txt", 30, "sora-2", planner="offline")
    sb = result.storyboard
    assert "At dawn" in " ".join(b.text for b in sb.segments[-1].actions)  # the ending
    result = plan_story_file(DATA / "lighthouse-keeper.txt", 5, "sora-2", planner="offline")
    sb = result.storyboard
    texts = [b.text for s in sb.segments for b in s.actions]
    assert texts[0].startswith("Every night") and texts[-1].startswith("At dawn")
    assert result.shortest_length == 12  # three scenes, one 4 s shot each
    notes = " ".join(result.notes)
    assert "too short for this story" in notes and "12 s" in notes
    assert "leaves out “At the top, he polishes" in notes
    assert "first and last moments are always kept" in notes
    # a long enough target is not called too short
    assert plan_story_file(DATA / "lighthouse-keeper.txt", 36, "sora-2",
                           planner="offline").shortest_length is None


def test_dialogue_is_kept_with_its_speaker_and_the_last_line_ends_the_film() -> None:
    _, plan = _plan("the-last-bus.txt", 30, "sora-2")
    sb = plan.storyboard
    assert sb.title == "The Last Bus"
    assert [(d.speaker, d.text) for d in sb.segments[-1].dialogue][-1:] == [
        ("Priya", "Same time.")]
    # the next morning is a new scene: a fresh shot in the morning light, not a chained one
    morning = next(s for s in sb.segments if "morning" in s.scene)
    assert morning is not sb.segments[0] and morning.continuity is Continuity.INDEPENDENT
    assert "bus station" in sb.segments[0].scene and "night" in sb.segments[0].scene
    assert all("She to the" not in b.text for s in sb.segments for b in s.actions)


def test_beats_are_whole_sentences_not_comma_fragments() -> None:
    story = parse_story((DATA / "lighthouse-keeper.txt").read_text())
    beats = split_beats(story)
    assert [b.kind for b in beats] == [BeatKind.ACTION] * 5
    assert beats[1].text == ("At the top, he polishes the great lens until it shines, "
                             "then lights the lamp.")
