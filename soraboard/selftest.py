"""``soraboard self-test``: the whole app, end to end, in under a minute — for an installed
wheel, a pipx install and the frozen (PyInstaller) app alike.

It creates the QApplication (offscreen when there is no display), opens the *City morning* demo
in the real :class:`~soraboard.ui.main_window.MainWindow`, keeps its first shot (4 s), generates
it with the offline animatic backend through the window's real JobManager, plays the take
through QMediaPlayer until frames reach the QVideoSink, exports the one-shot film with the
Preview preset through the real export job, checks the file, and exits 0. Each step prints
its time. Any failure prints one line ``self-test: FAILED in STEP: reason`` and exits 1; a
watchdog ends a stuck run (exit 3).

Every user directory goes under the output folder (``SORABOARD_HOME``, unless it is already
set), so a self-test never touches the user's settings, recent projects or keyring entries.

Qt is imported only when the command runs: registering it keeps ``soraboard cost`` and the
other headless commands Qt-free.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

DEMO = "city-morning"
SEGMENT_SECONDS = 4.0
DEFAULT_TIMEOUT = 240.0
#: frames that must reach the video sink before playback counts as working
MIN_FRAMES = 5
#: printed once the main window is on screen; packaging/smoke_test.py times this line
WINDOW_SHOWN = "window shown"


class SelfTestFailure(Exception):
    def __init__(self, step: str, reason: str) -> None:
        super().__init__(f"{step}: {reason}")
        self.step, self.reason = step, reason


class _Clock:
    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.step = "start"
        self._t = self.start
        self.timings: list[tuple[str, float]] = []

    def begin(self, step: str) -> None:
        self.step = step
        self._t = time.perf_counter()

    def done(self, detail: str = "") -> None:
        dt = time.perf_counter() - self._t
        self.timings.append((self.step, dt))
        print(f"  {self.step:<12} {dt:6.2f} s  {detail}".rstrip(), flush=True)

    def total(self) -> float:
        return time.perf_counter() - self.start


def _ensure_platform() -> str | None:
    """Offscreen when nothing else can show a window (a server, CI, a container)."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return None
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                 or os.environ.get("WAYLAND_DISPLAY")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return "no display: running offscreen"
    return None


def _wait(app: Any, ready: Callable[[], bool], timeout: float, what: str,
          failed: Callable[[], str | None] = lambda: None) -> None:
    """Run the event loop until ``ready()`` (checked every 20 ms), ``failed()`` gives a reason,
    or ``timeout`` seconds pass. No sleeping: the GUI keeps running while it waits."""
    from PySide6.QtCore import QDeadlineTimer, QEventLoop, QTimer

    deadline = QDeadlineTimer(int(timeout * 1000))
    outcome: list[str | None] = []
    loop = QEventLoop()

    def check() -> None:
        if outcome:
            return
        try:
            reason = failed()
            if reason:
                outcome.append(reason)
            elif ready():
                outcome.append(None)
            elif deadline.hasExpired():
                outcome.append(f"not done after {timeout:g} s")
        except Exception as e:  # a slot must not raise: report it as this step's failure
            outcome.append(f"{type(e).__name__}: {e}")
        if outcome:
            loop.quit()

    check()
    if not outcome:
        timer = QTimer()
        timer.setInterval(20)
        timer.timeout.connect(check)
        timer.start()
        loop.exec()
        timer.stop()
    if outcome[0] is not None:
        raise SelfTestFailure(what, outcome[0])


