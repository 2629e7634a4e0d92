"""Preview: the player shows the selected segment's take (Take mode) or the whole film
through the sequence preview, rendered in a worker and re-rendered after edits (Sequence
mode); the timeline's playhead follows it and clicking the ruler seeks."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from soraboard.document import Document
from soraboard.model.take import chosen_take
from soraboard.model.timing import trim_range
from soraboard.stitch.plan import ExportPlan
from soraboard.storage.errors import ProjectError
from soraboard.ui.ask import Ask
from soraboard.ui.controllers import SettingsGetter
from soraboard.ui.player import PlayerWidget
from soraboard.ui.timeline import TimelineView
from soraboard.workers.export import PreviewJob, StitchRunner

#: the sequence preview is re-rendered this long after the last edit (ms)
PREVIEW_DELAY_MS = 1500


class PreviewController(QObject):
    message = Signal(str, int)  #: status-bar text, ms

    def __init__(self, doc: Document, settings: SettingsGetter, ask: Ask,
                 player: PlayerWidget, timeline: TimelineView,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.settings = settings
        self.ask = ask
        self.player = player
        self.timeline = timeline
        self.stitch = StitchRunner(self)
        self.preview_job: PreviewJob | None = None
        self.preview_plan: ExportPlan | None = None
        self.preview_path: Path | None = None  #: the last sequence preview rendered
        self.dirty = True
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self.render_sequence)
        doc.storyboard_changed.connect(self._on_document_changed)
        doc.takes_changed.connect(self._on_document_changed)
        player.mode_changed.connect(self.on_mode_changed)
        player.position_changed.connect(self._on_player_position)
        timeline.canvas.seek_requested.connect(self.seek_film)

    @property
    def sequence_mode(self) -> bool:
        return self.player.mode.value() == "sequence"

    # ------------------------------------------------------------------ take mode

    def show_selected(self) -> None:
        """Show the selected segment: its take (Take mode) or its place in the film."""
        if self.sequence_mode:
            idx = self.doc.current_index()
            if idx is not None and self.player.source is not None:
                t = self.timeline.canvas.layouts[idx].start
                self.player.seek(t)
                self.timeline.canvas.set_playhead(t)
            return
        idx = self.doc.current_index()
        if idx is None:
            self.player.show_slate("Nothing selected", "Select a segment on the timeline.")
            return
        seg = self.doc.storyboard.segments[idx]
        take = chosen_take(seg, self.doc.takes)
        if take is None or not take.usable or take.file is None:
            self.player.show_slate(f"{idx + 1} · {seg.title}",
                                   "No take yet — generate this segment (Ctrl+G) or drop a clip "
                                   "on the timeline.")
            return
        try:
            path = self.doc.bundle.resolve(take.file)
        except ProjectError as e:
            self.player.show_slate("This take cannot be played", str(e))
            return
        t_in, t_out = trim_range(seg, self.doc.takes)
        self.player.loop_range = (t_in, t_out)  # "loop segment" plays the part the film uses
        self.player.load(path, f"Take · segment {idx + 1} of {len(self.doc.storyboard.segments)}",
                         start=seg.trim_in)
        self._take_playhead(seg.trim_in)

    def take_chosen(self, segment_id: str) -> None:
        if segment_id == self.doc.current_id:
            self.show_selected()

    def play_take(self, take_id: str) -> None:
        take = self.doc.takes.get(take_id)
        if take is None or not take.usable or take.file is None:
            return
        try:
            path = self.doc.bundle.resolve(take.file)
        except ProjectError:
            return
        self.player.mode.set_value("take")
        self.player.loop_range = None
        self.player.load(path, f"Take {take_id}")
        self.player.play_now()

    def toggle_play(self) -> None:
        self.player.toggle()

    def frame_back(self) -> None:
        self.player.step(-1)

    def frame_forward(self) -> None:
        self.player.step(1)

    # ------------------------------------------------------------------ sequence mode

    def preview_sequence(self) -> None:
        self.player.mode.set_value("sequence")
        self.on_mode_changed("sequence")

    def on_mode_changed(self, mode: str) -> None:
        if mode == "sequence":
            # the take on screen must go: Play now plays the film, never the take
            if self.dirty or self.preview_path is None or not self.preview_path.exists():
                self.player.show_slate("Rendering the sequence preview…",
                                       "Segments without a take appear as slates of their "
                                       "length.", awaiting=True)
                self.render_sequence()
            else:
                t = self._sequence_time()
                self.player.loop_range = None
                self.player.load(self.preview_path, "Sequence preview", start=t)
                self.timeline.canvas.set_playhead(t)
                self._update_overlay(t)
        else:
            self.show_selected()

    def _sequence_time(self) -> float:
        """Where the film preview starts: the playhead, else the selected card's start."""
        canvas = self.timeline.canvas
        if canvas.playhead is not None:
            return float(canvas.playhead)
        idx = self.doc.current_index()
        return canvas.layouts[idx].start if idx is not None and idx < len(canvas.layouts) else 0.0

    def _take_playhead(self, t: float) -> None:
        """Take mode: the playhead marks where in the film this moment of the take lands."""
        idx = self.doc.current_index()
        canvas = self.timeline.canvas
        if idx is None or idx >= len(canvas.layouts):
            canvas.set_playhead(None)
            return
        seg = self.doc.storyboard.segments[idx]
        card = canvas.layouts[idx]
        t_in, _t_out = trim_range(seg, self.doc.takes)
        canvas.set_playhead(min(max(card.start + t - t_in, card.start), card.end))

    def seek_film(self, t: float) -> None:
        if not self.sequence_mode:
            self.player.mode.set_value("sequence")
            self.on_mode_changed("sequence")
        self.player.seek(t)
        self.timeline.canvas.set_playhead(t)

    def _on_document_changed(self) -> None:
        self.dirty = True
        if self.sequence_mode:
            self._timer.start()

    def render_sequence(self) -> None:
        if self.preview_job is not None:
            self.preview_job.cancel()
        job = PreviewJob(self.doc.snapshot())
        job.signals.progress.connect(self._on_progress)
        job.signals.done.connect(self._on_done)
        job.signals.failed.connect(lambda msg: self.player.show_slate(
            "The sequence preview failed", msg))
        self.preview_job = job
        self.dirty = False
        if self.player.source is None:
            self.player.show_slate("Rendering the sequence preview…",
                                   "Segments without a take appear as slates of their length.",
                                   awaiting=True)
        self.stitch.start(job)

    def _on_progress(self, p: object) -> None:
        if self.player.source is None and hasattr(p, "text"):
            # the slate's text only: a Play pressed meanwhile stays armed
            self.player.slate.set_text("Rendering the sequence preview…", str(p.text))

    def _on_done(self, result: object) -> None:
        preview, plan = result  # type: ignore[misc]
        self.preview_job = None
        self.preview_plan = plan
        self.preview_path = Path(preview.path)
        if not self.sequence_mode:
            return
        pos = self.player.position() if self.player.source else self._sequence_time()
        # reload: the file may have changed under the same name
        self.player.load(self.preview_path, "Sequence preview", start=pos, reload=True)
        self.timeline.canvas.set_playhead(pos)
        self._update_overlay(pos)

    def _update_overlay(self, t: float) -> None:
        i = self.timeline.canvas.index_at_time(t)
        n = len(self.doc.storyboard.segments)
        if i is not None:
            self.player.set_overlay(f"Sequence preview · {int(t // 60):02d}:{t % 60:04.1f} · "
                                    f"segment {i + 1} of {n}")

    def _on_player_position(self, t: float) -> None:
        if not self.sequence_mode:
            if self.player.source is not None:
                self._take_playhead(t)
            return
        idx = self.doc.current_index()
        if self.player.loop.isChecked() and idx is not None:
            card = self.timeline.canvas.layouts[idx]
            self.player.loop_range = (card.start, card.end)  # loop the selected segment
        else:
            self.player.loop_range = None
        self.timeline.canvas.set_playhead(t)
        self.timeline.follow_playhead(t)
        self._update_overlay(t)

    def close(self, msecs: int = 10000) -> None:
        self._timer.stop()
        self.stitch.cancel_all()
        self.stitch.wait(msecs)
