"""The stitcher: export plan, transitions, smart render, runner, preview, seams, OTIO.

Pure Python driving the ffmpeg binary (no Qt). What the export dialog calls:

* :func:`soraboard.stitch.export.preset_summaries` / :func:`~soraboard.stitch.export.prepare_export`
  — a :class:`~soraboard.stitch.export.PreparedExport` per preset, whose ``summary`` says what
  it will do to this film ("copies 55.4 s of the takes frame-exact, encodes 4.6 s around 2
  transitions"); raises :class:`~soraboard.stitch.plan.ExportBlocked` naming the segments
  without a usable take;
* :func:`soraboard.stitch.export.run_export` with ``on_progress`` (a
  :class:`~soraboard.stitch.runner.Progress` whose ``text`` reads "Encoding transition 2 of 2 ·
  71 % · about 3 s left") and ``cancel`` (a :class:`~soraboard.stitch.runner.CancelToken`);
* :func:`soraboard.stitch.seams.seam_report` — a :class:`~soraboard.stitch.seams.Seam` per
  boundary with a score, verdict and suggested fix;
* :class:`soraboard.stitch.preview.SequencePreview` — the incremental sequence preview;
* :func:`soraboard.stitch.otio.write_otio` — the hand-off to editors.
"""
