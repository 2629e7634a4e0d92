"""Files: new, open, recent, save, save as, autosave and crash recovery."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from soraboard.document import Document, autosave_differences, read_autosave
from soraboard.model.storyboard import Storyboard
from soraboard.settings import save_settings
from soraboard.storage.bundle import Bundle, load_project
from soraboard.storage.errors import ProjectError
from soraboard.ui.ask import Ask, Unsaved
from soraboard.ui.controllers import SettingsGetter

log = logging.getLogger(__name__)

#: how many projects File ▸ Open Recent keeps
RECENT_KEPT = 10


class FilesController(QObject):
    message = Signal(str, int)  #: status-bar text, ms
    project_loaded = Signal(object)  #: a Project to open in a new window (this one closes)
    settings_changed = Signal(object)  #: Settings (the recent list changed; already saved)
    autosaved = Signal()

    def __init__(self, doc: Document, settings: SettingsGetter, ask: Ask,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.settings = settings
        self.ask = ask
        self.last_autosave: float | None = None
        self.autosave_timer = QTimer(self)
        self.autosave_timer.timeout.connect(self.autosave)

    # ------------------------------------------------------------------ new / open

    def new_project(self) -> None:
        if not self.confirm_discard():
            return
        path = self.ask.save_path("New storyboard", Path.home() / "Untitled")
        if path:
            s = self.settings()
            # the settings' model only while it is current (it may have been saved before
            # the model retired)
            sb = Storyboard(title=path.name.removesuffix(".soraboard"),
                            default_model=self.doc.catalog.current_model(s.default_model),
                            default_size=s.default_size, budget=s.budget)
            self.create_and_open(path, replace(sb, segments=(sb.new_segment(title="Segment 1"),)))

    def create_and_open(self, path: Path | str, storyboard: Storyboard) -> None:
        try:
            Bundle.create(path, storyboard)
        except ProjectError as e:
            self.ask.warn("New project", str(e))
            return
        self.replace_document(Bundle(path).path)

    def open_project(self) -> None:
        if not self.confirm_discard():
            return
        path = self.ask.folder("Open a .soraboard project folder")
        if path:
            self.replace_document(path)

    def open_recent(self, path: str) -> None:
        if self.confirm_discard():
            self.replace_document(Path(path))

    def recent_paths(self) -> list[str]:
        """Recent projects other than this one that still exist, newest first."""
        return [p for p in self.settings().recent_projects
                if p != str(self.doc.bundle.path) and Path(p).is_dir()]

    def remember(self) -> None:
        """Put this project first in File ▸ Open Recent (ten kept, missing ones dropped)."""
        s = self.settings()
        path = str(self.doc.bundle.path)
        recent = [path, *(p for p in s.recent_projects if p != path)][:RECENT_KEPT]
        if tuple(recent) != s.recent_projects:
            s = replace(s, recent_projects=tuple(recent))
            self.settings_changed.emit(s)
            try:
                save_settings(s)
            except (OSError, ValueError) as e:
                log.warning("recent projects not saved: %s", e)

    def replace_document(self, path: Path) -> None:
        try:
            project = load_project(path)
        except ProjectError as e:
            self.ask.error("Cannot open the project", str(e))
            return
        self.project_loaded.emit(project)

    # ------------------------------------------------------------------ save

    def save(self) -> bool:
        try:
            self.doc.save()
        except (OSError, ProjectError) as e:
            self.ask.error("Save failed", f"The storyboard was not saved, and the file on disk "
                           f"is unchanged.\n\n{e}")
            return False
        self.message.emit(f"Saved {self.doc.bundle.path}", 4000)
        return True

    def save_as(self) -> None:
        path = self.ask.save_path("Save as", self.doc.bundle.path.parent)
        if path:
            try:
                self.doc.save_as(path)
            except (OSError, ProjectError) as e:
                self.ask.error("Save as failed", str(e))

    def confirm_discard(self) -> bool:
        """True when the window may drop the document: saved, or the creator said so."""
        if not self.doc.is_modified():
            return True
        answer = self.ask.unsaved("Unsaved changes", f"Save the changes to “{self.doc.title}”?")
        if answer is Unsaved.SAVE:
            return self.save()
        if answer is Unsaved.DISCARD:
            self.doc.discard_autosave()
            return True
        return False

    # ------------------------------------------------------------------ autosave, recovery

    def restart_autosave(self) -> None:
        secs = self.settings().autosave_seconds
        if secs > 0:
            self.autosave_timer.start(secs * 1000)
        else:
            self.autosave_timer.stop()

    def autosave(self) -> None:
        try:
            if self.doc.autosave():
                self.last_autosave = time.time()
                self.autosaved.emit()
        except OSError as e:
            self.message.emit(f"Autosave failed: {e}", 10000)

    def autosave_note(self) -> str:
        if self.last_autosave is None:
            return ""
        ago = int(time.time() - self.last_autosave)
        return f"Autosaved {ago} s ago" if ago < 120 else f"Autosaved {ago // 60} min ago"

    def offer_recovery(self) -> None:
        """After a crash: the autosave differs from the saved storyboard — offer it, saying
        what differs."""
        sb = read_autosave(self.doc.bundle)
        if sb is None:
            return
        differs = "\n".join("• " + line
                            for line in autosave_differences(self.doc.storyboard, sb))
        if self.ask.yes_no(
                "Recover unsaved changes?",
                f"soraboard found changes to “{sb.title}” that were autosaved but never saved "
                "(the app may have crashed). Recover them? You can undo the recovery.\n\n"
                f"The autosave differs from the saved project in:\n{differs}"):
            self.doc.recover_autosave()
        else:
            self.doc.discard_autosave()

    def close(self) -> None:
        self.autosave_timer.stop()
