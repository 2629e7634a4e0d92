"""Issue 18.4: an imported clip brings its subtitles — ``clip.srt`` beside it becomes the
segment's dialogue, in the clip's time; a broken one is refused before anything is copied."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from soraboard.imports import apply_import, check_files
from soraboard.imports.apply import ImportFailed
from soraboard.model.dialogue import parse_srt
from soraboard.model.storyboard import DialogueLine
from soraboard.storage.bundle import Bundle

SRT = """1
00:00:00,200 --> 00:00:00,900
Mara: <i>Is anyone</i> there?

2
00:00:01,000 --> 00:00:09,000
- Tomas: Please.

3
00:00:30,000 --> 00:00:31,000
Long after the clip.
"""


def test_parse_srt_names_speakers_drops_tags_and_cuts_at_the_clip() -> None:
    assert parse_srt(SRT, duration=2.0) == (
        DialogueLine("Mara", "Is anyone there?", 0.2, 0.9),
        DialogueLine("Tomas", "Please.", 1.0, 2.0))
    with pytest.raises(ValueError, match="block 1"):
        parse_srt("1\nnot a time\nwords\n")


def test_an_imported_clip_brings_its_srt(project: Bundle, good_clip: Path,
                                        tmp_path: Path) -> None:
    folder = tmp_path / "phone"
    folder.mkdir()
    clip = Path(shutil.copy(good_clip, folder / "scene.mp4"))
    (folder / "scene.srt").write_text(SRT, "utf-8")
    sb = project.load_storyboard()
    (item,) = check_files([clip])
    (seg,) = apply_import(project, sb, [item]).segments
    assert [(d.speaker, d.text, d.start) for d in seg.dialogue] == [
        ("Mara", "Is anyone there?", 0.2), ("Tomas", "Please.", 1.0)]
    assert seg.dialogue[-1].end == pytest.approx(min(9.0, item.duration))
    # a broken subtitle file: one clear line, nothing copied
    (folder / "scene.srt").write_text("1\nsoon\nhello\n", "utf-8")
    before = sorted(p.name for p in project.media_dir.rglob("*"))
    with pytest.raises(ImportFailed, match=r"scene.srt: cannot read its subtitles"):
        apply_import(project, sb, [item])
    assert sorted(p.name for p in project.media_dir.rglob("*")) == before
