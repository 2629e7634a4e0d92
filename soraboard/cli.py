"""The ``soraboard`` command.

With no argument, or a project path, it opens the editor. Subcommands run headless, need no
display and never import Qt. Errors go to stderr on one line with a non-zero exit code; a
traceback only with ``--debug``.

Subcommands of the generation engine and the exporter live beside their code (a module with a
``register(subparsers)`` function, listed in ``_COMMAND_MODULES``), so this file stays the
composition point, not a second home for their logic.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import sys
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from soraboard import __version__
from soraboard.catalog.catalog import Catalog, CatalogError, default_catalog
from soraboard.catalog.cost import CostReport, estimate, fmt_usd
from soraboard.catalog.validate import Severity, validate
from soraboard.console import CliError, ellipsize, one_line, table
from soraboard.demos import DEMOS, UnknownDemoError, load_demo
from soraboard.model.status import input_paths, storyboard_status
from soraboard.model.storyboard import Storyboard
from soraboard.model.take import StillRecord, Take
from soraboard.model.timing import film_length, fmt_seconds, used_duration
from soraboard.model.words import plural
from soraboard.redact import install_log_redaction, redact
from soraboard.storage.bundle import Bundle, bundle_path_for, load_project
from soraboard.storage.errors import ProjectError

log = logging.getLogger("soraboard")

#: modules that add subcommands (each has ``register(subparsers)``), imported when present
_COMMAND_MODULES = (
    "soraboard.generation.commands",
    "soraboard.generation.voiceover_commands",
    "soraboard.stitch.commands",
    "soraboard.bridge_command",
    "soraboard.imports.commands",
    "soraboard.planner.commands",
    "soraboard.selftest",
)

EDITOR_COMMAND = "edit"


def _catalog() -> Catalog:
    try:
        return default_catalog()
    except CatalogError as e:
        raise CliError(f"model catalog: {e}") from None


def _warn(warnings: Sequence[str]) -> None:
    for w in warnings:
        print("warning: " + one_line(w), file=sys.stderr)


# ------------------------------------------------------------------------------------ cost


def _fmt_rate(rate: Decimal | None) -> str:
    """$/s with at least two decimals: 0.1 → "0.10", 0.086 → "0.086"."""
    if rate is None:
        return "unknown"
    return f"{rate:.2f}" if rate == rate.quantize(Decimal("0.01")) else f"{rate.normalize():f}"


def format_cost(sb: Storyboard, report: CostReport, catalog: Catalog,
                takes: dict[str, Take] | None = None) -> str:
    takes = takes or {}
    rows = []
    for c, seg in zip(report.segments, sb.segments):
        spec = catalog.get(seg.model)
        model = seg.model + (" (retired)" if spec is not None and spec.retired else "")
        link = "↳ " if seg.is_chained else ""
        rows.append([
            str(c.index + 1),
            ellipsize(link + (seg.title or "(untitled)"), 28),
            model,
            seg.size,
            f"{fmt_seconds(c.seconds)} s",
            _fmt_rate(c.rate),
            fmt_usd(c.cost),
        ])
    lines = [
        f"{sb.title} — {plural(len(sb.segments), 'segment')}, "
        f"{fmt_seconds(film_length(sb, takes))} s film "
        f"({fmt_seconds(sum(used_duration(s, takes) for s in sb.segments))} s of clips)",
        "",
        table(rows, ["#", "Segment", "Model", "Size", "Length", "$/s", "Cost"], right=(0, 4, 5, 6)),
        "",
        f"Estimate   {report.estimate.describe()}",
    ]
    if report.spent or report.in_flight or report.possibly_billed:
        lines.append(f"Spent      {fmt_usd(report.spent)}   in flight {fmt_usd(report.in_flight)}"
                     + (f"   possibly billed {fmt_usd(report.possibly_billed)} (creates of "
                        "unknown outcome)" if report.possibly_billed else ""))
    if report.stills_count or report.stills_spent:
        lines.append(f"Stills     {report.stills.describe()} for the {report.stills_count} "
                     f"keyframe still(s) the film uses (in the estimate); "
                     f"{fmt_usd(report.stills_spent)} spent on stills")
    if report.budget is not None:
        state = " — OVER BUDGET" if report.over_budget else (
            " — close to the budget" if report.near_budget else "")
        lines.append(f"Budget     {fmt_usd(report.budget)}   left "
                     f"{fmt_usd(report.remaining)}{state}")
    if report.to_generate_count and report.to_generate_count != len(sb.segments):
        lines.append(f"To generate ({report.to_generate_count} missing or stale) "
                     f"{report.to_generate.describe()}")
    by_model = " · ".join(f"{m.model} {m.amount.describe()} ({fmt_seconds(m.seconds)} s)"
                          for m in report.by_model)
    lines.append(f"By model   {by_model}")
    lines.append(f"What if    all cheapest {report.what_if_cheapest.describe()} · current "
                 f"{report.estimate.describe()} · all best {report.what_if_best.describe()}")
    sources = sorted({f"{s.id}: {s.price_source} ({s.price_date})"
                      for s in (catalog.get(seg.model) for seg in sb.segments) if s is not None})
    if sources:
        lines.append("")
        lines.append("Prices:")
        lines.extend(f"  {src}" for src in sources)
    return "\n".join(lines)


def cmd_cost(args: argparse.Namespace) -> int:
    if bool(args.project) == bool(args.demo):
        raise CliError("give a PROJECT or --demo NAME (one of them)", 2)
    takes: dict[str, Take] = {}
    stills: dict[str, StillRecord] = {}
    hashes = None
    if args.demo:
        try:
            sb = load_demo(args.demo)
        except UnknownDemoError as e:
            raise CliError(str(e), 2) from None
    else:
        try:
            project = load_project(args.project)
        except ProjectError as e:
            raise CliError(str(e)) from None
        sb, takes, stills = project.storyboard, project.takes, project.stills
        hashes = project.bundle.input_hashes(input_paths(sb))
        _warn(project.warnings)
    catalog = _catalog()
    report = estimate(sb, catalog, takes, storyboard_status(sb, takes, hashes), stills)
    print(format_cost(sb, report, catalog, takes))
    if args.project:  # the voice-over is priced per character, beside the clips
        from soraboard.generation.voiceover import cost_line

        if (voice := cost_line(Bundle(bundle_path_for(args.project)), sb)) is not None:
            print(voice)
    return 0


# ------------------------------------------------------------------------------------ new


def cmd_new(args: argparse.Namespace) -> int:
    if getattr(args, "transition", None) and not args.from_files:
        raise CliError("--transition goes with --from (the transition between the files)", 2)
    if args.from_files:  # clips and images made elsewhere
        from soraboard.imports.commands import cmd_new_from

        code: int = cmd_new_from(args)
        return code
    if args.demo:
        try:
            sb = load_demo(args.demo)
        except UnknownDemoError as e:
            raise CliError(str(e), 2) from None
    else:
        name = bundle_path_for(args.path).name.removesuffix(".soraboard")
        sb = Storyboard(title=name)
        sb = replace(sb, segments=(sb.new_segment(title="Segment 1"),))
    try:
        bundle = Bundle.create(args.path, sb)
    except ProjectError as e:
        raise CliError(str(e)) from None
    print(f"Created {bundle.path} — {sb.title}, {plural(len(sb.segments), 'segment')}")
    return 0


# ------------------------------------------------------------------------------------ validate


def cmd_validate(args: argparse.Namespace) -> int:
    try:
        project = load_project(args.project)
    except ProjectError as e:
        raise CliError(str(e)) from None
    sb, takes = project.storyboard, project.takes
    _warn(project.warnings)
    from soraboard.generation.providers import dialect_of
    from soraboard.settings import load_settings

    # against what the default provider's request dialect can carry (as generate would send)
    problems = validate(sb, _catalog().for_dialect(dialect_of(load_settings()[0].provider)),
                        takes, project.stills)
    errors = [p for p in problems if p.severity is Severity.ERROR]
    for p in problems:
        print(one_line(str(p)))
    n_warn = len(problems) - len(errors)
    if errors:
        print(f"{len(errors)} problem{'s' if len(errors) != 1 else ''}"
              + (f", {n_warn} warning{'s' if n_warn != 1 else ''}" if n_warn else ""),
              file=sys.stderr)
        return 1
    print(f"OK — {plural(len(sb.segments), 'segment')}"
          + (f", {plural(n_warn, 'warning')}" if n_warn else ""))
    return 0


# ------------------------------------------------------------------------------------ editor


def open_editor(project: str | None, demo: str | None = None) -> int:
    """Start the GUI (imported only now, so headless commands never load Qt)."""
    if importlib.util.find_spec("soraboard.app") is None:
        raise CliError("the editor window is not part of this build yet; try "
                       "'soraboard cost --demo city-morning'", 2)
    app = importlib.import_module("soraboard.app")
    result: int = app.main(project=project, demo=demo)
    return result


def cmd_edit(args: argparse.Namespace) -> int:
    if args.project:
        # a path that is not a project is a one-line error here, not a window with a traceback
        try:
            Bundle(args.project).load_storyboard()
        except ProjectError as e:
            raise CliError(str(e)) from None
    return open_editor(args.project, getattr(args, "demo", None))


# ------------------------------------------------------------------------------------ main


class _Parser(argparse.ArgumentParser):
    commands: frozenset[str] = frozenset()


def build_parser() -> _Parser:
    parser = _Parser(
        prog="soraboard",
        description="Storyboard editor for long AI videos. With no command (or a project "
                    "path) it opens the editor; the commands below run without a display.",
    )
    parser.add_argument("--version", action="version", version=f"soraboard {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("cost", help="print the cost table of a project or a demo")
    p.add_argument("project", nargs="?", help="a project folder (Name.soraboard)")
    p.add_argument("--demo", choices=list(DEMOS), help="a demo storyboard instead")
    p.set_defaults(func=cmd_cost)

    p = sub.add_parser("new", help="create a project bundle")
    p.add_argument("path", help="where to create it (.soraboard is added)")
    p.add_argument("--demo", choices=list(DEMOS), help="start from a demo storyboard")
    p.add_argument("--from", dest="from_files", nargs="+", metavar="FILE",
                   help="start from video clips and images, one segment per file")
    p.add_argument("--transition", metavar="TYPE[:SECONDS]",
                   help="with --from: the transition between the segments, e.g. crossfade:0.5")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("validate", help="list a project's problems (exit 1 when there are any)")
    p.add_argument("project")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(EDITOR_COMMAND, help="open the editor (the default)")
    p.add_argument("project", nargs="?")
    p.add_argument("--demo", choices=list(DEMOS))
    p.set_defaults(func=cmd_edit)

    for name in _COMMAND_MODULES:
        if importlib.util.find_spec(name.rsplit(".", 1)[0]) is None:
            continue
        if importlib.util.find_spec(name) is None:
            continue
        importlib.import_module(name).register(sub)
    parser.commands = frozenset(sub.choices)
    return parser


def _route_editor(argv: list[str], commands: frozenset[str]) -> list[str]:
    """``soraboard`` and ``soraboard PATH`` mean ``soraboard edit [PATH]``.

    A first word that is no command and names nothing on disk is a mistyped command: it is
    refused (:func:`unknown_command`) rather than opened as a project that does not exist.
    """
    positional = [a for a in argv if not a.startswith("-")]
    if not positional:
        if any(a in ("-h", "--help", "--version") for a in argv):
            return argv
        return [*argv, EDITOR_COMMAND]
    first = positional[0]
    if first not in commands:
        problem = unknown_command(first, commands)
        if problem:
            raise CliError(problem, 2)
        i = argv.index(first)
        return [*argv[:i], EDITOR_COMMAND, *argv[i:]]
    return argv


def unknown_command(word: str, commands: frozenset[str]) -> str:
    """The error for a first word that looks like a command, "" when it may be a path."""
    import difflib
    from pathlib import Path

    if Path(word).exists() or bundle_path_for(word).exists():
        return ""
    if any(sep in word for sep in ("/", "\\", ".")) or word.startswith("~"):
        return ""  # looks like a path: the editor says it is not a project
    close = difflib.get_close_matches(word, sorted(commands), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else ""
    return (f"unknown command {word!r}{hint} (the commands: {', '.join(sorted(commands))}; "
            "a project is a folder ending in .soraboard)")


def _use_configured_ffmpeg() -> None:
    """The ffmpeg chosen in Settings reaches every command (animatic, probe, export, seams)."""
    from soraboard.media.ffmpeg import use_ffmpeg
    from soraboard.settings import load_settings

    use_ffmpeg(load_settings()[0].ffmpeg_path)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        routed = _route_editor(argv, parser.commands)
    except CliError as e:
        print(f"soraboard: error: {one_line(str(e))}", file=sys.stderr)
        return e.exit_code
    args = parser.parse_args(routed)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    install_log_redaction()
    try:
        _use_configured_ffmpeg()
        code: int = args.func(args)
        return code
    except CliError as e:
        if args.debug:
            _print_traceback()
        print(f"soraboard: error: {one_line(redact(str(e)))}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("soraboard: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # one line for the user; the traceback with --debug
        if args.debug:
            _print_traceback()
        print(f"soraboard: error: {one_line(redact(type(e).__name__ + ': ' + str(e)))}"
              + ("" if args.debug else " (run with --debug for details)"), file=sys.stderr)
        return 1


def _print_traceback() -> None:
    """--debug: the traceback of the error being handled, with every key masked."""
    import traceback

    print(redact(traceback.format_exc()), file=sys.stderr, end="")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
