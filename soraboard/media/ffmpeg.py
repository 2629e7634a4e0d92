"""Finding ffmpeg and running it.

Looked for in this order: the path in settings, ``$SORABOARD_FFMPEG``, the binary shipped by
``imageio-ffmpeg`` (the default: ``pip install soraboard`` alone is enough, and it is the build the
tests run), and ``ffmpeg`` on PATH only when the bundled one is unusable. A distro ffmpeg first on
PATH is often older (Debian 12 ships 5.1) and cannot run what soraboard writes, so every
candidate must pass a version and feature check: ffmpeg 7 or newer, filter graphs read from a
file (``-/filter_complex``), and the filters and encoders soraboard uses. A candidate that fails is
skipped and the reason kept (``FFmpeg.rejected``), so Settings can say which ffmpeg is used and
why the others are not; when none works, one error lists what was tried and why each failed.

The app and the CLI call :func:`use_ffmpeg` with the path from the settings, so every component
that calls :func:`find_ffmpeg` without an argument (animatic, probe, export, preview, seams)
gets the configured binary.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from soraboard.media.children import dies_with_parent

ENV_VAR = "SORABOARD_FFMPEG"
#: filters the exporter and the animatic backend use
REQUIRED_FILTERS = ("xfade", "acrossfade", "drawtext", "afade", "amix", "loudnorm", "scale",
                    "pad", "fps", "setsar", "zoompan", "sidechaincompress")
REQUIRED_ENCODERS = ("libx264", "aac")
#: oldest ffmpeg soraboard runs: 7.0 added ``-/option FILE`` (filter graphs read from a file)
MIN_VERSION = (7, 0)


class FFmpegNotFound(RuntimeError):
    """No usable ffmpeg; the message lists every candidate tried and what was wrong with it."""


class FFmpegError(RuntimeError):
    """ffmpeg ran and failed; carries the tail of its stderr."""

    def __init__(self, message: str, stderr: str = "", returncode: int | None = None) -> None:
        self.stderr = stderr
        self.returncode = returncode
        tail = stderr_tail(stderr)
        super().__init__(f"{message}\n{tail}" if tail else message)


def stderr_tail(stderr: str, lines: int = 8) -> str:
    """The last meaningful lines of ffmpeg's stderr (progress lines dropped)."""
    kept = [ln for ln in stderr.replace("\r", "\n").splitlines()
            if ln.strip() and not ln.startswith(("frame=", "size=", "  "))]
    return "\n".join(kept[-lines:])


@dataclass(frozen=True)
class FFmpeg:
    """A checked ffmpeg binary."""

    path: str
    version: str
    source: str  #: "settings", "$SORABOARD_FFMPEG", "imageio-ffmpeg" or "PATH"
    filters: frozenset[str]
    encoders: frozenset[str]
    #: candidates tried before this one, each "source path: why it is not used"
    rejected: tuple[str, ...] = ()

    def has_filter(self, name: str) -> bool:
        return name in self.filters

    def has_encoder(self, name: str) -> bool:
        return name in self.encoders

    def describe(self) -> str:
        return f"ffmpeg {self.version} ({self.source}: {self.path})"

    def explain(self) -> str:
        """Which ffmpeg is used, and why each candidate before it is not (for Settings)."""
        lines = [f"Using {self.describe()}."]
        lines += [f"Not used: {r}" for r in self.rejected]
        return "\n".join(lines)


BACKGROUND_NICE = 10


def lower_priority(pid: int) -> None:
    """Run a render or an export below the app's own priority.

    x264 starts more threads than there are cores; at equal priority they starve the GUI
    thread and the window stutters. Lowered after start (not in ``preexec_fn``, which is not
    safe in a process with threads); best effort: a platform that refuses keeps the default.
    """
    try:
        if hasattr(os, "setpriority"):
            os.setpriority(os.PRIO_PROCESS, pid, BACKGROUND_NICE)
        elif os.name == "nt":  # pragma: no cover - Windows
            import ctypes

            kernel32 = getattr(ctypes, "windll").kernel32  # noqa: B009 - absent off Windows
            handle = kernel32.OpenProcess(0x0200, False, pid)
            if handle:
                kernel32.SetPriorityClass(handle, 0x4000)  # BELOW_NORMAL_PRIORITY_CLASS
                kernel32.CloseHandle(handle)
    except (OSError, AttributeError):
        pass


def _hidden_window_flags() -> int:
    return getattr(subprocess, "CREATE_NO_WINDOW", 0)


def _capture(path: str, args: Sequence[str], timeout: float = 20) -> str:
    out = subprocess.run(
        [path, "-hide_banner", *args], capture_output=True, text=True, errors="replace",
        timeout=timeout, stdin=subprocess.DEVNULL, creationflags=_hidden_window_flags(),
        check=False,
    )
    return out.stdout + out.stderr


