"""``soraboard import``: adds what it was given, or names every bad file and changes nothing."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import pytest

from soraboard.cli import main
from soraboard.console import CliError
from soraboard.imports import shown_name
from soraboard.imports.commands import cmd_new_from
from soraboard.model.storyboard import Transition, TransitionType
from soraboard.storage.bundle import Bundle, load_project
from tests.imports.conftest import make_image, tree


@pytest.fixture
def clip(tmp_path: Path, good_clip: Path) -> Path:
    return Path(shutil.copy(good_clip, tmp_path / "harbour_at_dawn.mp4"))


def test_import_adds_the_files_and_saves_once(
        project: Bundle, clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = make_image(tmp_path / "storm sketch.webp")
    saves = len(project.history())
    assert main(["import", str(project.path), str(clip), str(image)]) == 0
    out = capsys.readouterr().out
    assert "Added 2 segments at position 2–3:" in out
    assert "“harbour at dawn” — video 1.5" in out and "320x180" in out
    assert "“storm sketch” — image 64x48, a 4 s draft starting from it" in out
    # 4 s draft + 1.5 s clip + 4 s draft, each clip as long as its file
    reopened = load_project(project.path)
    clip_seconds = next(iter(reopened.takes.values())).media_duration or 0
    assert f"The film is now {round(4 + clip_seconds + 4, 3):g} s (3 segments)." in out
    assert [s.title for s in reopened.storyboard.segments] == [
        "Opening", "harbour at dawn", "storm sketch"]
    assert len(project.history()) == saves + 1  # storyboard.json written once


def test_import_at_a_one_based_position_with_a_transition(
        project: Bundle, clip: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", str(project.path), str(clip), str(clip), "--at", "1",
                 "--transition", "fade-white:0.75"]) == 0
    assert "at position 1–2" in capsys.readouterr().out
    segs = load_project(project.path).storyboard.segments
    assert [s.title for s in segs] == ["harbour at dawn", "harbour at dawn", "Opening"]
    assert segs[0].transition_out == Transition(TransitionType.FADE_WHITE, 0.75)
    assert segs[1].transition_out.is_cut


def test_a_name_with_a_leading_dash_imports_after_a_double_dash(
        project: Bundle, clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(clip, tmp_path / "-f null -.mp4")
    monkeypatch.chdir(tmp_path)
    assert main(["import", str(project.path), "--", "-f null -.mp4"]) == 0
    assert "“-f null -” — video" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--at", "0"], "--at 0 is outside the storyboard: give 1 to 2"),
    (["--at", "3"], "--at 3 is outside the storyboard"),
    (["--transition", "swirl"], "unknown transition 'swirl'; choose one of cut, fade_black"),
    (["--transition", "crossfade:soon"], "transition length 'soon' is not a number"),
    (["--transition", "crossfade:0"], "a transition lasts more than 0 seconds"),
])
def test_bad_options_change_nothing(project: Bundle, clip: Path, argv: list[str], message: str,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    before = tree(project.path)
    assert main(["import", str(project.path), str(clip), *argv]) == 2
    assert message in capsys.readouterr().err
    assert tree(project.path) == before


def test_every_bad_file_is_named_and_the_project_stays_byte_identical(
        project: Bundle, clip: Path, bad_files: dict[str, Path],
        capsys: pytest.CaptureFixture[str]) -> None:
    before = tree(project.path)
    files = [clip, *bad_files.values()]
    assert main(["import", str(project.path), "--", *map(str, files)]) == 1
    err = capsys.readouterr().err.splitlines()
    # one line per bad file, naming it (a newline in a name is shown as \n), then a summary
    assert len(err) == len(bad_files) + 1
    for path in bad_files.values():
        assert sum(shown_name(path) + ":" in line for line in err) == 1, path
    assert err[-1] == (f"soraboard: error: nothing was imported ({len(bad_files)} of "
                       f"{len(files)} files cannot be used)")
    assert tree(project.path) == before


@pytest.mark.parametrize("what", ["not media", "truncated", "truncated faststart", "audio only",
                                  "zero length", "missing", "unsupported image",
                                  "odd name missing"])
def test_one_bad_file_among_good_ones_changes_nothing(
        project: Bundle, clip: Path, bad_files: dict[str, Path], what: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    before = tree(project.path)
    assert main(["import", str(project.path), "--", str(clip), str(bad_files[what]),
                 str(clip)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and shown_name(bad_files[what]) in err[0]
    assert tree(project.path) == before


def test_a_missing_project_is_one_line(tmp_path: Path, clip: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", str(tmp_path / "Nope"), str(clip)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "no such project" in err[0]
    assert not (tmp_path / "Nope.soraboard").exists()


# ``soraboard new PATH --from FILE...``: cli.py's cmd_new hands ``--from`` to cmd_new_from


def new_from(path: Path, files: list[Path], **more: object) -> int:
    """Run cmd_new_from as ``soraboard.cli.main`` would: a CliError becomes one stderr line."""
    args = argparse.Namespace(path=str(path), from_files=[str(f) for f in files], demo=None,
                              **more)
    try:
        return cmd_new_from(args)
    except CliError as e:
        print(f"soraboard: error: {e}", file=sys.stderr)
        return e.exit_code


def test_new_from_files(tmp_path: Path, clip: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = make_image(tmp_path / "title card.png")
    assert new_from(tmp_path / "Trip", [clip, image], transition="crossfade:0.5") == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Created {tmp_path / 'Trip.soraboard'} — Trip, 2 segments, ")
    sb = load_project(tmp_path / "Trip").storyboard
    assert [s.title for s in sb.segments] == ["harbour at dawn", "title card"]
    assert sb.segments[0].transition_out == Transition(TransitionType.CROSSFADE, 0.5)


def test_new_from_bad_files_creates_nothing(tmp_path: Path, clip: Path,
                                            bad_files: dict[str, Path],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    files = [clip, bad_files["not media"], bad_files["missing"]]
    assert new_from(tmp_path / "Trip", files) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 and "nothing was imported (2 of 3 files" in err[-1]
    assert not (tmp_path / "Trip.soraboard").exists()


def test_new_from_files_never_overwrites_a_project(
        project: Bundle, clip: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = tree(project.path)
    assert new_from(project.path, [clip]) == 1
    assert "already exists" in capsys.readouterr().err
    assert tree(project.path) == before


def test_new_from_files_with_a_transition(tmp_path: Path, clip: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", str(tmp_path / "Trip"), "--from", str(clip), str(clip),
                 "--transition", "crossfade:0.4"]) == 0
    segs = load_project(tmp_path / "Trip.soraboard").storyboard.segments
    assert segs[0].transition_out == Transition(TransitionType.CROSSFADE, 0.4)
    assert segs[1].transition_out.is_cut
    assert main(["new", str(tmp_path / "Empty"), "--transition", "crossfade"]) == 2
    assert "--transition goes with --from" in capsys.readouterr().err
    assert not (tmp_path / "Empty.soraboard").exists()


def test_one_clip_is_one_segment_in_words(tmp_path: Path, clip: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert new_from(tmp_path / "Solo", [clip], transition=None) == 0
    assert "— Solo, 1 segment, " in capsys.readouterr().out
