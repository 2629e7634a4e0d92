"""Where an export may write (issue 15 item 1, issue 13 item 12): never into a project outside
its exports/, never over something that is not a regular file, never over a film unasked."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from soraboard.cli import main
from soraboard.media.probe import probe
from soraboard.stitch.destination import (
    DestinationError,
    DestinationExists,
    check_destination,
    default_destination,
)
from soraboard.storage.bundle import load_project
from tests.stitch.helpers import ClipSpec, make_project


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_export_never_writes_over_the_project_or_its_takes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path, [ClipSpec("a.mp4", 1.0, "red")])
    b = project.bundle
    story = b.storyboard_file.read_bytes()
    take = next(iter(project.takes.values()))
    media = b.resolve(take.file or "")
    paid = media.read_bytes()
    for target in (b.storyboard_file, media, b.path / "film.mp4",
                   b.path / "exports" / ".." / "storyboard.json"):
        code, _, err = run(capsys, "export", str(b.path), "-o", str(target), "--overwrite")
        assert code == 1 and "inside the project" in err and len(err.splitlines()) == 1, err
    # a symbolic link to the bundle is seen through
    (tmp_path / "link").symlink_to(b.path)
    code, _, err = run(capsys, "export", str(b.path), "-o", str(tmp_path / "link" / "storyboard.json"))
    assert code == 1 and "inside the project" in err
    code, _, err = run(capsys, "export", str(b.path), "-o", str(tmp_path / "ok.mp4"),
                       "--otio", str(b.storyboard_file), "--overwrite")
    assert code == 1 and err.startswith("soraboard: error: --otio: ") and "inside the project" in err
    assert not (tmp_path / "ok.mp4").exists()  # refused before any work
    assert b.storyboard_file.read_bytes() == story and media.read_bytes() == paid
    assert load_project(b.path).storyboard == project.storyboard


def test_export_never_replaces_a_device_a_link_or_a_folder(tmp_path: Path) -> None:
    with pytest.raises(DestinationError, match="not a regular file"):
        check_destination("/dev/null", overwrite=True)
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    with pytest.raises(DestinationError, match="not a regular file"):
        check_destination(fifo, overwrite=True)
    (tmp_path / "real.mp4").write_bytes(b"x")
    (tmp_path / "link.mp4").symlink_to(tmp_path / "real.mp4")
    with pytest.raises(DestinationError, match="symbolic link"):
        check_destination(tmp_path / "link.mp4", overwrite=True)
    (tmp_path / "dir.mp4").mkdir()
    with pytest.raises(DestinationError, match="is a folder"):
        check_destination(tmp_path / "dir.mp4", overwrite=True)
    assert stat.S_ISFIFO(fifo.stat().st_mode) and (tmp_path / "link.mp4").is_symlink()


def test_an_existing_film_needs_overwrite_and_presets_have_their_own_names(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path, [ClipSpec("a.mp4", 1.0, "red", gop=30)], name="Film")
    b = str(project.bundle.path)
    code, _, err = run(capsys, "export", b, "--preset", "smart")
    assert code == 0, err
    smart = project.bundle.exports_dir / "Film - smart.mp4"
    assert smart.is_file()
    before = smart.stat().st_mtime_ns
    code, _out, err = run(capsys, "export", b)  # Final goes to its own file
    assert code == 0, err
    assert (project.bundle.exports_dir / "Film - final.mp4").is_file()
    assert smart.stat().st_mtime_ns == before
    code, _, err = run(capsys, "export", b, "--preset", "smart")
    assert code == 1 and "already exists; use --overwrite" in err
    assert smart.stat().st_mtime_ns == before
    code, _, err = run(capsys, "export", b, "--preset", "smart", "--overwrite")
    assert code == 0, err
    assert probe(smart).video is not None
    # a file outside that is not a film: asked for, or left alone
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    code, _, err = run(capsys, "export", b, "-o", str(notes))
    assert code == 1 and "--overwrite" in err and notes.read_text() == "mine"
    assert default_destination(project, "preview").name == "Film - preview.mp4"


def test_an_unwritable_folder_is_named_with_the_reason(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path, [ClipSpec("a.mp4", 1.0, "red")])
    if os.geteuid() == 0:  # root writes anywhere but a read-only file system such as sysfs
        locked = Path("/sys")
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o555)
    before = sorted(locked.iterdir())
    try:
        code, _, err = run(capsys, "export", str(project.bundle.path), "-o",
                           str(locked / "film.mp4"))
    finally:
        if locked != Path("/sys"):
            locked.chmod(0o755)
    assert code == 1
    assert err.strip() == f"soraboard: error: cannot write to {locked}: Permission denied"
    assert sorted(locked.iterdir()) == before
    code, _, err = run(capsys, "export", str(project.bundle.path), "-o",
                       str(tmp_path / "nowhere" / "film.mp4"))
    assert code == 1 and f"cannot write to {tmp_path / 'nowhere'}: the folder does not exist" in err


def test_destination_exists_is_its_own_error(tmp_path: Path) -> None:
    (tmp_path / "f.mp4").write_bytes(b"x")
    with pytest.raises(DestinationExists):
        check_destination(tmp_path / "f.mp4")
    assert check_destination(tmp_path / "f.mp4", overwrite=True).replaces
