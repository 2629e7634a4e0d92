"""Issue 18.3: dialogue as data — speaker, words, time; the text form; the prompt; the
speaking-rate warning; old projects' free-text dialogue migrated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from soraboard.catalog import default_catalog, validate
from soraboard.catalog.validate import Severity
from soraboard.model import edits
from soraboard.model.dialogue import (
    DialogueSyntaxError,
    dialogue_problems,
    format_dialogue,
    from_text,
    parse_dialogue,
    speaking_time,
)
from soraboard.model.prompt import compose_prompt
from soraboard.model.storyboard import Character, DialogueLine, Storyboard, StyleBible
from soraboard.storage.bundle import load_project


def test_text_form_round_trips_and_untimed_lines_follow_each_other() -> None:
    lines = parse_dialogue('[1–3 s] Mara: "Is anyone there?"\nTomas: Please don\'t tell them.\n'
                           '"Hello?"', duration=12)
    assert lines[0] == DialogueLine("Mara", "Is anyone there?", 1.0, 3.0)
    assert lines[1].speaker == "Tomas" and lines[1].start == 3.0
    assert lines[1].end == pytest.approx(3.0 + speaking_time("Please don't tell them."))
    assert lines[2].speaker == "" and lines[2].text == "Hello?"
    assert parse_dialogue(format_dialogue(lines)) == tuple(
        DialogueLine(d.speaker, d.text, round(d.start, 3), round(d.end, 3)) for d in lines)
    with pytest.raises(DialogueSyntaxError, match="line 2"):
        parse_dialogue('Mara: "Hi"\n[2 s] Mara: ""')


def test_the_prompt_renders_the_lines_in_spoken_order_as_the_guides_advise() -> None:
    sb = Storyboard(style=StyleBible(characters=(Character("Mara", "a nurse"),)))
    seg = sb.new_segment(duration=8.0, scene="A bus station at night.", dialogue=(
        DialogueLine("Tomas", "Same time tomorrow?", 4, 6),
        DialogueLine("Mara", "It's late.", 0.5, 1.5)))
    sb = edits.insert_segments(sb, 0, [seg]).apply(sb)
    text = compose_prompt(sb, 0).text
    assert 'Dialogue:\n- Mara: "It\'s late."\n- Tomas: "Same time tomorrow?"' in text
    assert "Characters:\n- Mara: a nurse" in text  # a speaker is a mention


def test_lines_that_cannot_be_said_in_time_are_warnings() -> None:
    long = " ".join(["word"] * 25)  # 10 s of speech at 2.5 words a second
    assert "more than the segment's 8 s" in dialogue_problems(
        (DialogueLine("A", long, 0, 8),), 8)[0]
    rushed = dialogue_problems((DialogueLine("A", "one two three four five six", 0, 1),), 8)
    assert rushed == ['[0–1 s] A: "one two three four five six" needs about 2.4 s to say, '
                      "not 1 s"]
    assert "outside the segment" in dialogue_problems((DialogueLine("A", "hi", 7, 9),), 8)[0]
    assert dialogue_problems((DialogueLine("A", "Fine words here", 0, 1.5),), 8) == []
    sb = Storyboard(style=StyleBible(characters=(Character("Mara", "a nurse"),)))
    seg = sb.new_segment(duration=4.0, scene="x", dialogue=(DialogueLine("Mara", long, 0, 4),
                                                            DialogueLine("Ghost", "boo", 0, 1)))
    sb = edits.insert_segments(sb, 0, [seg]).apply(sb)
    found = [p for p in validate(sb, default_catalog()) if p.field == "dialogue"]
    assert found and all(p.severity is Severity.WARNING for p in found)
    assert any("Ghost speaks but is not in the style bible's cast" in str(p) for p in found)


def test_an_old_project_with_free_text_dialogue_is_migrated(tmp_path: Path) -> None:
    from importlib import resources

    # the installed package's copy, so the test also runs against the wheel
    demo = resources.files("soraboard").joinpath("demos/city-morning.json")
    doc = json.loads(demo.read_text("utf-8"))
    assert doc["schema_version"] == 1
    seg = doc["storyboard"]["segments"][3]
    seg["prompt"]["dialogue"] = 'Barista: "One flat white, coming up."\n- Customer: Thanks!'
    folder = tmp_path / "Old.soraboard"
    folder.mkdir()
    (folder / "storyboard.json").write_text(json.dumps(doc))
    sb = load_project(folder).storyboard
    lines = sb.segments[3].dialogue
    assert [(d.speaker, d.text) for d in lines] == [("Barista", "One flat white, coming up."),
                                                     ("Customer", "Thanks!")]
    assert lines[0].start == 0 and 0 < lines[0].end <= lines[1].start < lines[1].end <= 12
    assert from_text("", 12) == ()
