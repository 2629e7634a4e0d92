"""``soraboard generate`` and ``soraboard providers`` (registered by :mod:`soraboard.cli`).

Heavy modules (openai, cv2) are imported inside the handlers so ``soraboard --help`` and the
other commands stay fast.
"""

from __future__ import annotations

import argparse
import sys
import threading
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from soraboard.console import CliError, ProgressBars, ellipsize, one_line, table
from soraboard.redact import redact

if TYPE_CHECKING:
    from collections.abc import Mapping

    from soraboard.catalog.catalog import Catalog
    from soraboard.generation.backend import Backend
    from soraboard.generation.engine import RunResult
    from soraboard.model.storyboard import Storyboard
    from soraboard.model.take import Take
    from soraboard.storage.bundle import Bundle
    from soraboard.storage.lock import BundleLock


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the generation commands to the ``soraboard`` parser."""
    p = subparsers.add_parser(
        "generate", help="generate a project's segments (missing and stale ones by default)",
        description="Generate segments in the background: chained segments one after another, "
                    "independent ones in parallel. With no provider configured this renders "
                    "free animatic clips. Exit code 0 only when every requested segment has a "
                    "good take.")
    p.add_argument("project", help="a project folder (Name.soraboard)")
    p.add_argument("--segments", help="only these segments, by position: 2,4 (regenerated even "
                                      "when they have a take)")
    p.add_argument("--provider", help="provider profile (default: the one in settings; "
                                      "'animatic' for the offline backend)")
    p.add_argument("--model", help="use this model for every generated segment")
    p.add_argument("--yes", action="store_true", help="do not ask before spending money")
    p.add_argument("--max-cost", metavar="DOLLARS",
                   help="refuse to start when the run would cost more than this")
    p.add_argument("--send-again", metavar="POSITIONS",
                   help="segments whose last create has an unknown outcome (it may be billed): "
                        "send them again anyway — this pays again")
    p.add_argument("--forget", metavar="POSITIONS",
                   help="segments whose last create has an unknown outcome: stop counting it "
                        "(after checking the provider's bill); nothing is generated")
    p.set_defaults(func=cmd_generate)

    p = subparsers.add_parser(
        "keyframes", help="hold boundaries with keyframe stills, so their shots run in parallel",
        description="Make a still for each boundary (from both shots' prompts and their cast's "
                    "images) and hold the boundary with it: the shot before ends on the still, "
                    "the shot after starts on it, and 'generate' then runs both at once. With "
                    "no provider the stills are free offline placeholders.")
    p.add_argument("project", help="a project folder (Name.soraboard)")
    p.add_argument("--boundaries", metavar="POSITIONS",
                   help="the boundaries after these segments: 1,3 (default: those the plan "
                        "proposed, else every boundary not held yet whose first shot's model "
                        "can end on a still)")
    own = p.add_mutually_exclusive_group()
    own.add_argument("--first", metavar="N", type=int,
                     help="instead: a still of segment N's own first frame (from its prompt "
                          "and cast); the segment starts on it")
    own.add_argument("--last", metavar="N", type=int,
                     help="instead: a still of segment N's own last frame (its model needs "
                          "last-frame input); the segment ends on it")
    p.add_argument("--provider", help="provider profile for the images (default: the one in "
                                      "settings; 'animatic' for offline placeholders)")
    p.add_argument("--model", help="image model (default gpt-image-1, as your gateway names it)")
    p.add_argument("--yes", action="store_true", help="do not ask before spending money")
    p.set_defaults(func=cmd_keyframes)

    p = subparsers.add_parser("providers", help="list provider profiles and check they answer")
    p.add_argument("--no-check", action="store_true", help="list without contacting them")
    p.set_defaults(func=cmd_providers)
    ps = p.add_subparsers(dest="providers_command", metavar="ACTION")
    a = ps.add_parser("add", help="add or replace a provider profile")
    a.add_argument("name")
    a.add_argument("--base-url", required=True)
    a.add_argument("--key-env", help="environment variable that holds the key")
    a.add_argument("--model", help="default model")
    a.add_argument("--concurrency", type=int, help="jobs in flight at once (default 2)")
    a.set_defaults(func=cmd_providers_add)
    k = ps.add_parser("set-key", help="read the key from stdin into the OS keyring")
    k.add_argument("name")
    k.set_defaults(func=cmd_providers_set_key)


# ------------------------------------------------------------------------------------ generate


def cli_lock(bundle: Bundle, command: str) -> BundleLock:
    """The bundle's lock for ``command``, held; a second writer is a :class:`CliError` that
    names who holds it. Release it (or use it as a context manager) when done."""
    from soraboard.generation.journal import BundleLock, LockHeld

    lock = BundleLock(bundle, command)
    try:
        lock.acquire()
    except LockHeld as e:
        raise CliError(str(e)) from None
    return lock


def _parse_positions(text: str, count: int) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        lo, sep, hi = part.partition("-")
        try:
            first, last = int(lo), int(hi) if sep else int(lo)
        except ValueError:
            raise CliError(f"--segments: {part!r} is not a position like 2 or 2-4", 2) from None
        for n in range(first, last + 1):
            if not 1 <= n <= count:
                raise CliError(f"--segments: there is no segment {n} (1–{count})", 2)
            if n - 1 not in out:
                out.append(n - 1)
    if not out:
        raise CliError("--segments: no segment given", 2)
    return sorted(out)


def cmd_generate(args: argparse.Namespace) -> int:
    from soraboard.catalog.catalog import CatalogError, default_catalog
    from soraboard.generation.engine import (
        CancelToken,
        EngineEvents,
        GenerationEngine,
        adoptable,
        run_generation,
    )
    from soraboard.generation.errors import GenerationError
    from soraboard.generation.factory import make_backend
    from soraboard.generation.providers import ProviderError
    from soraboard.generation.scheduler import (
        Mode,
        check_budget,
        describe_boundaries,
        plan_segments,
        unknown_takes,
        with_chosen,
    )
    from soraboard.model.status import input_paths
    from soraboard.settings import load_settings
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
    for w in project.warnings:
        print("warning: " + one_line(w), file=sys.stderr)
    max_cost = None
    if args.max_cost is not None:
        try:
            max_cost = Decimal(str(args.max_cost).lstrip("$"))
        except InvalidOperation:
            raise CliError(f"--max-cost: {args.max_cost!r} is not an amount", 2) from None
    if args.model and args.model not in catalog:
        raise CliError(f"--model: {args.model!r} is not in the model catalog", 2)
    provider = args.provider if args.provider is not None else settings.provider
    try:
        backend = make_backend(provider, concurrency=None if provider else settings.concurrency,
                               catalog=catalog)
    except ProviderError as e:
        raise CliError(str(e)) from None
    bundle = project.bundle
    lock = cli_lock(bundle, "soraboard generate")
    try:
        try:  # read again under the lock: what this run saves replaces what it read
            project = load_project(bundle.path)
        except ProjectError as e:
            raise CliError(str(e)) from None
        sb, takes = project.storyboard, project.takes
        doubtful = unknown_takes(takes)
        if args.forget:
            return _forget(bundle, backend, sb, doubtful,
                           _parse_positions(args.forget, len(sb.segments)))
        send_again: set[str] = set()
        if args.send_again:
            for i in _parse_positions(args.send_again, len(sb.segments)):
                if sb.segments[i].id not in doubtful:
                    raise CliError(f"--send-again: segment {i + 1} has no create of unknown "
                                   "outcome; use --segments to regenerate it", 2)
                send_again.add(sb.segments[i].id)
        adopted = adoptable(sb, takes)
        board = with_chosen(sb, adopted)
        if args.segments:
            idx = _parse_positions(args.segments, len(sb.segments))
            ids = plan_segments(board, takes, Mode.SELECTED, [sb.segments[i].id for i in idx])
        else:  # a still or reference image edited in place makes its takes stale too
            ids = plan_segments(board, takes, Mode.MISSING_OR_STALE,
                                hashes=bundle.input_hashes(input_paths(board)))
        ids = [s.id for s in sb.segments if s.id in set(ids) | send_again]
        # checked against what the profile's request dialect can carry to each model
        _refuse_invalid(board, catalog.for_dialect(getattr(backend, "dialect", None)), takes,
                        ids, args.model)
        active = [t for t in takes.values() if t.status.is_resumable]
        checks = [sid for sid in doubtful if sid not in send_again]
        if not ids and not active and not checks:
            print("Nothing to generate: every segment has a current take.")
            _save_choices(bundle, adopted)
            return 0
        free = backend.name == "animatic"
        # A resumed take (running, or finished and not downloaded) needs no new job.
        resumed = {t.segment_id for t in active if t.provider == backend.name}
        guard = check_budget(board, takes, catalog, [i for i in ids if i not in resumed],
                             free=free, max_cost=max_cost, stills=project.stills)
        who = "the offline animatic backend ($0)" if free else f"provider {backend.name!r}"
        print(f"Generating {len(ids)} segment(s) with {who}"
              + (f", resuming {len(active)} journaled job(s)" if active else "")
              + (f", checking {len(checks)} create(s) of unknown outcome" if checks else "")
              + ("" if free else f" — {guard.describe()}"), file=sys.stderr)
        if guard.refused:
            raise CliError(guard.refused, 2)
        held = describe_boundaries(sb, ids)
        if held:
            print(held, file=sys.stderr)
        if not free and any(sb.segment(i).is_chained or sb.segment(i).reference_image
                            for i in ids):
            from soraboard.generation.frames import face_detector

            if face_detector()[0] is None:
                print("note: " + face_detector()[1], file=sys.stderr)
        if guard.needs_confirmation and not args.yes:
            why = "over the budget" if guard.budget is not None and \
                guard.committed + guard.cost.known > guard.budget else "of unknown price"
            if not sys.stdin.isatty():
                raise CliError(f"this run is {why} ({guard.describe()}); add --yes to confirm", 2)
            answer = input(f"This run is {why}. Generate anyway? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                raise CliError("nothing generated", 1)
        bars = ProgressBars()
        bars_lock = threading.Lock()
        index = {s.id: i for i, s in enumerate(sb.segments)}

        def label(seg_id: str) -> str:
            i = index.get(seg_id)
            if i is None:
                return seg_id
            return f"{i + 1} {ellipsize(sb.segments[i].title or '(untitled)', 20)}"

        def on_update(take: Take) -> None:
            with bars_lock:
                bars.update(label(take.segment_id), take.progress, take.status.value)

        def on_warning(take: Take, text: str) -> None:
            with bars_lock:
                print(f"warning: segment {label(take.segment_id)}: {one_line(text)}",
                      file=sys.stderr)

        engine = GenerationEngine(bundle, backend,
                                  events=EngineEvents(take_updated=on_update, warning=on_warning))
        cancel = CancelToken()
        try:
            result = run_generation(engine, sb, takes, ids, cancel=cancel, model=args.model,
                                    overlay=adopted, send_again=send_again)
        except KeyboardInterrupt:
            print("interrupted: running jobs are kept and resumed by the next "
                  "'soraboard generate'", file=sys.stderr)
            raise
        except GenerationError as e:
            raise CliError(e.message) from None
        finally:
            bars.finish()
        chosen = result.chosen_overlay()
        _save_choices(bundle, chosen)
        _report(args, bundle, sb, ids, result, chosen, catalog)
        touched = _touched(sb, ids, result)
        return 0 if result.ok and all(sid in chosen for sid in touched) else 1
    finally:
        lock.release()


def _touched(sb: Storyboard, ids: list[str], result: RunResult) -> list[str]:
    """Every segment this run generated, resumed, checked or gave up on, in order."""
    seen = set(ids) | set(result.takes) | set(result.failures) | set(result.interrupted) \
        | set(result.unknown) | set(result.undownloaded)
    return [s.id for s in sb.segments if s.id in seen]


def _report(args: argparse.Namespace, bundle: Bundle, sb: Storyboard, ids: list[str],
            result: RunResult, chosen: dict[str, str], catalog: Catalog) -> None:
    """The table, one full line per segment that did not end with a take, and the summary,
    whose counts add up to the segments in the table."""
    import shlex
    import shutil
    from decimal import Decimal

    from soraboard.catalog.cost import estimate, fmt_usd
    from soraboard.generation.scheduler import unknown_parts
    from soraboard.storage.bundle import load_project

    index = {s.id: i for i, s in enumerate(sb.segments)}
    rows = []
    notes: list[tuple[str, str, str]] = []  #: head, reason (may be cut), tail
    counts = {"done": 0, "failed": 0, "unknown": 0, "undownloaded": 0, "running": 0,
              "not sent": 0}
    spent = Decimal(0)
    for sid in _touched(sb, ids, result):
        take = result.takes.get(sid)
        if take is not None and take.cost_value is not None and take.billing == "billed":
            spent += take.cost_value
        if sid in chosen and (take is None or take.usable):
            state, note = "done", ""
        elif sid in result.unknown:
            state, note = "unknown", result.unknown[sid]
        elif sid in result.undownloaded:
            state, note = "undownloaded", result.undownloaded[sid]
        elif sid in result.interrupted:
            state, note = "running", result.interrupted[sid]
        elif take is not None and take.status.value == "not_sent":
            state, note = "not sent", take.error or "not sent"
        else:
            state = "failed"
            note = result.failures.get(sid) or (take.error if take else None) or "not started"
        counts[state] += 1
        seg = sb.segments[index[sid]]
        rows.append([str(index[sid] + 1), ellipsize(seg.title, 24), take.id if take else "-",
                     take.status.value if take else "not started",
                     fmt_usd(take.cost_value) if take else "-", state])
        head = f"segment {index[sid] + 1}: "
        if state == "unknown" and take is not None:
            h, why, tail = unknown_parts(take, index[sid], shlex.quote(args.project))
            notes.append((head + h, one_line(why), tail))
        elif note:
            notes.append((head, one_line(note), ""))
    print(table(rows, ["#", "Segment", "Take", "Status", "Cost", "Outcome"], right=(0, 4)))
    width = max(shutil.get_terminal_size((120, 24)).columns, 60)
    for head, why, tail in notes:
        # The provider's own words, cut only to what fits a terminal line (never the
        # commands); --debug prints them whole.
        room = width - len(head) - len(tail)
        if not getattr(args, "debug", False) and len(why) > room:
            why = ellipsize(why, max(room, 60))
        print(head + why + tail)
    total = sum(counts.values())
    print(f"{counts['done']} of {total} segment(s) generated, spent {fmt_usd(spent)}"
          + (f", {counts['failed']} failed" if counts["failed"] else "")
          + (f", {counts['unknown']} outcome unknown (may be billed; see above)"
             if counts["unknown"] else "")
          + (f", {counts['undownloaded']} finished but not downloaded (run again to fetch, "
             "no new job)" if counts["undownloaded"] else "")
          + (f", {counts['not sent']} not sent" if counts["not sent"] else "")
          + (f", {counts['running']} still running at the provider (run again to resume)"
             if counts["running"] else ""))
    fresh = load_project(bundle.path)
    print("Ledger: " + estimate(fresh.storyboard, catalog, fresh.takes,
                                stills=fresh.stills).ledger())


def _refuse_invalid(board: Storyboard, catalog: Catalog, takes: Mapping[str, Take],
                    ids: list[str], model: str | None) -> None:
    """Refuse, before any request, what ``soraboard validate`` reports as an error for the
    segments this run would send (with ``--model`` applied)."""
    from dataclasses import replace

    from soraboard.catalog.validate import blocking_problems

    wanted = set(ids)
    if model:
        board = replace(board, segments=tuple(
            s.with_changes(model=model) if s.id in wanted else s for s in board.segments))
    bad = blocking_problems(board, catalog, takes, wanted)
    if bad:
        more = f" (and {len(bad) - 1} more; see 'soraboard validate')" if len(bad) > 1 else ""
        raise CliError(f"not sent: {bad[0]}{more}", 2)


def _forget(bundle: Bundle, backend: Backend, sb: Storyboard, doubtful: Mapping[str, Take],
            positions: list[int]) -> int:
    from soraboard.catalog.cost import fmt_usd
    from soraboard.generation.engine import GenerationEngine

    engine = GenerationEngine(bundle, backend)
    for i in positions:
        take = doubtful.get(sb.segments[i].id)
        if take is None:
            raise CliError(f"--forget: segment {i + 1} has no create of unknown outcome", 2)
        engine.forget(take)
        print(f"Forgot the unknown outcome of segment {i + 1} (take {take.id}, "
              f"{fmt_usd(take.cost_value)}); the next 'soraboard generate' generates it")
    return 0


def cmd_keyframes(args: argparse.Namespace) -> int:
    from soraboard.catalog.catalog import CatalogError, default_catalog
    from soraboard.catalog.cost import estimate, fmt_usd
    from soraboard.generation.errors import GenerationError
    from soraboard.generation.factory import make_still_backend
    from soraboard.generation.providers import ProviderError, dialect_of
    from soraboard.generation.stills import (
        DEFAULT_STILL_MODEL,
        boundaries_to_hold,
        keyframe_still,
        segment_still,
    )
    from soraboard.model.edits import hold_boundary, set_segment_fields
    from soraboard.model.storyboard import RefMode
    from soraboard.settings import load_settings
    from soraboard.storage.bundle import load_project
    from soraboard.storage.errors import ProjectError

    settings, _notes = load_settings()
    try:
        project = load_project(args.project)
        catalog = default_catalog()
    except (ProjectError, CatalogError) as e:
        raise CliError(str(e)) from None
    sb = project.storyboard
    own_n, role = (args.first, "first") if args.first is not None else (args.last, "last")
    if own_n is not None:
        if args.boundaries:
            raise CliError(f"--{role} makes one segment's own still: no --boundaries with it",
                           2)
        if not 1 <= own_n <= len(sb.segments):
            raise CliError(f"--{role}: there is no segment {own_n} (1–{len(sb.segments)})", 2)
    elif len(sb.segments) < 2:
        raise CliError("the storyboard has no boundary: it needs two segments or more", 2)
    provider = args.provider if args.provider is not None else settings.provider
    try:
        backend = make_still_backend(provider)
    except ProviderError as e:
        raise CliError(str(e)) from None
    # a still to end on is only worth making where the provider's videos can carry it
    catalog = catalog.for_dialect(dialect_of(provider))
    if own_n is not None:
        wanted = [own_n - 1]
    elif args.boundaries:
        wanted = _parse_positions(args.boundaries, len(sb.segments) - 1)
    else:
        wanted, proposed = boundaries_to_hold(sb, catalog)
        if proposed:
            print(f"the plan proposed boundaries {', '.join(f'{i + 1}→{i + 2}' for i in wanted)}"
                  " (inside a continuous scene); --boundaries chooses others", file=sys.stderr)
    if not wanted:
        print("Nothing to do: every boundary whose shot can end on a still is held already.")
        return 0
    cannot = [i for i in wanted if role != "first" and not getattr(
        catalog.get(sb.segments[i].model), "last_frame", False)]
    if cannot:
        names = ", ".join(f"{i + 1} ({sb.segments[i].model})" for i in cannot)
        raise CliError(f"these segments' models cannot end on a still: {names}; pick a model "
                       "with last-frame input, or leave those boundaries chained", 2)
    free = backend.name == "animatic"
    model = args.model or DEFAULT_STILL_MODEL
    image_spec = catalog.images.get(model)
    price = Decimal(0) if free else None if image_spec is None else image_spec.usd_per_image
    if not free:
        if price is None:
            if not args.yes:
                raise CliError(f"{len(wanted)} still(s) of {model} on provider "
                               f"{backend.name!r} cost an unknown amount (the model is not "
                               "in the catalog's image_models); add --yes to make them", 2)
        else:
            total = price * len(wanted)
            report = estimate(sb, catalog, project.takes, stills=project.stills)
            over = report.budget is not None and report.committed + total > report.budget
            print(f"{len(wanted)} still(s) of {model}: {fmt_usd(total)}"
                  + (f" — over the budget {fmt_usd(report.budget)}" if over and
                     report.budget is not None else ""), file=sys.stderr)
            if image_spec is not None:
                print(f"  price: {image_spec.price_wording()}", file=sys.stderr)
            if over and not args.yes:
                raise CliError("the stills would pass the budget; add --yes to make them", 2)
    bundle = project.bundle
    lock = cli_lock(bundle, "soraboard keyframes")
    try:
        try:
            sb = load_project(bundle.path).storyboard  # read again under the lock
        except ProjectError as e:
            raise CliError(str(e)) from None
        if own_n is not None:
            i = own_n - 1
            if i >= len(sb.segments):
                raise CliError(f"--{role}: there is no segment {own_n} any more", 2)
            try:
                still = segment_still(bundle, sb, i, backend, role, model, image_spec, price)
            except (GenerationError, OSError, ValueError) as e:
                print(f"segment {own_n}'s {role} frame: no still: "
                      f"{redact(one_line(str(e)))}", file=sys.stderr)
                return 1
            seg = sb.segments[i]
            sb = (set_segment_fields(sb, seg.id, reference_image=still,
                                     ref_mode=RefMode.CUSTOM) if role == "first" else
                  set_segment_fields(sb, seg.id, last_keyframe=still)).apply(sb)
            bundle.save(sb)
            print(f"segment {own_n} {'starts' if role == 'first' else 'ends'} on {still}")
            return 0
        made: dict[int, str] = {}
        for i in wanted:
            try:
                made[i] = keyframe_still(bundle, sb, i, backend, model, image_spec, price)
            except (GenerationError, OSError, ValueError) as e:
                print(f"boundary {i + 1}→{i + 2}: no still: {redact(one_line(str(e)))}",
                      file=sys.stderr)
                continue
            print(f"boundary {i + 1}→{i + 2}: held by {made[i]}")
        for i, still in made.items():
            sb = hold_boundary(sb, i, still).apply(sb)
        if made:
            bundle.save(sb)
    finally:
        lock.release()
    who = "offline placeholders ($0)" if free else f"provider {backend.name!r}"
    print(f"{len(made)} of {len(wanted)} boundaries held by keyframe stills ({who}); "
          "'soraboard generate' now runs their shots in parallel")
    return 0 if len(made) == len(wanted) else 1


def _save_choices(bundle: Bundle, chosen: dict[str, str]) -> None:
    """Make each generated take its segment's chosen take, in one save of storyboard.json."""
    from soraboard.model.edits import choose_take as choose
    from soraboard.storage.bundle import load_project

    if not chosen:
        return
    fresh = load_project(bundle.path)  # the file as it is now, not as it was an hour ago
    sb = fresh.storyboard
    changed = False
    for sid, take_id in chosen.items():
        if sb.has_segment(sid) and sb.segment(sid).chosen_take != take_id \
                and take_id in fresh.takes:
            sb = choose(sb, sid, take_id).apply(sb)
            changed = True
    if changed:
        bundle.save(sb)