def _watch_modal_dialogs(app: Any) -> Any:
    """A modal dialog would wait for a click forever: fail with its text instead."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    def check() -> None:
        w = app.activeModalWidget()
        if w is None:
            return
        text = w.text() if isinstance(w, QMessageBox) else type(w).__name__
        print(f"self-test: FAILED: unexpected dialog {w.windowTitle()!r}: "
              f"{' '.join(str(text).split())}", flush=True)
        os._exit(1)  # inside the dialog's own event loop: nothing else can end it

    timer = QTimer(app)
    timer.setInterval(200)
    timer.timeout.connect(check)
    timer.start()
    return timer


def _icon_file() -> Path:
    from importlib import resources

    ref = resources.files("soraboard") / "resources" / "icons" / "soraboard.svg"
    path = Path(str(ref))
    if not path.is_file():
        raise SelfTestFailure("start", f"the application icon is missing ({path})")
    return path


def run(out: Path, timeout: float = DEFAULT_TIMEOUT) -> int:
    clock = _Clock()
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SORABOARD_HOME", str(out / "home"))
    note = _ensure_platform()

    def on_timeout() -> None:
        print(f"self-test: FAILED in {clock.step}: timed out after {timeout:g} s", flush=True)
        os._exit(3)

    watchdog = threading.Timer(timeout, on_timeout)
    watchdog.daemon = True
    watchdog.start()
    from soraboard import __version__

    print(f"soraboard {__version__} self-test — frozen: {bool(getattr(sys, 'frozen', False))}, "
          f"output: {out}" + (f" ({note})" if note else ""), flush=True)
    try:
        _run_steps(clock, out, timeout)
    except SelfTestFailure as e:
        print(f"self-test: FAILED in {e.step}: {' '.join(e.reason.split())}", flush=True)
        return 1
    except Exception as e:  # a bug or a missing piece of the build: one line, exit 1
        print(f"self-test: FAILED in {clock.step}: {type(e).__name__}: "
              f"{' '.join(str(e).split())}", flush=True)
        return 1
    finally:
        watchdog.cancel()
    print(f"self-test: OK in {clock.total():.1f} s", flush=True)
    return 0


def _run_steps(clock: _Clock, out: Path, timeout: float) -> None:
    clock.begin("start")
    from PySide6.QtCore import QLibraryInfo, qVersion
    from PySide6.QtGui import QIcon
    from PySide6.QtMultimedia import QMediaPlayer
    from PySide6.QtWidgets import QApplication

    from soraboard.demos import load_demo
    from soraboard.document import Document
    from soraboard.media.ffmpeg import find_ffmpeg
    from soraboard.settings import Settings
    from soraboard.storage.bundle import Bundle, load_project
    from soraboard.ui.main_window import MainWindow

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("soraboard")
    app.setDesktopFileName("soraboard")
    icon = QIcon(str(_icon_file()))
    if icon.isNull() or icon.pixmap(32, 32).isNull():
        raise SelfTestFailure("start", "the application icon does not render (QtSvg missing?)")
    app.setWindowIcon(icon)
    guard = _watch_modal_dialogs(app)
    ff = find_ffmpeg()
    clock.done(f"Qt {qVersion()} ({QApplication.platformName()}), {ff.describe()}")

    clock.begin("open demo")
    sb = load_demo(DEMO)
    bundle = Bundle.create(out / "City morning self-test", sb)
    doc = Document(load_project(bundle.path))
    first = doc.storyboard.segments[0]
    doc.delete([s.id for s in doc.storyboard.segments[1:]])
    doc.set_fields(first.id, duration=SEGMENT_SECONDS, actions=())
    win = MainWindow(doc, Settings(autosave_seconds=0))
    win.show()
    _wait(app, lambda: win.windowHandle() is not None and win.windowHandle().isExposed(),
          30, "open demo")
    print(f"{WINDOW_SHOWN} after {clock.total():.2f} s", flush=True)
    clock.done(f"{sb.title}: 1 of {len(sb.segments)} shots kept, {SEGMENT_SECONDS:g} s")

    clock.begin("generate")
    errors: list[str] = []
    if not win.generation.generate([first.id], confirm=False):
        raise SelfTestFailure("generate", "the window did not start the job")
    jobs = win.generation.jobs
    if jobs is None or jobs.backend.name != "animatic":
        raise SelfTestFailure("generate", "the animatic backend is not the one in use")
    jobs.job_failed.connect(lambda _sid, message: errors.append(message))

    def segment_state() -> str:
        return doc.statuses()[0].state.value

    _wait(app, lambda: segment_state() == "done" and not jobs.running_segments(), timeout,
          "generate", lambda: errors[0] if errors else (
              f"the segment ended {segment_state()}: {doc.statuses()[0].reason}"
              if segment_state() in ("failed", "cancelled") else None))
    take_id = doc.storyboard.segments[0].chosen_take
    if take_id is None or take_id not in doc.takes:
        raise SelfTestFailure("generate", "the segment is done but has no chosen take")
    take = doc.takes[take_id]
    clock.done(f"take {take_id} by {take.provider}")

    clock.begin("play")
    from soraboard.ui.player import FrameCounter

    play_errors: list[str] = []
    sink = win.player.sink
    frames = FrameCounter(sink, win)  # a GUI-thread slot: never a lambda on the render thread
    win.player.player.errorOccurred.connect(
        lambda _e, message: play_errors.append(message or "QMediaPlayer error"))
    win.preview.play_take(take_id)
    if win.player.source is None:
        raise SelfTestFailure("play", "the take has no playable file")
    _wait(app, lambda: frames.count >= MIN_FRAMES, 60, "play",
          lambda: play_errors[0] if play_errors else (
              "the media is invalid" if win.player.player.mediaStatus()
              == QMediaPlayer.MediaStatus.InvalidMedia else None))
    win.player.player.pause()
    size = sink.videoSize()
    clock.done(f"{frames.count} frames {size.width()}x{size.height()} reached the video sink "
               f"(multimedia plugins: {_multimedia_plugins(QLibraryInfo)})")

    clock.begin("export")
    from soraboard.media.probe import probe
    from soraboard.stitch.presets import PresetName
    from soraboard.workers.export import ExportJob, SummariesJob

    result: dict[str, Any] = {}
    summaries = SummariesJob(doc.snapshot(), None, False)
    summaries.signals.done.connect(lambda r: result.__setitem__("prepared", r))
    summaries.signals.failed.connect(lambda m: result.__setitem__("error", m))
    win.preview.stitch.start(summaries)
    _wait(app, lambda: "prepared" in result, 120, "export",
          lambda: result.get("error"))
    prepared = result["prepared"][PresetName.PREVIEW]
    film = out / "self-test.mp4"
    job = ExportJob(prepared, film)
    job.signals.done.connect(lambda r: result.__setitem__("export", r))
    job.signals.failed.connect(lambda m: result.__setitem__("error", m))
    job.signals.cancelled.connect(lambda: result.__setitem__("error", "cancelled"))
    win.preview.stitch.start(job)
    _wait(app, lambda: "export" in result, timeout, "export", lambda: result.get("error"))
    info = probe(film)
    if info.video is None or abs(info.duration - SEGMENT_SECONDS) > 0.2:
        raise SelfTestFailure("export", f"the film is wrong: {info}")
    clock.done(f"{film.name}: {info.duration:.2f} s, {info.video.size}, "
               f"{film.stat().st_size / 1e6:.2f} MB")

    clock.begin("bundle")
    clock.done(_check_bundle(doc.snapshot(), prepared.plan, out))

    clock.begin("close")
    if not win.files.save():
        raise SelfTestFailure("close", "saving the project failed")
    win.close()
    _wait(app, lambda: not win.isVisible(), 30, "close")
    guard.stop()
    win.deleteLater()
    app.processEvents()
    clock.done()


def _check_bundle(project: Any, plan: Any, out: Path) -> str:
    """The pieces a frozen build can lose without the steps above noticing: the OTIO adapter
    and its plugin manifest, OpenCV's face cascade, keyring's backend entry points, the
    package metadata the About dialog reads."""
    import importlib.metadata

    from soraboard.generation.frames import face_detector
    from soraboard.licences import bundled_components
    from soraboard.stitch.otio import write_otio

    otio_file = write_otio(project, out / "self-test.otio", plan)
    if "Timeline" not in otio_file.read_text("utf-8")[:2000]:
        raise SelfTestFailure("bundle", "the OTIO timeline was not written")
    import cv2

    xml, why = face_detector()
    if xml is None and int(cv2.__version__.split(".")[0]) < 5:
        raise SelfTestFailure("bundle", why)
    if xml is not None and getattr(cv2, "CascadeClassifier")(str(xml)).empty():  # noqa: B009
        raise SelfTestFailure("bundle", f"OpenCV cannot load {xml.name}")
    backends = sorted(ep.name for ep in importlib.metadata.entry_points(group="keyring.backends"))
    if not backends:
        raise SelfTestFailure("bundle", "keyring's backends are not registered (entry points "
                                        "missing from the build)")
    unknown = [c.name for c in bundled_components() if c.version is None]
    if unknown:
        raise SelfTestFailure("bundle", "no version for " + ", ".join(unknown)
                              + " (package metadata missing from the build)")
    return (f"OTIO written, face cascade {'found' if xml else 'absent (OpenCV 5)'}, "
            f"keyring backends {', '.join(backends)}, licences of "
            f"{len(bundled_components())} components")


def _multimedia_plugins(library_info: Any) -> str:
    """The multimedia backends Qt can load here (``ffmpeg`` on Linux and Windows)."""
    folder = Path(library_info.path(library_info.LibraryPath.PluginsPath)) / "multimedia"
    names = sorted(p.name for p in folder.glob("*") if p.is_file()) if folder.is_dir() else []
    return ", ".join(names) or f"none in {folder}"


def cmd_self_test(args: argparse.Namespace) -> int:
    if args.out:
        return run(Path(args.out).absolute(), args.timeout)
    folder = Path(tempfile.mkdtemp(prefix="soraboard-self-test-"))
    try:
        return run(folder, args.timeout)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "self-test", help="check this installation end to end: open the demo, generate one "
                          "animatic shot, play it, export it (offscreen when there is no display)")
    p.add_argument("--out", metavar="DIR",
                   help="keep the project, the film and the logs here (default: a temporary "
                        "folder, deleted afterwards)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S",
                   help=f"give up after this many seconds (default {DEFAULT_TIMEOUT:g})")
    p.set_defaults(func=cmd_self_test)
