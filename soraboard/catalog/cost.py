"""The cost estimator: pure, exact (Decimal), cheap enough to run on every keystroke.

You pay for the seconds you ask for, not the seconds you keep, so a segment's cost is its
requested duration times its model's price for its size; trims do not change it. Keyframe
stills are priced per image (the catalog's ``image_models``): the film's estimate counts the
stills its boundaries are held by at what they cost, and the ledger counts every still made
(its record in the bundle) as spent, like a take.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from soraboard.catalog.catalog import Catalog, ModelSpec
from soraboard.model.status import SegmentStatus
from soraboard.model.storyboard import Segment, Storyboard
from soraboard.model.take import StillRecord, Take, uses_own_footage

ZERO = Decimal("0")
CENT = Decimal("0.01")


def fmt_usd(value: Decimal | None, unknown: str = "unknown") -> str:
    """``Decimal("10.8")`` → ``"$10.80"``; None → ``"unknown"``."""
    if value is None:
        return unknown
    q = value.quantize(CENT)
    return f"-${-q:,}" if q < 0 else f"${q:,}"


@dataclass(frozen=True)
class Amount:
    """A sum of costs that may include segments whose price is unknown."""

    known: Decimal = ZERO
    unknown: int = 0  #: how many parts had no known price

    def __add__(self, other: Amount) -> Amount:
        return Amount(self.known + other.known, self.unknown + other.unknown)

    @staticmethod
    def of(value: Decimal | None) -> Amount:
        return Amount(ZERO, 1) if value is None else Amount(value, 0)

    @property
    def exact(self) -> Decimal | None:
        return self.known if self.unknown == 0 else None

    def describe(self) -> str:
        if self.unknown == 0:
            return fmt_usd(self.known)
        parts = "part" if self.unknown == 1 else "parts"
        return f"{fmt_usd(self.known)} + {self.unknown} {parts} of unknown price"


@dataclass(frozen=True)
class SegmentCost:
    index: int
    segment_id: str
    model: str
    size: str
    seconds: float
    rate: Decimal | None  #: $/s, None when unknown
    cost: Decimal | None
    #: the segment uses footage the creator brought (an imported take): it costs nothing
    #: unless regenerated, which :func:`regenerate_cost` prices
    imported: bool = False

    @property
    def amount(self) -> Amount:
        return Amount.of(self.cost)


@dataclass(frozen=True)
class ModelTotal:
    model: str
    seconds: float
    amount: Amount


@dataclass(frozen=True)
class CostReport:
    segments: tuple[SegmentCost, ...]
    estimate: Amount
    by_model: tuple[ModelTotal, ...]
    spent: Decimal
    in_flight: Decimal
    budget: Decimal | None
    what_if_cheapest: Amount
    what_if_best: Amount
    to_generate: Amount = field(default_factory=Amount)
    to_generate_count: int = 0
    #: creates whose outcome is unknown (the provider may have made and billed the job)
    possibly_billed: Decimal = ZERO
    #: the keyframe stills the film uses, at what they cost (included in ``estimate``)
    stills: Amount = field(default_factory=Amount)
    stills_count: int = 0
    #: of ``spent``, what keyframe stills cost
    stills_spent: Decimal = ZERO

    @property
    def committed(self) -> Decimal:
        """Spent, in flight and possibly billed: what budget checks count."""
        return self.spent + self.in_flight + self.possibly_billed

    @property
    def remaining(self) -> Decimal | None:
        """Budget left after what has been spent, is in flight or may have been billed."""
        if self.budget is None:
            return None
        return self.budget - self.committed

    @property
    def over_budget(self) -> bool:
        """The plan (or the money already committed) exceeds the budget."""
        if self.budget is None:
            return False
        return max(self.estimate.known, self.committed) > self.budget

    @property
    def near_budget(self) -> bool:
        """Within 10 % of the budget."""
        if self.budget is None or self.over_budget:
            return False
        return max(self.estimate.known, self.committed) >= self.budget * Decimal("0.9")

    def ledger(self) -> str:
        """One line: spent, in flight, possibly billed, budget left."""
        parts = [f"spent {fmt_usd(self.spent)}", f"in flight {fmt_usd(self.in_flight)}"]
        if self.possibly_billed:
            parts.append(f"possibly billed {fmt_usd(self.possibly_billed)}")
        if self.stills_spent:
            parts.append(f"of which stills {fmt_usd(self.stills_spent)}")
        if self.budget is not None:
            parts.append(f"budget left {fmt_usd(self.remaining)}")
        return ", ".join(parts)


def segment_cost(seg: Segment, catalog: Catalog, index: int = 0) -> SegmentCost:
    rate = catalog.price_per_second(seg.model, seg.size)
    cost = None if rate is None else rate * Decimal(str(seg.duration))
    return SegmentCost(index, seg.id, seg.model, seg.size, seg.duration, rate, cost)


def _planned_cost(seg: Segment, catalog: Catalog, index: int,
                  takes: Mapping[str, Take]) -> SegmentCost:
    """What the segment costs in the film as planned: its list price, or nothing when the
    creator's own footage (an imported take) is what it uses."""
    own = segment_cost(seg, catalog, index)
    if uses_own_footage(seg, takes):
        return SegmentCost(index, seg.id, seg.model, seg.size, seg.duration, own.rate,
                           Decimal(0), imported=True)
    return own


