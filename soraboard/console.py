"""Terminal output shared by every headless command: errors, tables, progress bars.

Subcommands live beside the code they drive (``soraboard.generation.commands``,
``soraboard.stitch.commands`` …) and register themselves with :mod:`soraboard.cli`; this module
is what they have in common. No Qt, no soraboard imports.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Sequence
from typing import TextIO


class CliError(Exception):
    """An error to print on one line to stderr, with this exit code (no traceback)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def one_line(text: str) -> str:
    """Errors go to stderr on one line: newlines in file names or messages are escaped."""
    return " ".join(str(text).replace("\r", "\\r").split("\n"))


def table(rows: Sequence[Sequence[str]], header: Sequence[str], right: Sequence[int] = ()) -> str:
    """A plain text table; columns whose index is in ``right`` are right-aligned."""
    all_rows = [list(header), *[list(r) for r in rows]]
    widths = [max(len(r[c]) for r in all_rows) for c in range(len(header))]
    out = []
    for n, r in enumerate(all_rows):
        cells = [r[c].rjust(widths[c]) if c in right else r[c].ljust(widths[c])
                 for c in range(len(header))]
        out.append("  ".join(cells).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def ellipsize(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


class ProgressBars:
    """One live line per task on a terminal; plain log lines when not a terminal (CI, pipes).

    ``update(key, fraction, note)`` is safe to call often: a non-terminal stream only gets a
    line when a task's state text changes or every 10 %.
    """

    def __init__(self, stream: TextIO | None = None, width: int | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.width = width or min(shutil.get_terminal_size((80, 20)).columns, 100)
        self.tasks: dict[str, tuple[float, str]] = {}
        self._last_logged: dict[str, tuple[int, str]] = {}
        self._drawn = 0
        self._last_draw = 0.0

    def update(self, key: str, fraction: float, note: str = "") -> None:
        fraction = min(max(fraction, 0.0), 1.0)
        self.tasks[key] = (fraction, note)
        if self.tty:
            now = time.monotonic()
            if now - self._last_draw > 0.1 or fraction >= 1.0:
                self._draw()
                self._last_draw = now
        else:
            decile = int(fraction * 10)
            if self._last_logged.get(key) != (decile, note):
                self._last_logged[key] = (decile, note)
                self.stream.write(f"{key}: {round(fraction * 100):3d} % {note}".rstrip() + "\n")
                self.stream.flush()

    def line(self, key: str, fraction: float, note: str) -> str:
        label = ellipsize(key, 24).ljust(24)
        bar_w = max(self.width - 24 - 8 - 30, 10)
        filled = round(bar_w * fraction)
        return f"{label} [{'#' * filled}{'.' * (bar_w - filled)}] {round(fraction * 100):3d} % " \
               f"{ellipsize(note, 28)}"

    def _draw(self) -> None:
        if self._drawn:
            self.stream.write(f"\x1b[{self._drawn}F")
        for key, (fraction, note) in self.tasks.items():
            self.stream.write("\x1b[2K" + self.line(key, fraction, note) + "\n")
        self._drawn = len(self.tasks)
        self.stream.flush()

    def finish(self) -> None:
        if self.tty and self.tasks:
            self._draw()
