"""``soraboard bridge``: mend a seam the seam report flags (issue 17.6).

It lives beside the other top-level command code rather than in ``generation`` or
``stitch`` because it needs both (the engine to make the take, the seam report to score it
before and after), and those two packages are independent layers. The work itself is in
:mod:`soraboard.generation.bridge`.
"""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal, InvalidOperation
from typing import Any

from soraboard.console import CliError, one_line


def register(subparsers: Any) -> None:
    """Add ``bridge`` to the ``soraboard`` command."""
    p = subparsers.add_parser(
        "bridge", help="mend a jumping seam: regenerate the shot after it, or insert a bridge",
        description="Bridge the seam after segment N: regenerate segment N+1 starting on "
                    "segment N's real last frame and ending on its own current last frame "
                    "(when its model takes a last frame), or insert a short bridge clip "
                    "between the two frames (--insert, or when the model cannot end on a "
                    "still). Says the mode and the price and asks first; the result is a new "
                    "take (the old ones are kept), and the seam is scored again after. Exit "
                    "code 0 when the bridge was made.")
    p.add_argument("project", help="a project folder (Name.soraboard)")
    p.add_argument("--after", type=int, required=True, metavar="N",
                   help="the seam after this segment (by position: 1 is the first)")
    p.add_argument("--insert", action="store_true",
                   help="insert a bridge clip even when the shot could be regenerated")
    p.add_argument("--provider", help="provider profile (default: the one in settings; "
                                      "'animatic' for the offline backend)")
    p.add_argument("--yes", action="store_true", help="do not ask before generating")
    p.add_argument("--max-cost", metavar="DOLLARS",
                   help="refuse to start when the bridge would cost more than this")
    p.set_defaults(func=cmd_bridge)


def _score(seams: list[Any], index: int) -> str:
    for s in seams:
        if s.index == index:
            score = "—" if s.score is None else f"{s.score:.2f}"
            return f"{s.label}: {score} {s.verdict}"
    return f"{index + 1} → {index + 2}: not scored"


