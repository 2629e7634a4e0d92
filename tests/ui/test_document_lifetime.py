"""A Document with unsaved edits can be freed without an error on stderr (self-test's
"RuntimeError: Signal source has been deleted")."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import gc, sys
from PySide6.QtCore import QCoreApplication
from soraboard.demos import load_demo
from soraboard.document import Document
from soraboard.storage.bundle import Bundle, load_project
app = QCoreApplication([])
doc = Document(load_project(Bundle.create(sys.argv[1], load_demo("city-morning")).path))
seen = []
doc.file_state_changed.connect(lambda: seen.append(doc.is_modified()))
doc.set_storyboard_field("title", "changed")
doc.undo_stack.undo()
assert seen == [True, False], seen
doc.set_storyboard_field("title", "changed again")
del doc
gc.collect()
print("freed")
"""


def test_a_modified_document_is_freed_quietly(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "P")],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "freed"
    assert "Traceback" not in proc.stderr, proc.stderr
