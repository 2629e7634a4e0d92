"""A/V sync of every export path, measured on flash-and-beep footage by two decoders.

Each film is made of flash clips (a white frame and a beep starting on its first sample every
``PERIOD`` frames). For each preset, for cuts (whole takes: the one-run copy; trimmed takes:
copied pieces and windows), every transition type and trims, the checks are: every flash the
timeline predicts (outside transition overlaps) is on the film frame it predicts, its beep
starts within 1 ms of it, both tracks start at 0, the sound ends within one AAC frame of the
picture, the sound keeps its priming packet. Each film is decoded by soraboard's ffmpeg and,
when one is installed at /usr/bin, by the system's (Debian's 5.1).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import pytest

from soraboard.media.ffmpeg import find_ffmpeg
from soraboard.media.probe import parse_framemd5
from soraboard.model.storyboard import Transition
from soraboard.model.storyboard import TransitionType as T
from soraboard.stitch.export import PreparedExport, prepare_export, run_export
from tests.stitch.flashbeep import Measured, make_flash_clip, measure, second_decoder
from tests.stitch.helpers import project_of_files

PERIOD = 15
AAC_FRAME = 1024 / 48000
#: B-frames, long GOP (x264 medium, 2 s) — and a short GOP without B-frames
LONG = ("-preset", "medium", "-crf", "23", "-g", "60")
SHORT = ("-preset", "veryfast", "-bf", "0", "-g", "15")


@dataclass(frozen=True)
class Clip:
    frames: int  #: its length (whole frames at every rate: the copy path copies it all)
    phase: int  #: the frame of each period that flashes
    x264: tuple[str, ...] = LONG
    trim_in: float = 0.0
    trim_out: float | None = None


@dataclass
class Film:
    prepared: PreparedExport
    path: Path
    fps: Fraction
    clips: tuple[Clip, ...]

    def predicted(self) -> list[int]:
        """Film frames that must be white: each clip's flashes outside transition overlaps."""
        plan = self.prepared.plan
        out: list[int] = []
        overlaps: list[range] = []
        for j in plan.joins:
            if not j.is_cut:
                at = plan.start_frame(j.index + 1)
                overlaps.append(range(at, at + j.frames))
        for s, clip in zip(plan.sources, self.clips):
            first = s.t_in * self.fps
            assert abs(first - round(first)) < 1e-6  # the plan snaps the trim to a frame
            start = plan.start_frame(s.index)
            for k in range(s.frames):
                n = round(first) + k
                film = start + k
                if n % PERIOD == clip.phase and not any(film in r for r in overlaps):
                    out.append(film)
        return out

    def overlapping(self, frame: int) -> bool:
        plan = self.prepared.plan
        for j in plan.joins:
            at = plan.start_frame(j.index + 1)
            if not j.is_cut and at <= frame < at + j.frames:
                return True
        return False


_CLIPS: dict[tuple[str, Clip], Path] = {}


def _clip(cache: Path, fps: str, clip: Clip) -> Path:
    key = (fps, Clip(clip.frames, clip.phase, clip.x264))
    if key not in _CLIPS:
        path = cache / f"clip{len(_CLIPS)}.mp4"
        make_flash_clip(path, seconds=float(clip.frames / Fraction(fps)), fps=fps,
                        period=PERIOD, phase=clip.phase, tone=2000 + 700 * (len(_CLIPS) % 4),
                        x264=clip.x264, extra=("-frames:v", str(clip.frames)))
        _CLIPS[key] = path
    return _CLIPS[key]


@pytest.fixture(scope="module")
def film_of(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Film]]:
    """Make (once per module) and export a film: ``film_of(fps, clips, joins, preset)``."""
    cache = tmp_path_factory.mktemp("flash-clips")
    films: dict[tuple[object, ...], Film] = {}

    def make(fps: str, clips: Sequence[Clip], joins: Sequence[Transition] = (),
             preset: str = "smart") -> Film:
        key = (fps, tuple(clips), tuple(joins), preset)
        if key in films:
            return films[key]
        root = tmp_path_factory.mktemp("film")
        project = project_of_files(root, [_clip(cache, fps, c) for c in clips], joins,
                                   trims=[(c.trim_in, c.trim_out) for c in clips], name="Sync")
        prepared = prepare_export(project, preset)
        out = root / "film.mp4"
        run_export(prepared, out)
        r = Fraction(fps)
        films[key] = Film(prepared, out, r, tuple(clips))
        return films[key]

    yield make
    _CLIPS.clear()


def _decoder(name: str) -> str:
    if name == "bundled":
        return find_ffmpeg().path
    other = second_decoder()
    if other is None:
        pytest.skip("no second ffmpeg at /usr/bin (Debian's): only soraboard's decodes here")
    return other


