"""Editing the storyboard from menus and the timeline: add, insert, duplicate, delete, move
(warning when a chain breaks), a segment's reference image, deleting a take's file."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImageReader

from soraboard.catalog.cost import fmt_usd
from soraboard.document import Document
from soraboard.model.storyboard import RefMode
from soraboard.model.take import TakeSource
from soraboard.storage.errors import ProjectError
from soraboard.ui.ask import Ask
from soraboard.ui.controllers import SettingsGetter


class EditController(QObject):
    message = Signal(str, int)  #: status-bar text, ms

    def __init__(self, doc: Document, settings: SettingsGetter, ask: Ask,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.settings = settings
        self.ask = ask

    def add_segment(self) -> None:
        idx = self.doc.current_index()
        self.doc.add_segment(None if idx is None else idx + 1)

    def insert_segment(self) -> None:
        idx = self.doc.current_index()
        self.doc.add_segment(0 if idx is None else idx)

    def duplicate(self) -> None:
        self.doc.duplicate(self.doc.selection)

    def delete_selected(self) -> None:
        self.doc.delete(self.doc.selection)

    def select_all(self) -> None:
        self.doc.select([s.id for s in self.doc.storyboard.segments])

    def move_left(self) -> None:
        i = self.doc.current_index()
        if i is not None and i > 0:
            self.move(self.doc.storyboard.segments[i].id, i - 1)

    def move_right(self) -> None:
        i = self.doc.current_index()
        if i is not None and i + 1 < len(self.doc.storyboard.segments):
            self.move(self.doc.storyboard.segments[i].id, i + 1)

    def move(self, segment_id: str, to_index: int) -> None:
        """Move a segment; say which chains the move breaks."""
        sb = self.doc.storyboard
        src = sb.index_of(segment_id)
        broken = []
        if sb.segments[src].is_chained and src > 0:
            broken.append(f"“{sb.segments[src].title}” no longer follows the shot it continues")
        if src + 1 < len(sb.segments) and sb.segments[src + 1].is_chained:
            broken.append(f"“{sb.segments[src + 1].title}” loses the shot it continues from")
        self.doc.move(segment_id, to_index)
        if broken:
            self.message.emit("Chain broken: " + "; ".join(broken)
                              + " — regenerate or make them independent.", 10000)

    def import_image(self, path: str) -> str | None:
        """Copy an image into the project's ``media/references/`` (once per content) and
        return its bundle-relative path; None, after saying why, when it is not an image.
        Segment reference images and cast images are both imported this way."""
        src = Path(path)
        reader = QImageReader(str(src))
        if not reader.canRead():
            self.ask.warn("Not an image", f"{src.name} cannot be used as a reference image: "
                          f"{reader.errorString()}. Use a PNG, JPEG or WebP file.")
            return None
        target_dir = self.doc.bundle.media_dir / "references"
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / src.name
        n = 1
        while target.exists() and target.read_bytes() != src.read_bytes():
            target = target_dir / f"{src.stem}-{n}{src.suffix}"
            n += 1
        if not target.exists():
            shutil.copy2(src, target)
        return self.doc.bundle.relative(target)

    def set_reference_image(self, segment_id: str, path: str) -> None:
        """Copy an image into the project and make it the segment's reference (one step)."""
        rel = self.import_image(path)
        if rel is not None:
            self.doc.set_fields(segment_id, reference_image=rel, ref_mode=RefMode.CUSTOM)

    def take_path(self, take_id: str) -> Path | None:
        take = self.doc.takes.get(take_id)
        if take is None or not take.usable or take.file is None:
            return None
        try:
            return self.doc.bundle.resolve(take.file)
        except ProjectError:
            return None

    def delete_take_file(self, take_id: str) -> None:
        """Delete a take's video after asking (it was paid for); its record stays."""
        take = self.doc.takes[take_id]
        path = self.take_path(take_id)
        if path is None:
            return
        cost = "$0.00 (imported)" if take.source is TakeSource.IMPORTED else fmt_usd(take.cost_value)
        if not self.ask.confirm(
                "Delete the take's file?",
                f"Delete the video file of this take? It cost {cost}; the record of the take "
                "stays, but the clip is gone for good.", default_yes=False):
            return
        try:
            path.unlink()
        except OSError as e:
            self.ask.warn("Delete failed", str(e))
            return
        updated = take.with_changes(file=None, error="file deleted by the user",
                                    updated_at=time.time())
        self.doc.bundle.write_take(updated)
        self.doc.record_take(updated)
