"""Export benchmark (issue 4): five 12 s 1280x720 30 fps clips, four 0.5 s crossfades.

Prints three ratios, every figure measured in this run:

1. smart export ÷ one-pass full re-encode with ffmpeg's xfade chain at the same settings
   (the Final preset: CRF 18, medium) — target ≤ 0.2;
2. cut-only smart export ÷ ``ffmpeg -f concat -c copy`` — target ≤ 1.5, which sync at every
   cut (issue 16) rules out: the sound is encoded in one pass (AAC packets of 1024 samples
   can only be copied onto a 21.3 ms grid), about 2 s for 60 s here, against 0.1 s. The
   export is one ffmpeg run (picture copied while the sound is encoded); its floor — the AAC
   encode of the film's sound alone, from PCM, with the same settings — is measured and
   printed too, so what is left above it (decode, join, copy, faststart) is visible;
3. preview re-render after changing one transition ÷ full preview render — target ≤ 0.25.

Run: ``/work/venv/bin/python tests/benchmarks/export.py [--keep DIR]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from soraboard.media.ffmpeg import find_ffmpeg
from soraboard.model.storyboard import Storyboard, Transition
from soraboard.model.storyboard import TransitionType as T
from soraboard.stitch.export import prepare_export, probe_takes, run_export
from soraboard.stitch.plan import build_plan
from soraboard.stitch.presets import PREVIEW
from soraboard.stitch.preview import SequencePreview
from soraboard.storage.bundle import load_project
from tests.stitch.helpers import ClipSpec, make_project

PATTERNS = ["testsrc2", "testsrc", "rgbtestsrc", "testsrc2", "testsrc"]
SOURCE = ("-preset", "medium", "-crf", "23")  # like a provider's clip: B-frames, CABAC


def timed(label: str, fn):  # type: ignore[no-untyped-def]
    start = time.monotonic()
    result = fn()
    took = time.monotonic() - start
    print(f"  {label:<48} {took:7.2f} s", flush=True)
    return took, result


def with_transitions(sb: Storyboard, tr: list[Transition]) -> Storyboard:
    segs = tuple(s.with_changes(transition_out=tr[i]) if i < len(tr) else s
                 for i, s in enumerate(sb.segments))
    return Storyboard(title=sb.title, default_size=sb.default_size, segments=segs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", help="work in this folder and keep it (re-uses its clips)")
    ap.add_argument("--only", choices=["1", "2", "3"], action="append",
                    help="run only these parts (ratios of the others are not printed)")
    args = ap.parse_args()
    root = Path(args.keep or tempfile.mkdtemp(prefix="soraboard-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SORABOARD_HOME", str(root / "home"))
    ff = find_ffmpeg()
    print(f"{ff.describe()}, {os.cpu_count()} cores, work in {root}")

    print("making five 12 s 1280x720 30 fps clips (x264 medium CRF 23, GOP 2 s, AAC) …")
    specs = [ClipSpec(f"clip{i}.mp4", 12.0, None, "1280x720", "30", pattern=PATTERNS[i],
                      gop=60, tone_hz=300 + 100 * i, extra=SOURCE) for i in range(5)]
    xfades = [Transition(T.CROSSFADE, 0.5)] * 4
    if (root / "Bench.soraboard").is_dir():  # --keep: the clips of an earlier run
        project = load_project(root / "Bench.soraboard")
        project.bundle.save(with_transitions(project.storyboard, xfades))
        project = load_project(root / "Bench.soraboard")
    else:
        project = make_project(root, specs, xfades, size="1280x720", name="Bench")
    out = root / "out"
    out.mkdir(exist_ok=True)

    parts = set(args.only or ["1", "2", "3"])
    naive = smart = concat = cut = full = again = again2 = float("nan")
    if "1" in parts:
        naive, smart = part_one(project, out)
    if "2" in parts:
        concat, cut = part_two(project, out, specs, ff.path)
    if "3" in parts:
        full, again, again2 = part_three(project, out, root)
    print()
    print(f"smart ÷ one-pass xfade re-encode     {smart / naive:6.3f}   (target ≤ 0.2)")
    print(f"cut-only ÷ concat -c copy            {cut / concat:6.3f}   (target ≤ 1.5; the sound is "
          "encoded: copied AAC lands on a 21.3 ms grid, never in sync at every cut)")
    print(f"preview change ÷ full preview        {again / full:6.3f}   (target ≤ 0.25; "
          f"length change {again2 / full:.3f})")
    return 0


def part_one(project, out):  # type: ignore[no-untyped-def]
    print("1. crossfades")
    final = prepare_export(project, "final")
    naive, _ = timed("one-pass xfade re-encode (Final, CRF 18 medium)",
                     lambda: run_export(final, out / "naive.mp4"))
    smart_prep = prepare_export(project, "smart")
    print(f"  smart plan: {smart_prep.summary}")
    smart, res = timed("smart export", lambda: run_export(smart_prep, out / "smart.mp4"))
    print(f"  smart notes: {list(res.notes) or 'none (avc1)'}")
    where_the_time_goes(res)
    return naive, smart


def where_the_time_goes(result) -> None:  # type: ignore[no-untyped-def]
    """Each step's seconds, and per kind (windows, audio, copy, checks, concat)."""
    kinds: dict[str, float] = {}
    for label, took in result.timings:
        kind = ("windows" if label.startswith("Encoding") else "audio" if "sound" in label
                else "copy" if label.startswith("Copying") else "checks"
                if label.startswith("Checking") else "concat" if label.startswith("Joining")
                else label)
        kinds[kind] = kinds.get(kind, 0.0) + took
        print(f"    {label:<46} {took:7.2f} s")
    print("  by kind (windows run two at a time, the audio beside them): "
          + ", ".join(f"{k} {v:.2f} s" for k, v in kinds.items()))


