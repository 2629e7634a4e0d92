"""Keyframe-mode benchmark (a script, not collected by pytest).

    .venv/bin/python tests/benchmarks/keyframes.py [--latency 6] [--shots 5]

A film of five chained 12 s 1280x720 shots against the loopback Videos server (OpenRouter
dialect), every job taking a fixed latency L, generated twice in the same run:

* chained: each shot starts on the real last frame of the one before, so the clips run one
  after another (≈ shots × L plus every hand-off);
* keyframe mode: shot n ends on still K(n) and shot n+1 starts on it, so nothing waits for a
  previous clip and every clip starts at once (the profile's concurrency is the number of
  shots). The stills are imported files here (the stills backend, issue 17.1, would add l
  per still first).

Both use the engine's adaptive polling with the profile's default 5 s cap. The last line is
the figure: ``keyframe mode wall ÷ one clip: R (chained: C)`` (target R ≤ 1.3).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from soraboard.generation.engine import GenerationEngine, run_generation  # noqa: E402
from soraboard.generation.openai_backend import OpenAIBackend  # noqa: E402
from soraboard.model.storyboard import RefMode, Storyboard  # noqa: E402
from soraboard.storage.bundle import Bundle  # noqa: E402
from tests.generation.conftest import TEST_MODEL, seg  # noqa: E402
from tests.helpers.fake_videos_server import FakeVideosServer, make_clip_bytes  # noqa: E402

MODEL = "bench-keyframes"
SIZE = "1280x720"
SECONDS = 12.0


def _setup_home(tmp: Path) -> None:
    from soraboard.catalog.catalog import reset_default_catalog

    os.environ["SORABOARD_HOME"] = str(tmp / "home")
    cfg = tmp / "home" / "config"
    cfg.mkdir(parents=True, exist_ok=True)
    model = {**TEST_MODEL, "id": MODEL, "sizes": [SIZE], "durations": [SECONDS],
             "prices": [{"sizes": [SIZE], "usd_per_second": "0.10"}], "last_frame": True}
    (cfg / "models.json").write_text(json.dumps({"models": [model]}))
    reset_default_catalog()


def _still(path: Path, n: int) -> None:
    import cv2
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    w, h = (int(x) for x in SIZE.split("x"))
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = (40 + 30 * n, 90, 200 - 30 * n)
    cv2.imwrite(str(path), img)


def film(shots: int, keyframes: bool) -> Storyboard:
    segs = []
    for i in range(shots):
        s = seg(i + 1, chain=i > 0, seconds=SECONDS, size=SIZE, model=MODEL)
        if keyframes and i > 0:
            s = s.with_changes(ref_mode=RefMode.CUSTOM, reference_image=f"media/stills/k{i}.png")
        if keyframes and i < shots - 1:
            s = s.with_changes(last_keyframe=f"media/stills/k{i + 1}.png")
        segs.append(s)
    return Storyboard(title="Bench", default_model=MODEL, default_size=SIZE,
                      segments=tuple(segs))


def run(tmp: Path, clips: Path, latency: float, shots: int, keyframes: bool) -> float:
    name = "Keyframes" if keyframes else "Chained"
    sb = film(shots, keyframes)
    bundle = Bundle.create(tmp / name, sb)
    if keyframes:
        for i in range(1, shots):
            _still(bundle.media_dir / "stills" / f"k{i}.png", i)
    with FakeVideosServer(clips, latency=latency) as srv:
        backend = OpenAIBackend(name="bench", base_url=srv.base_url, api_key="k",
                                concurrency=shots, dialect="openrouter")
        t0 = time.monotonic()
        result = run_generation(GenerationEngine(bundle, backend, check_faces=False), sb, {},
                                [s.id for s in sb.segments])
        wall = time.monotonic() - t0
        assert result.ok, result.failures
        assert sorted(srv.state.creates.values()) == [1] * shots
    modes = "keyframe" if keyframes else "chain"
    print(f"{name.lower()}: {shots} shots of {SECONDS:g} s {SIZE}, {latency:g} s per clip, "
          f"every boundary held by {modes}: wall {wall:.2f} s = {wall / latency:.2f} x L")
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latency", type=float, default=6.0, help="seconds per clip (default 6)")
    ap.add_argument("--shots", type=int, default=5, help="shots in the film (default 5)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="soraboard-bench-") as d:
        tmp = Path(d)
        _setup_home(tmp)
        clips = tmp / "clips"
        clips.mkdir()
        make_clip_bytes(SIZE, f"{SECONDS:g}", clips)  # the server's clip, outside the timing
        chained = run(tmp, clips, args.latency, args.shots, keyframes=False)
        keyed = run(tmp, clips, args.latency, args.shots, keyframes=True)
    print(f"keyframe mode wall ÷ one clip: {keyed / args.latency:.2f} "
          f"(chained: {chained / args.latency:.2f})")


if __name__ == "__main__":
    main()
