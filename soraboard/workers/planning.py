"""Planning a storyboard from a story, off the GUI thread (an LLM call may take a minute)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QRunnable, Signal

from soraboard.planner import PlanError, plan_story
from soraboard.redact import redact

log = logging.getLogger(__name__)


class PlanSignals(QObject):
    done = Signal(object)  #: PlanResult
    failed = Signal(str)


class PlanJob(QRunnable):
    def __init__(self, text: str, length: float, model: str, size: str, style: str | None,
                 planner: str) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.signals = PlanSignals()
        self.args = (text, length, model, size, style, planner)

    def run(self) -> None:
        text, length, model, size, style, planner = self.args
        try:
            result = plan_story(text, length, model, size, style, planner)  # type: ignore[arg-type]
        except PlanError as e:
            self.signals.failed.emit(redact(str(e)))
        except Exception as e:  # a bug must reach the dialog, not vanish in the pool
            log.exception("planning failed")
            self.signals.failed.emit(redact(f"{type(e).__name__}: {e}"))
        else:
            self.signals.done.emit(result)
