"""The .otio hand-off rendered by editors' engines nobody on the team wrote: GStreamer Editing
Services (``ges-launch-1.0``, through OpenTimelineIO's ``xges`` adapter) and MLT (``melt``, the
engine under Kdenlive and Shotcut, through the ``mlt_xml`` adapter).

Each render must match our own Final export frame for frame outside the transitions (luma
PSNR), and each dissolve must sit on the film's frames: the frame before an overlap is still
the outgoing shot alone, the frame after it the incoming shot alone, and in between the mix
moves from one to the other. The engines blend with their own curves and colour pipelines, so
the pictures inside an overlap are not compared pixel for pixel.

The sound is checked too, with flash-and-beep clips: every beep within 1 ms of its flash in
melt's render; GES's is off by up to 13 ms on some takes (an expected failure, see there).

Needs Debian's ``ges1.0-tools gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
gstreamer1.0-libav melt`` and the PyPI adapters ``otio-xges-adapter otio-mlt-adapter``; each
part skips, saying which is missing, where they are not installed.
"""

from __future__ import annotations

import importlib.util
import itertools
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest

from soraboard.media.ffmpeg import find_ffmpeg
from soraboard.model.storyboard import TransitionType as T
from soraboard.stitch.export import prepare_export, run_export
from soraboard.stitch.otio import write_otio
from soraboard.stitch.plan import ExportPlan
from tests.stitch.helpers import ClipSpec, make_project

W, H = 320, 180
#: outside transitions both renders decode the same source frames: 44-60 dB measured for GES,
#: an x264 CRF 18 encode against a lossless render; a frame off gives under 25 dB
SAME_FRAME_DB = 35.0


def _needs(tool: str, module: str, apt: str, pypi: str) -> str:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (Debian: apt-get install {apt})")
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"OpenTimelineIO's {module} is not installed (pip install {pypi})")
    path = shutil.which(tool)
    assert path is not None
    return path


@dataclass
class Film:
    root: Path
    plan: ExportPlan
    film: Path
    timeline: otio.schema.Timeline
    sources: dict[str, Path]


@pytest.fixture(scope="module")
def film(tmp_path_factory: pytest.TempPathFactory) -> Film:
    """Three moving test patterns (the middle one trimmed in by 0.5 s; a frame counter in
    each, so a frame off is 20 dB off), crossfades of 15 and
    12 frames (odd and even at 30 fps), exported with Final and handed off as .otio."""
    root = tmp_path_factory.mktemp("external")
    # tagged BT.709 limited range, as providers' clips are: melt reads an untagged clip as
    # another colour space (measured 23 dB against the same frame; tagged: 44-60 dB)
    tags = ("-color_range", "tv", "-colorspace", "bt709", "-color_primaries", "bt709",
            "-color_trc", "bt709")
    project = make_project(root, [
        ClipSpec("a.mp4", 2.0, None, pattern="testsrc2", tone_hz=440, extra=tags),
        ClipSpec("b.mp4", 2.0, None, pattern="testsrc", tone_hz=660, trim_in=0.5, extra=tags),
        ClipSpec("c.mp4", 2.0, None, pattern="testsrc2", tone_hz=880, extra=tags)],
        [(T.CROSSFADE, 0.5), (T.CROSSFADE, 0.4)])
    prepared = prepare_export(project, "final")
    out = root / "film.mp4"
    run_export(prepared, out)
    otio_file = write_otio(project, root / "film.otio", plan=prepared.plan)
    timeline = otio.adapters.read_from_file(str(otio_file))
    media = project.bundle.media_dir
    return Film(root, prepared.plan, out, timeline,
                {n: media / n for n in ("a.mp4", "b.mp4", "c.mp4")})


