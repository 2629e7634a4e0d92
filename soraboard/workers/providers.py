"""Testing a provider connection off the GUI thread (a request may take seconds)."""

from __future__ import annotations

from PySide6.QtCore import QObject, QRunnable, Signal

from soraboard.redact import redact


class CheckSignals(QObject):
    done = Signal(str, bool, str)  #: profile name, ok, message


class ProviderCheckJob(QRunnable):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.name = name
        self.signals = CheckSignals()

    def run(self) -> None:
        from soraboard.generation.factory import make_backend

        try:
            backend = make_backend(self.name)
            probe = getattr(backend, "probe", None)
            if probe is not None:
                # ok / auth failed / unreachable / not a Videos endpoint (works behind
                # LiteLLM, which cannot list jobs)
                result = probe()
                self.signals.done.emit(self.name, bool(result.ok), str(result))
                return
        except Exception as e:  # every failure is an answer to show, not a crash
            self.signals.done.emit(self.name, False, redact(str(e)))
        else:
            self.signals.done.emit(self.name, True, "answers")
