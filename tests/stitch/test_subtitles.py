"""Issue 18.4: the dialogue as subtitles — a language-tagged mov_text track, .srt and .vtt
beside the film, optional burn-in — on the film's timeline, with crossfades and trims."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from soraboard.model import edits
from soraboard.model.storyboard import DialogueLine
from soraboard.model.storyboard import TransitionType as T
from soraboard.stitch.export import prepare_export, run_export
from soraboard.stitch.subtitles import SubtitleOptions, graph_quote
from soraboard.storage.bundle import load_project
from tests.stitch.helpers import ClipSpec, ff, frame_at, make_project

FPS = 30
FRAME = 1 / FPS
# (segment, line start, line end) → where it must be in the film: segment 2 starts at 1.5 s
# (2 s clip minus the 0.5 s crossfade), segment 3 at 3.5 s with 0.5 s trimmed off its head
EXPECTED = [(0.5, 1.5, "Is anyone there?"), (1.7, 2.5, "Harbour security."),
            (4.0, 4.8, "Don't tell them.")]


def _project(root: Path, dialogue: bool = True):  # type: ignore[no-untyped-def]
    project = make_project(root, [ClipSpec("a.mp4", 2.0, "red"), ClipSpec("b.mp4", 2.0, "blue"),
                                  ClipSpec("c.mp4", 2.0, "green", trim_in=0.5)],
                           [(T.CROSSFADE, 0.5), (T.CUT, 0.0)])
    if not dialogue:
        return project
    sb = project.storyboard
    ids = [s.id for s in sb.segments]
    lines = {ids[0]: (DialogueLine("Nadia", "Is anyone there?", 0.5, 1.5),),
             ids[1]: (DialogueLine("Nadia", "Harbour security.", 0.2, 1.0),),
             ids[2]: (DialogueLine("Tomas", "Trimmed away.", 0.1, 0.4),
                      DialogueLine("Tomas", "Don't tell them.", 1.0, 1.8))}
    for sid, value in lines.items():
        sb = edits.set_segment_field(sb, sid, "dialogue", value).apply(sb)
    project.bundle.save(sb)
    return load_project(project.bundle.path)


_TIME = re.compile(r"(\d+):(\d\d):(\d\d)[,.](\d{3}) --> (\d+):(\d\d):(\d\d)[,.](\d{3})")


def _srt_cues(text: str) -> list[tuple[float, float, str]]:
    out = []
    for block in text.strip().split("\n\n"):
        lines = block.strip().splitlines()
        for k, line in enumerate(lines):
            m = _TIME.search(line)
            if m:
                g = [int(x) for x in m.groups()]
                start = g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000
                end = g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000
                out.append((start, end, " ".join(lines[k + 1:])))
    return out


def _read_with_ffmpeg(path: Path, *args: str) -> str:
    """Subtitles as ffmpeg's own demuxer reads them, written back out as SRT."""
    proc = subprocess.run([ff(), "-v", "error", "-i", str(path), *args, "-f", "srt", "-"],
                          capture_output=True, text=True, check=True)
    return proc.stdout


def _check(cues: list[tuple[float, float, str]]) -> None:
    assert len(cues) == len(EXPECTED), cues
    for (s, e, text), (ws, we, words) in zip(cues, EXPECTED):
        assert abs(s - ws) <= FRAME and abs(e - we) <= FRAME, (s, e, ws, we)
        assert text.endswith(words)


def test_track_and_files_follow_the_timeline_through_crossfades_and_trims(tmp_path: Path) -> None:
    project = _project(tmp_path)
    film = tmp_path / "film.mp4"
    result = run_export(prepare_export(project, "final"), film)
    info = subprocess.run([ff(), "-hide_banner", "-i", str(film)], capture_output=True,
                          text=True).stderr
    assert re.search(r"Stream #0:\d+(\[0x\w+\])?\(eng\): Subtitle: mov_text", info), info
    _check(_srt_cues(_read_with_ffmpeg(film, "-map", "0:s")))
    assert result.subtitle_files == (film.with_suffix(".srt"), film.with_suffix(".vtt"))
    _check(_srt_cues(_read_with_ffmpeg(film.with_suffix(".srt"))))
    _check(_srt_cues(_read_with_ffmpeg(film.with_suffix(".vtt"))))
    assert film.with_suffix(".vtt").read_text().startswith("WEBVTT\n\n")
    # two speakers: each cue says who speaks
    assert "Nadia: Is anyone there?" in film.with_suffix(".srt").read_text()


