"""``soraboard export`` and ``soraboard seams`` on the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from soraboard.cli import main
from soraboard.media.probe import probe
from soraboard.model.storyboard import Continuity
from soraboard.model.storyboard import TransitionType as T
from tests.stitch.helpers import ClipSpec, make_project


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_export_defaults_to_the_bundle_exports_folder(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path, [ClipSpec("a.mp4", 1.0, "red"), ClipSpec("b.mp4", 1.0, "blue")],
                           [(T.CROSSFADE, 0.5)], name="My: film")
    otio_file = tmp_path / "film.otio"
    code, out, err = run(capsys, "export", str(project.bundle.path), "--otio", str(otio_file))
    assert code == 0, err
    film = project.bundle.exports_dir / "My_ film - final.mp4"
    assert film.is_file() and str(film) in out and "45 frames, full" in out
    assert "Final: H.264 High CRF 18" in err and "export: 100 %" in err
    assert otio_file.is_file()


def test_export_preview_and_smart_presets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path, [ClipSpec("a.mp4", 1.0, "red", gop=30),
                                      ClipSpec("b.mp4", 1.0, "blue", gop=30)])
    code, _, err = run(capsys, "export", str(project.bundle.path), "-o", str(tmp_path / "p.mp4"),
                       "--preset", "preview")
    assert code == 0, err
    v = probe(tmp_path / "p.mp4").video
    assert v is not None and v.width == 640 and v.height == 360
    code, out, err = run(capsys, "export", str(project.bundle.path), "-o", str(tmp_path / "s.mp4"),
                         "--preset", "smart", "--loudnorm")
    assert code == 0, err
    assert "copies all 2.0 s of the takes frame-exact" in err and ", copy," in out
    # the per-segment report: what was copied, what encoded and why
    assert "  segment 1 “Shot 1”: copied (1.0 s frame-exact)\n" in err
    assert "  segment 2 “Shot 2”: copied (1.0 s frame-exact)\n" in err


def test_export_is_blocked_by_a_segment_without_a_take(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path, [ClipSpec("a.mp4", 1.0, "red"), None])
    code, out, err = run(capsys, "export", str(project.bundle.path), "-o", str(tmp_path / "x.mp4"))
    assert code == 1 and out == ""
    assert err == ("soraboard: error: cannot export: segment 2 “Shot 2” has no take; "
                   "generate or choose a take\n")
    assert not (tmp_path / "x.mp4").exists()


def test_seams_prints_the_report_and_exits_1_on_a_jump(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path, [ClipSpec("a.mp4", 1.0, "navy"), ClipSpec("b.mp4", 1.0, "navy")])
    code, out, _ = run(capsys, "seams", str(project.bundle.path))
    assert code == 0 and "1 → 2 · cut" in out and "seamless" in out
    # a chained segment whose first frame does not continue the previous one
    jumpy = make_project(tmp_path / "j", [ClipSpec("a.mp4", 1.0, "white"),
                                          ClipSpec("b.mp4", 1.0, None, pattern="testsrc")])
    sb = jumpy.storyboard
    jumpy.bundle.save(type(sb)(title=sb.title, default_size=sb.default_size, segments=(
        sb.segments[0], sb.segments[1].with_changes(continuity=Continuity.CHAIN))))
    code, out, _ = run(capsys, "seams", str(jumpy.bundle.path))
    assert code == 1 and "jump" in out and "regenerate 2, or use a 0.5 s crossfade" in out
