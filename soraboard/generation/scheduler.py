"""The scheduler: which segments may start now. Pure functions, no I/O, no threads.

A chained segment starts from a frame of its predecessor's *chosen, usable* take, so it waits
while the predecessor is still to be generated in this run; independent segments start at
once, up to each provider's concurrency limit. So does a chained segment whose boundary is
held by a shared keyframe (keyframe mode: the previous shot ends on the still this one starts
on), so a film held by keyframes runs all its clips at once. Within one run a just-finished
take counts as its segment's chosen take (the ``chosen`` overlay), because the storyboard
file is only written by a save of the document.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum

from soraboard.catalog.catalog import Catalog
from soraboard.catalog.cost import Amount, estimate, fmt_usd, segment_cost
from soraboard.model.status import Hashes, segment_status, stale_reason
from soraboard.model.storyboard import Storyboard
from soraboard.model.take import StillRecord, Take, TakeSource, TakeStatus


class Mode(str, Enum):
    """What "Generate" covers."""

    ALL = "all"
    SELECTED = "selected"
    MISSING_OR_STALE = "missing_or_stale"
    REGENERATE_ONE = "regenerate_one"


def effective_chosen(sb: Storyboard, overlay: Mapping[str, str | None]) -> dict[str, str | None]:
    """segment id → chosen take id, with this run's results laid over the storyboard's."""
    out: dict[str, str | None] = {s.id: s.chosen_take for s in sb.segments}
    out.update({k: v for k, v in overlay.items() if k in out})
    return out


def with_chosen(sb: Storyboard, chosen: Mapping[str, str | None]) -> Storyboard:
    """The storyboard as it would be with ``chosen`` applied (for status and staleness)."""
    from dataclasses import replace

    segs = tuple(s.with_changes(chosen_take=chosen.get(s.id, s.chosen_take))
                 for s in sb.segments)
    return replace(sb, segments=segs)


def plan_segments(sb: Storyboard, takes: Mapping[str, Take], mode: Mode,
                  selected: Collection[str] = (), hashes: Hashes | None = None) -> list[str]:
    """The segment ids a run generates, in storyboard order.

    ``MISSING_OR_STALE`` also takes the chained segments after any planned one: they would be
    stale the moment their predecessor gets a new take, so paying for them now is the point.
    ``SELECTED`` and ``REGENERATE_ONE`` take exactly what was asked (the chained segments
    after become stale, see :func:`stale_after`).
    """
    ids = [s.id for s in sb.segments]
    if mode is Mode.ALL:
        return ids
    if mode in (Mode.SELECTED, Mode.REGENERATE_ONE):
        wanted = set(selected)
        unknown = wanted - set(ids)
        if unknown:
            raise KeyError(f"no segment {sorted(unknown)[0]!r} in the storyboard")
        if mode is Mode.REGENERATE_ONE and len(wanted) != 1:
            raise ValueError("regenerate-one needs exactly one segment")
        return [i for i in ids if i in wanted]
    chosen: set[int] = set()
    for i in range(len(sb.segments)):
        if segment_status(sb, takes, i, hashes).state.needs_generation:
            chosen.add(i)
    for i in sorted(chosen):
        chosen.update(sb.chain_after(i))
    return [ids[i] for i in sorted(chosen)]


def stale_after(sb: Storyboard, index: int) -> list[tuple[int, str]]:
    """The chained segments that a new take of segment ``index`` makes stale, with why."""
    return [(j, f"continues from segment {index + 1}, which has a new take"
             if j == index + 1 else f"continues (through segment {j}) from segment {index + 1}")
            for j in sb.chain_after(index)]


def stale_reasons(sb: Storyboard, takes: Mapping[str, Take],
                  overlay: Mapping[str, str | None] | None = None,
                  hashes: Hashes | None = None) -> dict[str, str]:
    """segment id → why its chosen take is stale, given this run's chosen overlay."""
    board = with_chosen(sb, effective_chosen(sb, overlay or {}))
    out: dict[str, str] = {}
    for i, s in enumerate(board.segments):
        why = stale_reason(board, takes, i, hashes)
        if why:
            out[s.id] = why
    return out


