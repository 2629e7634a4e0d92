"""Running ffmpeg with progress and cancel, and writing the film only when it is complete.

A job is a list of :class:`Step` s (ffmpeg runs, or small Python actions between them); steps
marked ``parallel`` start at once and run beside the others (the smart export's one-pass audio
encode). ffmpeg's ``-progress pipe:1`` output is parsed into a 0–1 fraction per step, weighted
into one :class:`Progress` with an ETA. Everything is polled from the calling thread, so the
progress callback is always called there (a Qt worker can emit a signal from it).

:func:`run_to_file` writes into a temp file beside the target and renames it only on success;
failure, cancel or a full disk remove the temp file and leave an earlier film at that path
untouched. A failure raises :class:`ExportError` carrying the tail of ffmpeg's stderr.
"""

from __future__ import annotations

import collections
import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from soraboard.media.children import dies_with_parent
from soraboard.media.ffmpeg import FFmpeg, FFmpegError, lower_priority, stderr_tail
from soraboard.model.timing import fmt_duration
from soraboard.storage.atomic import fsync_dir, new_file_mode

#: in a step's args, replaced by the temp file the film is written to
OUTPUT = "\x00output"


class ExportError(FFmpegError):
    """The export failed; the message says which step and carries ffmpeg's stderr tail."""


class ExportCancelled(Exception):
    """The export was cancelled; nothing was written at the target."""


class CancelToken:
    """Set from any thread to stop an export; the runner terminates ffmpeg within ~0.1 s."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


@dataclass(frozen=True)
class Progress:
    """What the export dialog shows: ``Encoding transition 2 of 2 · 71 % · about 3 s left``."""

    fraction: float  #: 0–1 of the whole export
    eta: float | None  #: seconds left, None until there is enough to estimate from
    stage: str  #: what is being done now, e.g. "Encoding transition 2 of 2"
    step: int  #: 1-based index of the current step
    steps: int
    elapsed: float

    @property
    def percent(self) -> int:
        return min(int(self.fraction * 100), 100)

    @property
    def text(self) -> str:
        parts = [self.stage, f"{self.percent} %"]
        if self.eta is not None and self.fraction < 1.0:
            parts.append(f"about {format_eta(self.eta)} left")
        return " · ".join(parts)


def format_eta(seconds: float) -> str:
    """Time left, never shown as "0 s" while work remains."""
    return fmt_duration(max(seconds, 1.0))


ProgressCallback = Callable[[Progress], None]


@dataclass
class Step:
    """One ffmpeg run (``args``) or Python action (``action``) of an export."""

    label: str  #: shown to the user, e.g. "Encoding transition 1 of 4"
    args: Sequence[str] = ()
    seconds: float = 0.0  #: media length this run writes (ffmpeg's out_time reaches it)
    weight: float = 1.0  #: relative cost, for the overall fraction and ETA
    parallel: bool = False  #: start at once and run beside the sequential steps
    #: wait for every parallel step to finish first (it needs what they write)
    after_parallel: bool = False
    action: Callable[[], None] | None = None
    what: str = ""  #: for error messages; defaults to the label
    #: may run beside the neighbouring concurrent steps (at most ``jobs`` at once); the next
    #: step that is not concurrent waits for them all
    concurrent: bool = False
    #: when it started and ended (``time.monotonic``), filled in by the runner
    started: float | None = field(default=None, compare=False)
    finished: float | None = field(default=None, compare=False)

    @property
    def took(self) -> float | None:
        """Seconds it ran (None until it has finished)."""
        if self.started is None or self.finished is None:
            return None
        return self.finished - self.started


def default_jobs() -> int:
    """How many concurrent steps run at once: one per core, at most two (an x264 window
    already uses more than one core; two keep both cores busy between its serial parts)."""
    return max(1, min(os.cpu_count() or 1, 2))


class FFmpegProcess:
    """A running ffmpeg with its progress parsed and its stderr tail kept."""

    def __init__(self, ffmpeg: FFmpeg, args: Sequence[str], seconds: float, what: str) -> None:
        self.what = what
        self.seconds = max(seconds, 1e-6)
        self.fraction = 0.0
        self._tail: collections.deque[str] = collections.deque(maxlen=60)
        #: set when ffmpeg closed its stdout, i.e. it is exiting: waiting on this wakes the
        #: runner at once, where Popen.wait(timeout) polls with sleeps of up to 50 ms
        self.exiting = threading.Event()
        cmd = [ffmpeg.path, "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
               "-progress", "pipe:1", "-nostats", "-stats_period", "0.25", *args]
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0), **dies_with_parent())
        lower_priority(self.proc.pid)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        # two readers so neither pipe can fill up and stall ffmpeg
        self._threads = [
            threading.Thread(target=self._read_progress, args=(self.proc.stdout,), daemon=True),
            threading.Thread(target=self._read_stderr, args=(self.proc.stderr,), daemon=True),
        ]
        for t in self._threads:
            t.start()

    def _read_progress(self, stream: IO[bytes]) -> None:
        try:
            for raw in stream:
                key, _, value = raw.decode("ascii", "replace").strip().partition("=")
                if key in ("out_time_us", "out_time_ms"):  # both are microseconds
                    with contextlib.suppress(ValueError):
                        self.fraction = min(max(int(value) / 1e6 / self.seconds, 0.0), 1.0)
                elif key == "progress" and value == "end":
                    self.fraction = 1.0
        finally:
            self.exiting.set()

    def _read_stderr(self, stream: IO[bytes]) -> None:
        for raw in stream:
            self._tail.append(raw.decode("utf-8", "replace").rstrip())

    @property
    def stderr(self) -> str:
        return "\n".join(self._tail)

    def poll(self) -> int | None:
        return self.proc.poll()

    def terminate(self) -> None:
        """Stop ffmpeg: SIGTERM, then SIGKILL if it has not gone after 3 s."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.join()

    def join(self) -> None:
        """Wait for the readers, then close the pipes (they are at EOF once ffmpeg exited)."""
        for t in self._threads:
            t.join(5)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()

    def check(self) -> None:
        """Raise :class:`ExportError` if ffmpeg failed."""
        code = self.proc.wait()
        self.join()
        if code != 0:
            raise ExportError(f"{self.what} failed (ffmpeg exit {code})", self.stderr, code)


