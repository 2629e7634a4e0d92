"""Import and plan: clips and images dropped or chosen become segments (checked in a
worker, one undo step); a story becomes a planned storyboard."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal

from soraboard.document import Document
from soraboard.model.storyboard import Storyboard
from soraboard.ui.ask import Ask
from soraboard.ui.controllers import SettingsGetter, plural

MEDIA_FILTER = "Media (*.mp4 *.mov *.mkv *.webm *.m4v *.png *.jpg *.jpeg *.webp);;All files (*)"


class ImportController(QObject):
    message = Signal(str, int)  #: status-bar text, ms (0: until replaced)
    message_cleared = Signal()
    new_project_requested = Signal(object, object)  #: path, planned Storyboard

    def __init__(self, doc: Document, settings: SettingsGetter, ask: Ask,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.settings = settings
        self.ask = ask
        self.running: set[Any] = set()  #: import jobs, kept referenced until they report

    def new_from_story(self) -> None:
        sb = self.doc.storyboard
        answer = self.ask.plan_story(self.doc.catalog, sb.default_model, sb.default_size)
        if answer is None:
            return
        planned, new_project = answer
        if new_project:
            path = self.ask.save_path("New project from the story",
                                      self.doc.bundle.path.parent / planned.title)
            if path:
                self.new_project_requested.emit(path, planned)
            return
        self.apply_plan(planned)

    def apply_plan(self, planned: Storyboard) -> None:
        """Merge a planned storyboard after showing its diff: segments the user edited,
        wrote or generated stay as they are; one undo step (ui/replan.py)."""
        from soraboard.ui.replan import apply_plan

        apply_plan(self.doc, planned, self.ask.confirm)

    def import_files(self) -> None:
        paths = self.ask.open_paths("Import clips or images", MEDIA_FILTER)
        if paths:
            idx = self.doc.current_index()
            self.import_paths(paths, None if idx is None else idx + 1)

    def import_paths(self, paths: list[str], index: int | None) -> None:
        """Clips become segments whose take is that footage, images become drafts that start
        from them — all files checked first (in a worker), one undo step for the whole drop."""
        from soraboard.workers.imports import ImportJob

        job = ImportJob(self.doc.bundle, self.doc.storyboard, paths, index)
        job.signals.done.connect(lambda result, j=job: self._on_imported(j, result))
        job.signals.rejected.connect(lambda problems, j=job: self._on_import_failed(
            j, "\n".join(problems) + "\n\nThe storyboard is unchanged."))
        job.signals.failed.connect(lambda message, j=job: self._on_import_failed(
            j, f"{message}\n\nThe storyboard is unchanged."))
        self.running.add(job)
        self.message.emit(f"Importing {plural(len(paths), 'file')}…", 0)
        QThreadPool.globalInstance().start(job)

    def _on_import_failed(self, job: Any, message: str) -> None:
        self.running.discard(job)
        self.message_cleared.emit()
        self.ask.warn("Nothing was imported", message)

    def _on_imported(self, job: Any, result: Any) -> None:
        self.running.discard(job)
        for take in result.takes:
            self.doc.record_take(take)
        self.doc.apply(result.edit)
        self.doc.select([s.id for s in result.segments])
        self.message.emit(f"Imported {plural(len(result.segments), 'file')}", 6000)