@dataclass(frozen=True)
class Decision:
    """One scheduling step."""

    ready: tuple[str, ...] = ()  #: may start now, in storyboard order
    waiting: Mapping[str, str] = field(default_factory=dict)  #: id → what it waits for
    blocked: Mapping[str, str] = field(default_factory=dict)  #: id → why it cannot start


def decide(sb: Storyboard, takes: Mapping[str, Take], pending: Iterable[str],
           running: Mapping[str, str], chosen_overlay: Mapping[str, str | None],
           provider_of: Mapping[str, str], limits: Mapping[str, int],
           failed: Collection[str] = (), send_again: Collection[str] = ()) -> Decision:
    """Which of ``pending`` may start now.

    ``running`` maps segment id → provider of the jobs in flight (resumed ones included),
    ``failed`` holds segments that failed in this run, ``provider_of`` says which provider
    each pending segment goes to and ``limits`` the jobs each provider may have in flight.
    A segment whose newest take's outcome is unknown (it may be billed) is blocked unless it
    is in ``send_again`` — the user's word that paying again is fine.
    """
    pending_set = set(pending)
    doubtful = unknown_takes(takes)
    chosen = effective_chosen(sb, chosen_overlay)
    in_flight: dict[str, int] = {}
    for prov in running.values():
        in_flight[prov] = in_flight.get(prov, 0) + 1
    ready: list[str] = []
    waiting: dict[str, str] = {}
    blocked: dict[str, str] = {}
    for i, seg in enumerate(sb.segments):
        if seg.id not in pending_set:
            continue
        if seg.id in doubtful and seg.id not in send_again:
            head, why, _tail = unknown_parts(doubtful[seg.id], i)
            blocked[seg.id] = (f"{head}{why}; check the provider, then send it again (pays "
                               "again) or forget it")
            continue
        if sb.waits_on_previous(i):
            prev = sb.segments[i - 1]
            if prev.id in failed or prev.id in blocked:
                blocked[seg.id] = f"segment {i} failed, so there is no frame to continue from"
                continue
            if prev.id in pending_set or prev.id in running:
                waiting[seg.id] = f"waits for segment {i} (continuity)"
                continue
            take = takes.get(chosen[prev.id] or "")
            if take is None or not take.usable:
                blocked[seg.id] = (f"segment {i} has no usable take to continue from; "
                                   "generate it first or make this segment independent")
                continue
        prov = provider_of.get(seg.id, "")
        limit = max(limits.get(prov, 1), 1)
        if in_flight.get(prov, 0) >= limit:
            waiting[seg.id] = f"waits for a free slot on {prov or 'the provider'}"
            continue
        in_flight[prov] = in_flight.get(prov, 0) + 1
        ready.append(seg.id)
    return Decision(tuple(ready), waiting, blocked)


def unknown_takes(takes: Mapping[str, Take]) -> dict[str, Take]:
    """segment id → its newest generated take, for segments where that take's create has an
    unknown outcome (``UNKNOWN``: it may be billed)."""
    newest: dict[str, Take] = {}
    for t in takes.values():
        if t.source is not TakeSource.GENERATED:
            continue
        cur = newest.get(t.segment_id)
        if cur is None or (t.created_at, t.id) > (cur.created_at, cur.id):
            newest[t.segment_id] = t
    return {sid: t for sid, t in newest.items() if t.status is TakeStatus.UNKNOWN}


def unknown_parts(take: Take, index: int, project: str | None = None) -> tuple[str, str, str]:
    """What to say about a segment whose take may be billed, as (head, reason, tail): the
    head and the tail (the commands) must survive when a line is shortened; the reason may
    be cut."""
    price = f"${take.cost}" if take.cost is not None else "its price"
    where = project or "PROJECT"
    why = (take.error or "").removeprefix("outcome unknown — may be billed: ")
    head = f"outcome unknown — may be billed ({price}, take {take.id} on {take.provider}): "
    tail = (f"; check the provider, then 'soraboard generate {where} --send-again "
            f"{index + 1}' (pays again, {price}) or '--forget {index + 1}'")
    return head, why, tail


