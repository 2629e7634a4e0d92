"""Crafted bundles (issue 15 item 8): only regular files under a size limit are read, field
lengths and numbers have limits, every error is one line, and a save never raises on text."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from soraboard.cli import main
from soraboard.demos import load_demo
from soraboard.model import edits
from soraboard.storage import Bundle, ProjectError, load_project


def _bundle(tmp_path: Path) -> Bundle:
    return Bundle.create(tmp_path / "Film", load_demo("city-morning"))


def _cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "soraboard", *args], capture_output=True,
                          text=True, timeout=timeout, env=os.environ.copy(),
                          stdin=subprocess.DEVNULL)


def _edit_json(b: Bundle, change: object) -> None:
    doc = json.loads(b.storyboard_file.read_text("utf-8"))
    change(doc["storyboard"])  # type: ignore[operator]
    b.storyboard_file.write_text(json.dumps(doc), "utf-8")


def test_a_device_or_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    b = _bundle(tmp_path)
    b.storyboard_file.unlink()
    b.storyboard_file.symlink_to("/dev/zero")
    result = _cli("validate", str(b.path), timeout=20)
    assert result.returncode == 1
    assert "not a regular file" in result.stderr and len(result.stderr.splitlines()) == 1
    b.storyboard_file.unlink()
    os.mkfifo(b.storyboard_file)
    result = _cli("cost", str(b.path), timeout=20)  # a FIFO never blocks a command
    assert result.returncode == 1 and "not a regular file" in result.stderr
    # a take record or a take's media that is a FIFO is refused too, without hanging
    b2 = _bundle(tmp_path / "two")
    os.mkfifo(b2.takes_dir / "take_x.json")
    done = threading.Event()
    warnings: list[str] = []

    def load() -> None:
        warnings.extend(load_project(b2.path).warnings)
        done.set()
    threading.Thread(target=load, daemon=True).start()
    assert done.wait(10) and any("not a regular file" in w for w in warnings)
    os.mkfifo(b2.media_dir / "clip.mp4")
    with pytest.raises(ProjectError, match="FIFO"):
        b2.resolve("media/clip.mp4")


def test_a_huge_prompt_is_refused_with_its_place_and_little_memory(tmp_path: Path) -> None:
    b = _bundle(tmp_path)
    _edit_json(b, lambda sb: sb["segments"][2]["prompt"].__setitem__("scene", "x" * 200_000))
    with pytest.raises(ProjectError) as e:
        load_project(b.path)
    assert "200,000 characters long; the limit is 100,000" in str(e.value)
    assert "segments[2].prompt.scene" in str(e.value)
    # and a 50 MB file is refused before it is read
    big = b"{" + b" " * (50 * 1024 * 1024) + b"}"
    b.storyboard_file.write_bytes(big)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ProjectError, match="never over 16 MB"):
        load_project(b.path)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 20_000  # KiB


def test_unpaired_surrogates_are_refused_on_load_and_never_break_a_save(tmp_path: Path) -> None:
    b = _bundle(tmp_path)
    raw = b.storyboard_file.read_text("utf-8").replace('"title": "City morning"',
                                                       '"title": "City \\ud800 morning"', 1)
    assert "\\ud800" in raw
    b.storyboard_file.write_text(raw, "utf-8")
    with pytest.raises(ProjectError, match="unpaired surrogate U\\+D800"):
        load_project(b.path)
    # a title made from a file name that was not UTF-8 still saves
    b2 = _bundle(tmp_path / "two")
    sb = b2.load_storyboard()
    sb = edits.set_storyboard_field(sb, "title", "clip_\udcff").apply(sb)
    b2.save(sb)
    assert load_project(b2.path).storyboard.title == "clip_\ufffd"


@pytest.mark.parametrize(("change", "message"), [
    (lambda sb: sb.__setitem__("budget", "1e999999999"), "not a plausible amount"),
    (lambda sb: sb.__setitem__("budget", 1e300), "not a plausible amount"),
    (lambda sb: sb["segments"][0].__setitem__("duration", 1e300), "at most 86400"),
    (lambda sb: sb["segments"][0].__setitem__("trim_in", 10 ** 400), "far too large"),
    (lambda sb: sb["segments"][0].__setitem__("continuity", "y" * 100_000), "is not one of"),
])
def test_absurd_values_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           change: object, message: str) -> None:
    b = _bundle(tmp_path)
    _edit_json(b, change)
    for command in ("cost", "validate"):
        code = main([command, str(b.path)])
        err = capsys.readouterr().err
        assert code == 1 and message in err, err
        assert len(err.splitlines()) == 1 and "Traceback" not in err and len(err) < 400


def test_a_deeply_nested_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    b = _bundle(tmp_path)
    b.storyboard_file.write_text("[" * 100_000 + "]" * 100_000)
    assert main(["validate", str(b.path)]) == 1
    err = capsys.readouterr().err
    assert "nested too deeply" in err and len(err.splitlines()) == 1


def test_a_save_never_writes_what_a_load_refuses(tmp_path: Path) -> None:
    b = _bundle(tmp_path)
    before = b.storyboard_file.read_bytes()
    sb = b.load_storyboard()
    sb = edits.set_segment_field(sb, sb.segments[0].id, "scene", "z" * 150_000).apply(sb)
    with pytest.raises(ProjectError, match="cannot be saved: the text is 150,000"):
        b.save(sb)
    assert b.storyboard_file.read_bytes() == before
