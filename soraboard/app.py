"""Composition root of the GUI: argv, logging, QApplication, settings, Document, MainWindow.

A failure at start-up is shown in a dialog (a gui-script has no console) and written to the
log directory.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import traceback
from pathlib import Path

from soraboard import __version__, paths
from soraboard.media.ffmpeg import use_ffmpeg
from soraboard.redact import install_log_redaction
from soraboard.settings import Settings, load_settings
from soraboard.storage.bundle import Bundle, Project, load_project

log = logging.getLogger("soraboard")

FIRST_RUN_DEMO = "goal"  # on a current model: the first screen has no retired-model warnings

_windows: list[object] = []  # open main windows, kept referenced


def setup_logging() -> Path:
    folder = paths.log_dir(create=True)
    file = folder / "soraboard.log"
    handler = logging.handlers.RotatingFileHandler(file, maxBytes=2_000_000, backupCount=3,
                                                   encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    if not any(isinstance(h, logging.handlers.RotatingFileHandler) for h in root.handlers):
        root.addHandler(handler)
    # the file gets INFO; a console (when there is one) keeps showing warnings only
    for h in root.handlers:
        if not isinstance(h, logging.handlers.RotatingFileHandler) and h.level < logging.WARNING \
                and root.level >= logging.WARNING:
            h.setLevel(logging.WARNING)
    root.setLevel(min(root.level, logging.INFO) if root.level else logging.INFO)
    install_log_redaction(root)  # keys never reach the log file or the console
    return file


def demo_project(name: str = FIRST_RUN_DEMO) -> Project:
    """The demo as a real bundle in the data directory (created on first use), so generate,
    preview and export all work on it like on any project."""
    from soraboard.demos import DEMOS, load_demo

    folder = paths.data_dir(create=True) / "demos"
    folder.mkdir(parents=True, exist_ok=True)
    title = DEMOS[name].split(" — ")[0]
    bundle = Bundle(folder / title)
    if not bundle.exists():
        Bundle.create(bundle.path, load_demo(name))
    return load_project(bundle.path)


def open_window(project: Project, settings: Settings | None = None) -> object:
    from soraboard.document import Document
    from soraboard.ui.main_window import MainWindow

    doc = Document(project)
    doc.hold_lock()  # one writer per bundle: raises LockHeld naming the other one
    try:
        win = MainWindow(doc, settings)
    except BaseException:
        doc.release_lock()
        raise
    _windows.append(win)
    win.destroyed.connect(lambda *_a, w=win: _windows.remove(w) if w in _windows else None)
    win.show()
    for warning in project.warnings:
        win.statusBar().showMessage(warning, 15000)
    win.offer_recovery()
    return win


def _show_startup_error(message: str, details: str) -> None:
    try:
        from PySide6.QtWidgets import QApplication, QMessageBox

        app = QApplication.instance() or QApplication(sys.argv[:1])
        box = QMessageBox(QMessageBox.Icon.Critical, "soraboard could not start", message)
        box.setDetailedText(details)
        box.exec()
        del app
    except Exception:  # no display at all: the log and stderr are all we have
        print(f"soraboard could not start: {message}\n{details}", file=sys.stderr)


def main(project: str | None = None, demo: str | None = None) -> int:
    log_file = setup_logging()
    log.info("soraboard %s starting (project=%s, demo=%s)", __version__, project, demo)
    from soraboard.qt_check import display_problem

    problem = display_problem()
    if problem:  # else Qt aborts the process with a line that often blames the wrong library
        log.info("cannot open a window: %s", problem)
        print(f"soraboard: error: {problem}", file=sys.stderr)
        return 1
    try:
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QGuiApplication
        from PySide6.QtWidgets import QApplication

        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication.instance() or QApplication(sys.argv[:1])
        app.setApplicationName("soraboard")
        app.setApplicationDisplayName("soraboard")
        app.setApplicationVersion(__version__)
        app.setOrganizationName("soraboard")
        app.setDesktopFileName("soraboard")
        settings, notes = load_settings()
        for n in notes:
            log.warning(n)
        use_ffmpeg(settings.ffmpeg_path)
        from soraboard.ui import theme

        theme.apply(settings.theme)
        proj = load_project(project) if project else demo_project(demo or FIRST_RUN_DEMO)
        open_window(proj, settings)
    except Exception as e:
        details = traceback.format_exc()
        log.error("start-up failed: %s\n%s", e, details)
        _show_startup_error(f"{e}\n\nThe details are in {log_file}.", details)
        return 1
    return int(app.exec())