def unknown_message(take: Take, index: int, project: str | None = None) -> str:
    """One line for a segment whose take may be billed: what happened and what to run."""
    return "".join(unknown_parts(take, index, project))


def boundary_modes(sb: Storyboard) -> list[str]:
    """How each boundary is held, for the CLI and reports: ``keyframe`` (both shots meet the
    same still: they run in parallel), ``chain`` (the next shot starts on this one's real
    frame: it waits) or ``none``."""
    return ["keyframe" if sb.held_by_keyframe(i) else
            "chain" if sb.waits_on_previous(i + 1) else "none"
            for i in range(len(sb.segments) - 1)]


def describe_boundaries(sb: Storyboard, ids: Collection[str]) -> str | None:
    """One line saying how the boundaries into ``ids`` are held, when any is held by a
    keyframe (otherwise chaining is the only mode and there is nothing to say)."""
    modes = boundary_modes(sb)
    wanted = set(ids)
    words = {"keyframe": "keyframe (in parallel)", "chain": "chain (waits)", "none": "cut"}
    parts = [f"{i + 1}→{i + 2} {words[m]}" for i, m in enumerate(modes)
             if sb.segments[i + 1].id in wanted or sb.segments[i].id in wanted]
    return "boundaries: " + ", ".join(parts) if "keyframe" in modes and parts else None


def critical_path(sb: Storyboard, ids: Sequence[str]) -> list[list[str]]:
    """The planned segments as chains that must run one after another (for reports and the
    benchmark): each inner list is a run of chained planned segments."""
    wanted = set(ids)
    chains: list[list[str]] = []
    for i, seg in enumerate(sb.segments):
        if seg.id not in wanted:
            continue
        if sb.waits_on_previous(i) and sb.segments[i - 1].id in wanted and chains:
            chains[-1].append(seg.id)
        else:
            chains.append([seg.id])
    return chains


@dataclass(frozen=True)
class BudgetCheck:
    """What a run would cost against the budget and the caller's cap."""

    cost: Amount  #: the planned segments at list price
    committed: Decimal  #: already spent, in flight or possibly billed
    budget: Decimal | None
    max_cost: Decimal | None
    needs_confirmation: bool  #: over the storyboard's budget, or a price is unknown
    refused: str | None  #: over ``max_cost``: nothing may start, whatever is confirmed
    stills_spent: Decimal = Decimal(0)  #: of ``committed``, what keyframe stills cost

    def describe(self) -> str:
        text = f"this run costs {self.cost.describe()}"
        if self.budget is not None:
            left = self.budget - self.committed
            text += f"; budget {fmt_usd(self.budget)}, {fmt_usd(left)} left"
            if self.stills_spent:
                text += f" (keyframe stills took {fmt_usd(self.stills_spent)})"
        return text


def check_budget(sb: Storyboard, takes: Mapping[str, Take], catalog: Catalog,
                 ids: Iterable[str], *, free: bool = False,
                 max_cost: Decimal | None = None,
                 stills: Mapping[str, StillRecord] | None = None) -> BudgetCheck:
    """The budget guard. ``free`` is True for the animatic (every run costs $0). ``stills``
    (the bundle's still records) count as committed: a budget the keyframe stills already
    passed stops the run before anything is sent."""
    cost = Amount()
    if not free:
        for i, seg in enumerate(sb.segments):
            if seg.id in set(ids):
                cost += segment_cost(seg, catalog, i).amount
    report = estimate(sb, catalog, takes, stills=stills)
    committed = report.committed
    budget = report.budget
    over_budget = budget is not None and committed + cost.known > budget
    needs = over_budget or cost.unknown > 0
    refused = None
    if max_cost is not None:
        if cost.unknown:
            refused = (f"{cost.unknown} segment(s) have no known price, so the run cannot be "
                       f"held under --max-cost {fmt_usd(max_cost)}")
        elif cost.known > max_cost:
            refused = (f"this run costs {fmt_usd(cost.known)}, more than --max-cost "
                       f"{fmt_usd(max_cost)}")
    return BudgetCheck(cost, committed, budget, max_cost, needs, refused,
                       report.stills_spent)
