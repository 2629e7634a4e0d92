"""Subtitles of the film: the dialogue on the film's timeline, as a soft track and as files.

:func:`film_cues` places every spoken line where the export puts its segment — after trims,
with the overlap of crossfades — so a cue is on screen exactly while its line is said
(frame-exact: the film position of a segment comes from the plan's own frame count).

The export then (see :func:`subtitle_steps`)

* muxes the cues into the MP4 as a ``mov_text`` track tagged with the film's language (a
  stream copy: the Smart preset still copies the picture bit for bit);
* writes ``film.srt`` and ``film.vtt`` beside the film;
* on request, burns them into the picture (one re-encode) in the shipped font, wrapped and
  boxed inside the title-safe area.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from soraboard.model.storyboard import Storyboard
from soraboard.stitch.plan import ExportPlan
from soraboard.stitch.runner import Step

#: a cue shorter than this is stretched (a flash nobody can read)
MIN_CUE = 0.5


@dataclass(frozen=True)
class SubtitleOptions:
    """What the export does with the dialogue."""

    track: bool = True  #: a soft mov_text track in the MP4
    files: bool = True  #: .srt and .vtt beside the film
    burn_in: bool = False  #: drawn into the picture (re-encodes it)
    language: str = "eng"  #: ISO 639-2 code of the track


@dataclass(frozen=True)
class Cue:
    start: float  #: seconds on the film's timeline
    end: float
    text: str
    speaker: str = ""


def film_cues(plan: ExportPlan, storyboard: Storyboard) -> list[Cue]:
    """Every dialogue line of the exported segments, on the film's timeline."""
    by_id = {s.id: s for s in storyboard.segments}
    cues: list[Cue] = []
    film_end = plan.duration
    for i, src in enumerate(plan.sources):
        seg = by_id.get(src.segment_id)
        if seg is None or not seg.dialogue:
            continue
        start = plan.format.seconds(plan.start_frame(i))
        end = start + plan.format.seconds(src.frames)
        for d in sorted(seg.dialogue, key=lambda d: (d.start, d.end)):
            if not d.text.strip():
                continue
            a = start + (d.start - src.t_in)
            b = start + (d.end - src.t_in)
            a, b = max(a, start), min(b, end, film_end)
            if b - a <= 1e-6:
                continue  # trimmed away
            cues.append(Cue(round(a, 3), round(b, 3), " ".join(d.text.split()), d.speaker))
    # a line that would flash by is held a little (never past the next cue or the end)
    out: list[Cue] = []
    for k, c in enumerate(cues):
        limit = cues[k + 1].start if k + 1 < len(cues) else film_end
        end = max(c.end, min(c.start + MIN_CUE, limit)) if c.end - c.start < MIN_CUE else c.end
        out.append(Cue(c.start, round(end, 3), c.text, c.speaker))
    return out


def _stamp(seconds: float, sep: str) -> str:
    ms = max(round(seconds * 1000), 0)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _label(cue: Cue, speakers: int) -> str:
    """The cue's text; with more than one speaker in the film, who says it."""
    return f"{cue.speaker}: {cue.text}" if cue.speaker and speakers > 1 else cue.text


def srt_text(cues: Sequence[Cue]) -> str:
    speakers = len({c.speaker for c in cues if c.speaker})
    blocks = [f"{n}\n{_stamp(c.start, ',')} --> {_stamp(c.end, ',')}\n{_label(c, speakers)}\n"
              for n, c in enumerate(cues, start=1)]
    return "\n".join(blocks)


def vtt_text(cues: Sequence[Cue]) -> str:
    speakers = len({c.speaker for c in cues if c.speaker})
    blocks = [f"{_stamp(c.start, '.')} --> {_stamp(c.end, '.')}\n{_label(c, speakers)}\n"
              for c in cues]
    return "WEBVTT\n\n" + "\n".join(blocks)


def write_sidecars(cues: Sequence[Cue], film: Path) -> list[Path]:
    """``film.srt`` and ``film.vtt`` beside ``film`` (written atomically)."""
    from soraboard.storage.atomic import atomic_write_bytes

    out = []
    for suffix, text in ((".srt", srt_text(cues)), (".vtt", vtt_text(cues))):
        path = film.with_suffix(suffix)
        atomic_write_bytes(path, text.encode("utf-8"))
        out.append(path)
    return out