def check_sync(film: Film, decoder: str) -> Measured:
    """Every check of the module's docstring, through ``decoder``."""
    m = measure(film.path, decoder)
    frame = 1 / film.fps
    assert m.frames == film.prepared.plan.total_frames
    assert m.video_start == pytest.approx(0, abs=1e-4) and m.audio_start == pytest.approx(
        0, abs=1e-4), "both tracks start at 0"
    assert abs(m.audio_end - m.video_end) <= AAC_FRAME + 1e-4, (m.audio_end, m.video_end)
    want = film.predicted()
    got = [round(t / frame) for t in m.flashes]
    assert [f for f in got if not film.overlapping(f)] == want
    for f, t in zip(want, [t for t in m.flashes if not film.overlapping(round(t / frame))]):
        assert t == pytest.approx(float(f * frame), abs=1e-4)
        beep = min(m.beeps, key=lambda b: abs(b - t))
        assert abs(beep - t) <= 0.001, f"beep {1000 * (beep - t):+.2f} ms off the flash at {t}"
    # the priming packet is there (decoded, then skipped by the edit list): no click
    ff = find_ffmpeg().path
    listing = subprocess.run([ff, "-v", "error", "-copyts", "-i", str(film.path), "-map",
                              "0:a:0", "-c", "copy", "-f", "framemd5", "-"],
                             capture_output=True, text=True, check=True).stdout
    assert parse_framemd5(listing).pts[0] == -1024
    return m


RATES = ["24", "25", "30", "30000/1001"]
DECODERS = ["bundled", "system"]
WHOLE = (Clip(50, 3), Clip(61, 7, SHORT), Clip(55, 11))
TRIMMED = (Clip(50, 3, trim_out=1.9), Clip(61, 7, SHORT, trim_in=0.3),
           Clip(55, 11, trim_in=0.45, trim_out=2.0))


@pytest.mark.parametrize("decoder", DECODERS)
@pytest.mark.parametrize("fps", RATES)
def test_smart_cuts_of_whole_takes_are_in_sync(film_of: Callable[..., Film], fps: str,
                                               decoder: str) -> None:
    film = film_of(fps, WHOLE)
    assert film.prepared.mode == "copy"
    check_sync(film, _decoder(decoder))


@pytest.mark.parametrize("decoder", DECODERS)
@pytest.mark.parametrize("fps", RATES)
@pytest.mark.parametrize("preset", ["smart", "final", "preview"])
def test_cuts_between_trimmed_takes_are_in_sync(film_of: Callable[..., Film], fps: str,
                                                preset: str, decoder: str) -> None:
    film = film_of(fps, TRIMMED, preset=preset)
    assert film.prepared.mode == {"smart": "smart"}.get(preset, "full")
    check_sync(film, _decoder(decoder))


@pytest.mark.parametrize("decoder", DECODERS)
@pytest.mark.parametrize("kind", [t for t in T if t is not T.CUT])
def test_every_transition_is_in_sync(film_of: Callable[..., Film], kind: T,
                                     decoder: str) -> None:
    clips = (Clip(75, 3), Clip(90, 7, SHORT, trim_in=0.2), Clip(75, 11))
    film = film_of("30000/1001", clips, [Transition(kind, 0.5), Transition(T.CUT, 0.0)])
    assert film.prepared.mode == "smart"
    check_sync(film, _decoder(decoder))


@pytest.mark.parametrize("decoder", DECODERS)
@pytest.mark.parametrize("kind", [T.CROSSFADE, T.FADE_BLACK])
def test_final_with_transitions_is_in_sync(film_of: Callable[..., Film], kind: T,
                                           decoder: str) -> None:
    clips = (Clip(75, 3), Clip(90, 7, SHORT, trim_in=0.2), Clip(75, 11))
    film = film_of("25", clips, [Transition(kind, 0.5), Transition(kind, 0.4)], "final")
    check_sync(film, _decoder(decoder))


#: trims on IDR frames (an IDR every 15 frames, no B-frames, at 30 fps): a film of cuts still
#: joined in one ffmpeg run, its picture copied from mid-take with ``inpoint`` and its sound
#: read from a seek under ``-copyts``
EVERY_15 = ("-preset", "veryfast", "-bf", "0", "-g", "15", "-sc_threshold", "0")
ON_IDR = (Clip(50, 3, EVERY_15), Clip(61, 7, EVERY_15, trim_in=0.5),
          Clip(55, 11, EVERY_15, trim_in=0.5, trim_out=1.5))


@pytest.mark.parametrize("decoder", DECODERS)
def test_smart_cuts_trimmed_on_keyframes_in_one_run_are_in_sync(
        film_of: Callable[..., Film], decoder: str, tmp_path: Path) -> None:
    film = film_of("30", ON_IDR)
    assert film.prepared.mode == "copy"
    steps = film.prepared.steps(tmp_path / "x.mp4", tmp_path)
    assert [s.label for s in steps] == ["Copying 4.2 s of the takes, encoding the sound"]
    assert "inpoint" in (tmp_path / "takes.ffconcat").read_text("utf-8")
    check_sync(film, _decoder(decoder))
