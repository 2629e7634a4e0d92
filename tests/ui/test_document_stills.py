"""The editor's cost strip counts keyframe stills like the CLI's ``cost``: what was spent on
them is in the ledger the Document reports."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from soraboard.demos import load_demo
from soraboard.document import Document
from soraboard.model.take import StillRecord
from soraboard.storage.bundle import Bundle, load_project


def test_the_documents_ledger_counts_the_stills_made(tmp_path: Path, qapp: object) -> None:
    bundle = Bundle.create(tmp_path / "Goal", load_demo("goal"))
    bundle.write_still(StillRecord("still_00000000abcd", "fake", "gpt-image-1", "1280x720", "p",
                                   status="done", cost="0.04",
                                   file="media/stills/k.png", created_at=1.0))
    doc = Document(load_project(bundle.path))
    report = doc.cost()
    assert report.stills_spent == Decimal("0.04")
    assert report.spent >= Decimal("0.04")
