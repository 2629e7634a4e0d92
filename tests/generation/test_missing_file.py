"""A take whose file is missing (issue 15 item 5) is not a dead end: validate reports it, the
status says so, the cost prices it, and generate runs the segment again."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from soraboard.catalog.catalog import default_catalog
from soraboard.catalog.cost import estimate
from soraboard.cli import main
from soraboard.model.status import SegmentState, storyboard_status
from soraboard.storage.bundle import load_project
from tests.generation.conftest import make_bundle


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_missing_take_file_is_reported_priced_and_generated_again(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], qtbot: QtBot) -> None:
    bundle = make_bundle(tmp_path / "Film", [False, False])
    assert run(capsys, "generate", str(bundle.path))[0] == 0
    project = load_project(bundle.path)
    seg = project.storyboard.segments[1]
    lost = project.takes[seg.chosen_take or ""]
    bundle.resolve(lost.file or "").unlink()

    project = load_project(bundle.path)
    take = project.takes[lost.id]
    assert take == lost and take.file_missing and not take.usable  # kept, not rewritten
    states = storyboard_status(project.storyboard, project.takes)
    assert states[0].state is SegmentState.DONE
    assert states[1].state is SegmentState.FAILED and "is missing" in states[1].reason
    report = estimate(project.storyboard, default_catalog(), project.takes, states)
    assert report.to_generate_count == 1 and report.to_generate.known > 0  # priced

    code, out, _ = run(capsys, "validate", str(bundle.path))
    assert code == 1 and f"{lost.file} is missing" in out
    code, out, err = run(capsys, "generate", str(bundle.path))
    assert code == 0 and "1 of 1 segment(s) generated" in out, err
    project = load_project(bundle.path)
    new = project.storyboard.segments[1].chosen_take
    assert new != lost.id and project.takes[new or ""].usable
    assert run(capsys, "validate", str(bundle.path))[0] == 0

    # the editor's card says it, from the same status
    from soraboard.document import Document

    bundle.resolve(project.takes[new or ""].file or "").unlink()
    doc = Document(load_project(bundle.path))
    assert "is missing" in doc.statuses()[1].describe()
