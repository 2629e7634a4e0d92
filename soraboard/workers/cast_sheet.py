"""Making a cast entry's sheet off the GUI thread: even the offline placeholder draws and
encodes three PNGs, and an image model takes seconds per image. The job returns the images'
bundle-relative paths; the controller adds them to the entry (one undo step)."""

from __future__ import annotations

import logging
import threading
from decimal import Decimal

from PySide6.QtCore import QObject, QRunnable, Signal

from soraboard.catalog.catalog import ImageModelSpec
from soraboard.model.storyboard import Character, StyleBible
from soraboard.redact import redact
from soraboard.storage.bundle import Bundle

log = logging.getLogger(__name__)


class SheetSignals(QObject):
    done = Signal(str, list)  #: entry name (as it was when asked), bundle-relative paths
    failed = Signal(str, str)  #: entry name, message


class CastSheetJob(QRunnable):
    def __init__(self, bundle: Bundle, entry: Character, style: StyleBible,
                 provider: str | None, model: str, spec: ImageModelSpec | None,
                 cost_each: Decimal | None) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the controller keeps it referenced until it reports
        self.signals = SheetSignals()
        self.cancel = threading.Event()
        self.bundle, self.entry, self.style = bundle, entry, style
        self.provider, self.model, self.spec, self.cost_each = provider, model, spec, cost_each

    def run(self) -> None:
        from soraboard.generation.cast_sheet import make_sheet
        from soraboard.generation.factory import make_still_backend

        try:
            backend = make_still_backend(self.provider)
            paths = make_sheet(self.bundle, self.entry, self.style, backend, self.model,
                               self.spec, self.cost_each, self.cancel)
        except Exception as e:  # a refusal, a network error or a bug: shown, never lost
            log.exception("cast sheet failed")
            self.signals.failed.emit(self.entry.name, redact(str(e) or type(e).__name__))
        else:
            self.signals.done.emit(self.entry.name, paths)
