"""Preview: the player shows the selected segment's take (Take mode) or the whole film
through the sequence preview, rendered in a worker and re-rendered after edits (Sequence
mode); the timeline's playhead follows it and clicking the ruler seeks."""

from __future__ import annotations

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
                self.player.seek(self.timeline.canvas.layouts[idx].start)
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

    # ------------------------------------------------------------------ sequence mode

    def preview_sequence(self) -> None:
        self.player.mode.set_value("sequence")
        self.on_mode_changed("sequence")

    def on_mode_changed(self, mode: str) -> None:
        if mode == "sequence":
            if self.dirty or self.player.source is None:
                self.render_sequence()
        else:
            self.timeline.canvas.set_playhead(None)
            self.show_selected()

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
                                   "Segments without a take appear as slates of their length.")
        self.stitch.start(job)

    def _on_progress(self, p: object) -> None:
        if self.player.source is None and hasattr(p, "text"):
            self.player.slate.set_text("Rendering the sequence preview…", str(p.text))

    def _on_done(self, result: object) -> None:
        preview, plan = result  # type: ignore[misc]
        self.preview_job = None
        self.preview_plan = plan
        if not self.sequence_mode:
            return
        pos = self.player.position() if self.player.source else 0.0
        self.player.source = None  # force a reload: the file changed under the same name
        self.player.load(preview.path, "Sequence preview", start=pos)
        self._update_overlay(pos)

    def _update_overlay(self, t: float) -> None:
        i = self.timeline.canvas.index_at_time(t)
        n = len(self.doc.storyboard.segments)
        if i is not None:
            self.player.set_overlay(f"Sequence preview · {int(t // 60):02d}:{t % 60:04.1f} · "
                                    f"segment {i + 1} of {n}")

    def _on_player_position(self, t: float) -> None:
        if not self.sequence_mode:
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
