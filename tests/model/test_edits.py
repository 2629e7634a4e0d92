"""Edits: apply/revert round trips (property-based), builders' checks, merging."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soraboard.demos import load_demo
from soraboard.model import edits
from soraboard.model.edits import Edit, EditError
from soraboard.model.storyboard import (
    CastKind,
    Character,
    Continuity,
    Storyboard,
    StyleBible,
    Transition,
    TransitionType,
)

BASE = load_demo("city-morning")


def _build(sb: Storyboard, op: int, a: int, b: int, text: str) -> Edit | None:
    """Turn random numbers into an edit that is valid for ``sb`` (or None)."""
    n = len(sb.segments)
    ids = [s.id for s in sb.segments]
    pick = ids[a % n] if n else None
    if op == 0:
        return edits.add_segment(sb, index=a % (n + 1))
    if pick is None:
        return None
    if op == 1:
        return edits.duplicate_segment(sb, pick)
    if op == 2:
        chosen = {ids[a % n], ids[b % n]}
        return edits.delete_segments(sb, chosen)
    if op == 3:
        return edits.move_segment(sb, pick, b % n)
    if op == 4:
        return edits.set_segment_field(sb, pick, "scene", text)
    if op == 5:
        return edits.set_segment_field(sb, pick, "duration", float(4 * (1 + b % 3)))
    if op == 6:
        return edits.set_transition(sb, pick, Transition(TransitionType.CROSSFADE, (b % 5) / 4))
    if op == 7:
        return edits.set_style_bible(sb, StyleBible(style=text, characters=(Character("A", text),)))
    if op == 8:
        return edits.choose_take(sb, pick, f"take_{b}")
    if op == 9:
        return edits.set_segment_fields(sb, pick, continuity=Continuity.CHAIN, title=text)
    if op == 11:
        return _cast_edit(sb, pick, a, b, text)
    if op == 12:
        return _still_edit(sb, pick, a, b)
    return edits.set_storyboard_field(sb, "budget", str(b))


def _still_edit(sb: Storyboard, pick: str, a: int, b: int) -> Edit:
    """Hold a boundary with a still, or choose a still for a first or last frame."""
    n = len(sb.segments)
    if a % 3 == 0 and n > 1:
        return edits.hold_boundary(sb, b % (n - 1), f"media/stills/k{b}.png")
    return edits.choose_still(sb, pick, ("first", "last")[b % 2], f"media/stills/s{a}.png")


def _cast_edit(sb: Storyboard, pick: str, a: int, b: int, text: str) -> Edit | None:
    """Add, rename, describe or remove a cast entry, or list entries in a segment."""
    cast = sb.style.characters
    names = [c.name for c in cast]
    name = f"{text.strip()}{b}"
    try:
        if not cast or a % 5 == 0:
            return edits.add_cast_entry(sb, Character(name, text, images=(f"media/{b}.png",)))
        i = b % len(cast)
        if a % 5 == 1:
            return edits.set_cast_entry(sb, i, replace(cast[i], name=name))
        if a % 5 == 2:
            return edits.set_cast_entry(sb, i, replace(cast[i], description=text))
        if a % 5 == 3:
            return edits.remove_cast_entry(sb, i)
        return edits.set_segment_cast(sb, pick, names[: 1 + a % len(names)])
    except EditError:
        return None  # a duplicate name: refused, as the editor would


ops = st.lists(
    st.tuples(st.integers(0, 12), st.integers(0, 50), st.integers(0, 50), st.text(max_size=8)),
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(ops)
def test_random_edit_sequences_revert_to_the_original(seq: list[tuple[int, int, int, str]]) -> None:
    states = [BASE]
    applied: list[Edit] = []
    sb = BASE
    for op, a, b, text in seq:
        e = _build(sb, op, a, b, text)
        if e is None:
            continue
        sb = e.apply(sb)
        applied.append(e)
        states.append(sb)
    # undo everything, checking every intermediate state on the way down
    for e, expected in zip(reversed(applied), reversed(states[:-1])):
        sb = e.revert(sb)
        assert sb == expected
    assert sb == BASE
    # and redo everything back up
    for e, expected in zip(applied, states[1:]):
        sb = e.apply(sb)
        assert sb == expected


def test_delete_several_and_revert_restores_order_and_content() -> None:
    ids = [s.id for s in BASE.segments]
    e = edits.delete_segments(BASE, [ids[0], ids[2], ids[4]])
    after = e.apply(BASE)
    assert [s.id for s in after.segments] == [ids[1], ids[3]]
    assert e.label == "Delete 3 segments"
    assert e.revert(after) == BASE


def test_duplicate_gets_new_id_no_take_and_sits_after_the_original() -> None:
    sb = edits.choose_take(BASE, BASE.segments[1].id, "take_x").apply(BASE)
    after = edits.duplicate_segment(sb, sb.segments[1].id).apply(sb)
    copy = after.segments[2]
    assert copy.id != sb.segments[1].id
    assert copy.chosen_take is None
    assert copy.title == "Street level (copy)"
    assert copy.scene == sb.segments[1].scene


def test_move_keeps_the_outgoing_transition_with_its_segment() -> None:
    first = BASE.segments[0]
    after = edits.move_segment(BASE, first.id, 2).apply(BASE)
    assert after.segments[2].id == first.id
    assert after.segments[2].transition_out == first.transition_out


def test_builders_refuse_bad_arguments_with_plain_messages() -> None:
    with pytest.raises(EditError, match="no segment with id"):
        edits.set_segment_field(BASE, "seg_nope", "title", "x")
    with pytest.raises(EditError, match="no field 'colour'"):
        edits.set_segment_field(BASE, BASE.segments[0].id, "colour", "x")
    with pytest.raises(EditError, match="outside the storyboard"):
        edits.move_segment(BASE, BASE.segments[0].id, 9)
    with pytest.raises(EditError, match="outside the storyboard"):
        edits.add_segment(BASE, index=-1)
    with pytest.raises(EditError, match="already in the storyboard"):
        edits.add_segment(BASE, BASE.segments[0])
    with pytest.raises(EditError, match="id"):
        edits.set_segment_field(BASE, BASE.segments[0].id, "id", "x")


def test_typing_merges_into_one_edit_but_other_fields_do_not() -> None:
    sid = BASE.segments[0].id
    e1 = edits.set_segment_field(BASE, sid, "scene", "A")
    sb1 = e1.apply(BASE)
    e2 = edits.set_segment_field(sb1, sid, "scene", "AB")
    assert e1.merge_key() == e2.merge_key() is not None
    merged = e1.merged(e2)
    assert merged is not None
    sb2 = merged.apply(BASE)
    assert sb2.segments[0].scene == "AB"
    assert merged.revert(sb2) == BASE
    # a different field or segment does not merge; neither does a model change
    other = edits.set_segment_field(sb1, sid, "audio", "x")
    assert e1.merged(other) is None
    assert edits.set_segment_field(BASE, sid, "model", "sora-2").merge_key() is None


def test_choose_take_is_an_undoable_edit_of_the_selection_only() -> None:
    sid = BASE.segments[3].id
    e = edits.choose_take(BASE, sid, "take_abc")
    after = e.apply(BASE)
    assert after.segments[3].chosen_take == "take_abc"
    assert e.label == "Choose take"
    assert e.revert(after).segments[3].chosen_take is None


def test_renaming_a_cast_entry_carries_the_name_into_its_segments_in_one_edit() -> None:
    sb = edits.add_cast_entry(BASE, Character("Mara", "a courier")).apply(BASE)
    a, b, c = (s.id for s in sb.segments[:3])
    sb = edits.set_segment_cast(sb, a, ["Mara"]).apply(sb)
    sb = edits.set_segment_cast(sb, b, ["mara"]).apply(sb)  # names match without case
    before = sb
    rename = edits.set_cast_entry(sb, len(sb.style.characters) - 1, Character("Maya", "a courier"))
    sb = rename.apply(sb)
    assert sb.style.characters[-1].name == "Maya"
    assert sb.segment(a).cast == ("Maya",) and sb.segment(b).cast == ("Maya",)
    assert sb.segment(c).cast == ()
    assert rename.revert(sb) == before
    assert rename.merge_key() is None


def test_cast_names_must_be_unique_and_removing_an_entry_unlists_it() -> None:
    sb = edits.add_cast_entry(BASE, Character("Mara", "")).apply(BASE)
    sb = edits.add_cast_entry(sb, Character("Lamp", "", CastKind.PROP)).apply(sb)
    lamp = len(sb.style.characters) - 1
    with pytest.raises(EditError, match="already has an entry named 'Mara'"):
        edits.add_cast_entry(sb, Character(" mara ", ""))
    with pytest.raises(EditError, match="already has an entry"):
        edits.set_cast_entry(sb, lamp, Character("MARA", ""))
    with pytest.raises(EditError, match="needs a name"):
        edits.set_cast_entry(sb, lamp, Character("  ", ""))
    sid = sb.segments[0].id
    sb = edits.set_segment_cast(sb, sid, ["Mara", "Lamp"]).apply(sb)
    removed = edits.remove_cast_entry(sb, lamp - 1).apply(sb)
    assert [c.name for c in removed.style.characters] == ["Barista", "Lamp"]
    assert removed.segment(sid).cast == ("Lamp",)


def test_typing_a_description_merges_but_renames_do_not() -> None:
    sb = edits.add_cast_entry(BASE, Character("Mara", "")).apply(BASE)
    i = len(sb.style.characters) - 1
    first = edits.set_cast_entry(sb, i, Character("Mara", "a"))
    sb2 = first.apply(sb)
    second = edits.set_cast_entry(sb2, i, Character("Mara", "ab"))
    merged = first.merged(second)
    assert merged is not None and merged.apply(sb) == second.apply(sb2)
    other = edits.set_cast_entry(sb2, i, Character("Mia", "a"))
    assert first.merged(other) is None


def test_an_entry_from_an_older_file_without_a_unique_name_can_still_be_described() -> None:
    twins = replace(BASE, style=StyleBible(characters=(Character("Ann", ""), Character("ann", ""))))
    after = edits.set_cast_entry(twins, 1, Character("ann", "the other one")).apply(twins)
    assert after.style.characters[1].description == "the other one"
    with pytest.raises(EditError, match="already has an entry"):
        edits.set_cast_entry(twins, 1, Character("ANN", ""))
