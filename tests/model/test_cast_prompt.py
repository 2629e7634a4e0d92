"""A segment's listed cast reaches its composed prompt (issue 17.2): every entry it lists is
described, in cast order, even when the prompt's words do not name it; entries named but not
listed are described as before; a listed entry's new description makes the take stale."""

from __future__ import annotations

from dataclasses import replace

from soraboard.catalog.catalog import Catalog, default_catalog
from soraboard.catalog.validate import validate
from soraboard.model import edits
from soraboard.model.prompt import compose_prompt, prompt_cast
from soraboard.model.status import SegmentState, segment_status
from soraboard.model.storyboard import (
    Beat,
    CastKind,
    Character,
    Segment,
    Storyboard,
    StyleBible,
)
from soraboard.model.take import RequestSnapshot, Take, TakeStatus

ELIAS = Character("Elias", "an old lighthouse keeper in a navy wool coat")
BOAT = Character("Boat", "a small red fishing boat", CastKind.PROP)
GIRL = Character("Mira", "a girl of ten in a yellow raincoat")
HARBOUR = Character("Harbour", "a stone harbour wall", CastKind.LOCATION)


def _sb(cast: tuple[str, ...], action: str = "The beam sweeps the dark sea.") -> Storyboard:
    seg = Segment("s1", "vertex_ai/veo-3.1-fast-generate-001", "1280x720", 8.0,
                  title="Storm", scene="The lantern room at night.",
                  actions=(Beat(0, 8, action),), cast=cast)
    return Storyboard(style=StyleBible(style="Film", characters=(ELIAS, BOAT, GIRL, HARBOUR)),
                      segments=(seg,))


def _section(text: str) -> str:
    return next(p for p in text.split("\n\n") if p.startswith("Characters:"))


def test_a_listed_entry_is_described_though_the_prompt_does_not_name_it() -> None:
    text = compose_prompt(_sb(("Elias",)), 0).text
    assert _section(text) == "Characters:\n- Elias: an old lighthouse keeper in a navy wool coat"
    assert "Elias" not in text.split("Scene:")[1]  # the words themselves do not name him


def test_listed_entries_come_in_cast_order_then_named_unlisted_ones_each_once() -> None:
    sb = _sb(("boat", "Elias"), "Mira waves from the boat while Elias rings the bell.")
    text = compose_prompt(sb, 0).text
    assert _section(text) == ("Characters:\n- Boat: a small red fishing boat\n"
                              "- Elias: an old lighthouse keeper in a navy wool coat\n"
                              "- Mira: a girl of ten in a yellow raincoat")
    assert [c.name for c in prompt_cast(sb.segments[0], sb.style.characters)] == \
        ["Boat", "Elias", "Mira"]


def test_named_but_unlisted_stays_as_before_and_unknown_names_are_skipped() -> None:
    sb = _sb((), "Mira waves from the deck.")
    assert _section(compose_prompt(sb, 0).text) == \
        "Characters:\n- Mira: a girl of ten in a yellow raincoat"
    nobody = _sb(("Ghost",))  # not in the bible: validation warns, the prompt says nothing
    assert "Characters:" not in compose_prompt(nobody, 0).text
    assert "Characters:" not in compose_prompt(_sb(()), 0).text


def test_a_listed_entrys_new_description_makes_the_take_stale_and_undo_heals() -> None:
    sb = _sb(("Elias",))
    req = RequestSnapshot(compose_prompt(sb, 0).text, "vertex_ai/veo-3.1-fast-generate-001",
                          "1280x720", 8.0)
    takes = {"t1": Take("t1", "s1", "animatic", req, TakeStatus.DONE, file="media/t1.mp4",
                        created_at=1.0)}
    sb = edits.choose_take(sb, "s1", "t1").apply(sb)
    assert segment_status(sb, takes, 0).state is SegmentState.DONE
    e = edits.set_cast_entry(sb, 0, replace(ELIAS, description="a young keeper"))
    after = e.apply(sb)
    st = segment_status(after, takes, 0)
    assert st.state is SegmentState.STALE and st.reason == "prompt edited since this take"
    assert segment_status(e.revert(after), takes, 0).state is SegmentState.DONE
    # an entry the segment neither lists nor names changes nothing
    other = edits.set_cast_entry(sb, 2, replace(GIRL, description="a tall girl")).apply(sb)
    assert segment_status(other, takes, 0).state is SegmentState.DONE


def test_the_prompt_length_check_counts_the_listed_descriptions() -> None:
    base = default_catalog()
    spec = base["vertex_ai/veo-3.1-fast-generate-001"]
    unlisted = _sb(())
    limit = compose_prompt(unlisted, 0).length + 20
    catalog = Catalog([replace(spec, prompt_max_chars=limit)])
    assert not [p for p in validate(unlisted, catalog) if "composed prompt" in p.message]
    listed = _sb(("Elias",))
    assert compose_prompt(listed, 0).length > limit
    assert [p for p in validate(listed, catalog) if "composed prompt" in p.message]
