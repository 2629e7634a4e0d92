"""Plans propose cast entries and keyframe stills (issue 17.8).

The cast: the story's characters (and the props and places it shows again across a cut) go
into the style bible with a description from the story, and each planned segment lists the
entries it shows — "he" included. A re-plan never duplicates or rewrites an entry already
there. Keyframes: a plan proposes holding a boundary with a still only inside a continuous
scene and only where the model can end on a still; it makes nothing and spends nothing, and
the CLI, the notes and the re-plan diff say what it proposed.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from soraboard.catalog.catalog import default_catalog
from soraboard.cli import main
from soraboard.model import edits
from soraboard.model.prompt import compose_prompt
from soraboard.model.storyboard import CastKind, Character
from soraboard.planner import PlanError, plan_story, plan_story_file
from soraboard.planner.replan import replan, untouched
from soraboard.storage.bundle import load_project
from soraboard.storage.codec import segment_from, segment_to_dict
from tests.helpers.fake_chat_server import Reply
from tests.planner.test_llm import _lighthouse_plan, api_key, config, server_factory  # noqa: F401

DATA = Path(__file__).parent / "data"
LIGHTHOUSE = DATA / "lighthouse-keeper.txt"
VEO = "vertex_ai/veo-3.1-fast-generate-001"  # first and last frame
SORA = "sora-2"  # first frame only


def _plan(length: float = 30, model: str = VEO) -> Any:
    return plan_story_file(LIGHTHOUSE, length, model, planner="offline")


def test_the_keeper_is_a_cast_entry_listed_in_the_segments_he_is_in() -> None:
    result = _plan()
    sb = result.storyboard
    bible = {c.name: c for c in sb.style.characters}
    assert list(bible) == ["Elias", "Boat"]
    assert bible["Elias"].kind is CastKind.CHARACTER
    # the story never says what he looks like; its words do: "old Elias", the title's role
    assert bible["Elias"].description == "an old lighthouse keeper"
    assert bible["Boat"] == Character("Boat", "a small boat", CastKind.PROP)
    by_title = {s.title: s.cast for s in sb.segments}
    assert by_title == {"Every night": ("Elias",), "One stormy night": ("Boat",),
                        "Elias rings the bell again": ("Elias", "Boat"),
                        "At dawn": ("Elias", "Boat")}
    dawn = [s.title for s in sb.segments].index("At dawn")
    text = compose_prompt(sb, dawn).text
    assert "Elias" not in text.split("Scene:")[1]  # the shot only says "he finds the boat"
    assert "Characters:\n- Elias: an old lighthouse keeper\n- Boat: a small boat" in text
    assert any(n.startswith("characters in the style bible: Elias; props and places: Boat "
                            "(prop)") for n in result.notes)
    # at every length the keeper is listed wherever the story shows him
    for length in (8, 16, 60, 120):
        short = _plan(length).storyboard
        assert [c.name for c in short.style.characters] == ["Elias", "Boat"]
        assert short.segments[0].cast[:1] == ("Elias",)
        assert "Elias" in short.segments[-1].cast  # "At dawn, he finds the boat"


def test_a_replan_keeps_the_users_cast_entries_and_never_duplicates_one() -> None:
    sb = _plan().storyboard
    # the user describes Elias their way and adds the girl; nothing else changes
    sb = edits.set_cast_entry(sb, 0, replace(sb.style.characters[0],
                                             description="a stooped man of seventy")).apply(sb)
    girl = Character("Girl", "a girl of eight in a yellow raincoat")
    sb = edits.add_cast_entry(sb, girl).apply(sb)
    mine = sb.style.characters
    again = _plan(60).storyboard
    shouted = replace(again, style=replace(again.style, characters=tuple(
        replace(c, name=c.name.upper(), description="something else")
        for c in again.style.characters)))
    for planned in (again, shouted):  # names match case-blind
        result = replan(sb, planned)
        assert result.storyboard.style.characters == mine  # kept exactly, no duplicate
        assert result.cast_added == () and "+ cast" not in result.describe()
    # a new entry of the plan is added, and the diff says so
    more = replace(again, style=replace(again.style, characters=(
        *again.style.characters, Character("Harbour", "a stone harbour", CastKind.LOCATION))))
    result = replan(sb, more)
    assert result.storyboard.style.characters == (*mine, more.style.characters[-1])
    assert "+ cast     Harbour (location)" in result.describe()
    assert result.changes_anything


def test_keyframes_are_proposed_only_inside_a_continuous_scene_for_capable_models() -> None:
    result = _plan(30, VEO)
    sb = result.storyboard
    catalog = default_catalog()
    assert catalog[VEO].last_frame and not catalog[SORA].last_frame
    chained = [i for i in range(len(sb.segments) - 1) if sb.segments[i + 1].is_chained]
    assert chained and result.keyframes == chained == [2 - 1]  # "Elias rings the bell…"
    assert [s.keyframe_proposed for s in sb.segments] == [False, True, False, False]
    # a proposal, not a purchase: no still is set anywhere
    assert all(s.last_keyframe is None and s.reference_image is None for s in sb.segments)
    note = next(n for n in result.notes if n.startswith("proposed: keyframe stills"))
    assert "boundary 2→3" in note and "nothing is made or spent" in note
    # a longer film chains more shots; every proposal is still inside a scene
    long = _plan(90, VEO)
    assert long.keyframes and all(long.storyboard.segments[i + 1].is_chained
                                  for i in long.keyframes)
    # a model without last-frame input gets no proposal (and no note about one)
    sora = _plan(30, SORA)
    assert sora.keyframes == [] and not any(s.keyframe_proposed for s in sora.storyboard.segments)
    assert not any("keyframe" in n for n in sora.notes)


def test_a_proposal_is_stored_fingerprinted_and_shown_in_the_replan_diff() -> None:
    sb = _plan().storyboard
    seg = sb.segments[1]
    assert segment_from(json.loads(json.dumps(segment_to_dict(seg))), "s") == seg
    assert "keyframe_proposed" not in segment_to_dict(sb.segments[0])  # only when proposed
    assert untouched(seg) == ""
    # withdrawing the proposal is an edit of the user's: a re-plan keeps it
    sb2 = edits.set_segment_field(sb, seg.id, "keyframe_proposed", False).apply(sb)
    assert untouched(sb2.segments[1]) == "you edited it"
    result = replan(sb2, _plan().storyboard)
    assert not result.storyboard.segments[1].keyframe_proposed
    assert result.keyframes == [] and "proposed keyframe" not in result.describe()
    # a fresh plan over an empty storyboard shows its proposal in the diff
    fresh = replan(replace(sb, segments=()), _plan().storyboard)
    assert "proposed keyframe stills at boundaries 2→3 (nothing is made or spent" \
        in fresh.describe()
    # the user turns the held shot into a new shot: the planned proposal before it lapses
    sb3 = edits.set_segment_field(sb, sb.segments[2].id, "continuity", "independent").apply(sb)
    merged = replan(sb3, _plan().storyboard).storyboard
    assert not merged.segments[1].keyframe_proposed and untouched(merged.segments[1]) == ""


def test_the_cli_names_the_proposals_and_keyframes_makes_only_those(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "Keeper"
    assert main(["plan", str(LIGHTHOUSE), "--length", "30", "--model", VEO,
                 "-o", str(out_dir)]) == 0
    out = capsys.readouterr().out
    assert "note: proposed: keyframe stills for boundary 2→3" in out
    assert "note: characters in the style bible: Elias; props and places: Boat (prop)" in out
    assert re.search(r"next: soraboard keyframes \S+Keeper\.soraboard makes the proposed", out)
    project = load_project(out_dir)
    assert project.storyboard.proposed_keyframes() == [1]
    assert not list((project.bundle.path / "media").glob("**/*.png"))  # nothing made
    # `soraboard keyframes` with no --boundaries acts on the proposal, offline for $0
    assert main(["keyframes", str(out_dir), "--provider", "animatic"]) == 0
    out, err = capsys.readouterr()
    assert "the plan proposed boundaries 2→3" in err
    assert "boundary 2→3: held by" in out and "1 of 1 boundaries" in out
    sb = load_project(out_dir).storyboard
    assert [sb.held_by_keyframe(i) for i in range(3)] == [False, True, False]
    assert sb.proposed_keyframes() == []


def test_the_llm_plan_lists_cast_and_proposes_keyframes_checked_with_one_repair(
        server_factory: Any) -> None:  # noqa: F811
    good = _lighthouse_plan()
    good["characters"].append({"name": "Boat", "kind": "prop", "description": "a small boat"})
    good["segments"][1]["continuity"] = "chain"
    good["segments"][0]["cast"] = ["Elias"]
    good["segments"][1]["cast"] = ["boat"]
    good["segments"][2]["cast"] = ["Elias", "Boat"]
    good["segments"][0]["keyframe_out"] = True  # into the chained shot 2

    unknown = copy.deepcopy(good)
    unknown["segments"][2]["cast"] = ["Elias", "Girl"]
    cut = copy.deepcopy(good)
    cut["segments"][1]["keyframe_out"] = True  # shot 3 is a new shot
    last = copy.deepcopy(good)
    last["segments"][2]["keyframe_out"] = True
    for broken, problem in ((unknown, "segments[2].cast names 'Girl', not in characters"),
                            (cut, "segments[1].keyframe_out: segments[2] is a new shot"),
                            (last, "segments[2].keyframe_out: the last segment")):
        server = server_factory([Reply(json.dumps(broken)), Reply(json.dumps(good))])
        result = plan_story(LIGHTHOUSE.read_text(), 24, VEO, planner="llm",
                            config=config(server))
        assert len(server.requests) == 2
        assert problem in server.requests[1]["messages"][-1]["content"]
        sb = result.storyboard
        assert [s.cast for s in sb.segments] == [("Elias",), ("Boat",), ("Elias", "Boat")]
        assert sb.style.characters[1].kind is CastKind.PROP
        assert result.keyframes == [0]
        assert any("proposed: keyframe stills for boundary 1→2" in n for n in result.notes)
    # a model that cannot end on a still: a keyframe proposal is a problem, repaired once
    server = server_factory([Reply(json.dumps(good))])
    with pytest.raises(PlanError, match=re.escape(
            "segments[0].keyframe_out: sora-2 cannot end on a still")):
        plan_story(LIGHTHOUSE.read_text(), 24, SORA, planner="llm", config=config(server))
    assert len(server.requests) == 2


def test_the_llm_is_told_the_cast_and_keyframe_rules() -> None:
    from soraboard.planner.llm import PLAN_SCHEMA, system_prompt

    seg = PLAN_SCHEMA["properties"]["segments"]["items"]
    assert {"cast", "keyframe_out"} <= set(seg["required"])
    veo = system_prompt(default_catalog()[VEO], "1280x720", 30, None)
    assert "only when the next segment is \"chain\"" in veo
    sora = system_prompt(default_catalog()[SORA], "1280x720", 30, None)
    assert "keyframe_out: always false (sora-2 cannot end on a still)" in sora



def test_a_pronoun_stands_for_the_last_named_character_it_fits() -> None:
    from soraboard.planner.beats import BeatKind, StoryBeat
    from soraboard.planner.cast import Referents

    mara = Character("Mara", "a courier in a red jacket")
    story = ["Mara waits at the door of the old house.", "She knocks twice and steps back.",
             "A man in a grey cardigan opens the door.", "He takes the parcel from Mara.",
             "He closes the door.", "She walks back to her van in the rain."]
    beats = [StoryBeat(t, BeatKind.ACTION, 0, n, 3.0) for n, t in enumerate(story)]
    refs = Referents((mara,), beats)
    shows = [refs.see(b) for b in beats]
    # "she" is Mara; "he" is the man, who is not in the cast: his shot lists nobody
    assert shows == [["Mara"], ["Mara"], [], ["Mara"], [], ["Mara"]]
    # the story's own words: "He shrugs and offers her half" shows Priya, not as "he"
    sb = plan_story_file(DATA / "the-last-bus.txt", 30, VEO, planner="offline").storyboard
    offered = next(s for s in sb.segments if s.title.startswith("Shrugs"))
    assert offered.cast == ("Priya",)
