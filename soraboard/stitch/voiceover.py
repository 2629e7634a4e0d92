"""The voice-over track of the export: rendered dialogue placed on the film's timeline.

The lines' audio files come from :mod:`soraboard.generation.voiceover` (the CLI hands them
over as :class:`SpokenLine`; this layer does not import generation). :func:`film_voice`
places each line where the export puts its segment — after trims, with the overlap of
transitions, the same way :func:`soraboard.stitch.subtitles.film_cues` places the cues — and
:func:`voice_graph` gives the filter graph that mixes them over the clips' sound. The sum of
both is the key of the music bed's sidechain compressor (see
:func:`soraboard.stitch.plan.timeline_graph`), so the music dips under the voice exactly as
it dips under the clips' own sound. The sound is one encode either way: Smart still copies
the picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from soraboard.stitch.plan import ExportPlan, OutputFormat
    from soraboard.storage.bundle import Project


@dataclass(frozen=True)
class SpokenLine:
    """A rendered dialogue line: its segment, its start in the segment (seconds of the take,
    as dialogue times are) and its audio file."""

    segment_id: str
    start: float
    path: Path


@dataclass(frozen=True)
class RenderedVoice:
    """The project's voice-over as the export sees it: every spoken line, and how many of
    them have no audio yet (new or changed since the last render)."""

    lines: tuple[SpokenLine, ...]  #: the rendered ones, in film order
    total: int  #: lines of dialogue
    missing: int  #: lines not rendered

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.missing == 0


def rendered_voice(project: Project) -> RenderedVoice:
    """The voice-over lines of the dialogue as it is now (the CLI's ``export --voiceover``
    and the export dialog both export from this); ValueError when ``voiceover.json`` is bad."""
    from soraboard.storage.voiceover import load_settings, voice_lines

    lines = voice_lines(project.bundle, project.storyboard, load_settings(project.bundle))
    spoken = tuple(SpokenLine(v.segment_id, v.start, v.path) for v in lines if v.cached)
    return RenderedVoice(spoken, len(lines), len(lines) - len(spoken))


@dataclass(frozen=True)
class VoiceClip:
    """A line's audio on the film's timeline: from ``start`` for at most ``limit`` seconds
    (its segment's end on the film)."""

    path: Path
    start: float
    limit: float


def film_voice(plan: ExportPlan, lines: Sequence[SpokenLine]) -> tuple[VoiceClip, ...]:
    """The lines of the exported segments on the film's timeline. A line that starts in a
    trimmed-away part of its segment is left out (it would begin mid-word)."""
    by_segment: dict[str, list[SpokenLine]] = {}
    for line in lines:
        by_segment.setdefault(line.segment_id, []).append(line)
    out: list[VoiceClip] = []
    film_end = plan.duration
    for i, src in enumerate(plan.sources):
        start = plan.format.seconds(plan.start_frame(i))
        end = min(start + plan.format.seconds(src.frames), film_end)
        for line in sorted(by_segment.get(src.segment_id, ()), key=lambda s: s.start):
            at = start + (line.start - src.t_in)
            if at < start - 1e-6 or end - at <= 1e-3:
                continue
            out.append(VoiceClip(line.path, round(at, 6), round(end - at, 6)))
    return tuple(out)


def voice_graph(clips: Sequence[VoiceClip], first_input: int, film: str, fmt: OutputFormat,
                ) -> tuple[list[str], list[str], str]:
    """(inputs, filters, output label) mixing ``clips`` over the audio labelled ``film``;
    the clips' inputs are numbered from ``first_input``. Sample-exact placement (adelay in
    samples); the mix lasts exactly as long as ``film``."""
    layout = "stereo" if fmt.channels == 2 else "mono"
    inputs: list[str] = []
    filters: list[str] = []
    labels = []
    for k, clip in enumerate(clips):
        inputs += ["-i", str(clip.path.absolute())]
        delay = round(clip.start * fmt.sample_rate)
        limit = max(round(clip.limit * fmt.sample_rate), 1)
        filters.append(f"[{first_input + k}:a:0]aresample={fmt.sample_rate},"
                       f"aformat=sample_fmts=fltp:channel_layouts={layout},"
                       f"atrim=end_sample={limit},asetpts=PTS-STARTPTS,"
                       f"adelay=delays={delay}S:all=1[vo{k}]")
        labels.append(f"[vo{k}]")
    filters.append(f"[{film}]{''.join(labels)}amix=inputs={len(clips) + 1}:duration=first"
                   f":normalize=0[voiced]")
    return inputs, filters, "voiced"
