"""Card thumbnails, made off the GUI thread.

A frame of a take (decoded with OpenCV) or a reference image is read and scaled in a
QRunnable; the QImage comes back through a signal on the GUI thread. QImage (unlike QPixmap)
may be built in any thread. Results are cached by (file, size, mtime, time) so a card repaints
from memory.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage

log = logging.getLogger(__name__)

WIDTH = 320


def _read_frame(path: Path, at: float, width: int = WIDTH) -> QImage | None:
    import cv2

    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            return None
        cap.set(cv2.CAP_PROP_POS_MSEC, max(at, 0.0) * 1000)
        ok, frame = cap.read()
        if not ok:
            cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = cap.read()
        if not ok:
            return None
        h, w = frame.shape[:2]
        scale = width / w
        frame = cv2.resize(frame, (width, max(int(h * scale), 1)), interpolation=cv2.INTER_AREA)
        frame = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        h, w = frame.shape[:2]
        return QImage(frame.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    finally:
        cap.release()


def load_thumbnail(path: Path, at: float | None, width: int = WIDTH) -> QImage | None:
    """A ``width`` px wide picture: frame ``at`` seconds of a video, or the image itself."""
    if at is None:
        img = QImage(str(path))
        if img.isNull():
            return None
        return img.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
    return _read_frame(path, at, width)


class _Signals(QObject):
    ready = Signal(str, object)  #: key, QImage or None


class _ThumbnailJob(QRunnable):
    def __init__(self, key: str, path: Path, at: float | None, width: int,
                 signals: _Signals) -> None:
        super().__init__()
        self.key, self.path, self.at, self.width, self.signals = key, path, at, width, signals
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            img = load_thumbnail(self.path, self.at, self.width)
        except Exception as e:  # a damaged file must not take the app down
            log.warning("thumbnail of %s failed: %s", self.path, e)
            img = None
        self.signals.ready.emit(self.key, img)


class ThumbnailService(QObject):
    """Asynchronous, cached thumbnails. ``get`` returns at once: the image, or None while it is
    being made (``updated`` fires when it arrives)."""

    updated = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)  # keep a core free for generation and export
        self._cache: dict[str, QImage | None] = {}
        self._pending: set[str] = set()
        self._signals = _Signals(self)
        self._signals.ready.connect(self._on_ready)

    @staticmethod
    def _key(path: Path, at: float | None, width: int) -> str | None:
        try:
            st = path.stat()
        except OSError:
            return None
        size = "" if width == WIDTH else f"|{width}"
        return f"{path}|{st.st_size}|{st.st_mtime_ns}|{at}{size}"

    def pending(self, path: Path, at: float | None = None, width: int = WIDTH) -> bool:
        """Whether that picture is still being made (False once it arrived or failed)."""
        key = self._key(path, at, width)
        return key is not None and key not in self._cache

    def get(self, path: Path, at: float | None = None, width: int = WIDTH) -> QImage | None:
        key = self._key(path, at, width)
        if key is None:
            return None
        if key in self._cache:
            return self._cache[key]
        if key not in self._pending:
            self._pending.add(key)
            self.pool.start(_ThumbnailJob(key, path, at, width, self._signals))
        return None

    def _on_ready(self, key: str, img: object) -> None:
        self._pending.discard(key)
        self._cache[key] = img if isinstance(img, QImage) else None
        self.updated.emit()

    def wait(self, msecs: int = 5000) -> bool:
        """For tests and shutdown: wait for queued thumbnails."""
        return self.pool.waitForDone(msecs)
