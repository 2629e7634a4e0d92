"""The cast's images: imported into the bundle (as segment reference images are), removed,
or made from the description as a "sheet" by the still backend in a worker (priced and
confirmed first when an image model bills for it)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal

from soraboard.catalog.cost import fmt_usd
from soraboard.document import Document
from soraboard.generation.providers import ANIMATIC
from soraboard.generation.stills import DEFAULT_STILL_MODEL
from soraboard.model.storyboard import MAX_CAST_IMAGES, Character
from soraboard.ui.ask import Ask
from soraboard.ui.controllers import SettingsGetter, plural

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp);;All files (*)"


def _find(doc: Document, name: str) -> int | None:
    key = name.strip().lower()
    for i, c in enumerate(doc.storyboard.style.characters):
        if c.name.strip().lower() == key:
            return i
    return None


class CastController(QObject):
    message = Signal(str, int)  #: status-bar text, ms
    #: the entries whose sheet is being made changed: their names (lower case)
    sheets_changed = Signal(list)

    def __init__(self, doc: Document, settings: SettingsGetter, ask: Ask,
                 import_image: Callable[[str], str | None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.settings = settings
        self.ask = ask
        self._import_image = import_image
        self.running: dict[str, Any] = {}  #: sheet jobs by entry name, kept until they report

    # ------------------------------------------------------------------ images

    def add_images(self, index: int) -> None:
        """Ask for image files and add them to cast entry ``index``."""
        paths = self.ask.open_paths("Add reference images", IMAGE_FILTER)
        if paths:
            self.add_image_paths(index, paths)

    def add_image_paths(self, index: int, paths: Sequence[str]) -> list[str]:
        """Import ``paths`` into the bundle and add them to entry ``index`` (one undo step);
        the bundle-relative paths added. Beyond the maximum the rest are left out, with a
        message."""
        entry = self.doc.storyboard.style.characters[index]
        room = MAX_CAST_IMAGES - len(entry.images)
        added: list[str] = []
        for path in paths:
            if len(added) >= room:
                self.ask.warn("Reference images", f"{entry.name} holds at most "
                              f"{MAX_CAST_IMAGES} images; "
                              f"{plural(len(paths) - len(added), 'file')} left out.")
                break
            rel = self._import_image(path)
            if rel is not None and rel not in entry.images and rel not in added:
                added.append(rel)
        if added:
            self.doc.set_cast_entry(index, replace(entry, images=(*entry.images, *added)))
        return added

    def remove_image(self, index: int, image: str) -> None:
        """Take ``image`` off entry ``index`` (its file stays, so undo brings it back)."""
        entry = self.doc.storyboard.style.characters[index]
        if image in entry.images:
            self.doc.set_cast_entry(index, replace(
                entry, images=tuple(p for p in entry.images if p != image)))

    # ------------------------------------------------------------------ sheets

    def is_making_sheet(self, name: str) -> bool:
        return name.strip().lower() in self.running

    def make_sheet(self, index: int) -> bool:
        """Make entry ``index``'s sheet in a worker: offline placeholders in animatic mode
        ($0), else the provider's image model, priced and confirmed first. False when
        nothing started (full, already running, declined)."""
        from soraboard.generation.cast_sheet import sheet_cost, sheet_count
        from soraboard.workers.cast_sheet import CastSheetJob

        entry = self.doc.storyboard.style.characters[index]
        key = entry.name.strip().lower()
        n = sheet_count(entry)
        if key in self.running:
            return False
        if n == 0:
            self.message.emit(f"{entry.name} already has {MAX_CAST_IMAGES} images; remove "
                              "one to make a sheet.", 6000)
            return False
        provider = self.settings().provider
        offline = provider in (None, "", ANIMATIC)
        model = DEFAULT_STILL_MODEL
        spec = None if offline else self.doc.catalog.images.get(model)
        each: Decimal | None = Decimal(0) if offline else (
            None if spec is None else spec.usd_per_image)
        if not offline and not self._confirm_paid(entry, n, provider or "", model, spec,
                                                  sheet_cost(entry, spec), each):
            return False
        job = CastSheetJob(self.doc.bundle, entry, self.doc.storyboard.style,
                           provider, model, spec, each)
        job.signals.done.connect(self._on_sheet_done)
        job.signals.failed.connect(self._on_sheet_failed)
        self.running[key] = job
        self.sheets_changed.emit(list(self.running))
        where = "offline placeholders" if offline else f"{model} via {provider}"
        self.message.emit(f"Making {plural(n, 'image')} of {entry.name} ({where})…", 0)
        QThreadPool.globalInstance().start(job)
        return True

    def _confirm_paid(self, entry: Character, n: int, provider: str, model: str,
                      spec: Any, total: Decimal | None, each: Decimal | None) -> bool:
        if total is None:
            price = (f"The catalog has no price for {model}; {provider} bills what it bills "
                     "for each image.")
        else:
            price = (f"{fmt_usd(total)} ({fmt_usd(each or Decimal(0))} each for "
                     f"{spec.name}: {spec.price_wording()}).")
            remaining = self.doc.cost().remaining
            if remaining is not None and total > remaining:
                self.ask.warn("Over budget", f"The sheet costs {fmt_usd(total)}, more than "
                              f"the {fmt_usd(max(remaining, Decimal(0)))} left of the "
                              "budget. Nothing was sent; raise the budget in the style "
                              "bible to make it.")
                return False
        return self.ask.confirm(
            "Make a reference sheet?",
            f"Make {plural(n, 'image')} of {entry.name} from its description with {model} "
            f"through {provider}. {price}")

    def _take_job(self, name: str) -> None:
        self.doc.reload_stills()  # made, failed or lost: the ledger counts what may be billed
        job = self.running.pop(name.strip().lower(), None)
        if job is not None:
            self.sheets_changed.emit(list(self.running))

    def _on_sheet_done(self, name: str, paths: list[str]) -> None:
        self._take_job(name)
        index = _find(self.doc, name)
        if index is None:
            self.message.emit(f"{name} left the cast while its sheet was made; the images "
                              "are in the project's media/cast folder.", 10000)
            return
        entry = self.doc.storyboard.style.characters[index]
        room = MAX_CAST_IMAGES - len(entry.images)
        new = [p for p in paths if p not in entry.images][:max(room, 0)]
        if new:
            self.doc.set_cast_entry(index, replace(entry, images=(*entry.images, *new)))
        self.message.emit(f"Added {plural(len(new), 'image')} to {entry.name}.", 5000)

    def _on_sheet_failed(self, name: str, message: str) -> None:
        self._take_job(name)
        self.ask.warn("The sheet was not made", f"{name}: {message}")

    def close(self) -> None:
        """Ask running sheets to stop after their current image (the window is closing)."""
        for job in self.running.values():
            job.cancel.set()
