"""Make the README's screenshots: the City morning demo generated with the animatic backend,
the main window mid-review, and the export dialog with its seam report.

    xvfb-run -a -s "-screen 0 1920x1200x24" python resources/screenshots/make_screenshots.py

Runs in a throw-away SORABOARD_HOME, so it never touches your own projects or settings.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    os.environ["SORABOARD_HOME"] = tempfile.mkdtemp(prefix="soraboard-shots-")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    from soraboard.app import demo_project, open_window
    from soraboard.ui.main_window import MainWindow

    win = open_window(demo_project())
    assert isinstance(win, MainWindow)
    win.resize(1600, 1000)
    win._confirm = lambda _title, _text: True  # type: ignore[method-assign]
    started = time.time()
    state = {"stage": "generate"}

    def step() -> None:
        if state["stage"] == "generate":
            # segments 1–3 generated, 4 and 5 left as drafts
            ids = [s.id for s in win.doc.storyboard.segments]
            win._generate(ids[:3], confirm=False)
            state["stage"] = "wait"
        elif state["stage"] == "wait":
            busy = win.jobs is not None and bool(win.jobs.running_segments()
                                                 or win.jobs.pending_segments())
            if busy and time.time() - started < 300:
                QTimer.singleShot(500, step)
                return
            win.doc.select([win.doc.storyboard.segments[2].id])
            win._show_tab(0)
            win.thumbnails.wait(10000)
            state["stage"] = "shoot"
            QTimer.singleShot(1500, step)
            return
        elif state["stage"] == "shoot":
            app.processEvents()
            win.grab().save(str(HERE / "main-window.png"))
            win.doc.set_field(win.doc.storyboard.segments[1].id, "audio", "street ambience, a "
                              "tram bell, distant traffic")
            app.processEvents()
            win.grab().save(str(HERE / "main-window-stale.png"))
            win.doc.undo_stack.undo()
            print("main window done")
            app.quit()
            return
        QTimer.singleShot(300, step)

    QTimer.singleShot(500, step)
    app.exec()
    win.doc.undo_stack.setClean()
    if win.jobs is not None:
        win.jobs.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
