"""Every preset tags the film BT.709, limited range — in the H.264 stream and the MP4 header —
and converts footage in other colours; Smart keeps its windows' headers like the takes'."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from soraboard.media.ffmpeg import find_ffmpeg
from soraboard.model.storyboard import Transition
from soraboard.model.storyboard import TransitionType as T
from soraboard.stitch.export import prepare_export, run_export
from tests.stitch.helpers import frame_at, project_of_files

BOX = "color=c=gray:s=320x180:r=30:d=2,drawbox=x=0:y=0:w=iw/2:h=ih:c={c}:t=fill"


def _clip(out: Path, *args: str, vf: str = "", colour: str = "white") -> Path:
    subprocess.run([find_ffmpeg().path, "-v", "error", "-y", "-f", "lavfi",
                    "-i", BOX.format(c=colour) + (f",{vf}" if vf else ""), "-f", "lavfi", "-i", "sine=d=2",
                    "-c:v", "libx264", "-preset", "medium", "-g", "30", *args,
                    "-c:a", "aac", "-ac", "2", "-ar", "48000", "-t", "2", str(out)], check=True)
    return out


def _colour(path: Path, raw: bool = False) -> str:
    """The picture format as ffmpeg reads it from the MP4 (header and stream), or with
    ``raw`` from the bare H.264 stream alone (its SPS)."""
    ff = find_ffmpeg().path
    if raw:
        h264 = path.with_suffix(".h264")
        subprocess.run([ff, "-v", "error", "-y", "-i", str(path), "-map", "0:v:0", "-c", "copy",
                        "-bsf:v", "h264_mp4toannexb", "-f", "h264", str(h264)], check=True)
        path = h264
    banner = subprocess.run([ff, "-hide_banner", "-i", str(path)], capture_output=True,
                            text=True).stderr
    line = next(ln for ln in banner.splitlines() if "Video:" in ln)
    return line.split("yuv420p", 1)[1].split(")", 1)[0] + ")"


@pytest.mark.parametrize(("preset", "cut"), [("smart", True), ("smart", False),
                                             ("final", False), ("preview", True)])
def test_every_preset_tags_the_film_bt709_limited(tmp_path: Path, preset: str,
                                                  cut: bool) -> None:
    plain = _clip(tmp_path / "plain.mp4")  # untagged, like many encoders' output
    join = Transition(T.CUT) if cut else Transition(T.CROSSFADE, 0.5)
    project = project_of_files(tmp_path, [plain, plain], [join])
    prepared = prepare_export(project, preset)
    out = tmp_path / "film.mp4"
    run_export(prepared, out)
    assert _colour(out) == "(tv, bt709, progressive)"
    assert _colour(out, raw=True) == "(tv, bt709, progressive)"


def test_full_range_bt601_footage_is_converted_not_copied(tmp_path: Path) -> None:
    phone = _clip(tmp_path / "phone.mp4", "-pix_fmt", "yuv420p",
                  vf="scale=out_color_matrix=bt601:out_range=full,"
                     "setparams=range=pc:colorspace=bt470bg:color_primaries=bt470bg"
                     ":color_trc=smpte170m", colour="0xC02020")
    plain = _clip(tmp_path / "plain.mp4", colour="0xC02020")
    project = project_of_files(tmp_path, [plain, phone, plain])
    prepared = prepare_export(project, "smart")
    assert [r.status for r in prepared.segments] == [
        "copied", "bt470bg colour, the film is BT.709; yuvj420p (full range), the film is "
        "yuv420p", "copied"]
    for preset in ("smart", "final"):
        prepared = prepare_export(project, preset)
        out = tmp_path / f"{preset}.mp4"
        run_export(prepared, out)
        # the red half and the grey one look as in the BT.709 TV-range clip: the phone's
        # full-range BT.601 values were converted, not reinterpreted
        # (both decoded to RGB by ffmpeg, each by its own tags)
        mine = frame_at(out, 90, (320, 180)).astype(int)
        theirs = frame_at(phone, 30, (320, 180)).astype(int)
        assert abs(mine[90, 40] - theirs[90, 40]).max() <= 6, (preset, mine[90, 40],
                                                                theirs[90, 40])
        assert abs(mine[90, 280] - theirs[90, 280]).max() <= 6, preset


def test_smart_windows_carry_the_takes_own_colour_tags(tmp_path: Path) -> None:
    tagged = _clip(tmp_path / "tagged.mp4", "-pix_fmt", "yuv420p",
                   vf="setparams=range=tv:colorspace=bt709:color_primaries=bt709"
                      ":color_trc=bt709")
    project = project_of_files(tmp_path, [tagged, tagged], [Transition(T.CROSSFADE, 0.5)])
    prepared = prepare_export(project, "smart")
    assert prepared.mode == "smart"
    run_export(prepared, tmp_path / "film.mp4")
    # the window's SPS/PPS came out like the takes': one set in the header, no avc3
    assert prepared.state.tag == "avc1", prepared.state.notes
