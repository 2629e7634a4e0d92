"""Smoke test of the frozen app: run its ``self-test`` (offscreen), check it used only what the
folder carries (its ffmpeg, its Qt plugins), and print the folder's size and the start-up time.

    python3 packaging/smoke_test.py [dist/soraboard/soraboard] [--runs 2] [--display]

Start-up time is measured from outside: from starting the process to the moment it prints
``window shown`` (the main window on the demo is on screen, exposed). The first run is a cold
start of a freshly built folder (page cache may still be warm from the build); the others are
warm starts. Exit 0 when every run passed. Standard library only: it runs with any python3.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WINDOW_SHOWN = "window shown"  # soraboard.selftest.WINDOW_SHOWN


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def biggest(folder: Path, n: int = 8) -> list[tuple[int, str]]:
    files = [(p.stat().st_size, str(p.relative_to(folder))) for p in folder.rglob("*")
             if p.is_file() and not p.is_symlink()]
    return sorted(files, reverse=True)[:n]


def clean_env(home: Path, display: bool) -> dict[str, str]:
    """No Python or Qt paths from a development shell, and no system ffmpeg on PATH: the
    frozen app must find everything inside its own folder."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "QT_", "VIRTUAL_ENV", "SORABOARD_", "LD_LIBRARY"))}
    env["PATH"] = "/usr/bin:/bin"
    env["SORABOARD_HOME"] = str(home)
    if not display:
        env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def run_once(binary: Path, out: Path, display: bool, timeout: float) -> tuple[int, float | None,
                                                                             float, str, str]:
    env = clean_env(out / "home", display)
    start = time.perf_counter()
    proc = subprocess.Popen([str(binary), "self-test", "--out", str(out)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL, cwd=str(out))
    shown: float | None = None
    lines: list[str] = []
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            if shown is None and line.startswith(WINDOW_SHOWN):
                shown = time.perf_counter() - start
            lines.append(line.rstrip("\n"))
            print("    " + line.rstrip("\n"), flush=True)
        rc = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = -9
    total = time.perf_counter() - start
    err = proc.stderr.read() if proc.stderr else ""
    return rc, shown, total, "\n".join(lines), err


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("binary", nargs="?", default=str(ROOT / "dist" / "soraboard" / "soraboard"))
    ap.add_argument("--runs", type=int, default=2, help="self-test runs (first one is cold)")
    ap.add_argument("--display", action="store_true",
                    help="use the real display (default: QT_QPA_PLATFORM=offscreen)")
    ap.add_argument("--timeout", type=float, default=300)
    args = ap.parse_args()
    binary = Path(args.binary).absolute()
    folder = binary.parent
    if not binary.is_file():
        print(f"smoke test: no frozen app at {binary} (run packaging/build.sh)")
        return 2

    size = folder_size(folder)
    print(f"== frozen app: {folder}")
    print(f"   size: {size / 2**20:.0f} MiB in {sum(1 for _ in folder.rglob('*'))} files; "
          "largest:")
    for n, name in biggest(folder):
        print(f"     {n / 2**20:7.1f} MiB  {name}")

    t0 = time.perf_counter()
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True,
                             timeout=120, env=clean_env(Path(tempfile.gettempdir()), False),
                             stdin=subprocess.DEVNULL, check=False)
    t_version = time.perf_counter() - t0
    print(f"   `soraboard --version`: {version.stdout.strip()} in {t_version:.2f} s")
    if version.returncode != 0:
        print(f"smoke test: FAILED: --version exited {version.returncode}: "
              f"{version.stderr.strip()[-500:]}")
        return 1

    failures = 0
    startups: list[float] = []
    for i in range(args.runs):
        print(f"== self-test run {i + 1} of {args.runs} ({'cold' if i == 0 else 'warm'})")
        with tempfile.TemporaryDirectory(prefix="soraboard-smoke-") as tmp:
            rc, shown, total, out, err = run_once(binary, Path(tmp), args.display, args.timeout)
        problems = []
        failed = [ln.strip() for ln in out.splitlines() if "self-test: FAILED" in ln]
        if rc != 0:
            problems.append(f"exit code {rc}" + (f" ({failed[0]})" if failed else ""))
        m = re.search(r"\(imageio-ffmpeg: (\S+)\)", out)
        if rc == 0 and (not m or not Path(m.group(1)).is_relative_to(folder)):
            problems.append("the ffmpeg used is not the one inside the app folder")
        if rc == 0 and "libffmpegmediaplugin" not in out and sys.platform.startswith("linux"):
            problems.append("Qt's ffmpeg multimedia plugin was not found")
        if rc == 0 and "frozen: True" not in out:
            problems.append("this is not a frozen app")
        if shown is not None:
            startups.append(shown)
        print(f"   run {i + 1}: {'OK' if not problems else 'FAILED: ' + '; '.join(problems)} — "
              f"window shown after {shown:.2f} s, self-test done in {total:.2f} s"
              if shown is not None else f"   run {i + 1}: FAILED: {'; '.join(problems)}")
        if problems:
            failures += 1
            print("   stderr (tail):\n" + "\n".join("     " + ln for ln in
                                                    err.strip().splitlines()[-25:]))

    print("== summary")
    print(f"   size {size / 2**20:.0f} MiB; start-up to a shown window: "
          + ", ".join(f"{s:.2f} s" for s in startups)
          + f" ({'cold, then warm' if len(startups) > 1 else 'cold'}); "
          f"`--version` {t_version:.2f} s")
    print(f"smoke test: {'OK' if not failures else f'FAILED ({failures} of {args.runs} runs)'}")
    return 0 if not failures else 1


if __name__ == "__main__":
    raise SystemExit(main())
