"""The export as the dialog and the CLI drive it: prepare (plan + summary), then run.

::

    prepared = prepare_export(project, "smart", music=Soundtrack(Path("theme.m4a")))
    prepared.summary   # "copies 55.4 s of the takes frame-exact, encodes 4.6 s around 2 …"
    result = run_export(prepared, Path("film.mp4"), on_progress=show, cancel=token)

``prepare_export`` probes the take files (a few tens of ms each) and builds the plan; it
raises :class:`~soraboard.stitch.plan.ExportBlocked` naming every segment without a usable
take. ``run_export`` writes the film atomically (see :mod:`soraboard.stitch.runner`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from soraboard.media.ffmpeg import FFmpeg, find_ffmpeg
from soraboard.media.probe import MediaError, MediaInfo, probe
from soraboard.model.take import Take, chosen_take
from soraboard.stitch.plan import (
    ExportPlan,
    Soundtrack,
    build_plan,
    describe_full,
    encode_args,
)
from soraboard.stitch.presets import PRESETS, Preset, PresetName
from soraboard.stitch.presets import preset as preset_named
from soraboard.stitch.runner import (
    OUTPUT,
    CancelToken,
    ProgressCallback,
    Step,
    run_to_file,
)
from soraboard.stitch.smart import (
    NO_IDR,
    SegmentReport,
    SmartPlan,
    SmartState,
    analyse,
    plan_smart,
    smart_steps,
)
from soraboard.stitch.subtitles import (
    Cue,
    SubtitleOptions,
    film_cues,
    subtitle_steps,
    write_sidecars,
)
from soraboard.stitch.voiceover import SpokenLine, film_voice
from soraboard.storage.bundle import Project
from soraboard.storage.errors import ProjectError

#: what an export does with the dialogue unless told otherwise: a track and the files
DEFAULT_SUBTITLES = SubtitleOptions()


def probe_takes(project: Project, ffmpeg: FFmpeg | None = None,
                ) -> tuple[dict[str, Path], dict[str, MediaInfo], list[str]]:
    """Files and probes of every chosen, usable take; and a warning per unreadable one."""
    ff = ffmpeg or find_ffmpeg()
    files: dict[str, Path] = {}
    probes: dict[str, MediaInfo] = {}
    warnings: list[str] = []
    for seg in project.storyboard.segments:
        take = chosen_take(seg, project.takes)
        if take is None or not take.usable or take.file is None or take.id in files:
            continue
        try:
            path = project.bundle.resolve(take.file)
            probes[take.id] = probe(path, ff)
            files[take.id] = path
        except (ProjectError, MediaError) as e:
            warnings.append(str(e))
    return files, probes, warnings


@dataclass
class PreparedExport:
    """A planned export: what it will do (``summary``) and the steps that do it."""

    plan: ExportPlan
    ffmpeg: FFmpeg
    smart: SmartPlan | None = None  #: set when the Smart preset can copy the takes
    #: why the Smart preset falls back to a full encode (empty when it does not)
    fallback_reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: filled in while a smart export runs (avc1 or avc3, and why)
    state: SmartState = field(default_factory=SmartState)
    #: Smart preset: per segment, copied or encoded and why (empty for the other presets)
    segments: list[SegmentReport] = field(default_factory=list)
    #: the dialogue on the film's timeline, and what to do with it (stitch/subtitles.py)
    cues: list[Cue] = field(default_factory=list)
    subtitles: SubtitleOptions | None = None

    @property
    def mode(self) -> str:
        """``copy`` (stream copy only), ``smart`` (copy + windows) or ``full``."""
        if self.smart is None:
            return "full"
        return "copy" if not self.smart.windows else "smart"

    @property
    def summary(self) -> str:
        """One line for the preset's row in the export dialog."""
        if self.smart is not None:
            return self.smart.summary()
        text = describe_full(self.plan)
        if self.fallback_reasons:
            text = "full encode: " + "; ".join(self.fallback_reasons) + " · " + text
        return text

    def steps(self, output: Path, work: Path) -> list[Step]:
        """The runner's steps, writing the film to ``output`` and scratch files to ``work``."""
        if self.smart is not None:
            steps = smart_steps(self.smart, work, self.ffmpeg, self.state)
        else:
            steps = [Step(f"Encoding {self.plan.duration:.1f} s",
                          encode_args(self.plan, OUTPUT), self.plan.duration, what="the export")]
        if self.subtitles is not None and self.cues:
            steps = subtitle_steps(steps, self.cues, self.subtitles, self.plan, output, work)
        return steps