def luma(path: Path) -> np.ndarray:
    """Every frame's luma plane (frames × H × W), as float."""
    raw = subprocess.run([find_ffmpeg().path, "-v", "error", "-i", str(path), "-map", "0:v:0",
                          "-vf", f"scale={W}:{H},format=yuv420p,extractplanes=y", "-f", "rawvideo",
                          "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, H, W).astype(np.float64)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(((a - b) ** 2).mean())
    return 99.0 if mse < 1e-9 else 10 * float(np.log10(255.0 ** 2 / mse))


def overlaps(plan: ExportPlan) -> list[range]:
    out = []
    for j in plan.joins:
        if not j.is_cut:
            at = plan.start_frame(j.index + 1)
            out.append(range(at, at + j.frames))
    return out


def source_frame(plan: ExportPlan, index: int, film_frame: int) -> int:
    """The frame of source ``index``'s file shown at ``film_frame`` (same rate as the film)."""
    s = plan.sources[index]
    return round(s.t_in * plan.format.fps) + film_frame - plan.start_frame(index)


def mix_weight(frame: np.ndarray, out_going: np.ndarray, in_coming: np.ndarray) -> float:
    """How far ``frame`` is from the outgoing picture towards the incoming one (0 … 1)."""
    d = in_coming - out_going
    return float(((frame - out_going) * d).sum() / (d * d).sum())


def check_render(f: Film, rendered: Path) -> list[list[float]]:
    """Compare a render with the film; return each overlap's mix weights (for messages)."""
    ours, theirs = luma(f.film), luma(rendered)
    assert len(theirs) == len(ours) == f.plan.total_frames
    inside = {k for r in overlaps(f.plan) for k in r}
    outside = [k for k in range(len(ours)) if k not in inside]
    bad = [(k, round(psnr(ours[k], theirs[k]), 1)) for k in outside
           if psnr(ours[k], theirs[k]) < SAME_FRAME_DB]
    assert not bad, f"frames unlike the film outside the transitions (frame, dB): {bad}"
    files = [luma(f.sources[s.path.name]) for s in f.plan.sources if s.path is not None]
    weights = []
    for j, r in zip([j for j in f.plan.joins if not j.is_cut], overlaps(f.plan)):
        a, b = files[j.index], files[j.index + 1]

        def weight(k: int, frames: np.ndarray, a: np.ndarray = a, b: np.ndarray = b,
                   i: int = j.index) -> float:
            return mix_weight(frames[k], a[source_frame(f.plan, i, k)],
                              b[source_frame(f.plan, i + 1, k)])

        # the frames either side of the overlap are outside it, so checked above: the
        # outgoing shot alone before, the incoming one alone after (a mix a frame early or
        # late fails there); inside, the mix moves from one to the other
        # (GES mixes in its own colour pipeline: measured on luma its curve is not linear
        # and ends a frame early, 0.03 … 1.06 for 15 frames — ours and melt's 0.07 … 0.93)
        inner = [weight(k, theirs) for k in r[1:]]
        weights.append(inner)
        assert 0.0 < inner[0] < 0.5 < inner[-1] < 1.1, f"not mixing in the overlap: {inner}"
        assert all(b >= a - 0.01 for a, b in itertools.pairwise(inner)), (
            f"the mix goes back and forth: {inner}")
        assert weight(r.start, ours) == pytest.approx(0.0, abs=0.02)  # ours: linear from 0
    return weights


def _render(run: Callable[[], subprocess.CompletedProcess[str]], what: str) -> None:
    proc = run()
    assert proc.returncode == 0, f"{what} failed: {proc.stderr[-2000:]}"


def test_ges_renders_the_otio_like_the_film(film: Film) -> None:
    ges = _needs("ges-launch-1.0", "otio_xges_adapter",
                 "ges1.0-tools gstreamer1.0-plugins-good gstreamer1.0-plugins-bad "
                 "gstreamer1.0-libav", "otio-xges-adapter")
    xges = film.root / "film.xges"
    otio.adapters.write_to_file(film.timeline, str(xges), adapter_name="xges")
    out = film.root / "ges.mkv"
    # lossless: raw I420 at the film's size in Matroska (no encoder plugin needed)
    _render(lambda: subprocess.run(
        [ges, "--load", str(xges), "-o", out.as_uri(), "--format",
         f"video/x-matroska:video/x-raw,format=I420,width={W},height={H}:audio/x-raw"],
        capture_output=True, text=True, timeout=300), "ges-launch-1.0")
    check_render(film, out)


def test_melt_renders_the_otio_like_the_film(film: Film) -> None:
    melt = _needs("melt", "otio_mlt_adapter", "melt", "otio-mlt-adapter")
    mlt = film.root / "film.mlt"
    otio.adapters.write_to_file(film.timeline, str(mlt), adapter_name="mlt_xml")
    # the adapter writes only the frame rate into the profile: the film's size and square
    # pixels are given to melt (its default profile is 720x576 PAL)
    fmt = film.plan.format
    profile = film.root / "profile.txt"
    profile.write_text(
        f"description=soraboard\nframe_rate_num={fmt.fps.numerator}\n"
        f"frame_rate_den={fmt.fps.denominator}\nwidth={W}\nheight={H}\nprogressive=1\n"
        "sample_aspect_num=1\nsample_aspect_den=1\ndisplay_aspect_num=16\n"
        "display_aspect_den=9\ncolorspace=709\n", "utf-8")
    out = film.root / "melt.mkv"
    _render(lambda: subprocess.run(
        [melt, "-quiet", "-profile", str(profile), str(mlt), "-consumer",
         f"avformat:{out}", "vcodec=ffv1", "acodec=pcm_s16le"],
        capture_output=True, text=True, timeout=300), "melt")
    check_render(film, out)


# ---------------------------------------------------------------- sound: flashes and beeps


@dataclass
class FlashFilm:
    root: Path
    plan: ExportPlan
    film: Path
    timeline: otio.schema.Timeline


@pytest.fixture(scope="module")
def flash_film(tmp_path_factory: pytest.TempPathFactory) -> FlashFilm:
    """Flash-and-beep clips (a white frame and a beep on its first sample every 15 frames),
    the middle one trimmed in by 0.5 s, joined by crossfades of 15 and 12 frames."""
    from soraboard.model.storyboard import Transition
    from tests.stitch.flashbeep import make_flash_clip
    from tests.stitch.helpers import project_of_files

    root = tmp_path_factory.mktemp("external-sync")
    clips = [make_flash_clip(root / f"c{i}.mp4", seconds=2.0, phase=phase, tone=2000 + 700 * i)
             for i, phase in enumerate((3, 7, 11))]
    project = project_of_files(root, clips, [Transition(T.CROSSFADE, 0.5),
                                             Transition(T.CROSSFADE, 0.4)],
                               trims=[(0.0, None), (0.5, None), (0.0, None)])
    prepared = prepare_export(project, "final")
    out = root / "film.mp4"
    run_export(prepared, out)
    timeline = otio.adapters.read_from_file(
        str(write_otio(project, root / "film.otio", plan=prepared.plan)))
    return FlashFilm(root, prepared.plan, out, timeline)


def check_sound(f: FlashFilm, rendered: Path) -> list[float]:
    """Every flash outside the overlaps where the film has it, its beep within 1 ms of it;
    returns the A − V offsets (ms)."""
    from tests.stitch.flashbeep import measure

    spans = [(r.start / f.plan.format.fps, r.stop / f.plan.format.fps) for r in overlaps(f.plan)]

    def outside(times: list[float]) -> list[float]:
        return [t for t in times if not any(a - 1e-3 <= t < b + 1e-3 for a, b in spans)]

    ours, theirs = measure(f.film), measure(rendered)
    assert [round(t, 3) for t in outside(theirs.flashes)] == [
        round(t, 3) for t in outside(ours.flashes)]
    offsets = [min(theirs.beeps, key=lambda b, t=t: abs(b - t)) - t
               for t in outside(theirs.flashes)]
    assert all(abs(o) <= 0.001 for o in offsets), [round(o * 1000, 2) for o in offsets]
    return offsets


def test_melt_plays_the_otio_sound_in_sync(flash_film: FlashFilm) -> None:
    melt = _needs("melt", "otio_mlt_adapter", "melt", "otio-mlt-adapter")
    f = flash_film
    mlt = f.root / "film.mlt"
    otio.adapters.write_to_file(f.timeline, str(mlt), adapter_name="mlt_xml")
    fmt = f.plan.format
    profile = f.root / "profile.txt"
    profile.write_text(
        f"description=soraboard\nframe_rate_num={fmt.fps.numerator}\n"
        f"frame_rate_den={fmt.fps.denominator}\nwidth={W}\nheight={H}\nprogressive=1\n"
        "sample_aspect_num=1\nsample_aspect_den=1\ndisplay_aspect_num=16\n"
        "display_aspect_den=9\n", "utf-8")
    out = f.root / "melt.mkv"
    _render(lambda: subprocess.run(
        [melt, "-quiet", "-profile", str(profile), str(mlt), "-consumer",
         f"avformat:{out}", "vcodec=ffv1", "acodec=pcm_s16le", "frequency=48000"],
        capture_output=True, text=True, timeout=300), "melt")
    check_sound(f, out)  # measured: +0.02, +0.35 and −0.33 ms in the three shots


@pytest.mark.xfail(strict=False, reason=(
    "GES 1.22 (Debian 12) puts the sound of some takes off its picture: here the trimmed "
    "middle take +1.8 ms and the last one 13.4 ms early (a film of cuts: the trimmed take "
    "15.6 ms early); melt plays the same .otio within 0.35 ms and GES's pictures are on their "
    "frames, so the ranges are right. Not strict: CI must not depend on how a tool outside "
    "soraboard behaves (an XPASS in the report says a GES got it right)"))
def test_ges_plays_the_otio_sound_in_sync(flash_film: FlashFilm) -> None:
    ges = _needs("ges-launch-1.0", "otio_xges_adapter",
                 "ges1.0-tools gstreamer1.0-plugins-good gstreamer1.0-plugins-bad "
                 "gstreamer1.0-libav", "otio-xges-adapter")
    f = flash_film
    xges = f.root / "film.xges"
    otio.adapters.write_to_file(f.timeline, str(xges), adapter_name="xges")
    out = f.root / "ges.mkv"
    # 48 kHz asked for: GES mixes at 44.1 kHz otherwise
    _render(lambda: subprocess.run(
        [ges, "--load", str(xges), "-o", out.as_uri(), "--format",
         f"video/x-matroska:video/x-raw,format=I420,width={W},height={H}"
         ":audio/x-raw,rate=48000,channels=2,format=S16LE"],
        capture_output=True, text=True, timeout=300), "ges-launch-1.0")
    check_sound(f, out)
