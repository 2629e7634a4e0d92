"""The seam report scores a matching join high and a jump low, and says what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from soraboard.model.storyboard import Continuity
from soraboard.model.storyboard import TransitionType as T
from soraboard.stitch.seams import format_report, judge, seam_report
from soraboard.storage.bundle import load_project
from tests.stitch.helpers import ClipSpec, make_project


def _chain_all(project_path: Path) -> None:
    p = load_project(project_path)
    sb = p.storyboard
    segs = (sb.segments[0], *(s.with_changes(continuity=Continuity.CHAIN) for s in sb.segments[1:]))
    p.bundle.save(type(sb)(title=sb.title, default_size=sb.default_size, segments=segs))


def test_a_matching_chain_is_seamless_and_a_jump_is_flagged_with_a_fix(tmp_path: Path) -> None:
    project = make_project(tmp_path, [ClipSpec("a.mp4", 1.0, "0x3060a0"),
                                      ClipSpec("b.mp4", 1.0, "0x3060a0"),
                                      ClipSpec("c.mp4", 1.0, None, pattern="testsrc"),
                                      ClipSpec("d.mp4", 1.0, "black")],
                           [(T.CUT, 0), (T.CUT, 0), (T.FADE_BLACK, 0.5)])
    _chain_all(project.bundle.path)
    seams = seam_report(load_project(project.bundle.path))
    assert [s.verdict for s in seams] == ["seamless", "jump", "ok"]
    match, jump, fade = seams
    assert match.score is not None and match.score > 0.95
    assert match.label == "1 → 2 · cut, chained"
    assert match.message.startswith("Continuity frame matched: ")
    assert jump.score is not None and jump.score < 0.5
    assert jump.fix == "regenerate 3, or use a 0.5 s crossfade"
    assert "the first frame of 3 jumps" in jump.message
    assert fade.transition == "fade through black 0.5 s"
    # the frames compared are the last used frame out and the first used frame in
    assert match.out_time == pytest.approx(29 / 30 - 1 / 60) and match.in_time == 0.0
    text = format_report(seams)
    assert "1 → 2 · cut, chained" in text and "jump" in text


def test_missing_takes_are_reported_not_scored(tmp_path: Path) -> None:
    project = make_project(tmp_path, [ClipSpec("a.mp4", 1.0, "red"), None])
    (seam,) = seam_report(project)
    assert seam.verdict == "missing" and seam.score is None
    assert seam.message == "segment 2 “Shot 2” has no take yet."


def test_judge_rules_for_cuts_and_transitions() -> None:
    assert judge(0.9, "cut", False, 2)[0] == "seamless"
    assert judge(0.7, "cut", False, 2)[0] == "jump"  # similar but not matching: a jump cut
    assert judge(0.2, "cut", False, 2)[0] == "ok"  # a clean change of shot
    assert judge(0.6, "cut", True, 2)[0] == "ok"
    assert judge(0.2, "crossfade 0.5 s", True, 2)[0] == "ok"
