"""``soraboard import``: bring clips and images into a project from the command line."""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from soraboard.console import CliError, one_line
from soraboard.imports.apply import ImportFailed, apply_import
from soraboard.imports.check import ImportItem, ImportRejected, check_files
from soraboard.model.edits import EditError
from soraboard.model.storyboard import Segment, Transition, TransitionType
from soraboard.model.timing import film_length, fmt_seconds
from soraboard.model.words import plural
from soraboard.storage.bundle import load_project
from soraboard.storage.errors import ProjectError
from soraboard.storage.lock import LockHeld, writing

#: a transition given without a length lasts this long
DEFAULT_TRANSITION_SECONDS = 0.5


def parse_transition(text: str) -> Transition:
    """``crossfade``, ``fade_black:1``, ``fade-white:0.75`` → a Transition (``cut`` → a cut)."""
    kind, sep, secs = text.strip().partition(":")
    names = [t.value for t in TransitionType]
    try:
        tt = TransitionType(kind.strip().lower().replace("-", "_"))
    except ValueError:
        raise CliError(f"unknown transition {one_line(kind)!r}; choose one of "
                       + ", ".join(names), 2) from None
    if tt is TransitionType.CUT:
        return Transition()
    seconds = DEFAULT_TRANSITION_SECONDS
    if sep:
        try:
            seconds = float(secs)
        except ValueError:
            raise CliError(f"transition length {one_line(secs)!r} is not a number of seconds",
                           2) from None
        if not math.isfinite(seconds) or seconds <= 0:
            raise CliError("a transition lasts more than 0 seconds (use 'cut' for none)", 2)
    return Transition(tt, seconds)


def describe_added(seg: Segment, item: ImportItem) -> str:
    """``"harbour" — video 6.5 s, 1920x1080`` / ``"sketch" — image, a 4 s draft``."""
    if item.kind == "image":
        return (f"“{seg.title}” — image {item.size}, a {fmt_seconds(seg.duration)} s draft "
                "starting from it")
    return f"“{seg.title}” — video {fmt_seconds(round(item.duration, 3))} s, {item.size}"


def _rejected(e: ImportRejected, given: int) -> CliError:
    """Print one line per bad file on stderr; the error that ends the command."""
    for problem in e.problems:
        print("soraboard: cannot import " + one_line(problem), file=sys.stderr)
    n = len(e.problems)
    return CliError(f"nothing was imported ({n} of {given} file{'s' if given != 1 else ''} "
                    "cannot be used)")


def cmd_new_from(args: argparse.Namespace) -> int:
    """``soraboard new PATH --from FILE...`` (called by ``cmd_new`` in :mod:`soraboard.cli`):
    a bundle holding one segment per file; nothing is created when any file is bad."""
    from soraboard.imports.apply import create_from_files

    if getattr(args, "demo", None):
        raise CliError("give --demo or --from, not both", 2)
    text = getattr(args, "transition", None)
    transition = parse_transition(text) if text else None
    try:
        project = create_from_files(args.path, args.from_files, transition)
    except ImportRejected as e:
        raise _rejected(e, len(args.from_files)) from None
    except (ProjectError, ImportFailed) as e:
        raise CliError(str(e)) from None
    sb = project.storyboard
    print(f"Created {project.bundle.path} — {sb.title}, {plural(len(sb.segments), 'segment')}, "
          f"{fmt_seconds(round(film_length(sb, project.takes), 3))} s")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    # the lock first, then the load: what is read is what the save replaces
    try:
        with writing(args.project, "soraboard import"):
            return _import(args)
    except (LockHeld, ProjectError) as e:
        raise CliError(str(e)) from None


def _import(args: argparse.Namespace) -> int:
    try:
        project = load_project(args.project)
    except ProjectError as e:
        raise CliError(str(e)) from None
    sb = project.storyboard
    at = None
    if args.at is not None:
        if not 1 <= args.at <= len(sb.segments) + 1:
            raise CliError(f"--at {args.at} is outside the storyboard: give 1 to "
                           f"{len(sb.segments) + 1} (the position the first new segment "
                           "takes; the default is after the last)", 2)
        at = args.at - 1
    transition = parse_transition(args.transition) if args.transition else None
    try:
        items = check_files(args.files)
    except ImportRejected as e:
        raise _rejected(e, len(args.files)) from None
    try:
        result = apply_import(project.bundle, sb, items, at, transition)
    except (ImportFailed, EditError) as e:
        raise CliError(str(e)) from None
    new_sb = result.edit.apply(sb)
    try:
        project.bundle.save(new_sb)
    except OSError as e:
        result.discard(project.bundle)
        raise CliError(f"cannot save {project.bundle.storyboard_file} ({e.strerror or e}); "
                       "nothing was imported") from None
    takes = {**project.takes, **{t.id: t for t in result.takes}}
    first = new_sb.index_of(result.segments[0].id) + 1
    n = len(result.segments)
    where = f"{first}" if n == 1 else f"{first}–{first + n - 1}"
    print(f"Added {n} segment{'s' if n != 1 else ''} at position {where}:")
    for seg, item in zip(result.segments, items):
        print("  " + one_line(describe_added(seg, item)))
    print(f"The film is now {fmt_seconds(round(film_length(new_sb, takes), 3))} s "
          f"({plural(len(new_sb.segments), 'segment')}).")
    return 0


def register(subparsers: Any) -> None:
    """Add ``import`` to the ``soraboard`` command."""
    p = subparsers.add_parser(
        "import", help="add video clips and images to a project (one segment per file)",
        description="Add one segment per file, in the order given. A video becomes a segment "
                    "with an imported take (the file is copied into the project's media/ "
                    "folder, never moved or changed); a PNG, JPEG or WebP image becomes a "
                    "draft segment that starts from it. Every file is checked first: if any "
                    "cannot be used, nothing is changed and each bad file is named on stderr.")
    p.add_argument("project", help="a project folder (Name.soraboard)")
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="video clips (MP4, MOV, MKV, WebM …) and images (PNG, JPEG, WebP); "
                        "put -- before names that start with a dash")
    p.add_argument("--at", type=int, metavar="INDEX",
                   help="1-based position of the first new segment (1 = the start; default: "
                        "after the last segment)")
    p.add_argument("--transition", metavar="TYPE[:SECONDS]",
                   help="transition between the imported segments, e.g. crossfade:0.5 or "
                        "fade_black:1 (types: " + ", ".join(t.value for t in TransitionType)
                        + f"; default length {DEFAULT_TRANSITION_SECONDS:g} s)")
    p.set_defaults(func=cmd_import)