def part_two(project, out, specs, ffmpeg):  # type: ignore[no-untyped-def]
    print("2. cut-only")
    cuts = with_transitions(project.storyboard, [Transition()] * 4)
    project.bundle.save(cuts)
    cut_project = load_project(project.bundle.path)
    listing = out / "list.txt"
    listing.write_text("".join(f"file '{project.bundle.media_dir / s.name}'\n" for s in specs))
    # both take a fraction of a second: the median of five runs each, interleaved, so one
    # scheduling hiccup on a shared machine does not decide the ratio
    cut_prep = prepare_export(cut_project, "smart")
    print(f"  cut-only plan: {cut_prep.summary}")
    concats, cuts_t = [], []
    for n in range(5):
        concats.append(timed(f"ffmpeg -f concat -c copy (run {n + 1})", lambda: subprocess.run(
            [ffmpeg, "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
             "-c", "copy", str(out / "concat.mp4")], check=True))[0])
        took, res = timed(f"cut-only smart export (run {n + 1})",
                          lambda: run_export(cut_prep, out / "cut.mp4"))
        cuts_t.append(took)
    where_the_time_goes(res)
    concat, cut = statistics.median(concats), statistics.median(cuts_t)
    print(f"  medians: concat {concat:.3f} s, cut-only smart {cut:.3f} s")
    floor = aac_floor(out / "cut.mp4", out, ffmpeg, cut_prep.plan.preset.audio_args)
    print(f"  floor: AAC encode of the film's sound alone {floor:.3f} s "
          f"(÷ concat {floor / concat:.1f}; the export is {cut - floor:+.3f} s above it)")
    _prep, _ = timed("(preparing the cut-only export: probes, not in the ratio)",
                    lambda: prepare_export(cut_project, "smart"))
    project.bundle.save(project.storyboard)
    return concat, cut


def aac_floor(film: Path, out: Path, ffmpeg: str, audio_args: tuple[str, ...]) -> float:
    """Median of three AAC encodes of ``film``'s sound from a PCM file (decoded first, not
    timed), with the export's audio settings: what exact sync costs at the least."""
    wav = out / "floor.wav"
    subprocess.run([ffmpeg, "-v", "error", "-y", "-i", str(film), "-map", "0:a:0",
                    "-c:a", "pcm_f32le", str(wav)], check=True)
    took = []
    for _ in range(3):
        start = time.monotonic()
        subprocess.run([ffmpeg, "-v", "error", "-y", "-i", str(wav), *audio_args,
                        "-f", "mp4", str(out / "floor.m4a")], check=True)
        took.append(time.monotonic() - start)
    return statistics.median(took)


def part_three(project, out, root):  # type: ignore[no-untyped-def]
    print("3. incremental preview")
    import shutil

    shutil.rmtree(root / "preview-cache", ignore_errors=True)
    files, probes, _ = probe_takes(project)
    preview = SequencePreview(root / "preview-cache")

    def plan_for(sb: Storyboard):  # type: ignore[no-untyped-def]
        return build_plan(sb, project.takes, files, probes, PREVIEW)

    full, _ = timed("full preview render (cold cache)",
                    lambda: preview.render(plan_for(project.storyboard), out / "p1.mp4"))
    changed = with_transitions(project.storyboard,
                               [Transition(T.CROSSFADE, 0.5), Transition(T.WIPE_LEFT, 0.5),
                                Transition(T.CROSSFADE, 0.5), Transition(T.CROSSFADE, 0.5)])
    again, r = timed("re-render after changing one transition's type",
                     lambda: preview.render(plan_for(changed), out / "p2.mp4"))
    print(f"  re-rendered {r.rendered}, reused {r.reused}")
    longer = with_transitions(changed, [Transition(T.CROSSFADE, 0.5),
                                        Transition(T.WIPE_LEFT, 1.0),
                                        Transition(T.CROSSFADE, 0.5),
                                        Transition(T.CROSSFADE, 0.5)])
    again2, r2 = timed("re-render after changing one transition's length",
                       lambda: preview.render(plan_for(longer), out / "p3.mp4"))
    print(f"  re-rendered {r2.rendered}, reused {r2.reused}")
    return full, again, again2


if __name__ == "__main__":
    raise SystemExit(main())