@dataclass
class _Tracker:
    steps: Sequence[Step]
    on_progress: ProgressCallback | None
    started: float = field(default_factory=time.monotonic)
    fractions: list[float] = field(default_factory=list)
    last_emit: float = 0.0

    def __post_init__(self) -> None:
        self.fractions = [0.0] * len(self.steps)

    def emit(self, current: int, force: bool = False) -> None:
        if self.on_progress is None:
            return
        now = time.monotonic()
        if not force and now - self.last_emit < 0.1:
            return
        self.last_emit = now
        total = sum(s.weight for s in self.steps) or 1.0
        frac = sum(s.weight * f for s, f in zip(self.steps, self.fractions)) / total
        elapsed = now - self.started
        eta = elapsed * (1 - frac) / frac if frac >= 0.03 and elapsed >= 0.3 else None
        if frac >= 1.0:
            eta = 0.0
        step = self.steps[current] if current < len(self.steps) else self.steps[-1]
        self.on_progress(Progress(min(frac, 1.0), eta, step.label, min(current + 1,
                                  len(self.steps)), len(self.steps), elapsed))


def _wait_a_little(running: Sequence[tuple[int, FFmpegProcess]]) -> None:
    """Block up to 50 ms on the first process (returns as soon as it exits)."""
    if running:
        first = running[0][1]
        if first.exiting.wait(0.05):
            # its output is closed: the exit is a matter of microseconds, reap it
            with contextlib.suppress(subprocess.TimeoutExpired):
                first.proc.wait(5)