def test_smart_still_copies_the_picture(tmp_path: Path) -> None:
    project = _project(tmp_path)
    with_subs = tmp_path / "subs.mp4"
    without = tmp_path / "plain.mp4"
    prepared = prepare_export(project, "smart")
    assert prepared.mode in ("copy", "smart")
    run_export(prepared, with_subs)
    run_export(prepare_export(project, "smart", subtitles=None), without)

    def video_packets(path: Path) -> list[str]:
        out = subprocess.run([ff(), "-v", "error", "-i", str(path), "-map", "0:v", "-c", "copy",
                              "-f", "framemd5", "-"], capture_output=True, text=True,
                             check=True).stdout
        return [ln.split(",")[-1].strip() for ln in out.splitlines() if not ln.startswith("#")]

    assert video_packets(with_subs) == video_packets(without)
    _check(_srt_cues(_read_with_ffmpeg(with_subs, "-map", "0:s")))
    assert not without.with_suffix(".srt").exists()


def test_burned_in_subtitles_are_on_the_frame_while_spoken_and_inside_the_safe_area(
        tmp_path: Path) -> None:
    project = _project(tmp_path)
    burnt, plain = tmp_path / "burnt.mp4", tmp_path / "plain.mp4"
    run_export(prepare_export(project, "final", subtitles=SubtitleOptions(burn_in=True)),
               burnt)
    run_export(prepare_export(project, "final", subtitles=None), plain)
    w, h = 320, 180
    for t, spoken in ((1.0, True), (3.0, False), (4.4, True)):
        n = round(t * FPS)
        diff = np.abs(frame_at(burnt, n).astype(int) - frame_at(plain, n).astype(int)).max(axis=2)
        mask = diff > 60
        if not spoken:
            assert mask.mean() < 0.002, t  # no subtitle between the lines
            continue
        assert mask.sum() > 150, t
        ys, xs = np.nonzero(mask)
        assert xs.min() >= 0.1 * w and xs.max() < 0.9 * w, t
        assert ys.min() >= 0.5 * h and ys.max() < 0.9 * h, t  # low in the frame, title-safe


def test_a_film_without_dialogue_gets_no_track_and_no_files(tmp_path: Path) -> None:
    project = _project(tmp_path, dialogue=False)
    film = tmp_path / "film.mp4"
    result = run_export(prepare_export(project, "final"), film)
    info = subprocess.run([ff(), "-hide_banner", "-i", str(film)], capture_output=True,
                          text=True).stderr
    assert "Subtitle" not in info and result.subtitle_files == ()
    assert not film.with_suffix(".srt").exists()


@pytest.mark.parametrize("name", ["it's: [a,b]; c", "back\\slash"])
def test_burn_in_works_from_a_folder_with_graph_characters(tmp_path: Path, name: str) -> None:
    folder = tmp_path / name
    folder.mkdir()
    project = _project(folder)
    film = folder / "film.mp4"
    run_export(prepare_export(project, "preview", subtitles=SubtitleOptions(burn_in=True)),
               film)
    assert film.stat().st_size > 0
    assert graph_quote(Path("/a/b")) == "\\'/a/b\\'"


def test_the_cli_writes_the_files_and_takes_the_language(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from soraboard.cli import main

    project = _project(tmp_path)
    film = tmp_path / "cli.mp4"
    assert main(["export", str(project.bundle.path), "-o", str(film),
                 "--subtitle-language", "fra"]) == 0
    err = capsys.readouterr().err
    assert f"Wrote {film.with_suffix('.srt')}" in err
    info = subprocess.run([ff(), "-hide_banner", "-i", str(film)], capture_output=True,
                          text=True).stderr
    assert re.search(r"\(fra\): Subtitle: mov_text", info)
    assert main(["export", str(project.bundle.path), "-o", str(film),
                 "--subtitle-language", "french"]) == 2
    assert "three-letter ISO 639-2 code" in capsys.readouterr().err
    film.unlink()
    assert main(["export", str(project.bundle.path), "-o", str(film), "--no-subtitles"]) == 0
    assert "Subtitle" not in subprocess.run([ff(), "-hide_banner", "-i", str(film)],
                                            capture_output=True, text=True).stderr
