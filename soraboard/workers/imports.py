"""Importing clips and images off the GUI thread: probing every file and copying whole clips
into the bundle can take seconds. The job returns the import's result (segments, take records
already written, and one edit); the window pushes the edit on the undo stack."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, Signal

from soraboard.imports import ImportRejected, apply_import, check_files
from soraboard.model.storyboard import Storyboard
from soraboard.storage.bundle import Bundle

log = logging.getLogger(__name__)


class ImportSignals(QObject):
    done = Signal(object)  #: ImportResult
    rejected = Signal(list)  #: one line per bad file; nothing was changed
    failed = Signal(str)


class ImportJob(QRunnable):
    def __init__(self, bundle: Bundle, storyboard: Storyboard, paths: list[str],
                 index: int | None) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the window keeps it referenced until it reports
        self.signals = ImportSignals()
        self.bundle, self.storyboard, self.paths, self.index = bundle, storyboard, paths, index

    def run(self) -> None:
        try:
            items = check_files([Path(p) for p in self.paths])
            result = apply_import(self.bundle, self.storyboard, items, self.index)
        except ImportRejected as e:
            self.signals.rejected.emit(list(e.problems))
        except Exception as e:  # a full disk or a bug: reported, and the import cleaned up
            log.exception("import failed")
            self.signals.failed.emit(str(e) or type(e).__name__)
        else:
            self.signals.done.emit(result)
