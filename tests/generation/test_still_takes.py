"""A still is a take too (issue 17.1): asking for a slot's still again adds a still with the
same request and keeps every older one (file and ledger record); records written before
slots were kept still load, and the boundary's stills are found by their file names."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from soraboard.catalog.catalog import default_catalog, reset_default_catalog
from soraboard.catalog.cost import estimate
from soraboard.generation.errors import Rejected
from soraboard.generation.stills import (
    OfflineStills,
    StillRequest,
    keyframe_still,
    regenerate_still,
)
from soraboard.model import edits
from soraboard.model.still_slots import stills_for
from soraboard.model.storyboard import Character
from soraboard.storage.bundle import Bundle, load_project
from tests.generation.test_keyframe_mode import keyframed
from tests.generation.test_keyframes import KEYFRAME_MODEL

PRICE = Decimal("0.042")


@pytest.fixture(autouse=True)
def keyframe_catalog(test_catalog: Path) -> None:
    test_catalog.write_text(json.dumps({"models": [KEYFRAME_MODEL]}), "utf-8")
    reset_default_catalog()


class PaidStills(OfflineStills):
    """The placeholder, as if a provider made it: records every request it was asked."""

    name = "paid"

    def __init__(self) -> None:
        self.requests: list[StillRequest] = []

    def make(self, request: StillRequest, dest: Path):  # type: ignore[no-untyped-def]
        self.requests.append(request)
        return super().make(request, dest)


class Refusing(PaidStills):
    def make(self, request: StillRequest, dest: Path):  # type: ignore[no-untyped-def]
        self.requests.append(request)
        raise Rejected("still: refused by the image model")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_regenerating_keeps_every_older_still_and_the_ledger_counts_them_all(
        tmp_path: Path) -> None:
    sb = keyframed(3, set(), model="test-keyframes")
    sb = replace(sb, style=replace(sb.style, characters=(
        Character("Mara", "a cyclist", images=("media/cast/mara.png",)),)))
    sb = edits.set_segment_cast(sb, sb.segments[1].id, ["Mara"]).apply(sb)
    bundle = Bundle.create(tmp_path / "Film", sb)
    (bundle.media_dir / "cast").mkdir(parents=True)
    (bundle.media_dir / "cast" / "mara.png").write_bytes(b"png")
    backend = PaidStills()
    first = keyframe_still(bundle, sb, 0, backend, cost=PRICE)
    sb = edits.hold_boundary(sb, 0, first).apply(sb)
    [one] = bundle.load_stills()[0].values()
    assert (one.role, one.segment_id, one.next_segment_id) == (
        "boundary", sb.segments[0].id, sb.segments[1].id)
    assert one.references == ("media/cast/mara.png",) and one.cast == ("Mara",)
    first_sha = _sha(bundle.resolve(first))
    assert one.sha256 == first_sha

    two = regenerate_still(bundle, one, backend, PRICE)
    three = regenerate_still(bundle, two, backend, PRICE)
    # the same request each time: prompt, model, size, references, cast
    a, b, c = backend.requests
    assert (a.prompt, a.model, a.size, a.references, a.cast) == \
        (b.prompt, b.model, b.size, b.references, b.cast) == \
        (c.prompt, c.model, c.size, c.references, c.cast)
    assert [r.variant for r in backend.requests] == [0, 1, 2]
    # three files, none written over: the first is byte for byte what it was
    files = [first, two.file, three.file]
    assert len(set(files)) == 3 and all(bundle.resolve(f).is_file() for f in files if f)
    assert _sha(bundle.resolve(first)) == first_sha
    assert two.sha256 != first_sha  # the placeholder shows which still of the slot it is
    # every one is in its slot's list, oldest first, on both sides of the boundary
    project = load_project(bundle.path)
    listed = stills_for(sb, project.stills, sb.segments[1].id, "first")
    assert [r.file for r in listed] == files
    assert stills_for(sb, project.stills, sb.segments[0].id, "last") == listed
    assert all((r.prompt, r.model, r.size, r.cost) == (one.prompt, one.model, one.size, "0.042")
               for r in listed)
    # and the ledger counts all three as spent
    report = estimate(sb, default_catalog(), stills=project.stills)
    assert report.stills_spent == report.spent == PRICE * 3


def test_a_refused_regeneration_keeps_the_older_still_and_costs_nothing(
        tmp_path: Path) -> None:
    sb = keyframed(2, set(), model="test-keyframes")
    bundle = Bundle.create(tmp_path / "Film", sb)
    first = keyframe_still(bundle, sb, 0, PaidStills(), cost=PRICE)
    [one] = bundle.load_stills()[0].values()
    with pytest.raises(Rejected):
        regenerate_still(bundle, one, Refusing(), PRICE)
    records = sorted(bundle.load_stills()[0].values(), key=lambda r: r.created_at)
    assert [(r.status, r.billing) for r in records] == [("done", "billed"), ("failed", "none")]
    assert records[1].role == "boundary" and bundle.resolve(first).is_file()
    assert [r.file for r in stills_for(sb, {r.id: r for r in records},
                                       sb.segments[0].id, "last")] == [first]


def test_older_still_records_load_and_a_boundary_s_still_is_found_by_its_name(
        tmp_path: Path) -> None:
    sb = keyframed(2, set(), model="test-keyframes")
    s1, s2 = (s.id for s in sb.segments)
    bundle = Bundle.create(tmp_path / "Film", sb)
    bundle.stills_dir.mkdir()
    old = {"id": "still_00000000000a", "provider": "animatic", "model": "gpt-image-1",
           "size": "320x180", "prompt": "dawn", "status": "done", "cost": "0",
           "file": f"media/stills/{s1}-{s2}-0123abcd.png", "sha256": "0" * 64,
           "created_at": 1.0, "error": None}
    sheet = {**old, "id": "still_00000000000b", "file": "media/cast/mara-1-0123abcd.png"}
    other = {**old, "id": "still_00000000000c", "file": "media/stills/mine.png"}
    for rec in (old, sheet, other):
        (bundle.stills_dir / f"{rec['id']}.json").write_text(
            json.dumps({"schema_version": 1, "still": rec}), "utf-8")
    project = load_project(bundle.path)
    assert not project.warnings
    got = project.stills
    assert (got["still_00000000000a"].role, got["still_00000000000a"].segment_id,
            got["still_00000000000a"].next_segment_id) == ("boundary", s1, s2)
    assert got["still_00000000000b"].role == "cast"
    assert got["still_00000000000c"].role is None
    assert all(r.references == () and r.api_size is None for r in got.values())
    assert [r.id for r in stills_for(sb, got, s2, "first")] == ["still_00000000000a"]
    # a record rewritten now keeps the older form's fields as they were
    bundle.write_still(got["still_00000000000c"])
    again = json.loads((bundle.stills_dir / "still_00000000000c.json").read_text("utf-8"))
    assert again["still"] == other
    # and a record of a slot round-trips whole
    regen = regenerate_still(bundle, got["still_00000000000a"], OfflineStills(), Decimal(0))
    assert load_project(bundle.path).stills[regen.id] == regen


def test_a_record_naming_an_unknown_role_is_skipped_with_a_warning(tmp_path: Path) -> None:
    bundle = Bundle.create(tmp_path / "Film", keyframed(2, set()))
    bundle.stills_dir.mkdir()
    (bundle.stills_dir / "still_00000000000d.json").write_text(json.dumps(
        {"schema_version": 1, "still": {"id": "still_00000000000d", "provider": "p",
                                        "model": "m", "size": "320x180", "status": "done",
                                        "role": "poster"}}), "utf-8")
    project = load_project(bundle.path)
    assert project.stills == {}
    assert "poster" in project.warnings[0] and "still.role" in project.warnings[0]