def cmd_bridge(args: argparse.Namespace) -> int:
    from soraboard.catalog.catalog import CatalogError, default_catalog
    from soraboard.catalog.validate import blocking_problems
    from soraboard.generation.bridge import BridgeError, plan_bridge, seams_after
    from soraboard.generation.commands import _save_choices, cli_lock
    from soraboard.generation.engine import CancelToken, GenerationEngine, run_generation
    from soraboard.generation.errors import GenerationError
    from soraboard.generation.factory import make_backend
    from soraboard.generation.providers import ProviderError
    from soraboard.generation.scheduler import check_budget
    from soraboard.media.ffmpeg import FFmpegNotFound, find_ffmpeg
    from soraboard.settings import load_settings
    from soraboard.stitch.plan import ExportBlocked
    from soraboard.stitch.seams import seam_report
    from soraboard.storage.bundle import load_project
    from soraboard.storage.errors import ProjectError

    settings, notes = load_settings()
    for n in notes:
        print("warning: " + one_line(n), file=sys.stderr)
    try:
        project = load_project(args.project)
        catalog = default_catalog()
    except (ProjectError, CatalogError) as e:
        raise CliError(str(e)) from None
    max_cost = None
    if args.max_cost is not None:
        try:
            max_cost = Decimal(str(args.max_cost).lstrip("$"))
        except InvalidOperation:
            raise CliError(f"--max-cost: {args.max_cost!r} is not an amount", 2) from None
    count = len(project.storyboard.segments)
    if not 1 <= args.after <= count:
        raise CliError(f"--after: there is no segment {args.after} (1–{count})", 2)
    index = args.after - 1
    try:
        ff = find_ffmpeg(settings.ffmpeg_path)
    except FFmpegNotFound as e:
        raise CliError(str(e)) from None
    provider = args.provider if args.provider is not None else settings.provider
    try:
        backend = make_backend(provider, concurrency=None if provider else settings.concurrency,
                               catalog=catalog)
    except ProviderError as e:
        raise CliError(str(e)) from None
    # the OpenAI Videos request shape carries a first frame only (see openai_backend); other
    # dialects carry a last frame to the models whose route takes one (catalog.dialects)
    carries = getattr(backend, "dialect", None) != "openai"
    catalog = catalog.for_dialect(getattr(backend, "dialect", None))
    bundle = project.bundle
    lock = cli_lock(bundle, "soraboard bridge")
    try:
        try:  # read again under the lock: what this run saves replaces what it read
            project = load_project(bundle.path)
        except ProjectError as e:
            raise CliError(str(e)) from None
        sb, takes = project.storyboard, project.takes
        try:
            from soraboard.generation.bridge import bridge_mode

            bridge_mode(sb, takes, catalog, index, args.insert)  # the quick refusals first
            before = seam_report(project, ff, only=[index])
            plan = plan_bridge(bundle, sb, takes, catalog, index, insert=args.insert,
                               carries_last_frame=carries, ffmpeg=ff)
        except BridgeError as e:
            raise CliError(str(e), 2) from None
        except (ExportBlocked, ValueError, OSError) as e:
            raise CliError("cannot read the frames at the seam: " + one_line(str(e))) from None
        print(f"Seam before: {_score(before, index)}")
        if before and before[0].verdict == "seamless":
            print("note: the seam already reads as seamless; bridging it is optional",
                  file=sys.stderr)
        print(plan.describe())
        after_sb = plan.edit.apply(sb)
        bad = blocking_problems(after_sb, catalog, takes, {plan.target_id})
        if bad:
            raise CliError(f"not sent: {bad[0]}", 2)
        free = backend.name == "animatic"
        guard = check_budget(after_sb, takes, catalog, [plan.target_id], free=free,
                             max_cost=max_cost, stills=project.stills)
        who = "the offline animatic backend ($0)" if free else f"provider {backend.name!r}"
        list_price = plan.cost.amount.describe()
        print(f"Price: {'$0.00 (' + list_price + ' with a paid provider)' if free else list_price}"
              f" with {who}" + ("" if free else f" — {guard.describe()}"))
        if guard.refused:
            raise CliError(guard.refused, 2)
        if not args.yes:
            if not sys.stdin.isatty():
                raise CliError("add --yes to make the bridge (nothing was changed)", 2)
            answer = input("Make the bridge? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                raise CliError("nothing generated; the storyboard is unchanged", 1)
        # The edit first (the new take belongs to the edited segment), then the take.
        bundle.save(after_sb)
        engine = GenerationEngine(bundle, backend, ffmpeg=ff)
        try:
            result = run_generation(engine, after_sb, takes, [plan.target_id],
                                    cancel=CancelToken())
        except KeyboardInterrupt:
            print("interrupted: a running job is kept and resumed by the next "
                  "'soraboard generate'", file=sys.stderr)
            raise
        except GenerationError as e:
            raise CliError(e.message) from None
        chosen = result.chosen_overlay()
        _save_choices(bundle, chosen)
        take = result.takes.get(plan.target_id)
        if plan.target_id not in chosen or take is None:
            why = result.failures.get(plan.target_id) or result.interrupted.get(plan.target_id) \
                or result.unknown.get(plan.target_id) or (take.error if take else None) \
                or "no take"
            print(f"The bridge take failed: {one_line(why)} (the storyboard edit is kept; "
                  "'soraboard generate' tries again)", file=sys.stderr)
            return 1
        print(f"New take {take.id} of segment {after_sb.index_of(plan.target_id) + 1} "
              "(the earlier takes are kept)")
        try:
            after = seam_report(load_project(bundle.path), ff, only=seams_after(plan))
        except (ExportBlocked, ValueError, OSError) as e:
            print(f"warning: the seam could not be scored again: {one_line(str(e))}",
                  file=sys.stderr)
            return 0
        print(f"Seam after: {', '.join(_score(after, i) for i in seams_after(plan))}")
        old = "—" if not before or before[0].score is None else f"{before[0].score:.2f}"
        new = " / ".join("—" if s.score is None else f"{s.score:.2f}" for s in after)
        print(f"Score: {old} → {new}")
        return 0
    finally:
        lock.release()
