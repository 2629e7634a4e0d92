"""An ``Ask`` that answers from a script and records every question (for controller tests)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from soraboard.ui.ask import PROJECT_FILTER, Unsaved


class ScriptedAsk:
    """Answers questions in order from ``answers``; with ``default`` once they run out
    (``None`` default: running out is a test failure). ``asked`` records "kind: title: text"."""

    _NO_DEFAULT = object()

    def __init__(self, answers: Iterable[Any] = (), default: Any = _NO_DEFAULT) -> None:
        self.answers = list(answers)
        self.default = default
        self.asked: list[str] = []

    def _next(self, kind: str, title: str, text: str = "") -> Any:
        self.asked.append(f"{kind}: {title}: {text}")
        if self.answers:
            return self.answers.pop(0)
        if self.default is self._NO_DEFAULT:
            raise AssertionError(f"unexpected question: {kind}: {title}: {text}")
        return self.default

    def confirm(self, title: str, text: str, *, yes: str = "", default_yes: bool = True) -> bool:
        return bool(self._next("confirm", title, text))

    def yes_no(self, title: str, text: str) -> bool:
        return bool(self._next("yes_no", title, text))

    def unsaved(self, title: str, text: str) -> Unsaved:
        answer = self._next("unsaved", title, text)
        return answer if isinstance(answer, Unsaved) else Unsaved.DISCARD

    def inform(self, title: str, text: str) -> None:
        self.asked.append(f"inform: {title}: {text}")

    def warn(self, title: str, text: str) -> None:
        self.asked.append(f"warn: {title}: {text}")

    def error(self, title: str, text: str) -> None:
        self.asked.append(f"error: {title}: {text}")

    def save_path(self, title: str, start: Path, filter: str = PROJECT_FILTER) -> Path | None:
        answer = self._next("save_path", title, str(start))
        return Path(answer) if answer else None

    def folder(self, title: str) -> Path | None:
        answer = self._next("folder", title)
        return Path(answer) if answer else None

    def open_paths(self, title: str, filter: str) -> list[str]:
        return list(self._next("open_paths", title) or [])

    def text(self, title: str, label: str) -> str | None:
        answer = self._next("text", title, label)
        return str(answer) if answer else None

    def plan_story(self, catalog: Any, model: str, size: str) -> Any:
        return self._next("plan_story", "story")