def prepare_plan(plan: ExportPlan, ffmpeg: FFmpeg | None = None) -> PreparedExport:
    """Wrap a plan; for the Smart preset, analyse the takes and decide copy vs full encode."""
    ff = ffmpeg or find_ffmpeg()
    prepared = PreparedExport(plan, ff, warnings=list(plan.notes))
    if plan.preset.smart:
        # per segment: the takes in the film's format are copied (outside the windows around
        # transitions), the others encoded whole to match; a full encode only when nothing
        # at all can be copied
        analysis = analyse(plan, ff)
        smart = plan_smart(plan, analysis.sources, profile=analysis.profile or "",
                           x264=analysis.x264)
        prepared.segments = smart.segments()
        if analysis.profile is not None and smart.copied_frames > 0:
            prepared.smart = smart
        else:
            prepared.segments = [r if not r.copied else replace(r, reason=NO_IDR)
                                 for r in prepared.segments]
            prepared.fallback_reasons = [f"{r.label}: {r.reason}" for r in prepared.segments]
    return prepared


def prepare_export(project: Project, preset: str | Preset = "final", *,
                   music: Soundtrack | None = None, loudnorm: bool = False,
                   ffmpeg: FFmpeg | None = None,
                   subtitles: SubtitleOptions | None = DEFAULT_SUBTITLES,
                   voice: Sequence[SpokenLine] = ()) -> PreparedExport:
    """Plan the export of a loaded project (probes the take files). ``subtitles``: what to
    do with the dialogue (by default a soft track and .srt/.vtt files; None: nothing);
    ``voice``: the voice-over's rendered lines, mixed in as a track of their own."""
    ff = ffmpeg or find_ffmpeg()
    p = preset if isinstance(preset, Preset) else preset_named(preset)
    files, probes, warnings = probe_takes(project, ff)
    plan = build_plan(project.storyboard, project.takes, files, probes, p, music=music,
                      loudnorm=loudnorm)
    if voice:
        plan = replace(plan, voice=film_voice(plan, voice))
    prepared = prepare_plan(plan, ff)
    prepared.warnings[:0] = warnings
    prepared.subtitles = subtitles
    prepared.cues = film_cues(plan, project.storyboard) if subtitles is not None else []
    return prepared


def preset_summaries(project: Project, *, music: Soundtrack | None = None,
                     loudnorm: bool = False, ffmpeg: FFmpeg | None = None,
                     subtitles: SubtitleOptions | None = DEFAULT_SUBTITLES,
                     voice: Sequence[SpokenLine] = (),
                     ) -> dict[PresetName, PreparedExport]:
    """Every preset prepared for this film (probing the takes once), for the export dialog's
    preset list: ``summaries[PresetName.SMART].summary`` → "copies 55.4 s of the takes …"."""
    ff = ffmpeg or find_ffmpeg()
    files, probes, warnings = probe_takes(project, ff)
    out: dict[PresetName, PreparedExport] = {}
    for name, p in PRESETS.items():
        plan = build_plan(project.storyboard, project.takes, files, probes, p, music=music,
                          loudnorm=loudnorm)
        if voice:
            plan = replace(plan, voice=film_voice(plan, voice))
        out[name] = prepare_plan(plan, ff)
        out[name].warnings[:0] = warnings
        out[name].subtitles = subtitles
        out[name].cues = film_cues(plan, project.storyboard) if subtitles is not None else []
    return out


@dataclass(frozen=True)
class ExportResult:
    path: Path
    mode: str  #: copy | smart | full
    duration: float
    frames: int
    elapsed: float
    summary: str
    notes: tuple[str, ...] = ()  #: e.g. why the film is tagged avc3
    #: Smart preset: per segment, copied or encoded and why (``SegmentReport.text``)
    segments: tuple[SegmentReport, ...] = ()
    #: each step's label and the seconds it ran, in order (where the time went)
    timings: tuple[tuple[str, float], ...] = ()
    #: the .srt and .vtt written beside the film (none when the film has no dialogue)
    subtitle_files: tuple[Path, ...] = ()


def run_export(prepared: PreparedExport, output: Path | str, *,
               on_progress: ProgressCallback | None = None,
               cancel: CancelToken | None = None) -> ExportResult:
    """Write the film to ``output`` (atomically; raises ExportError / ExportCancelled)."""
    start = time.monotonic()
    target = Path(output)
    built: list[Step] = []

    def build(out: Path, work: Path) -> list[Step]:
        built[:] = prepared.steps(out, work)
        return built

    run_to_file(target, build, prepared.ffmpeg, on_progress=on_progress, cancel=cancel)
    timings = tuple((s.label, took) for s in built if (took := s.took) is not None)
    sidecars: list[Path] = []
    if prepared.subtitles is not None and prepared.subtitles.files and prepared.cues:
        sidecars = write_sidecars(prepared.cues, target.absolute())
    return ExportResult(target.absolute(), prepared.mode, prepared.plan.duration,
                        prepared.plan.total_frames, time.monotonic() - start, prepared.summary,
                        tuple(prepared.state.notes), tuple(prepared.segments), timings,
                        tuple(sidecars))


def takes_of(project: Project) -> Sequence[Take]:
    """The chosen takes, in film order (for hand-offs such as OTIO)."""
    out = []
    for seg in project.storyboard.segments:
        t = chosen_take(seg, project.takes)
        if t is not None:
            out.append(t)
    return out
