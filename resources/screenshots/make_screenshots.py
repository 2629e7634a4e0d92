"""Make the README's screenshots: the first-run demo (Goal!) generated with the animatic backend,
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


def shot(widget):  # type: ignore[no-untyped-def]
    """What is on the (virtual) screen: QWidget.grab() leaves the video area black, because
    QVideoWidget draws through its own surface; the screen has the frame. Offscreen, where
    there is no screen to read, the widget's own rendering is the best there is."""
    from PySide6.QtGui import QGuiApplication

    screen = QGuiApplication.primaryScreen()
    if QGuiApplication.platformName() == "xcb" and screen is not None:
        widget.raise_()
        widget.activateWindow()
        QGuiApplication.processEvents()
        pix = screen.grabWindow(widget.winId())
        if not pix.isNull():
            return pix
    return widget.grab()


def main() -> int:
    os.environ["SORABOARD_HOME"] = tempfile.mkdtemp(prefix="soraboard-shots-")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    from soraboard.app import demo_project, open_window
    from soraboard.settings import Settings
    from soraboard.ui import theme
    from soraboard.ui.main_window import MainWindow

    theme.apply(Settings().theme)  # as the app starts: the default theme (dark)
    win = open_window(demo_project())
    assert isinstance(win, MainWindow)
    win.resize(1600, 1000)
    started = time.time()
    state = {"stage": "generate"}

    def step() -> None:
        if state["stage"] == "generate":
            ids = [s.id for s in win.doc.storyboard.segments]
            win.generation.generate(ids, confirm=False)
            state["stage"] = "wait"
        elif state["stage"] == "wait":
            busy = bool(win.generation.active_segments())
            if busy and time.time() - started < 300:
                QTimer.singleShot(500, step)
                return
            win.doc.select([win.doc.storyboard.segments[2].id])
            win._show_tab(0)
            win.thumbnails.wait(10000)
            # a frame in the player: play a moment from the middle of the take, then pause
            win.player.player.play()
            QTimer.singleShot(400, lambda: win.player.player.setPosition(6000))
            QTimer.singleShot(1100, win.player.player.pause)
            state["stage"] = "shoot"
            QTimer.singleShot(2500, step)
            return
        elif state["stage"] == "shoot":
            # an edited prompt makes segment 4 stale: every status colour is on screen
            win.doc.set_field(win.doc.storyboard.segments[3].id, "audio",
                              "espresso machine hiss, cups clinking, low chatter")
            app.processEvents()
            shot(win).save(str(HERE / "main-window.png"))
            print("main window done")
            win.export_film()
            state["stage"] = "export"
            QTimer.singleShot(500, step)
            return
        elif state["stage"] == "export":
            dlg = win.export_dialog
            if (len(dlg.prepared) < 3 or not hasattr(dlg, "seams")) and \
                    time.time() - started < 300:
                QTimer.singleShot(500, step)
                return
            win.thumbnails.wait(10000)
            state["stage"] = "export-shot"
            QTimer.singleShot(1500, step)
            return
        elif state["stage"] == "export-shot":
            app.processEvents()
            shot(win.export_dialog).save(str(HERE / "export-dialog.png"))
            print("export dialog done")
            win.export_dialog.close()
            win.doc.undo_stack.setClean()  # quit closes the window: no "unsaved changes" box
            app.quit()
            return
        QTimer.singleShot(300, step)

    QTimer.singleShot(500, step)
    app.exec()
    win.doc.undo_stack.setClean()
    win.generation.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
