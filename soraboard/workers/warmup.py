"""Import the heavy modules (OpenCV, the openai client, the engine, the exporter) in the
background right after the window is shown, so the first Generate or Export does not stall
the GUI thread for the few hundred milliseconds those imports take."""

from __future__ import annotations

import gc
import importlib
import logging
import threading

from PySide6.QtCore import QRunnable, QThreadPool

log = logging.getLogger(__name__)

MODULES = (
    "cv2",
    "numpy",
    "openai",
    "soraboard.generation.animatic",
    "soraboard.generation.openai_backend",
    "soraboard.generation.frames",
    "soraboard.generation.engine",
    "soraboard.generation.scratch_voice",
    "soraboard.generation.scheduler",
    "soraboard.generation.stills",
    "soraboard.generation.bridge",
    "soraboard.generation.cast_sheet",
    "soraboard.stitch.export",
    "soraboard.stitch.preview",
    "soraboard.stitch.seams",
    "soraboard.stitch.otio",
    "opentimelineio",
    "soraboard.planner",
)


_done = threading.Event()


class _Warmup(QRunnable):
    def __init__(self, ffmpeg_path: str | None) -> None:
        super().__init__()
        self.ffmpeg_path = ffmpeg_path

    def run(self) -> None:
        try:  # finding ffmpeg runs it three times; cached for the GUI thread afterwards
            from soraboard.media.ffmpeg import find_ffmpeg

            find_ffmpeg(self.ffmpeg_path)
        except Exception as e:  # reported in the status bar and when generating or exporting
            log.info("warm-up: %s", e)
        for name in MODULES:
            try:
                importlib.import_module(name)
            except Exception as e:  # an optional piece missing is reported where it is used
                log.info("warm-up import of %s failed: %s", name, e)
        # Everything made so far (Qt, numpy, OpenCV, openai, pydantic: a few hundred thousand
        # objects) lives as long as the app. A full collection holds the interpreter for all
        # threads while it walks every object — over 100 ms here with these in the heap, a
        # visible stall whenever it happens to run. Frozen, they are not walked again.
        gc.freeze()
        _done.set()


def warm_up(ffmpeg_path: str | None = None, pool: QThreadPool | None = None) -> None:
    if not _done.is_set():
        (pool or QThreadPool.globalInstance()).start(_Warmup(ffmpeg_path))


def is_warm() -> bool:
    """True once every heavy module is imported (tests wait for it before timing the loop)."""
    return _done.is_set()
