"""Export, sequence preview, seam report and preset summaries, off the GUI thread.

Each job snapshots an immutable :class:`Project` (storyboard + takes + bundle), calls one pure
function of :mod:`soraboard.stitch` with a cancel token, and reports through signals on a
QObject companion that arrive on the GUI thread. Jobs never touch the Document or a widget.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from soraboard import paths
from soraboard.stitch.export import PreparedExport, preset_summaries, probe_takes, run_export
from soraboard.stitch.plan import ExportPlan, Soundtrack, build_plan
from soraboard.stitch.presets import preset as preset_named
from soraboard.stitch.preview import SequencePreview
from soraboard.stitch.runner import CancelToken, ExportCancelled, Progress
from soraboard.stitch.seams import seam_report
from soraboard.stitch.voiceover import SpokenLine
from soraboard.storage.bundle import Project

log = logging.getLogger(__name__)


class JobSignals(QObject):
    progress = Signal(object)  #: stitch.runner.Progress
    done = Signal(object)  #: the job's result
    failed = Signal(str)  #: message (the tail of ffmpeg's stderr included)
    cancelled = Signal()


class _Job(QRunnable):
    def __init__(self) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the owner keeps it referenced until it finished
        self.signals = JobSignals()
        self.cancel_token = CancelToken()

    def cancel(self) -> None:
        self.cancel_token.cancel()

    def work(self) -> Any:
        raise NotImplementedError

    def run(self) -> None:
        try:
            result = self.work()
        except ExportCancelled:
            self.signals.cancelled.emit()
        except Exception as e:  # reported to the user, never lost in a worker thread
            log.exception("%s failed", type(self).__name__)
            self.signals.failed.emit(str(e) or type(e).__name__)
        else:
            self.signals.done.emit(result)

    def _progress(self, p: Progress) -> None:
        self.signals.progress.emit(p)


class ExportJob(_Job):
    def __init__(self, prepared: PreparedExport, output: Path) -> None:
        super().__init__()
        self.prepared = prepared
        self.output = output

    def work(self) -> Any:
        return run_export(self.prepared, self.output, on_progress=self._progress,
                          cancel=self.cancel_token)


class SummariesJob(_Job):
    """Every preset prepared for this film (probing the takes), for the export dialog."""

    def __init__(self, project: Project, music: Soundtrack | None, loudnorm: bool,
                 voice: Sequence[SpokenLine] = ()) -> None:
        super().__init__()
        self.project, self.music, self.loudnorm = project, music, loudnorm
        self.voice = tuple(voice)

    def work(self) -> Any:
        return preset_summaries(self.project, music=self.music, loudnorm=self.loudnorm,
                                voice=self.voice)


class SeamsJob(_Job):
    def __init__(self, project: Project) -> None:
        super().__init__()
        self.project = project

    def work(self) -> Any:
        return seam_report(self.project)


def preview_target(project: Project) -> Path:
    digest = hashlib.sha256(str(project.bundle.path).encode()).hexdigest()[:12]
    folder = paths.cache_dir(create=True) / "sequence"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{digest}.mp4"


class PreviewJob(_Job):
    """The whole storyboard at preview quality; slates stand in for missing takes. Pieces are
    cached by content, so after one edit only what it touched is rendered again."""

    def __init__(self, project: Project) -> None:
        super().__init__()
        self.project = project

    def work(self) -> Any:
        files, probes, _warnings = probe_takes(self.project)
        plan: ExportPlan = build_plan(self.project.storyboard, self.project.takes, files, probes,
                                      preset_named("preview"), allow_slates=True)
        result = SequencePreview().render(plan, preview_target(self.project),
                                          on_progress=self._progress, cancel=self.cancel_token)
        return result, plan


class StitchRunner(QObject):
    """Keeps jobs referenced while they run; one pool, one thread (a core stays free)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._running: set[_Job] = set()

    def start(self, job: _Job) -> _Job:
        self._running.add(job)
        for sig in (job.signals.done, job.signals.failed, job.signals.cancelled):
            sig.connect(lambda *_a, j=job: self._running.discard(j))
        self.pool.start(job)
        return job

    def cancel_all(self) -> None:
        for job in list(self._running):
            job.cancel()

    def wait(self, msecs: int = 30000) -> bool:
        return bool(self.pool.waitForDone(msecs))

    def shut_down(self) -> None:
        """Cancel the jobs and let them end in the background: whoever closes (a dialog)
        does not wait for ffmpeg to notice. The runner leaves its parent (whose deletion
        would otherwise wait for the pool) and stays referenced until its last job ended."""
        self.cancel_all()
        if not self._running:
            return
        self.setParent(None)
        _DRAINING.add(self)
        for job in list(self._running):
            for sig in (job.signals.done, job.signals.failed, job.signals.cancelled):
                sig.connect(self._drained)

    def _drained(self, *_args: object) -> None:
        if not self._running:
            _DRAINING.discard(self)

    @staticmethod
    def wait_for_shut_down(msecs: int = 5000) -> bool:
        """At exit: wait for runners that were shut down with jobs still ending."""
        return all(r.wait(msecs) for r in list(_DRAINING))


#: runners shut down while jobs were still ending (kept alive until they have)
_DRAINING: set[StitchRunner] = set()
