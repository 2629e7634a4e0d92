"""Phone footage in a film: rotated by a display matrix, variable frame rate, non-square pixels.

Every preset must give frames of one size that decode with ``-xerror``, each take upright (as
OpenCV — its own rotation code — shows the source) and the right way round; Smart never copies
a stream whose stored frames differ from what the film shows.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from soraboard.media.ffmpeg import find_ffmpeg
from soraboard.media.probe import probe
from soraboard.model.storyboard import Transition
from soraboard.model.storyboard import TransitionType as T
from soraboard.stitch.export import prepare_export, run_export
from tests.stitch.helpers import frame_at, project_of_files

#: grey picture, its left half white; the pad the exporter adds is black
PICTURE = "color=c=gray:s={size}:r=30:d=2,drawbox=x=0:y=0:w=iw/2:h=ih:c=white:t=fill"


def _run(*args: str) -> None:
    subprocess.run([find_ffmpeg().path, "-hide_banner", "-nostdin", "-v", "error", "-y", *args],
                   check=True)


def _encode(out: Path, size: str = "320x180", vf: str = "", extra: tuple[str, ...] = ()) -> Path:
    video = PICTURE.format(size=size) + (f",{vf}" if vf else "")
    _run("-f", "lavfi", "-i", video, "-f", "lavfi", "-i", "sine=frequency=440:d=2",
         "-c:v", "libx264", "-preset", "medium", "-g", "30", "-pix_fmt", "yuv420p", *extra,
         "-c:a", "aac", "-ac", "2", "-ar", "48000", "-t", "2", str(out))
    return out


@pytest.fixture(scope="module")
def footage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    d = tmp_path_factory.mktemp("phone")
    plain = _encode(d / "plain.mp4")
    tall = _encode(d / "tall.mp4", "180x320")
    out = {"plain": plain, "tall": tall}
    for name, turn in (("rot90", "90"), ("rot270", "-90")):
        # a phone's way: the frames stored landscape, a display matrix turning them
        _run("-display_rotation", turn, "-i", str(plain), "-c", "copy", str(d / f"{name}.mp4"))
        out[name] = d / f"{name}.mp4"
    # variable frame rate: every seventh frame missing, timestamps kept
    out["vfr"] = _encode(d / "vfr.mp4", vf="select='not(eq(mod(n\\,7)\\,3))'",
                         extra=("-fps_mode", "vfr"))
    # anamorphic: 240x180 stored, SAR 4:3, shown 320x180
    out["anamorphic"] = _encode(d / "anamorphic.mp4", vf="scale=240:180,setsar=4/3")
    yield out


def _white_side(rgb: np.ndarray) -> str:
    """Where the white half of the picture is (inside its grey box; black pad ignored)."""
    grey = rgb.mean(axis=2)
    ys, xs = np.nonzero(grey > 60)
    box = grey[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    h, w = box.shape
    halves = {"left": box[:, : w // 2], "right": box[:, w - w // 2:],
              "top": box[: h // 2], "bottom": box[h - h // 2:]}
    return max(halves, key=lambda k: float(halves[k].mean()))


def _shown(path: Path) -> str:
    """The white side of the source as OpenCV shows it (it applies the display matrix)."""
    cap = cv2.VideoCapture(str(path))
    try:
        ok, frame = cap.read()
    finally:
        cap.release()
    assert ok
    return _white_side(frame[:, :, ::-1])


def test_probe_applies_the_display_matrix(footage: dict[str, Path]) -> None:
    v = probe(footage["rot90"]).video
    assert v is not None and (v.width, v.height, v.rotation) == (180, 320, 90)
    v = probe(footage["rot270"]).video
    assert v is not None and (v.width, v.height, v.rotation) == (180, 320, 270)
    v = probe(footage["plain"]).video
    assert v is not None and (v.width, v.height, v.rotation) == (320, 180, 0)
    # the two rotations show the picture turned opposite ways
    assert {_shown(footage["rot90"]), _shown(footage["rot270"])} == {"top", "bottom"}


def _frame_sizes(path: Path) -> set[str]:
    log = subprocess.run([find_ffmpeg().path, "-hide_banner", "-nostdin", "-i", str(path),
                          "-map", "0:v:0", "-vf", "showinfo", "-f", "null", "-"],
                         capture_output=True, text=True, check=True).stderr
    return set(re.findall(r"\bs:(\d+x\d+)\b", log))


def _decodes_strictly(path: Path) -> str:
    proc = subprocess.run([find_ffmpeg().path, "-nostdin", "-v", "error", "-xerror",
                           "-i", str(path), "-f", "null", "-"], capture_output=True, text=True)
    return f"exit {proc.returncode}: {proc.stderr.strip()}" if proc.returncode else ""


NAMES = ["plain", "rot90", "vfr", "rot270", "anamorphic", "plain"]


@pytest.mark.parametrize("preset", ["smart", "final", "preview"])
def test_every_preset_encodes_phone_footage_upright(tmp_path: Path, footage: dict[str, Path],
                                                    preset: str) -> None:
    files = [footage[n] for n in NAMES]
    joins = [Transition(T.CUT), Transition(T.CROSSFADE, 0.3), Transition(T.CUT),
             Transition(T.CUT), Transition(T.CUT)]
    project = project_of_files(tmp_path, files, joins)
    prepared = prepare_export(project, preset)
    out = tmp_path / "film.mp4"
    run_export(prepared, out)
    assert _decodes_strictly(out) == ""
    plan = prepared.plan
    size = plan.format.size
    assert _frame_sizes(out) == {size}
    if preset == "smart":
        assert prepared.mode == "smart"
        status = {r.index: r.status for r in prepared.segments}
        assert status[0] == status[5] == "copied"
        assert "stored rotated (90° display matrix)" in status[1]
        assert "stored rotated (270° display matrix)" in status[3]
        # frames missing: its average rate is not the film's (or, if it were, not constant)
        assert status[2] == "25.93 fps, the film is 30 fps"
        assert "non-square pixels (SAR 4:3)" in status[4]
    w, h = plan.format.width, plan.format.height
    for s, name in zip(plan.sources, NAMES):
        # a frame well inside the segment, clear of the crossfade
        middle = plan.start_frame(s.index) + s.frames // 2
        assert _white_side(frame_at(out, middle, (w, h))) == _shown(footage[name]), (
            f"{name} in the {preset} film")
    # the rotated takes come out portrait, pillarboxed: a third as wide as the film
    rot = frame_at(out, plan.start_frame(1) + 10, (w, h)).mean(axis=2)
    cols = np.nonzero(rot.max(axis=0) > 60)[0]
    assert (cols.max() - cols.min() + 1) == pytest.approx(h * h / w, abs=4)


def test_a_portrait_film_never_copies_a_rotated_take(tmp_path: Path,
                                                     footage: dict[str, Path]) -> None:
    # stored 320x180 and turned by its matrix, the take shows 180x320 like the film; copied,
    # its frames would land sideways in a track of upright 180x320 ones
    project = project_of_files(tmp_path, [footage["tall"], footage["rot90"], footage["tall"]],
                               size="180x320")
    prepared = prepare_export(project, "smart")
    assert [r.status for r in prepared.segments] == [
        "copied", "stored rotated (90° display matrix)", "copied"]
    out = tmp_path / "film.mp4"
    run_export(prepared, out)
    assert _decodes_strictly(out) == ""
    assert _frame_sizes(out) == {"180x320"}
    assert _white_side(frame_at(out, 75, (180, 320))) == _shown(footage["rot90"])
    assert _white_side(frame_at(out, 15, (180, 320))) == "left"
