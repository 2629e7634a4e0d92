"""Full exports: mixed inputs, awkward file names, progress, cancel, failure and full disks."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from soraboard.media.ffmpeg import find_ffmpeg
from soraboard.media.probe import probe
from soraboard.model.storyboard import TransitionType as T
from soraboard.stitch import runner
from soraboard.stitch.export import prepare_export, run_export
from soraboard.stitch.runner import CancelToken, ExportCancelled, ExportError, Progress
from tests.stitch.helpers import ClipSpec, decode_errors, frame_at, make_project, stream_durations


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_mixed_sizes_rates_and_a_clip_without_audio(tmp_path: Path) -> None:
    project = make_project(tmp_path, [
        ClipSpec("hd.mp4", 1.0, "red", "1920x1080", "24"),
        ClipSpec("720.mp4", 1.0, "blue", "1280x720", "30"),
        ClipSpec("silent 4x3.mp4", 1.0, "lime", "640x480", "30", audio=False),
    ], [(T.CROSSFADE, 0.5), (T.CUT, 0)], size="1280x720")
    out = tmp_path / "mixed.mp4"
    result = run_export(prepare_export(project, "final"), out)
    info = probe(out)
    assert info.video is not None and info.audio is not None
    assert (info.video.width, info.video.height, info.video.fps) == (1280, 720, 30)
    assert info.video.sar == 1 and info.video.pix_fmt == "yuv420p"
    assert info.video.profile == "High"
    assert (info.audio.sample_rate, info.audio.channels) == (48000, 2)
    frames, vdur, adur = stream_durations(out)
    assert frames == result.frames == 30 + 30 + 30 - 15
    assert abs(adur - vdur) <= 1 / 30
    assert decode_errors(out) == ""
    hd = frame_at(out, 5).astype(int)  # 16:9 at 1080p: scaled, fills the frame
    assert hd[5, 5, 0] > 180 and hd[715, 1275, 0] > 180
    sd = frame_at(out, 60).astype(int)  # 4:3: pillarboxed, never stretched
    assert sd[360, 640, 1] > 180  # lime in the middle
    assert sd[360, 100].max() < 30 and sd[360, 1180].max() < 30  # black bars left and right
    assert sd[360, 170, 1] > 180  # the picture starts at (1280 - 960) / 2 = 160


NASTY = "-a 'quoted' \"double\": colon\nnew line ☃ ü"


def test_file_names_with_spaces_quotes_colons_newlines_unicode_and_a_leading_dash(
        tmp_path: Path) -> None:
    project = make_project(tmp_path, [ClipSpec(NASTY + ".mp4", 1.0, "red"),
                                      ClipSpec("-" + NASTY + " 2.mp4", 1.0, "blue")],
                           [(T.FADE_WHITE, 0.4)])
    out = tmp_path / ("-film " + NASTY + ".mp4")
    result = run_export(prepare_export(project, "final"), out)
    assert out.is_file() and result.path == out
    assert stream_durations(out)[0] == 48
    assert _leftovers(tmp_path) == []
    # the smart path writes a concat list and pieces beside the target: same names, a folder
    # with the same awkward characters
    folder = tmp_path / ("-dir " + NASTY)
    folder.mkdir()
    smart_out = folder / ("-smart " + NASTY + ".mp4")
    prepared = prepare_export(project, "smart")
    assert prepared.mode == "smart"
    run_export(prepared, smart_out)
    assert stream_durations(smart_out)[0] == 48 and decode_errors(smart_out) == ""
    assert _leftovers(folder) == []


def test_progress_runs_from_0_to_1_with_stage_text_and_an_eta(tmp_path: Path) -> None:
    project = make_project(tmp_path, [ClipSpec("a.mp4", 3.0, None), ClipSpec("b.mp4", 3.0, None)],
                           [(T.CROSSFADE, 0.5)])
    seen: list[Progress] = []
    run_export(prepare_export(project, "final"), tmp_path / "f.mp4", on_progress=seen.append)
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert seen[-1].text == "Encoding 5.5 s · 100 %"
    assert seen[-1].step == seen[-1].steps == 1
    # the film gets the usual permissions, not the temp file's private 0600
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "f.mp4").stat().st_mode & 0o777 == 0o666 & ~mask
    assert Progress(0.71, 3.2, "Encoding transition 2 of 2", 3, 5, 8.0).text == \
        "Encoding transition 2 of 2 · 71 % · about 3 s left"


def test_cancel_in_the_middle_leaves_no_file_and_keeps_an_earlier_export(tmp_path: Path) -> None:
    project = make_project(tmp_path, [ClipSpec("a.mp4", 20.0, None, "640x360"),
                                      ClipSpec("b.mp4", 1.0, "blue")])
    out = tmp_path / "film.mp4"
    out.write_bytes(b"the earlier export")
    token = CancelToken()
    fractions: list[float] = []

    def on_progress(p: Progress) -> None:
        fractions.append(p.fraction)
        if p.fraction > 0.05:
            token.cancel()

    with pytest.raises(ExportCancelled):
        run_export(prepare_export(project, "final"), out, on_progress=on_progress, cancel=token)
    assert 0.05 < max(fractions) < 0.9  # it really was stopped in the middle
    assert out.read_bytes() == b"the earlier export"
    assert _leftovers(tmp_path) == []
    # and with nothing there before, nothing is there after
    out.unlink()
    token2 = CancelToken()
    token2.cancel()
    with pytest.raises(ExportCancelled):
        run_export(prepare_export(project, "final"), out, cancel=token2)
    assert not out.exists() and _leftovers(tmp_path) == []


def _full_disk_ffmpeg(folder: Path) -> Path:
    """An ffmpeg that answers the checks like the real one but fails writes with ENOSPC."""
    real = find_ffmpeg().path
    script = folder / "ffmpeg-full-disk"
    script.write_text(
        "#!/bin/sh\n"
        "for a in \"$@\"; do\n"
        "  if [ \"$a\" = \"-progress\" ]; then\n"
        "    eval \"last=\\${$#}\"\n"
        "    printf 'half a film' > \"$last\"\n"
        "    echo \"[out#0/mp4] Error writing trailer: No space left on device\" >&2\n"
        "    exit 228\n"
        "  fi\n"
        "done\n"
        f"exec '{real}' \"$@\"\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_a_full_disk_leaves_the_earlier_export_intact(tmp_path: Path) -> None:
    project = make_project(tmp_path, [ClipSpec("a.mp4", 1.0, "red"), ClipSpec("b.mp4", 1.0)])
    out = tmp_path / "film.mp4"
    out.write_bytes(b"the earlier export")
    ff = find_ffmpeg(str(_full_disk_ffmpeg(tmp_path)))
    assert ff.source == "settings"
    with pytest.raises(ExportError) as ei:
        run_export(prepare_export(project, "final", ffmpeg=ff), out)
    assert "No space left on device" in str(ei.value) and ei.value.returncode == 228
    assert out.read_bytes() == b"the earlier export"
    assert _leftovers(tmp_path) == []


def test_a_failed_rename_leaves_the_earlier_export_intact(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    project = make_project(tmp_path, [ClipSpec("a.mp4", 1.0, "red"), ClipSpec("b.mp4", 1.0)])
    out = tmp_path / "film.mp4"
    out.write_bytes(b"the earlier export")

    def no_space(src: object, dst: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(runner.os, "replace", no_space)
    with pytest.raises(ExportError, match=r"cannot move the finished film .*No space left"):
        run_export(prepare_export(project, "final"), out)
    assert out.read_bytes() == b"the earlier export"
    assert _leftovers(tmp_path) == []


def test_an_ffmpeg_failure_carries_the_stderr_tail(tmp_path: Path) -> None:
    project = make_project(tmp_path, [ClipSpec("a.mp4", 1.0, "red"), ClipSpec("b.mp4", 1.0)])
    prepared = prepare_export(project, "final")
    prepared.plan.sources[1].path.write_bytes(b"not a video any more")  # type: ignore[union-attr]
    with pytest.raises(ExportError) as ei:
        run_export(prepared, tmp_path / "film.mp4")
    assert "the export failed (ffmpeg exit" in str(ei.value)
    assert "Invalid data found" in str(ei.value)
    assert not (tmp_path / "film.mp4").exists() and _leftovers(tmp_path) == []
