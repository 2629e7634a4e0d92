"""``soraboard export`` and ``soraboard seams``: the exporter on the command line."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from soraboard.console import CliError, ProgressBars, one_line
from soraboard.media.ffmpeg import FFmpeg, FFmpegError, FFmpegNotFound, find_ffmpeg
from soraboard.media.probe import MediaError
from soraboard.stitch.destination import DestinationError, check_destination, default_destination
from soraboard.stitch.plan import ExportBlocked, Soundtrack
from soraboard.stitch.runner import ExportCancelled, Progress, format_eta
from soraboard.storage.bundle import Project, load_project
from soraboard.storage.errors import ProjectError
from soraboard.storage.lock import BundleLock, LockHeld

if TYPE_CHECKING:
    from soraboard.stitch.voiceover import SpokenLine


def _ffmpeg() -> FFmpeg:
    from soraboard.settings import load_settings

    settings, _ = load_settings()
    try:
        return find_ffmpeg(settings.ffmpeg_path)
    except FFmpegNotFound as e:
        raise CliError(str(e)) from None


def _project(path: str) -> Project:
    try:
        project = load_project(path)
    except ProjectError as e:
        raise CliError(str(e)) from None
    for w in project.warnings:
        print("warning: " + one_line(w), file=sys.stderr)
    return project


def _voiceover(project: Project) -> list[SpokenLine]:
    """The rendered voice-over lines of the dialogue as it is now; every line must be."""
    from soraboard.stitch.voiceover import rendered_voice

    try:
        voice = rendered_voice(project)
    except ValueError as e:
        raise CliError(one_line(str(e))) from None
    if not voice.total:
        raise CliError("--voiceover: no segment has dialogue", 2)
    if voice.missing:
        raise CliError(f"--voiceover: {voice.missing} of {voice.total} line(s) are not "
                       f"rendered (new or changed since); run 'soraboard voiceover "
                       f"{project.bundle.path}' first", 2)
    return list(voice.lines)


def cmd_export(args: argparse.Namespace) -> int:
    from soraboard.stitch.export import prepare_export, run_export
    from soraboard.stitch.subtitles import SubtitleOptions

    project = _project(args.project)
    if not re.fullmatch(r"[a-z]{3}", args.subtitle_language):
        raise CliError(f"--subtitle-language {args.subtitle_language!r}: give a three-letter "
                       "ISO 639-2 code such as eng, fra or deu", 2)
    subtitles = None if args.no_subtitles else SubtitleOptions(
        burn_in=args.burn_subtitles, language=args.subtitle_language)
    ff = _ffmpeg()
    music = Soundtrack(Path(args.music)) if args.music else None
    if music is not None and not music.path.is_file():
        raise CliError(f"music file {args.music} does not exist", 2)
    voice = _voiceover(project) if args.voiceover else []
    try:
        prepared = prepare_export(project, args.preset, music=music, loudnorm=args.loudnorm,
                                  ffmpeg=ff, subtitles=subtitles, voice=voice)
    except ExportBlocked as e:
        raise CliError("cannot export: " + str(e)) from None
    except MediaError as e:
        raise CliError(str(e)) from None
    for w in prepared.warnings:
        print("warning: " + one_line(w), file=sys.stderr)
    try:
        dest = check_destination(args.output or default_destination(project, args.preset),
                                 overwrite=args.overwrite, create_folder=not args.output)
    except DestinationError as e:
        raise CliError(str(e)) from None
    output = dest.path
    otio_path: Path | None = None
    if args.otio:  # the same rules for the timeline beside it, checked before any work
        try:
            otio_path = check_destination(args.otio, overwrite=args.overwrite).path
        except DestinationError as e:
            raise CliError("--otio: " + str(e)) from None
    nle = _nle_notes(args, prepared.plan)
    nle_path: Path | None = None
    if nle is not None:  # beside the film, under the same rules, checked before any work
        try:
            nle_path = check_destination(output.with_suffix(nle.suffix),
                                         overwrite=args.overwrite).path
        except DestinationError as e:
            raise CliError("--nle: " + str(e)) from None
    # a film written into a bundle is a write to it: the editor or another command must not
    # be writing it (the lock is this process's already when the bundle is its own)
    lock = BundleLock(dest.bundle, "soraboard export") if dest.bundle is not None else None
    if lock is not None:
        try:
            lock.acquire()
        except LockHeld as e:
            raise CliError(str(e)) from None
    print(f"{prepared.plan.preset.label}: {prepared.summary}", file=sys.stderr)
    bars = ProgressBars(sys.stderr)

    def show(p: Progress) -> None:
        # a terminal redraws one line; a log (CI, a pipe) gets a line per new stage only
        note = p.stage + (f" · about {format_eta(p.eta)} left" if p.eta and bars.tty else "")
        bars.update("export", p.fraction, note)

    try:
        result = run_export(prepared, output, on_progress=show)
    except ExportCancelled:
        raise CliError("export cancelled; nothing was written", 130) from None
    except FFmpegError as e:
        raise CliError(str(e)) from None
    finally:
        bars.finish()
        if lock is not None:
            lock.release()
    if otio_path is not None:
        from soraboard.stitch.otio import write_otio

        write_otio(project, otio_path, plan=prepared.plan)
        print(f"Wrote {otio_path}", file=sys.stderr)
    if nle is not None and nle_path is not None:
        from soraboard.stitch.otio import write_nle

        path = write_nle(project, nle_path, nle, plan=prepared.plan)
        print(f"Wrote {path} for {nle.editor}", file=sys.stderr)
    for report in result.segments:  # the Smart preset: what was copied, what encoded and why
        print("  " + one_line(report.text), file=sys.stderr)
    for note in result.notes:
        print("note: " + one_line(note), file=sys.stderr)
    for sidecar in result.subtitle_files:
        print(f"Wrote {sidecar}", file=sys.stderr)
    print(f"{result.path} — {result.duration:.2f} s, {result.frames} frames, {result.mode}, "
          f"{result.elapsed:.1f} s")
    return 0


def _nle_notes(args: argparse.Namespace, plan: Any) -> Any:
    """``--nle``: the target, after saying what it cannot express (before anything runs)."""
    if not getattr(args, "nle", None):
        return None
    from soraboard.stitch.otio import nle_losses, nle_target

    target = nle_target(args.nle)
    for line in nle_losses(plan, target):
        print("note: " + one_line(line), file=sys.stderr)
    return target


def cmd_seams(args: argparse.Namespace) -> int:
    from soraboard.stitch.seams import format_report, seam_report

    project = _project(args.project)
    ff = _ffmpeg()
    try:
        report = seam_report(project, ffmpeg=ff)
    except ExportBlocked as e:
        raise CliError("cannot check the seams: " + str(e)) from None
    print(format_report(report))
    return 1 if any(s.verdict == "jump" for s in report) else 0


def register(subparsers: Any) -> None:
    """Add ``export`` and ``seams`` to the ``soraboard`` command."""
    p = subparsers.add_parser("export", help="stitch the chosen takes into one film")
    p.add_argument("project", help="a project folder (Name.soraboard)")
    p.add_argument("-o", "--output", help="the film to write (default: the bundle's "
                   "exports/<title> - <preset>.mp4); never a file of a project outside exports/")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the film if the output file already exists")
    p.add_argument("--preset", choices=["final", "preview", "smart"], default="final")
    p.add_argument("--music", metavar="FILE", help="a soundtrack for the whole film")
    p.add_argument("--loudnorm", action="store_true",
                   help="normalise loudness to -14 LUFS (EBU R128, for the web)")
    p.add_argument("--otio", metavar="FILE", help="also write an OpenTimelineIO timeline")
    p.add_argument("--nle", choices=["resolve", "premiere", "fcpx", "kdenlive", "edl"],
                   help="also write the timeline for this editor beside the film (FCP 7 XML, "
                        "FCPXML, OTIO or a CMX 3600 EDL); says first what it cannot express")
    p.add_argument("--burn-subtitles", action="store_true",
                   help="draw the dialogue into the picture (re-encodes it)")
    p.add_argument("--voiceover", action="store_true",
                   help="mix in the voice-over ('soraboard voiceover' renders it) as a track "
                        "of its own, ducking the music")
    p.add_argument("--no-subtitles", action="store_true",
                   help="no subtitle track and no .srt/.vtt (by default the dialogue is both)")
    p.add_argument("--subtitle-language", default="eng", metavar="CODE",
                   help="ISO 639-2 language of the subtitle track (default: eng)")
    p.set_defaults(func=cmd_export)

    p = subparsers.add_parser(
        "seams", help="score how well each boundary hides the join (exit 1 when one jumps)")
    p.add_argument("project")
    p.set_defaults(func=cmd_seams)