def check_ffmpeg(path: str, source: str) -> FFmpeg:
    """Check one candidate; raises ValueError saying what is wrong with it."""
    if not os.path.isfile(path):
        raise ValueError("no such file")
    if not os.access(path, os.X_OK):
        raise ValueError("not executable")
    try:
        banner = subprocess.run(
            [path, "-version"], capture_output=True, text=True, errors="replace", timeout=20,
            stdin=subprocess.DEVNULL, creationflags=_hidden_window_flags(), check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError) as e:
        raise ValueError(f"does not run ({e})") from None
    m = re.search(r"ffmpeg version (\S+)", banner)
    if not m:
        raise ValueError("does not print an ffmpeg version banner")
    version = m.group(1)
    parsed = parse_version(version)
    if parsed is not None and parsed < MIN_VERSION:
        raise ValueError(f"version {version} is older than "
                         f"{'.'.join(map(str, MIN_VERSION))}, which soraboard needs")
    filters = frozenset(re.findall(r"^\s*[TSC.|]{2,3}\s+(\w+)\s", _capture(path, ["-filters"]),
                                   re.MULTILINE))
    encoders = frozenset(re.findall(r"^\s*[VAS][F.][S.][X.][B.][D.]\s+(\S+)",
                                    _capture(path, ["-encoders"]), re.MULTILINE))
    missing = [f for f in REQUIRED_FILTERS if f not in filters]
    missing += [e for e in REQUIRED_ENCODERS if e not in encoders]
    if missing:
        raise ValueError(f"version {version} lacks {', '.join(missing)}")
    # a build whose banner says no release number (git snapshots: "N-11234-g…") proves it runs
    # what soraboard writes by doing it
    reason = _graph_file_problem(path)
    if reason:
        raise ValueError(f"version {version} cannot read a filter graph from a file "
                         f"(-/filter_complex): {reason}")
    return FFmpeg(path, version, source, filters, encoders)


def parse_version(version: str) -> tuple[int, int] | None:
    """(major, minor) of a release banner ("7.1", "n9.0.2-17-g…", "5.1.6-0+deb12u1");
    None for snapshot builds that carry no release number."""
    m = re.match(r"n?(\d+)\.(\d+)", version)
    return (int(m.group(1)), int(m.group(2))) if m else None


def _graph_file_problem(path: str) -> str:
    """Empty when ``path`` runs a one-frame graph read with ``-/filter_complex``; else
    ffmpeg's own reason."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="soraboard-ffcheck-") as tmp:
        graph = Path(tmp) / "graph.txt"
        graph.write_text("[0:v]null[v]", encoding="utf-8")
        try:
            proc = subprocess.run(
                [path, "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "lavfi",
                 "-i", "color=c=black:s=16x16:d=0.04", "-/filter_complex", str(graph),
                 "-map", "[v]", "-frames:v", "1", "-f", "null", "-"],
                capture_output=True, text=True, errors="replace", timeout=20,
                stdin=subprocess.DEVNULL, creationflags=_hidden_window_flags(), check=False)
        except (OSError, subprocess.SubprocessError) as e:
            return str(e)
    if proc.returncode == 0:
        return ""
    return stderr_tail(proc.stderr, 2) or f"exit {proc.returncode}"


def candidates(configured: str | None = None) -> list[tuple[str, str]]:
    """(source, path) in the order they are tried."""
    out: list[tuple[str, str]] = []
    if configured:
        out.append(("settings", str(Path(configured).expanduser())))
    env = os.environ.get(ENV_VAR)
    if env:
        out.append((f"${ENV_VAR}", str(Path(env).expanduser())))
    try:
        import imageio_ffmpeg

        out.append(("imageio-ffmpeg", imageio_ffmpeg.get_ffmpeg_exe()))
    except Exception as e:  # the package is a dependency, but may be broken or stripped
        out.append(("imageio-ffmpeg", f"<unavailable: {e}>"))
    on_path = shutil.which("ffmpeg")
    if on_path:
        out.append(("PATH", on_path))
    return out


@functools.lru_cache(maxsize=8)
def _find_cached(configured: str | None, env: str | None, path_env: str | None) -> FFmpeg:
    tried: list[str] = []
    for source, path in candidates(configured):
        try:
            return replace(check_ffmpeg(path, source), rejected=tuple(tried))
        except ValueError as e:
            tried.append(f"{source} {path}: {e}")
    raise FFmpegNotFound(
        "no usable ffmpeg found. Tried: " + "; ".join(tried)
        + f". Install ffmpeg, or set its path in Settings or in ${ENV_VAR}."
    )


_configured: str | None = None


def use_ffmpeg(configured: str | None) -> None:
    """Make ``configured`` (the settings' path; None = none) the one every
    ``find_ffmpeg()`` call without an argument considers first."""
    global _configured
    _configured = configured or None


def find_ffmpeg(configured: str | None = None) -> FFmpeg:
    """The ffmpeg to use (cached per configuration): ``configured``, else the path given to
    :func:`use_ffmpeg`, then the usual order."""
    return _find_cached(configured or _configured, os.environ.get(ENV_VAR),
                        os.environ.get("PATH"))


def run_ffmpeg(args: Sequence[str], *, ffmpeg: FFmpeg | None = None, timeout: float | None = None,
               what: str = "ffmpeg", loglevel: str = "error",
               cwd: Path | str | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg to completion (no progress, no cancel: for short jobs), below the app's
    priority; raises FFmpegError. ``loglevel="info"`` when the input's banner is wanted on
    stderr; ``cwd`` for filter graphs that name files relative to a folder."""
    ff = ffmpeg or find_ffmpeg()
    cmd = [ff.path, "-hide_banner", "-nostdin", "-loglevel", loglevel, *args]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd,
                          stdin=subprocess.DEVNULL, creationflags=_hidden_window_flags(),
                          **dies_with_parent()) as p:
        lower_priority(p.pid)
        try:
            out, err_bytes = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            raise FFmpegError(f"{what} took longer than {timeout:g} s and was stopped") from None
    proc = subprocess.CompletedProcess(cmd, p.returncode, out, err_bytes)
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace")
        raise FFmpegError(f"{what} failed (exit {proc.returncode})", err, proc.returncode)
    return proc
