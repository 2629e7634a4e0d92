"""``soraboard plan STORY --length 60 -o Project.soraboard``: a storyboard from a story.

Registered by :mod:`soraboard.cli` (it imports this module when present). The cost table is
the one ``soraboard cost`` prints, so a creator sees the same numbers either way.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from soraboard.catalog.catalog import CatalogError, default_catalog
from soraboard.catalog.cost import estimate
from soraboard.console import CliError, one_line
from soraboard.model.prompt import compose_prompt
from soraboard.model.storyboard import Storyboard
from soraboard.model.words import plural
from soraboard.storage.bundle import Bundle
from soraboard.storage.errors import ProjectError


def _length(text: str) -> float:
    try:
        value = float(text.rstrip("s").strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError("the length must be between 1 s and 3600 s")
    return value


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``plan`` subcommand."""
    p = subparsers.add_parser(
        "plan", help="plan a storyboard from a story (.txt, .md or Fountain)",
        description="Split a story into segments the model can make, with timed beats, "
                    "dialogue that fits, continuity and a style bible, then print the cost. "
                    "The LLM planner is used when planner.json names an endpoint; otherwise "
                    "the offline planner, which needs nothing.")
    p.add_argument("story", help="the story file ('-' reads standard input)")
    p.add_argument("--length", type=_length, required=True, metavar="SECONDS",
                   help="target film length in seconds")
    p.add_argument("--model", help="model id from the catalog (default: the settings' "
                                     "model while it is current)")
    p.add_argument("--size", help="frame size, e.g. 1280x720 (default: the model's first)")
    p.add_argument("--style", help="style line for the style bible")
    p.add_argument("--title", help="storyboard title (default: from the story or file name)")
    p.add_argument("--planner", choices=("auto", "llm", "offline"), default="auto",
                   help="auto (default) uses the LLM when an endpoint is configured")
    p.add_argument("-o", "--output", metavar="PROJECT",
                   help="create this project bundle (.soraboard is added); without it the "
                        "plan is only printed")
    p.add_argument("--into", metavar="PROJECT",
                   help="re-plan this project: print which segments the plan replaces (only "
                        "those nobody edited, wrote or generated) and apply it with --yes")
    p.add_argument("--yes", action="store_true", help="with --into: apply the re-plan")
    p.add_argument("--prompts", action="store_true",
                   help="also print every segment's composed prompt")
    p.set_defaults(func=cmd_plan)


def _replan(args: argparse.Namespace, planned: Storyboard, notes: Sequence[str]) -> int:
    """``plan --into PROJECT``: the diff, and with ``--yes`` the merged storyboard saved."""
    from soraboard.planner.replan import replan
    from soraboard.storage.bundle import load_project
    from soraboard.storage.lock import LockHeld, writing

    try:
        with writing(args.into, "soraboard plan --into"):
            project = load_project(args.into)
            generated = {t.segment_id for t in project.takes.values()}
            result = replan(project.storyboard, planned, generated)
            for note in notes:
                print("note: " + one_line(note))
            print(result.describe())
            if not result.changes_anything:
                print("The plan changes nothing: every segment is kept or the same.")
                return 0
            if not args.yes:
                print(f"{result.changes} change{'s' if result.changes != 1 else ''}; nothing "
                      "written — run again with --yes to apply")
                return 0
            project.bundle.save(result.storyboard)
    except (LockHeld, ProjectError) as e:
        raise CliError(str(e)) from None
    except OSError as e:
        raise CliError(f"cannot save {args.into} ({e.strerror or e}); nothing changed") from None
    print(f"Re-planned {project.bundle.path}: {result.changes} change"
          f"{'s' if result.changes != 1 else ''}, the rest kept as it was")
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    # imported here: the planner is only loaded when someone plans
    from soraboard.cli import format_cost
    from soraboard.planner.plan import PlanError, plan_story, plan_story_file
    from soraboard.settings import load_settings

    try:
        catalog = default_catalog()
    except CatalogError as e:
        raise CliError(f"model catalog: {e}") from None
    settings, _ = load_settings()
    # an explicit --model is used as asked; the settings' default only while it is current
    model = args.model or catalog.current_model(settings.default_model)
    if model not in catalog:
        raise CliError(f"unknown model {model!r}; the catalog has: {', '.join(catalog)}", 2)
    size = args.size
    if size is None and settings.default_size in catalog[model].sizes:
        size = settings.default_size
    if size is not None and not catalog[model].allows_size(size):
        raise CliError(f"size {size} is not allowed by {model} "
                       f"({', '.join(catalog[model].sizes)})", 2)
    if args.output and Bundle(args.output).path.exists() and any(
            Bundle(args.output).path.iterdir()):
        raise CliError(f"{Bundle(args.output).path}: already exists; choose another name")
    try:
        if args.story == "-":
            result = plan_story(sys.stdin.read(), args.length, model, size, args.style,
                                args.planner, title=args.title or "", catalog=catalog)
        else:
            result = plan_story_file(args.story, args.length, model, size, args.style,
                                     args.planner, title=args.title or "", catalog=catalog)
    except PlanError as e:
        raise CliError(str(e)) from None
    sb = result.storyboard
    if args.into:
        return _replan(args, result.storyboard, result.notes)
    if args.output:
        try:
            bundle = Bundle.create(args.output, sb)
        except ProjectError as e:
            raise CliError(str(e)) from None
        print(f"Created {bundle.path} — {sb.title}, {plural(len(sb.segments), 'segment')} "
              f"({result.planner} planner)")
    else:
        print(f"Plan — {sb.title}, {plural(len(sb.segments), 'segment')} "
              f"({result.planner} planner); nothing written (use -o PROJECT to create it)")
    for note in result.notes:
        print("note: " + one_line(note))
    if args.output and result.keyframes:
        print(f"next: soraboard keyframes {bundle.path} makes the proposed keyframe stills "
              "(priced first), then 'soraboard generate' runs those shots in parallel")
    print()
    if args.prompts:
        for i, seg in enumerate(sb.segments):
            print(f"--- {i + 1}. {seg.title} ({seg.duration:g} s, {seg.continuity.value}, "
                  f"then {seg.transition_out.describe()})")
            print(compose_prompt(sb, i).text)
            print()
    print(format_cost(sb, estimate(sb, catalog), catalog))
    return 0
