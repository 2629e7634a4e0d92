"""Project bundles: round trip, history, atomic saves, and bad files that are never touched."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from soraboard.demos import load_demo
from soraboard.model import edits
from soraboard.model.take import RequestSnapshot, Take, TakeStatus
from soraboard.storage import Bundle, ProjectError, load_project
from soraboard.storage import bundle as bundle_mod
from soraboard.storage.migrations import migrate


def _project(tmp_path: Path, name: str = "Film") -> Bundle:
    return Bundle.create(tmp_path / name, load_demo("city-morning"))


def test_round_trip_is_lossless(tmp_path: Path) -> None:
    sb = load_demo("city-morning")
    b = Bundle.create(tmp_path / "Film", sb)
    assert b.path.name == "Film.soraboard"
    for d in ("takes", "media", "exports", "history"):
        assert (b.path / d).is_dir()
    p = load_project(b.path)
    assert p.storyboard == sb
    assert p.takes == {} and p.warnings == []
    assert load_project(b.storyboard_file).storyboard == sb  # the json path works too


def test_takes_round_trip_and_missing_chosen_take_is_a_warning(tmp_path: Path) -> None:
    b = _project(tmp_path)
    sb = b.load_storyboard()
    t = Take("take_1", sb.segments[0].id, "litellm",
             RequestSnapshot("prompt", "sora-2-pro", "1280x720", 12.0, "ab" * 32, "media/ref.png",
                             None),
             TakeStatus.RUNNING, job_id="video_123", progress=0.4, cost="3.60", created_at=5.0)
    b.write_take(t)
    sb = edits.choose_take(sb, sb.segments[1].id, "take_gone").apply(sb)
    b.save(sb)
    p = load_project(b.path)
    assert p.takes == {"take_1": t}
    assert len(p.warnings) == 1 and "take_gone" in p.warnings[0]


def test_save_keeps_bounded_history_and_restore_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundle_mod, "MAX_HISTORY", 3)
    b = _project(tmp_path)
    sb = b.load_storyboard()
    versions = []
    for n in range(5):
        sb = edits.set_storyboard_field(sb, "title", f"v{n}").apply(sb)
        b.save(sb)
        versions.append(sb)
    b.save(sb)  # an identical save adds nothing to history
    hist = b.history()
    assert len(hist) == 3
    titles = [Bundle.decode_storyboard_file(h).title for h in hist]
    assert titles == ["v1", "v2", "v3"]
    restored = b.restore(hist[0])
    assert restored.title == "v1" and b.load_storyboard().title == "v1"
    assert Bundle.decode_storyboard_file(b.history()[-1]).title == "v4"


def test_a_save_interrupted_by_an_exception_leaves_the_previous_file_intact(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    b = _project(tmp_path)
    before = b.storyboard_file.read_bytes()
    sb = edits.set_storyboard_field(b.load_storyboard(), "title", "new").apply(b.load_storyboard())

    def boom(*_a: object, **_k: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="No space"):
        b.save(sb)
    monkeypatch.undo()
    assert b.storyboard_file.read_bytes() == before
    leftovers = [p.name for p in b.path.iterdir() if p.name.startswith(".")]
    assert leftovers == []  # the temp file was removed


def test_create_refuses_to_overwrite(tmp_path: Path) -> None:
    _project(tmp_path)
    with pytest.raises(ProjectError, match="already exists"):
        _project(tmp_path)


CORRUPT = {
    "truncated": (lambda good: good[: len(good) // 2], "not valid JSON (it looks cut short)", "line "),
    "not json": (lambda good: b"hello {", "not valid JSON", "line 1, column 1"),
    "empty": (lambda good: b"", "the file is empty", None),
    "binary": (lambda good: b"\xff\xfe\x00garbage", "not UTF-8 text", "byte 0"),
    "top-level list": (lambda good: b"[1, 2]", "expected a JSON object", None),
}


@pytest.mark.parametrize("case", list(CORRUPT))
def test_corrupt_files_fail_with_one_clear_message_and_stay_untouched(tmp_path: Path, case: str) -> None:
    b = _project(tmp_path)
    make, what, where = CORRUPT[case]
    bad = make(b.storyboard_file.read_bytes())
    b.storyboard_file.write_bytes(bad)
    with pytest.raises(ProjectError) as ei:
        load_project(b.path)
    assert what in str(ei.value)
    assert str(b.storyboard_file) in str(ei.value)
    if where:
        assert where in str(ei.value)
    assert b.storyboard_file.read_bytes() == bad
    assert b.history() == []


def _edit_json(b: Bundle, mutate: object) -> bytes:
    doc = json.loads(b.storyboard_file.read_text())
    mutate(doc)  # type: ignore[operator]
    data = json.dumps(doc).encode()
    b.storyboard_file.write_bytes(data)
    return data


@pytest.mark.parametrize(("mutate", "what", "where"), [
    (lambda d: d["storyboard"]["segments"][2].__setitem__("duration", "twelve"),
     "expected a number, found text", "storyboard.segments[2].duration"),
    (lambda d: d["storyboard"]["segments"][0].__setitem__("continuity", "glued"),
     "'glued' is not one of: chain, independent", "storyboard.segments[0].continuity"),
    (lambda d: d["storyboard"]["segments"][1]["prompt"].__setitem__("actions", ["0-4 walk"]),
     "is not '[start–end s] text'", "storyboard.segments[1].prompt.actions[0]"),
    (lambda d: d["storyboard"]["segments"][1].__delitem__("model"),
     "a required field is missing", "storyboard.segments[1].model"),
    (lambda d: d["storyboard"].__setitem__("budget", -3),
     "an amount must be 0 or more", "storyboard.budget"),
    (lambda d: d["storyboard"]["segments"][1].__setitem__("id", d["storyboard"]["segments"][0]["id"]),
     "is used twice", "storyboard.segments[1].id"),
    (lambda d: d.__setitem__("schema_version", 99),
     "written by a newer soraboard (schema 99; this version reads up to 3)", "schema_version"),
    (lambda d: d["storyboard"]["segments"][0]["reference"].__setitem__("image", "../../etc/passwd"),
     "escapes the bundle", "storyboard.segments[0].reference.image"),
    (lambda d: d["storyboard"]["segments"][0]["reference"].__setitem__("image", "/etc/passwd"),
     "is absolute", "storyboard.segments[0].reference.image"),
    (lambda d: d["storyboard"]["segments"][0]["reference"].__setitem__("image", "C:\\x.png"),
     "is absolute", "storyboard.segments[0].reference.image"),
])
def test_wrongly_typed_newer_or_escaping_files_name_the_field(
        tmp_path: Path, mutate: object, what: str, where: str) -> None:
    b = _project(tmp_path)
    data = _edit_json(b, mutate)
    with pytest.raises(ProjectError) as ei:
        load_project(b.path)
    msg = str(ei.value)
    assert what in msg and f"(at {where})" in msg
    assert b.storyboard_file.read_bytes() == data


def test_a_corrupt_take_record_is_skipped_with_a_warning_and_never_rewritten(tmp_path: Path) -> None:
    b = _project(tmp_path)
    f = b.takes_dir / "take_bad.json"
    f.write_text("{ nope")
    p = load_project(b.path)
    assert p.takes == {}
    assert "take_bad.json" in p.warnings[0] and "not valid JSON" in p.warnings[0]
    assert f.read_text() == "{ nope"


def test_resolve_refuses_symlink_escapes(tmp_path: Path) -> None:
    b = _project(tmp_path)
    (tmp_path / "outside.png").write_bytes(b"x")
    os.symlink(tmp_path / "outside.png", b.media_dir / "link.png")
    with pytest.raises(ProjectError, match="outside the project folder"):
        b.resolve("media/link.png")
    (b.media_dir / "ok.png").write_bytes(b"x")
    assert b.resolve("media/ok.png") == (b.media_dir / "ok.png").resolve()


def test_migrations_registry_runs_steps_in_order() -> None:
    table = {1: lambda d: {"schema_version": 1, "renamed": d["old"]}, 2: lambda d: {**d, "added": True}}
    out = migrate({"schema_version": 1, "old": 5}, table, current=3)
    assert out == {"schema_version": 3, "renamed": 5, "added": True}
    with pytest.raises(Exception, match="no migration from schema 1"):
        migrate({"schema_version": 1}, {}, current=2)