# ------------------------------------------------------------------------------------ providers


def cmd_providers(args: argparse.Namespace) -> int:
    from soraboard.generation.providers import (
        ProviderError,
        get_key,
        key_source,
        keyring_available,
        load_profiles,
    )

    try:
        profiles = load_profiles()
    except ProviderError as e:
        raise CliError(str(e)) from None
    rows = []
    for p in profiles:
        status = "not checked"
        if not args.no_check:
            status = _check(p, get_key(p))
        rows.append([p.name, p.describe(), p.base_url, key_source(p), p.default_model or "-",
                     str(p.concurrency), ellipsize(status, 70)])
    print(table(rows, ["Name", "Kind", "Base URL", "Key", "Model", "Jobs", "Check"],
                right=(5,)))
    ok, why = keyring_available()
    if not ok:
        print(f"note: {why}; keys can only come from environment variables (--key-env)")
    return 0


def _check(profile: object, key: str | None) -> str:
    from soraboard.generation.errors import GenerationError
    from soraboard.generation.openai_backend import OpenAIBackend
    from soraboard.generation.providers import ProviderProfile

    assert isinstance(profile, ProviderProfile)
    if key is None and profile.needs_key:
        return "no key"
    backend = OpenAIBackend(name=profile.name, base_url=profile.base_url, api_key=key,
                            timeout=5.0)
    try:
        return one_line(redact(str(backend.probe())))
    except GenerationError as e:  # pragma: no cover - probe() answers rather than raises
        return f"{e.kind}: {one_line(redact(e.message))}"
    except Exception as e:  # the client library's own errors may quote the request
        return f"error: {one_line(redact(f'{type(e).__name__}: {e}'))}"


def cmd_providers_add(args: argparse.Namespace) -> int:
    from soraboard.generation.providers import PRESETS, ProviderError, ProviderProfile, save_profile

    base = PRESETS.get(args.name)
    profile = ProviderProfile(
        name=args.name, base_url=args.base_url, key_env=args.key_env,
        default_model=args.model, concurrency=args.concurrency or 2,
        needs_key=bool(args.key_env) or (base.needs_key if base else True),
        preset=base.preset if base else "custom", label=base.label if base else "")
    try:
        save_profile(profile)
    except ProviderError as e:
        raise CliError(str(e), 2) from None
    print(f"Saved provider {args.name} ({args.base_url})")
    return 0


def cmd_providers_set_key(args: argparse.Namespace) -> int:
    from soraboard.generation.providers import ProviderError, set_key

    key = sys.stdin.readline().strip()
    if not key:
        raise CliError("no key on standard input (pipe it in: ... | soraboard providers "
                       f"set-key {args.name})", 2)
    try:
        set_key(args.name, key)
    except ProviderError as e:
        raise CliError(str(e)) from None
    print(f"Stored the key of {args.name} in the keyring")
    return 0
