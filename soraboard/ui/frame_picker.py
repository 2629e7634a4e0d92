"""Pick the frame of the previous take a chained segment starts from.

The dialog shows the previous segment's chosen take: a large frame, a scrubber with frame
steps, and a strip of frames across the clip to jump to. Frames are decoded off the GUI
thread by the window's :class:`ThumbnailService`; while the scrubber moves, only the newest
position is decoded (one request in flight at a time), so dragging never queues a backlog.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from soraboard.ui.icons import icon
from soraboard.workers.thumbnails import ThumbnailService

FRAME_W = 640
STRIP = 8
STEP = 1 / 30  #: one frame at the rate generated clips use; the decoder lands on the nearest


def _fmt(t: float) -> str:
    return f"{t:.2f} s"


class FramePickerDialog(QDialog):
    """``value()`` is the picked time in seconds of ``path`` once the dialog is accepted."""

    def __init__(self, thumbnails: ThumbnailService, path: Path, length: float, at: float,
                 title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Pick the starting frame")
        self.thumbnails, self.path, self.length = thumbnails, path, max(length, STEP)
        self._shown_at: float | None = None
        self._asked: float | None = None  # the time being decoded now

        lay = QVBoxLayout(self)
        head = QLabel(title)
        head.setWordWrap(True)
        lay.addWidget(head)
        self.frame = QLabel("Decoding…")
        self.frame.setFixedSize(QSize(FRAME_W, FRAME_W * 9 // 16))
        self.frame.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.frame.setStyleSheet("background: #000; color: #aaa; border-radius: 4px;")
        lay.addWidget(self.frame, 0, Qt.AlignmentFlag.AlignHCenter)

        row = QHBoxLayout()
        self.back = QToolButton()
        self.back.setIcon(icon("frame-back"))
        self.back.setToolTip("One frame back (←)")
        self.fwd = QToolButton()
        self.fwd.setIcon(icon("frame-forward"))
        self.fwd.setToolTip("One frame on (→)")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, round(self.length * 1000))
        self.slider.setSingleStep(round(STEP * 1000))
        self.slider.setPageStep(500)
        self.time_label = QLabel()
        self.time_label.setMinimumWidth(120)
        self.time_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.last_btn = QToolButton()
        self.last_btn.setText("Last frame")
        row.addWidget(self.back)
        row.addWidget(self.slider, 1)
        row.addWidget(self.fwd)
        row.addWidget(self.time_label)
        row.addWidget(self.last_btn)
        lay.addLayout(row)

        strip = QHBoxLayout()
        strip.setSpacing(4)
        self.strip: list[tuple[QToolButton, float]] = []
        for n in range(STRIP):
            t = round(self.length * n / (STRIP - 1), 2) if n < STRIP - 1 else self._last_time()
            b = QToolButton()
            b.setFixedSize(QSize(76, 44))
            b.setIconSize(QSize(72, 40))
            b.setToolTip(_fmt(t))
            b.setAutoRaise(True)
            b.clicked.connect(lambda _c=False, t=t: self.seek(t))
            strip.addWidget(b)
            self.strip.append((b, t))
        lay.addLayout(strip)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.use_btn = buttons.addButton("Use this frame", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(40)
        self._debounce.timeout.connect(self._request)
        self.slider.valueChanged.connect(self._on_slider)
        self.back.clicked.connect(lambda: self.step(-1))
        self.fwd.clicked.connect(lambda: self.step(1))
        self.last_btn.clicked.connect(lambda: self.seek(self._last_time()))
        thumbnails.updated.connect(self._on_decoded)

        self.seek(min(max(at, 0.0), self.length))
        self._fill_strip()
        self._request()

    # ------------------------------------------------------------------ time

    def _last_time(self) -> float:
        return round(max(self.length - STEP, 0.0), 2)

    def value(self) -> float:
        return round(self.slider.value() / 1000, 3)

    def seek(self, t: float) -> None:
        self.slider.setValue(round(min(max(t, 0.0), self.length) * 1000))

    def step(self, frames: int) -> None:
        self.seek(self.value() + frames * STEP)

    def keyPressEvent(self, event):  # type: ignore[no-untyped-def]
        if event.key() == Qt.Key.Key_Left:
            self.step(-1)
        elif event.key() == Qt.Key.Key_Right:
            self.step(1)
        else:
            super().keyPressEvent(event)

    def _on_slider(self, _v: int) -> None:
        self.time_label.setText(f"{_fmt(self.value())} of {_fmt(self.length)}")
        self._debounce.start()

    # ------------------------------------------------------------------ frames

    def _request(self) -> None:
        """Decode the frame under the scrubber unless one decode is already running; when it
        arrives, ``_on_decoded`` asks again for wherever the scrubber is by then."""
        t = self.value()
        img = self.thumbnails.get(self.path, t, FRAME_W)
        if isinstance(img, QImage):
            self._show(img, t)
            self._asked = None
        elif self.thumbnails.pending(self.path, t, FRAME_W):
            self._asked = t
        else:
            self.frame.setText("This frame cannot be decoded.")
            self._asked = None

    def _on_decoded(self) -> None:
        if self._asked is not None and not self.thumbnails.pending(self.path, self._asked,
                                                                     FRAME_W):
            self._asked = None
            self._request()
        self._fill_strip()

    def _show(self, img: QImage, t: float) -> None:
        self._shown_at = t
        self.frame.setPixmap(QPixmap.fromImage(img).scaled(
            self.frame.size(), Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation))

    def _fill_strip(self) -> None:
        for b, t in self.strip:
            if not b.icon().isNull():
                continue
            img = self.thumbnails.get(self.path, t)
            if isinstance(img, QImage):
                b.setIcon(QPixmap.fromImage(img.scaled(
                    b.iconSize(), Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation)))

    @property
    def shown_at(self) -> float | None:
        """The time of the frame on screen (tests wait for it)."""
        return self._shown_at

    def done(self, r: int) -> None:
        with contextlib.suppress(RuntimeError, TypeError):
            self.thumbnails.updated.disconnect(self._on_decoded)
        super().done(r)