def _alternatives(seg: Segment, catalog: Catalog) -> list[tuple[ModelSpec, Decimal]]:
    """Models of the segment's family that allow its duration and size, with their price."""
    spec = catalog.get(seg.model)
    if spec is None:
        return []
    out = []
    for alt in catalog.family(spec.family):
        rate = alt.price_per_second(seg.size)
        if rate is not None and alt.allows_duration(seg.duration) and alt.allows_size(seg.size):
            out.append((alt, rate))
    return out


def _what_if(seg: Segment, catalog: Catalog, own: SegmentCost, best: bool) -> Amount:
    alts = _alternatives(seg, catalog)
    if not alts:
        return own.amount
    if best:
        _spec, rate = max(alts, key=lambda a: (a[0].rank, a[1]))
    else:
        _spec, rate = min(alts, key=lambda a: (a[1], -a[0].rank))
    return Amount(rate * Decimal(str(seg.duration)))


def stills_cost(catalog: Catalog, model: str, count: int) -> Amount:
    """``count`` stills of the image ``model`` at its list price (unknown when the catalog's
    ``image_models`` has no price for it)."""
    spec = catalog.images.get(model)
    if count <= 0:
        return Amount()
    price = None if spec is None else spec.usd_per_image
    return Amount(ZERO, count) if price is None else Amount(price * count)


def film_stills(sb: Storyboard, stills: Mapping[str, StillRecord]) -> tuple[Amount, int]:
    """What the keyframe stills the storyboard uses cost, and how many there are: each at the
    cost of the record that made it; an imported or picked still (no record) costs nothing."""
    made: dict[str, StillRecord] = {}
    for r in sorted(stills.values(), key=lambda r: (r.created_at, r.id)):
        if r.file and r.status == "done":
            made[r.file] = r  # the latest one made into that file
    used = dict.fromkeys(p for s in sb.segments
                         for p in (s.first_keyframe, s.last_keyframe) if p)
    total = Amount()
    for path in used:
        record = made.get(path)
        total += Amount() if record is None else Amount.of(record.cost_value)
    return total, len(used)


def parse_budget(text: str | None) -> Decimal | None:
    if text is None or str(text).strip() == "":
        return None
    return Decimal(str(text).strip().lstrip("$"))


def estimate(
    sb: Storyboard,
    catalog: Catalog,
    takes: Mapping[str, Take] | None = None,
    statuses: Sequence[SegmentStatus] | None = None,
    stills: Mapping[str, StillRecord] | None = None,
) -> CostReport:
    """Everything the cost panel shows, in one pass over the storyboard.

    ``statuses`` (from :func:`soraboard.model.status.storyboard_status`) adds what
    "Generate missing & stale" would cost; without it that part is zero. ``stills`` (the
    bundle's still records) adds the keyframe stills to the estimate and the ledger.
    """
    takes = takes or {}
    costs = tuple(_planned_cost(s, catalog, i, takes) for i, s in enumerate(sb.segments))
    total = Amount()
    cheapest = Amount()
    best = Amount()
    by_model: dict[str, tuple[float, Amount]] = {}
    for seg, c in zip(sb.segments, costs):
        total += c.amount
        cheapest += c.amount if c.imported else _what_if(seg, catalog, c, best=False)
        best += c.amount if c.imported else _what_if(seg, catalog, c, best=True)
        secs, amt = by_model.get(seg.model, (0.0, Amount()))
        by_model[seg.model] = (secs + seg.duration, amt + c.amount)
    spent = ZERO
    in_flight = ZERO
    possibly = ZERO
    for t in takes.values():
        value = t.cost_value
        if value is None:
            continue
        if t.billing == "billed":
            spent += value
        elif t.billing == "in_flight":
            in_flight += value
        elif t.billing == "possibly":
            possibly += value
    stills_spent = ZERO
    for r in (stills or {}).values():
        value = r.cost_value
        if value is None:
            continue
        if r.billing == "billed":
            spent += value
            stills_spent += value
        elif r.billing == "possibly":
            possibly += value
    still_amount, still_count = film_stills(sb, stills or {})
    total += still_amount
    to_gen = Amount()
    to_gen_count = 0
    if statuses is not None:
        for c, st in zip(costs, statuses):
            if st.state.needs_generation:
                to_gen += c.amount
                to_gen_count += 1
    return CostReport(
        segments=costs,
        estimate=total,
        by_model=tuple(ModelTotal(m, s, a) for m, (s, a) in by_model.items()),
        spent=spent,
        in_flight=in_flight,
        budget=parse_budget(sb.budget),
        what_if_cheapest=cheapest,
        what_if_best=best,
        to_generate=to_gen,
        to_generate_count=to_gen_count,
        possibly_billed=possibly,
        stills=still_amount,
        stills_count=still_count,
        stills_spent=stills_spent,
    )


@dataclass(frozen=True)
class RegenerateCost:
    """Regenerating one segment also makes the chained segments after it stale."""

    index: int
    stale_after: tuple[int, ...]  #: indices that continue from it (and so must be redone)
    amount: Amount

    def describe(self) -> str:
        if not self.stale_after:
            return f"Regenerate {self.index + 1} · {self.amount.describe()}"
        extra = ", ".join(str(i + 1) for i in self.stale_after)
        return f"Regenerate {self.index + 1} (+ stale {extra}) · {self.amount.describe()}"


def regenerate_cost(sb: Storyboard, catalog: Catalog, index: int) -> RegenerateCost:
    chain = tuple(sb.chain_after(index))
    amount = Amount()
    for i in (index, *chain):
        amount += segment_cost(sb.segments[i], catalog, i).amount
    return RegenerateCost(index, chain, amount)
