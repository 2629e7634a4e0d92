"""Reading stories: formats, scenes, speakers, and the planner's settings file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from soraboard.planner import load_planner_config, plan_story, planner_config_file
from soraboard.planner.beats import BeatKind, split_beats, split_sentences
from soraboard.planner.characters import find_characters
from soraboard.planner.story import StoryFormat, guess_format, parse_story

PROSE = """# The Visit

Mara Quill, a courier in a red coat, locked her bike outside the bakery. Dr. Okafor waved from the window.

"You're late," Dr. Okafor said. "The bread went cold an hour ago."

Mara laughed. "Then I'll eat it cold," she said.

* * *

The next morning Mara rode along the canal. Mara's red coat flapped in the wind.
"""


def test_markdown_title_scenes_and_breaks() -> None:
    story = parse_story(PROSE)
    assert story.format is StoryFormat.MARKDOWN
    assert story.title == "The Visit"
    assert len(story.scenes) == 2
    assert story.scenes[1].entry == "break"


def test_prose_speakers_come_from_tags_and_pronouns() -> None:
    story = parse_story(PROSE)
    found = find_characters(story)
    assert [c.name for c in found] == ["Mara", "Dr. Okafor"]
    assert found[0].description == "a courier in a red coat"
    beats = split_beats(story, frozenset(c.name for c in found))
    spoken = [(b.speaker, b.text) for b in beats if b.kind is BeatKind.DIALOGUE]
    assert spoken == [("Dr. Okafor", "You're late."),
                      ("Dr. Okafor", "The bread went cold an hour ago."),
                      ("Mara", "Then I'll eat it cold.")]
    assert beats[-1].ends_scene


def test_sentences_do_not_split_inside_quotes_or_after_titles() -> None:
    assert split_sentences('"Storm\'s coming. A big one," he said. Dr. Okafor nodded.') == [
        '"Storm\'s coming. A big one," he said.', "Dr. Okafor nodded."]


def test_a_separator_break_fades_through_black() -> None:
    sb = plan_story(PROSE, 24, "sora-2", planner="offline").storyboard
    fades = [s.transition_out for s in sb.segments[:-1] if not s.transition_out.is_cut]
    assert [t.type.value for t in fades] == ["fade_black"]


def test_guess_format() -> None:
    assert guess_format("INT. KITCHEN - DAY\n\nShe cooks.\n\nMARA\nHello.\n") is \
        StoryFormat.FOUNTAIN
    assert guess_format("Just a story. Nothing else.") is StoryFormat.TEXT


def test_a_broken_planner_json_is_a_note_not_a_failure() -> None:
    planner_config_file().parent.mkdir(parents=True, exist_ok=True)
    planner_config_file().write_text("{not json")
    config, notes = load_planner_config()
    assert not config.configured and "unreadable" in notes[0]
    result = plan_story("A fox runs through the snow.", 12, "sora-2")
    assert result.planner == "offline"
    assert any("planner.json: unreadable" in n for n in result.notes)
    planner_config_file().write_text('{"base_url": "ftp://x", "model": "m", "colour": 1}')
    config, notes = load_planner_config()
    assert not config.configured
    assert any("unknown setting 'colour'" in n for n in notes)
    assert any("base_url must start with http" in n for n in notes)


def test_the_planner_imports_neither_qt_nor_openai(tmp_path: Path) -> None:
    code = ("import sys, soraboard.planner, soraboard.planner.commands; "
            "bad = [m for m in ('PySide6', 'shiboken6', 'openai') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
