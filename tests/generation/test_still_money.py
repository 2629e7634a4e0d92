"""Stills in the money (issue 17, cost): a keyframe still is priced in the estimate, what was
made counts in the ledger (spent), in ``soraboard cost`` and in generate's budget check, so
a budget the stills have already used up stops ``generate`` before anything is sent."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from soraboard.catalog.catalog import default_catalog, reset_default_catalog
from soraboard.catalog.cost import estimate, film_stills, stills_cost
from soraboard.generation.errors import Rejected
from soraboard.generation.scheduler import check_budget
from soraboard.generation.stills import OfflineStills, StillRequest, keyframe_still
from soraboard.model.take import StillRecord
from soraboard.storage.bundle import Bundle, load_project
from tests.generation.test_keyframe_mode import keyframed
from tests.generation.test_keyframes import KEYFRAME_MODEL
from tests.helpers.fake_videos_server import FakeVideosServer


@pytest.fixture(autouse=True)
def keyframe_catalog(test_catalog: Path) -> None:
    test_catalog.write_text(json.dumps({"models": [KEYFRAME_MODEL]}), "utf-8")
    reset_default_catalog()


def record(n: int, status: str, cost: str | None, file: str | None = None) -> StillRecord:
    return StillRecord(f"still_{n:012x}", "fake", "gpt-image-1", "320x180", "p",
                       status=status, cost=cost, file=file, created_at=float(n))


def test_the_ledger_counts_stills_made_as_spent_and_unanswered_ones_as_possibly_billed() -> None:
    sb = replace(keyframed(3, {0}, model="test-keyframes"), budget="1")
    stills = {r.id: r for r in (
        record(1, "done", "0.042", "media/stills/k0.png"),  # the film uses it
        record(2, "done", "0.042", "media/stills/old.png"),  # made, then replaced: still paid
        record(3, "pending", "0.042"),  # sent, no answer recorded (a crash)
        record(4, "failed", "0.042"))}  # refused: assumed not billed, like a failed take
    plain = estimate(sb, default_catalog())
    report = estimate(sb, default_catalog(), stills=stills)
    assert report.spent == Decimal("0.084") and report.stills_spent == Decimal("0.084")
    assert report.possibly_billed == Decimal("0.042")
    assert report.committed == Decimal("0.126")
    # The estimate of the film counts the still it is held by (once, though both shots use it).
    assert (report.stills, report.stills_count) == (film_stills(sb, stills)[0], 1)
    assert report.stills.exact == Decimal("0.042")
    assert report.estimate.known == plain.estimate.known + Decimal("0.042")
    assert "of which stills $0.08" in report.ledger()
    # A still the creator imported (no record) is in the film at $0.
    assert film_stills(sb, {})[0].exact == 0
    # Priced before it is made: the catalog's per-image price, or unknown (never $0).
    assert stills_cost(default_catalog(), "gpt-image-1", 5).exact == Decimal("0.315")
    assert stills_cost(default_catalog(), "no-such-image-model", 2).unknown == 2


def test_generate_s_budget_check_counts_the_stills() -> None:
    sb = replace(keyframed(3, {0, 1}, model="test-keyframes"), budget="0.65")
    ids = [s.id for s in sb.segments]
    # Three 2 s clips at $0.10/s fit $0.65 …
    alone = check_budget(sb, {}, default_catalog(), ids)
    assert alone.cost.exact == Decimal("0.60") and not alone.needs_confirmation
    # … but not after two stills of $0.042 were made.
    stills = {r.id: r for r in (record(1, "done", "0.042", "media/stills/k0.png"),
                                record(2, "done", "0.042", "media/stills/k1.png"))}
    guard = check_budget(sb, {}, default_catalog(), ids, stills=stills)
    assert guard.needs_confirmation and guard.committed == Decimal("0.084")
    assert "keyframe stills took $0.08" in guard.describe()


def test_validate_s_budget_warning_counts_the_stills_the_film_uses() -> None:
    from soraboard.catalog.validate import validate

    # the film's three 2 s clips ($0.60) and the still holding boundary 1 ($0.042)
    sb = replace(keyframed(3, {0}, model="test-keyframes"), budget="0.62")
    stills = {r.id: r for r in (record(1, "done", "0.042", "media/stills/k0.png"),)}

    def over(problems: list[object]) -> list[str]:
        return [str(p) for p in problems if "over the budget" in str(p)]

    assert over(validate(sb, default_catalog())) == []  # the clips alone fit
    assert over(validate(sb, default_catalog(), stills=stills)) == [
        "Storyboard: the estimate $0.64 is over the budget $0.62 by $0.02"]


class _Refusing(OfflineStills):
    """A still backend that sees its record journaled, then refuses (as a provider may)."""

    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle
        self.seen: list[str] = []

    def make(self, request: StillRequest, dest: Path) -> object:  # type: ignore[override]
        records, _ = self.bundle.load_stills()
        self.seen = [r.status for r in records.values()]
        raise Rejected("still: refused by the image model")


def test_a_still_is_journaled_before_it_is_asked_for(tmp_path: Path) -> None:
    bundle = Bundle.create(tmp_path / "Film", keyframed(2, set(), model="test-keyframes"))
    sb = bundle.load_storyboard()
    refusing = _Refusing(bundle)
    with pytest.raises(Rejected):
        keyframe_still(bundle, sb, 0, refusing, cost=Decimal("0.042"))
    assert refusing.seen == ["pending"]  # on disk before the image model was called
    [failed] = bundle.load_stills()[0].values()
    assert (failed.status, failed.billing, failed.error) == (
        "failed", "none", "still: refused by the image model")
    path = keyframe_still(bundle, sb, 0, OfflineStills(), cost=Decimal(0))
    made = [r for r in bundle.load_stills()[0].values() if r.status == "done"]
    assert [(r.file, r.cost, r.billing) for r in made] == [(path, "0", "billed")]
    assert made[0].sha256 and len(made[0].sha256) == 64


def test_an_unreadable_still_record_is_named_and_left_alone(tmp_path: Path) -> None:
    bundle = Bundle.create(tmp_path / "Film", keyframed(2, set()))
    bundle.write_still(record(1, "done", "0.042", "media/stills/k0.png"))
    bad = bundle.stills_dir / "still_00000000000b.json"
    bad.write_text('{"schema_version": 1, "still": {"id": "still_00000000000b", '
                   '"status": "maybe"}}', "utf-8")
    project = load_project(bundle.path)
    assert list(project.stills) == ["still_000000000001"]
    [warning] = project.warnings
    assert "still record skipped" in warning and "still_00000000000b.json" in warning
    assert bad.read_text("utf-8").startswith('{"schema_version": 1')


def test_stills_made_on_a_provider_are_spent_and_stop_generate_over_budget(
        tmp_path: Path, server: FakeVideosServer, capsys: pytest.CaptureFixture[str]) -> None:
    from soraboard.cli import main
    from soraboard.generation.providers import ProviderProfile, save_profile

    # a dialect that carries last frames (the OpenAI shape cannot: keyframes would refuse)
    save_profile(ProviderProfile("fake", server.base_url, needs_key=False,
                                 dialect="openrouter"))
    # Three 2 s clips at $0.10/s ($0.60) fit the budget; the two stills ($0.126) do too.
    sb = replace(keyframed(3, set(), model="test-keyframes"), budget="0.65")
    bundle = Bundle.create(tmp_path / "Film", sb)
    assert main(["keyframes", str(bundle.path), "--provider", "fake"]) == 0
    assert len(server.state.image_requests) == 2
    stills = load_project(bundle.path).stills
    assert sorted((r.status, r.cost) for r in stills.values()) == [("done", "0.063")] * 2
    capsys.readouterr()
    assert main(["cost", str(bundle.path)]) == 0
    out = capsys.readouterr().out
    assert "Estimate   $0.73" in out  # $0.60 of clips + $0.126 of stills
    assert "Spent      $0.13" in out
    assert "Stills     $0.13 for the 2 keyframe still(s) the film uses" in out
    assert "OVER BUDGET" in out
    # Together they pass it: generate stops before anything is sent.
    assert main(["generate", str(bundle.path), "--provider", "fake"]) == 2
    err = capsys.readouterr().err
    assert "over the budget" in err and "keyframe stills took $0.13" in err
    assert server.state.create_attempts == 0
    # The keyframes command counts what stills already spent, too: on a $0.20 budget two more
    # ($0.126) would fit alone, not after the $0.126 spent.
    bundle.save(replace(load_project(bundle.path).storyboard, budget="0.20"))
    assert main(["keyframes", str(bundle.path), "--provider", "fake",
                 "--boundaries", "1,2"]) == 2
    assert "over the budget $0.20" in capsys.readouterr().err
    assert len(server.state.image_requests) == 2 and len(load_project(bundle.path).stills) == 2


def test_a_still_whose_answer_is_lost_counts_as_possibly_billed(
        tmp_path: Path, server: FakeVideosServer) -> None:
    from soraboard.generation.errors import DownloadFailed, Transient
    from soraboard.generation.stills import OpenAIStills

    bundle = Bundle.create(tmp_path / "Film", keyframed(2, set(), model="test-keyframes"))
    sb = bundle.load_storyboard()
    stills = OpenAIStills(name="fake", base_url=server.base_url, api_key="k")
    server.state.faults.image_reset_after = 1  # made at the provider, the answer lost
    with pytest.raises(Transient):
        keyframe_still(bundle, sb, 0, stills, cost=Decimal("0.042"))
    server.state.faults.image_garbled = 1  # made, but what came back is not an image
    with pytest.raises(DownloadFailed):
        keyframe_still(bundle, sb, 0, stills, cost=Decimal("0.042"))
    records = sorted(bundle.load_stills()[0].values(), key=lambda r: r.created_at)
    assert [(r.status, r.billing) for r in records] == [
        ("unknown", "possibly"), ("not_downloaded", "billed")]
    report = estimate(sb, default_catalog(), stills=load_project(bundle.path).stills)
    assert (report.possibly_billed, report.spent) == (Decimal("0.042"), Decimal("0.042"))
    assert not list((bundle.media_dir / "stills").glob("*.png"))  # nothing half-written

