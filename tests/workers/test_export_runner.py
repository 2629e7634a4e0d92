"""Closing the export dialog must not wait for a job to notice it was cancelled."""

from __future__ import annotations

import threading
import time
from typing import Any

from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot

from soraboard.stitch.runner import ExportCancelled
from soraboard.workers import export as export_workers
from soraboard.workers.export import StitchRunner, _Job


class SlowToCancel(_Job):
    """Notices the cancel only when the test lets it (like ffmpeg in a long probe)."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def work(self) -> Any:
        self.release.wait(30)
        if self.cancel_token.cancelled:
            raise ExportCancelled
        return "finished"


def test_shut_down_returns_at_once_and_the_job_winds_down_in_the_background(
        qtbot: QtBot) -> None:
    owner = QObject()
    runner = StitchRunner(owner)
    job = SlowToCancel()
    cancelled: list[bool] = []
    job.signals.cancelled.connect(lambda: cancelled.append(True))
    runner.start(job)

    t0 = time.monotonic()
    runner.shut_down()
    owner.deleteLater()  # the dialog goes away: deleting the runner with it would wait
    qtbot.waitUntil(lambda: runner.parent() is None, timeout=1000)
    del owner
    assert time.monotonic() - t0 < 0.5
    assert job.cancel_token.cancelled and runner in export_workers._DRAINING

    job.release.set()  # the job gets round to noticing
    qtbot.waitUntil(lambda: bool(cancelled), timeout=10_000)
    qtbot.waitUntil(lambda: runner not in export_workers._DRAINING, timeout=10_000)
    assert StitchRunner.wait_for_shut_down(5000)


def test_shut_down_with_nothing_running_keeps_the_runner_where_it_was(qtbot: QtBot) -> None:
    owner = QObject()
    runner = StitchRunner(owner)
    runner.shut_down()
    assert runner.parent() is owner and runner not in export_workers._DRAINING
