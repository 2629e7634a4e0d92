"""The seam report: how well each boundary hides the join.

For every boundary the outgoing take's last used frame and the incoming take's first used
frame are read at a small size (scaled and padded like the export does) and scored 0–1: the
geometric mean of the luma SSIM and the overlap of the colour histograms. The verdict depends on
what the boundary is meant to be:

* a chained segment (it started from the previous one's frame) should match: a low score
  means chaining failed — regenerate, or hide it with a short crossfade;
* an independent cut is either a clean change of shot (very different) or a jump cut
  (similar but not matching framing), which is flagged;
* a transition carries the change on its own.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from soraboard.console import table
from soraboard.media.ffmpeg import FFmpeg, find_ffmpeg, run_ffmpeg
from soraboard.stitch.plan import ExportPlan, Source, build_plan
from soraboard.stitch.presets import PREVIEW
from soraboard.storage.bundle import Project

#: SSIM at or above which two frames are taken to be the same picture
MATCH = 0.80
#: below this an independent cut is a clean change of shot, not a jump cut
NEW_SHOT = 0.60
#: below this a chained join is a visible jump
CHAIN_JUMP = 0.55


@dataclass(frozen=True)
class Seam:
    """One boundary of the seam report (what a row of the export dialog shows)."""

    index: int  #: boundary index: between segments ``index`` and ``index + 1`` (0-based)
    transition: str  #: e.g. "cut" or "crossfade 0.5 s"
    chained: bool
    score: float | None  #: 0–1 (see continuity_score); None when a side has no take
    verdict: str  #: seamless | ok | jump | missing
    message: str  #: one or two sentences for the user, with the fix when there is one
    fix: str | None
    out_file: Path | None  #: the frames compared (for thumbnails)
    out_time: float
    in_file: Path | None
    in_time: float

    @property
    def label(self) -> str:
        """``3 → 4 · cut, chained``."""
        return (f"{self.index + 1} → {self.index + 2} · {self.transition}"
                + (", chained" if self.chained else ""))


def _frame_time(source: Source, last: bool) -> float:
    """Seek point that lands exactly on the first or last used frame (half-frame padded)."""
    fps = source.src_fps
    if last:
        k = max(round(Fraction(source.t_out).limit_denominator(1_000_000) * fps) - 1, 0)
        return max(float(k / fps - 1 / (2 * fps)), 0.0)
    return max(source.t_in - float(1 / (2 * fps)), 0.0)


def _frames(a: Path, a_time: float, b: Path, b_time: float, ffmpeg: FFmpeg,
            size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The two frames as RGB arrays, fitted (scale + pad) into ``size``."""
    w, h = size
    fit = (f"scale={w}:{h}:force_original_aspect_ratio=decrease:force_divisible_by=2,"
           f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2,setsar=1,format=rgb24")
    proc = run_ffmpeg(["-ss", f"{a_time:.6f}", "-i", str(a.absolute()),
                       "-ss", f"{b_time:.6f}", "-i", str(b.absolute()),
                       "-filter_complex", f"[0:v:0]{fit}[a];[1:v:0]{fit}[b];[a][b]vstack",
                       "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                      ffmpeg=ffmpeg, timeout=60, what="reading the frames at a seam")
    raw = np.frombuffer(proc.stdout, np.uint8)
    if raw.size < w * h * 6:
        raise ValueError("ffmpeg returned no frames to compare")
    both = raw[: w * h * 6].reshape(2 * h, w, 3)
    return both[:h], both[h:]


def ssim_luma(a: np.ndarray, b: np.ndarray, block: int = 8) -> float:
    """Mean SSIM of the luma over ``block``-pixel squares (Wang et al. constants)."""
    weights = np.array([0.299, 0.587, 0.114])
    ya, yb = a.astype(np.float64) @ weights, b.astype(np.float64) @ weights
    h, w = (ya.shape[0] // block) * block, (ya.shape[1] // block) * block
    ta = ya[:h, :w].reshape(h // block, block, w // block, block).swapaxes(1, 2)
    tb = yb[:h, :w].reshape(h // block, block, w // block, block).swapaxes(1, 2)
    ma, mb = ta.mean(axis=(2, 3)), tb.mean(axis=(2, 3))
    va, vb = ta.var(axis=(2, 3)), tb.var(axis=(2, 3))
    cov = ((ta - ma[..., None, None]) * (tb - mb[..., None, None])).mean(axis=(2, 3))
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    s = ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma**2 + mb**2 + c1) * (va + vb + c2))
    return float(s.mean())


def colour_overlap(a: np.ndarray, b: np.ndarray, bins: int = 4) -> float:
    """Histogram intersection of the two frames' colours (1 = the same palette)."""
    def hist(x: np.ndarray) -> np.ndarray:
        q = (x.astype(np.int64) * bins // 256).reshape(-1, 3)
        idx = (q[:, 0] * bins + q[:, 1]) * bins + q[:, 2]
        return np.bincount(idx, minlength=bins**3) / len(idx)
    return float(np.minimum(hist(a), hist(b)).sum())


def continuity_score(a: Path, a_time: float, b: Path, b_time: float, ffmpeg: FFmpeg,
                     size: tuple[int, int] = (128, 72)) -> float:
    """How alike the two frames are, 0–1: the geometric mean of luma SSIM and colour overlap.

    SSIM alone rates two flat pictures of different colours as fairly alike (its luminance
    term is forgiving); the colour histogram catches that, and SSIM catches a same-palette
    picture that moved.
    """
    fa, fb = _frames(a, a_time, b, b_time, ffmpeg, size)
    return math.sqrt(max(ssim_luma(fa, fb), 0.0) * colour_overlap(fa, fb))


def judge(score: float, transition: str, chained: bool,
          incoming: int) -> tuple[str, str, str | None]:
    """(verdict, message, fix) for one boundary."""
    pct = f"{score:.2f} similarity"
    if transition != "cut":
        if score >= MATCH:
            return ("seamless", f"The frames already match ({pct}); the {transition} is gentle.",
                    None)
        return "ok", f"Different shots; the {transition} carries it ({pct}).", None
    if chained:
        if score >= MATCH:
            return "seamless", f"Continuity frame matched: {pct}.", None
        if score >= CHAIN_JUMP:
            fix = "use a 0.3 s crossfade"
            return "ok", f"A small shift at the join ({pct}); {fix} to hide it.", fix
        fix = f"regenerate {incoming}, or use a 0.5 s crossfade"
        return "jump", f"Chained, but the first frame of {incoming} jumps ({pct}): {fix}.", fix
    if score >= MATCH:
        return "seamless", f"The shots continue each other ({pct}).", None
    if score >= NEW_SHOT:
        fix = "use a crossfade, or reframe one of the shots"
        return "jump", f"Similar but not matching shots make a jump cut ({pct}): {fix}.", fix
    return "ok", f"A clean cut to a new shot ({pct}).", None


def seams_of_plan(plan: ExportPlan, chained: list[bool], ffmpeg: FFmpeg,
                  only: Collection[int] | None = None) -> list[Seam]:
    """Score every boundary of a plan (slates give a ``missing`` verdict), or only the
    boundaries ``only`` (indices, as :attr:`Seam.index`)."""
    out: list[Seam] = []
    for j in plan.joins:
        if only is not None and j.index not in only:
            continue
        a, b = plan.sources[j.index], plan.sources[j.index + 1]
        kind = "cut" if j.is_cut else f"{j.type.label.lower()} {plan.format.seconds(j.frames):g} s"
        ta, tb = _frame_time(a, last=True), _frame_time(b, last=False)
        if a.path is None or b.path is None:
            who = a if a.path is None else b
            out.append(Seam(j.index, kind, chained[j.index + 1], None, "missing",
                            f"{who.label} has no take yet.", None, a.path, ta, b.path, tb))
            continue
        score = continuity_score(a.path, ta, b.path, tb, ffmpeg)
        verdict, message, fix = judge(score, kind, chained[j.index + 1], j.index + 2)
        out.append(Seam(j.index, kind, chained[j.index + 1], score, verdict, message, fix,
                        a.path, ta, b.path, tb))
    return out


def seam_report(project: Project, ffmpeg: FFmpeg | None = None,
                only: Collection[int] | None = None) -> list[Seam]:
    """The seam report of a project's chosen takes, one :class:`Seam` per boundary (or per
    boundary in ``only``: a bridge re-scores just the seams it mended)."""
    from soraboard.stitch.export import probe_takes

    ff = ffmpeg or find_ffmpeg()
    files, probes, _ = probe_takes(project, ff)
    plan = build_plan(project.storyboard, project.takes, files, probes, PREVIEW,
                      allow_slates=True)
    return seams_of_plan(plan, [s.is_chained for s in project.storyboard.segments], ff, only)


def format_report(seams: list[Seam]) -> str:
    """The report as a text table (the ``soraboard seams`` output)."""
    if not seams:
        return "no boundaries: the film has one segment"
    rows = [[s.label, "—" if s.score is None else f"{s.score:.2f}", s.verdict, s.message]
            for s in seams]
    return table(rows, ["Boundary", "Score", "Verdict", "Note"], right=(1,))