def graph_quote(path: Path) -> str:
    """``path`` as a filter option value inside a filter graph: quoted for the option
    parser, then escaped for the graph parser (a folder may hold ' : , [ ] ;)."""
    value = "'" + str(path).replace("'", "'\\''") + "'"
    for ch in "\\'[],;":
        value = value.replace(ch, "\\" + ch)
    return value


def _burn_graph(cues: Sequence[Cue], width: int, height: int, folder: Path) -> str:
    """drawtext filters for every cue — the words in text files in ``folder``, so no user
    text is spliced into the graph — wrapped and sized inside the title-safe area."""
    from soraboard.media.captions import SAFE_MARGIN, fit_caption, font_metrics, font_path

    shutil.copyfile(font_path(), folder / "subs.ttf")
    font = graph_quote(folder / "subs.ttf")
    speakers = len({c.speaker for c in cues if c.speaker})
    pad = max(height // 90, 2)
    safe_w = width * (1 - 2 * SAFE_MARGIN) - 2 * pad
    bottom = round(height * (1 - SAFE_MARGIN)) - pad
    steps = []
    for n, c in enumerate(cues):
        cap = fit_caption(_label(c, speakers), font_metrics(font_path()), max(height // 20, 10),
                          safe_w, 2)
        y0 = bottom - cap.height
        for k, line in enumerate(cap.lines):
            name = f"cue{n}_{k}.txt"
            (folder / name).write_text(line, "utf-8")
            steps.append(f"drawtext=fontfile={font}:textfile={graph_quote(folder / name)}"
                         f":expansion=none"
                         f":fontcolor=white:fontsize={cap.size}:box=1:boxcolor=black@0.6"
                         f":boxborderw={pad}:x=(w-text_w)/2:y={y0 + k * cap.line_height}"
                         f":enable='between(t,{c.start:.3f},{c.end:.3f})'")
    return ",".join(steps) or "null"


def subtitle_steps(steps: Sequence[Step], cues: Sequence[Cue], options: SubtitleOptions,
                   plan: ExportPlan, output: Path, work: Path) -> list[Step]:
    """The export's steps (untouched: some fill in their arguments as they run), then the
    subtitle pass: the film they wrote to ``output`` is remuxed (stream copy) with the
    mov_text track, or re-encoded with the cues burned in, and put back in its place."""
    if not cues or not (options.track or options.burn_in):
        return list(steps)
    picture = str(output)
    result = work / "film-with-subtitles.mp4"
    (work / "film.srt").write_text(srt_text(cues), "utf-8")
    args = ["-y", "-i", picture]
    if options.track:
        args += ["-i", str(work / "film.srt")]
    args += ["-map", "0:v", "-map", "0:a?"]
    if options.track:
        args += ["-map", "1:s", "-c:s", "mov_text",
                 "-metadata:s:s:0", f"language={options.language}",
                 "-metadata:s:s:0", "handler_name=Dialogue"]
    if options.burn_in:
        graph = work / "burn.txt"
        graph.write_text(_burn_graph(cues, plan.format.width, plan.format.height, work),
                         "utf-8")
        video = list(plan.preset.video_args)
        if "libx264" not in video:  # Smart copies; burning in needs an encoder
            video = ["-c:v", "libx264", "-preset", "medium", "-crf", "18", "-pix_fmt", "yuv420p"]
        args += ["-/filter:v", str(graph), *video, "-c:a", "copy"]
    else:
        args += ["-c:v", "copy", "-c:a", "copy"]
    args += ["-movflags", "+faststart", "-f", "mp4", str(result)]
    label = "Burning in the subtitles" if options.burn_in else "Adding the subtitle track"
    return [*steps,
            Step(label, args, plan.duration, weight=0.1 if not options.burn_in
                 else plan.duration, after_parallel=True, what="the subtitle pass"),
            Step("Finishing", action=lambda: os.replace(result, output), weight=0.01)]
