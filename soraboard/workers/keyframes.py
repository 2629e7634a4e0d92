"""Keyframe stills off the GUI thread: make the stills that hold boundaries (the same
:func:`~soraboard.generation.stills.keyframe_still` the CLI's ``keyframes`` command calls), or
cut one frame of a take into a still.

Each job snapshots what it needs (the bundle, an immutable storyboard, the backend), calls the
pure core and reports through a QObject companion created on the GUI thread, so its signals
arrive there. Jobs never touch the Document: the controller applies the edits.
"""

from __future__ import annotations

import logging
import threading
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from soraboard.catalog.catalog import ImageModelSpec, parse_size
from soraboard.generation.stills import (
    StillBackend,
    keyframe_still,
    regenerate_still,
    segment_still,
)
from soraboard.model.storyboard import Storyboard
from soraboard.model.take import StillRecord
from soraboard.redact import redact
from soraboard.storage.bundle import Bundle

log = logging.getLogger(__name__)


class StillSignals(QObject):
    made = Signal(int, str)  #: boundary index (or -1 for a frame), bundle-relative still
    failed = Signal(int, str)  #: boundary index (or -1), message
    finished = Signal()  #: always the last one


class _StillJob(QRunnable):
    def __init__(self) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the runner keeps it referenced until it finished
        self.signals = StillSignals()
        self.cancelled = threading.Event()

    def cancel(self) -> None:
        """Make no further still (one already asked of the image model is not undone)."""
        self.cancelled.set()

    def work(self) -> None:
        raise NotImplementedError

    def run(self) -> None:
        try:
            self.work()
        except Exception as e:  # reported, never lost in a pool thread
            log.exception("%s failed", type(self).__name__)
            self.signals.failed.emit(-1, redact(f"{type(e).__name__}: {e}"))
        finally:
            self.signals.finished.emit()


class BoundaryStillsJob(_StillJob):
    """One still per boundary in ``boundaries`` (indices into ``storyboard.segments``)."""

    def __init__(self, bundle: Bundle, storyboard: Storyboard, boundaries: list[int],
                 backend: StillBackend, model: str, spec: ImageModelSpec | None,
                 price: Decimal | None) -> None:
        super().__init__()
        self.bundle, self.storyboard, self.boundaries = bundle, storyboard, list(boundaries)
        self.backend, self.model, self.spec, self.price = backend, model, spec, price

    def work(self) -> None:
        from soraboard.generation.errors import GenerationError

        for i in self.boundaries:
            if self.cancelled.is_set():
                return
            try:
                still = keyframe_still(self.bundle, self.storyboard, i, self.backend,
                                       self.model, self.spec, self.price)
            except (GenerationError, OSError, ValueError) as e:
                self.signals.failed.emit(i, redact(str(e)))
                continue
            self.signals.made.emit(i, still)


class SegmentStillJob(_StillJob):
    """One still for ``storyboard.segments[index]``'s own first or last frame."""

    def __init__(self, bundle: Bundle, storyboard: Storyboard, index: int, role: str,
                 backend: StillBackend, model: str, spec: ImageModelSpec | None,
                 price: Decimal | None) -> None:
        super().__init__()
        self.bundle, self.storyboard, self.index, self.role = bundle, storyboard, index, role
        self.backend, self.model, self.spec, self.price = backend, model, spec, price

    def work(self) -> None:
        from soraboard.generation.errors import GenerationError

        if self.cancelled.is_set():
            return
        try:
            still = segment_still(self.bundle, self.storyboard, self.index, self.backend,
                                  self.role, self.model, self.spec, self.price)
        except (GenerationError, OSError, ValueError) as e:
            self.signals.failed.emit(-1, redact(str(e)))
            return
        self.signals.made.emit(-1, still)


class RegenerateStillJob(_StillJob):
    """``source``'s still asked for again (the same request, a new file and record)."""

    def __init__(self, bundle: Bundle, source: StillRecord, backend: StillBackend,
                 price: Decimal | None) -> None:
        super().__init__()
        self.bundle, self.source, self.backend, self.price = bundle, source, backend, price

    def work(self) -> None:
        from soraboard.generation.errors import GenerationError

        if self.cancelled.is_set():
            return
        try:
            made = regenerate_still(self.bundle, self.source, self.backend, self.price)
        except (GenerationError, OSError, ValueError) as e:
            self.signals.failed.emit(-1, redact(str(e)))
            return
        self.signals.made.emit(-1, made.file or "")


class TakeFrameJob(_StillJob):
    """The frame of a take at ``at`` seconds, fitted to ``size``, as a PNG in media/stills."""

    def __init__(self, bundle: Bundle, video: Path, at: float, size: str, name: str) -> None:
        super().__init__()
        self.bundle, self.video, self.at, self.size, self.name = bundle, video, at, size, name

    def work(self) -> None:
        from soraboard.generation import frames

        w, h = parse_size(self.size)
        image = frames.fit_to_size(frames.frame_at(self.video, self.at), w, h)
        saved = frames.save_png(image, self.bundle.media_dir / "stills" / self.name)
        self.signals.made.emit(-1, self.bundle.relative(saved.path))


class StillRunner(QObject):
    """Keeps still jobs referenced while they run (one thread: stills are seconds each)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._running: set[_StillJob] = set()

    def start(self, job: _StillJob) -> _StillJob:
        self._running.add(job)
        job.signals.finished.connect(self._on_job_finished)
        self.pool.start(job)
        return job

    def busy(self) -> bool:
        return bool(self._running)

    def _on_job_finished(self) -> None:
        sender = self.sender()
        self._running = {j for j in self._running if j.signals is not sender}

    def cancel_all(self) -> None:
        for job in list(self._running):
            job.cancel()

    def wait(self, msecs: int = 30000) -> bool:
        return bool(self.pool.waitForDone(msecs))