def run_steps(steps: Sequence[Step], ffmpeg: FFmpeg, *, output: Path | None = None,
              on_progress: ProgressCallback | None = None,
              cancel: CancelToken | None = None, jobs: int | None = None) -> None:
    """Run ``steps`` in order (``parallel`` ones alongside, runs of ``concurrent`` ones up to
    ``jobs`` at once); raise on failure or cancel."""
    tracker = _Tracker(steps, on_progress)
    running: list[tuple[int, FFmpegProcess]] = []
    jobs = jobs or default_jobs()

    def concurrent_running() -> list[tuple[int, FFmpegProcess]]:
        return [(i, p) for i, p in running if steps[i].concurrent]

    def fill(args: Sequence[str]) -> list[str]:
        return [str(output) if a == OUTPUT else a for a in args]

    def start(i: int) -> FFmpegProcess:
        s = steps[i]
        s.started = time.monotonic()
        return FFmpegProcess(ffmpeg, fill(s.args), s.seconds, s.what or s.label)

    def pump(current: int) -> None:
        if cancel is not None and cancel.cancelled:
            raise ExportCancelled("export cancelled")
        for i, p in list(running):
            tracker.fractions[i] = p.fraction
            if p.poll() is not None:
                steps[i].finished = time.monotonic()
                p.check()
                tracker.fractions[i] = 1.0
                running.remove((i, p))
        tracker.emit(current)

    try:
        for i, s in enumerate(steps):
            if s.parallel:
                running.append((i, start(i)))
        for i, s in enumerate(steps):
            if s.parallel:
                continue
            pump(i)
            if s.concurrent and s.action is None:
                while len(concurrent_running()) >= jobs:
                    _wait_a_little(concurrent_running())
                    pump(i)
                running.append((i, start(i)))
                tracker.emit(i, force=True)  # each stage is shown, however fast it starts
                continue
            while concurrent_running():  # the steps before this one are done first
                _wait_a_little(concurrent_running())
                pump(i)
            while s.after_parallel and running:
                _wait_a_little(running)
                pump(i)
            if s.action is not None:
                s.started = time.monotonic()
                s.action()
                s.finished = time.monotonic()
                tracker.fractions[i] = 1.0
                continue
            proc = start(i)
            running.append((i, proc))
            while any(p is proc for _, p in running):
                _wait_a_little([(i, proc)])
                pump(i)
        while running:
            _wait_a_little(running)
            pump(len(steps) - 1)
        tracker.emit(len(steps) - 1, force=True)
    finally:
        for _, p in running:
            p.terminate()


def temp_path_for(target: Path) -> Path:
    """A fresh, hidden temp file name beside ``target`` (same file system: rename is atomic)."""
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.stem[:60]}.",
                                    suffix=f".part{target.suffix}", dir=target.parent)
    except OSError as e:
        raise ExportError(f"cannot write to {target.parent}: {e.strerror or e}") from None
    os.close(fd)
    # mkstemp makes the file private (0600); a finished film gets the usual permissions
    os.chmod(name, new_file_mode(target))
    return Path(name)


def run_to_file(target: Path, build: Callable[[Path, Path], Sequence[Step]], ffmpeg: FFmpeg, *,
                on_progress: ProgressCallback | None = None,
                cancel: CancelToken | None = None) -> None:
    """Write ``target`` by running the steps ``build(temp_output, work_dir)`` returns.

    The film appears at ``target`` only when every step succeeded (an atomic rename); on
    failure or cancel the temp file and the work folder are removed and whatever was at
    ``target`` before is left as it was.
    """
    target = Path(target).absolute()
    if target.is_dir():
        raise ExportError(f"{target} is a folder; give a file name for the film")
    if not target.parent.is_dir():
        raise ExportError(f"the folder {target.parent} does not exist")
    tmp = temp_path_for(target)
    work = Path(tempfile.mkdtemp(prefix=".soraboard-export-", dir=target.parent))
    try:
        run_steps(build(tmp, work), ffmpeg, output=tmp, on_progress=on_progress, cancel=cancel)
        if not tmp.is_file() or tmp.stat().st_size == 0:
            raise ExportError("ffmpeg finished but wrote nothing")
        try:
            os.replace(tmp, target)
        except OSError as e:
            raise ExportError(f"cannot move the finished film to {target} ({e.strerror or e})",
                              "") from e
        fsync_dir(target.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def tail(text: str) -> str:
    """The stderr lines worth showing (re-exported for callers that format errors)."""
    return stderr_tail(text)
