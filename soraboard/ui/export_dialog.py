"""The export dialog: presets that say what they will do to *this* film, destination, music
bed, loudness, OTIO — and the seam report beside them, so a jump is seen before the film is
shared. Progress says what is being done and the time left; Cancel always works."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFont, QImage, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from soraboard.model.timing import film_length, fmt_seconds
from soraboard.model.words import plural
from soraboard.stitch.destination import (
    DestinationError,
    DestinationExists,
    check_destination,
    default_destination,
)
from soraboard.stitch.export import ExportResult, PreparedExport
from soraboard.stitch.otio import NLE_TARGETS, nle_losses, nle_target, write_nle
from soraboard.stitch.plan import Soundtrack
from soraboard.stitch.presets import PresetName
from soraboard.stitch.runner import Progress
from soraboard.stitch.seams import Seam
from soraboard.stitch.voiceover import RenderedVoice, SpokenLine, rendered_voice
from soraboard.storage.bundle import Project
from soraboard.storage.lock import BundleLock, LockHeld
from soraboard.ui import theme
from soraboard.ui.icons import icon
from soraboard.ui.widgets import caption
from soraboard.workers.export import ExportJob, SeamsJob, StitchRunner, SummariesJob
from soraboard.workers.thumbnails import ThumbnailService

PRESET_TITLES = {
    PresetName.SMART: "Smart — the picture is not encoded again",
    PresetName.FINAL: "Final",
    PresetName.PREVIEW: "Preview",
}
#: seam verdicts that offer a Bridge… button (a seamless one needs none, a missing one has no take)
BRIDGEABLE = ("jump", "ok")
VERDICT_COLORS = {"seamless": theme.DONE, "ok": None, "jump": theme.FAILED, "missing": theme.STALE}


class ExportDialog(QDialog):
    #: title, text, is_warning — an export ended after a while (the window may notify)
    ended = Signal(str, str, bool)
    #: id of the segment before a seam whose Bridge… button was clicked (issue 17.6)
    bridge_requested = Signal(str)
    #: the Render Voice-over… button: lines are missing (the window's voice-over controller)
    voiceover_requested = Signal()

    def __init__(self, project: Project, thumbnails: ThumbnailService,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.thumbnails = thumbnails
        self.runner = StitchRunner(self)
        self.prepared: dict[PresetName, PreparedExport] = {}
        self.job: ExportJob | None = None
        self.result_path: Path | None = None
        sb = project.storyboard
        self.setWindowTitle(f"Export “{sb.title}” · {fmt_seconds(film_length(sb, project.takes))}"
                            f" s · {plural(len(sb.segments), 'segment')}")
        self.resize(1120, 700)

        left = QVBoxLayout()
        left.addWidget(caption("Preset"))
        self.preset_group = QButtonGroup(self)
        self.preset_rows: dict[PresetName, tuple[QRadioButton, QLabel]] = {}
        for i, name in enumerate((PresetName.SMART, PresetName.FINAL, PresetName.PREVIEW)):
            radio = QRadioButton(PRESET_TITLES[name])
            f = QFont(radio.font())
            f.setBold(True)
            radio.setFont(f)
            detail = QLabel("working out what it will do…")
            detail.setWordWrap(True)
            detail.setIndent(22)
            detail.setStyleSheet(theme.secondary_style())
            self.preset_group.addButton(radio, i)
            left.addWidget(radio)
            left.addWidget(detail)
            self.preset_rows[name] = (radio, detail)
        self.preset_rows[PresetName.SMART][0].setChecked(True)
        # the default name follows the preset (Final never replaces Smart) until the user
        # types or browses to a name of their own
        self.preset_group.idToggled.connect(self._on_preset_toggled)

        left.addWidget(caption("Save to"))
        row = QHBoxLayout()
        self.dest = QLineEdit(str(default_destination(project, PresetName.SMART.value)))
        browse = QPushButton(icon("folder"), "…")
        browse.clicked.connect(self._browse)
        row.addWidget(self.dest, 1)
        row.addWidget(browse)
        left.addLayout(row)

        left.addWidget(caption("Music bed"))
        row = QHBoxLayout()
        self.music = QLineEdit()
        self.music.setPlaceholderText("none — a continuous bed hides the seams")
        music_btn = QPushButton(icon("open"), "…")
        music_btn.clicked.connect(self._browse_music)
        row.addWidget(self.music, 1)
        row.addWidget(music_btn)
        left.addLayout(row)
        self.loudnorm = QCheckBox("Normalise loudness to −14 LUFS (web)")
        self.otio = QCheckBox("Also write an OpenTimelineIO timeline (.otio)")
        self.otio.setToolTip("For Resolve, Premiere, Kdenlive or any editor that reads OTIO")
        self.burn_subtitles = QCheckBox("Burn the dialogue into the picture")
        self.burn_subtitles.setToolTip("Re-encodes the picture. A film with dialogue gets a "
                                       "subtitle track and .srt/.vtt files beside it either way.")
        left.addWidget(self.loudnorm)
        left.addWidget(self.otio)
        left.addWidget(self.burn_subtitles)
        # the voice-over track (issue 18.5): offered once every line is rendered
        self.voiceover = QCheckBox("Voice-over — the dialogue spoken, the music ducked under it")
        self.voiceover.setObjectName("voiceover")
        left.addWidget(self.voiceover)
        row = QHBoxLayout()
        self.voiceover_note = QLabel()
        self.voiceover_note.setWordWrap(True)
        self.voiceover_note.setIndent(22)
        self.voiceover_note.setStyleSheet(theme.secondary_style())
        self.render_voice_btn = QPushButton("Render Voice-over…")
        self.render_voice_btn.setObjectName("render_voiceover")
        self.render_voice_btn.setToolTip("Speak the missing lines with the provider's voices "
                                         "(priced and asked first)")
        self.render_voice_btn.clicked.connect(self._on_render_voice_clicked)
        row.addWidget(self.voiceover_note, 1)
        row.addWidget(self.render_voice_btn, 0, Qt.AlignmentFlag.AlignTop)
        left.addLayout(row)
        self.voice: RenderedVoice | None = None
        self.refresh_voiceover()
        # the timeline in an editor's own format, and beforehand what it cannot express
        self.nle = QComboBox()
        self.nle.addItem("No file for an editor", "")
        for t in NLE_TARGETS.values():
            self.nle.addItem(f"Also a timeline for {t.editor} ({t.suffix})", t.name)
        self.nle.currentIndexChanged.connect(self._show_nle_losses)
        left.addWidget(self.nle)
        self.nle_losses = QLabel()
        self.nle_losses.setWordWrap(True)
        self.nle_losses.setStyleSheet(f"color: {theme.STALE.name()};")
        left.addWidget(self.nle_losses)
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet(f"color: {theme.STALE.name()};")
        left.addWidget(self.notes)
        left.addStretch(1)

        right = QVBoxLayout()
        right.addWidget(caption("Seams — how well each boundary hides the join"))
        self.seams_host = QWidget()
        self.seams_layout = QVBoxLayout(self.seams_host)
        self.seams_layout.setContentsMargins(0, 0, 0, 0)
        self.seams_layout.addWidget(QLabel("Comparing the frames at every boundary…"))
        self.seams_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.seams_host)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        right.addWidget(scroll, 1)

        body = QHBoxLayout()
        body.addLayout(left, 2)
        body.addLayout(right, 3)

        bottom = QHBoxLayout()
        progress_col = QVBoxLayout()
        self.stage = QLabel("")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.hide()  # shown once an export runs
        progress_col.addWidget(self.stage)
        progress_col.addWidget(self.progress)
        bottom.addLayout(progress_col, 1)
        self.show_btn = QPushButton(icon("folder"), "Show in folder")
        self.show_btn.hide()
        self.show_btn.clicked.connect(self._show_in_folder)
        self.cancel_btn = QPushButton("Close")
        self.export_btn = QPushButton(icon("export"), "Export")
        self.export_btn.setDefault(True)
        bottom.addWidget(self.show_btn)
        bottom.addWidget(self.cancel_btn)
        bottom.addWidget(self.export_btn)

        v = QVBoxLayout(self)
        v.addLayout(body, 1)
        v.addLayout(bottom)

        self.export_btn.clicked.connect(self.start_export)
        self.cancel_btn.clicked.connect(self._cancel_or_close)
        self.loudnorm.toggled.connect(lambda _on: self._summarise())
        self.voiceover.toggled.connect(self._on_voiceover_toggled)
        self.music.editingFinished.connect(self._summarise)
        self._summarise()
        seams = SeamsJob(project)
        seams.signals.done.connect(self._on_seams)
        seams.signals.failed.connect(lambda msg: self._replace_seams(QLabel(f"No seam report: {msg}")))
        self.runner.start(seams)

    # ------------------------------------------------------------------ presets

    def _soundtrack(self) -> Soundtrack | None:
        text = self.music.text().strip()
        return Soundtrack(Path(text)) if text else None

    def _summarise(self) -> None:
        job = SummariesJob(self.project, self._soundtrack(), self.loudnorm.isChecked(),
                           self.spoken_lines())
        job.signals.done.connect(self._on_summaries)
        job.signals.failed.connect(self._on_summaries_failed)
        # what is exported is what the latest summary planned (with the voice or without)
        self._summary_job = job
        self.export_btn.setEnabled(False)
        self.runner.start(job)

    _summary_job: SummariesJob | None = None

    def _latest_summary(self) -> bool:
        job = self._summary_job
        return job is not None and self.sender() is job.signals

    # ------------------------------------------------------------------ voice-over

    def refresh_voiceover(self) -> None:
        """Re-read which dialogue lines are rendered (after a render, or on opening); the
        presets are planned again when that changes what the film would carry."""
        before = self.spoken_lines()
        blocked = self.voiceover.blockSignals(True)  # one re-plan below, not one per toggle
        try:
            self._read_voice()
        finally:
            self.voiceover.blockSignals(blocked)
        if self.spoken_lines() != before:
            self._summarise()

    def _read_voice(self) -> None:
        try:
            self.voice = rendered_voice(self.project)
        except ValueError as e:
            self.voice = None
            self._voice_state(False, str(e), render=False)
            return
        v = self.voice
        if not v.total:
            self._voice_state(False, "No segment has dialogue.", render=False)
        elif v.missing:
            self._voice_state(False, f"{v.missing} of {plural(v.total, 'line')} not "
                              "rendered yet (new or changed since).", render=True)
        else:
            self._voice_state(True, f"{plural(v.total, 'line')} rendered, placed at their "
                              "times on the film.", render=False)
            if self._tick_when_ready:
                self._tick_when_ready = False
                self.voiceover.setChecked(True)

    def _voice_state(self, ready: bool, note: str, *, render: bool) -> None:
        self.voiceover.setEnabled(ready)
        if not ready:
            self.voiceover.setChecked(False)
        self.voiceover.setToolTip(note)
        self.voiceover_note.setText(note)
        self.voiceover_note.setStyleSheet(
            theme.secondary_style() if ready or not render else f"color: {theme.STALE.name()};")
        self.render_voice_btn.setVisible(render)

    _tick_when_ready = False  #: Render Voice-over… was clicked here: tick the box once done

    def _on_render_voice_clicked(self) -> None:
        self._tick_when_ready = True
        self.voiceover_requested.emit()

    def spoken_lines(self) -> list[SpokenLine]:
        """The voice-over's lines for the export: all of them when the box is ticked."""
        if self.voice is None or not self.voice.complete or not self.voiceover.isChecked():
            return []
        return list(self.voice.lines)

    def _on_voiceover_toggled(self, _on: bool) -> None:
        self._summarise()

    def _on_summaries(self, prepared: object) -> None:
        if not self._latest_summary():
            return
        assert isinstance(prepared, dict)
        self.prepared = prepared
        notes: list[str] = []
        for name, (_radio, detail) in self.preset_rows.items():
            p = prepared.get(name)
            if p is not None:
                text = p.summary
                encoded = [r for r in p.segments if not r.copied]
                if encoded and name is PresetName.SMART:
                    # say per segment why it cannot be copied, so the creator can fix the source
                    text += "".join(f"\n• {r.label}: encoded — {r.reason}" for r in encoded[:6])
                    if len(encoded) > 6:
                        text += f"\n• … and {len(encoded) - 6} more"
                detail.setText(text)
                notes += [w for w in p.warnings if w not in notes]
        spoken = self.spoken_lines()
        chosen = prepared.get(self.selected_preset())
        if spoken and chosen is not None and len(chosen.plan.voice) < len(spoken):
            # a line that starts where its take is trimmed away is left out, not begun mid-word
            left = len(spoken) - len(chosen.plan.voice)
            notes.append(f"Voice-over: {plural(left, 'line')} of {len(spoken)} "
                         f"{'starts' if left == 1 else 'start'} in a trimmed-away part of "
                         f"the take and {'stays' if left == 1 else 'stay'} out of the film.")
        self.notes.setText("\n".join(notes))
        self.export_btn.setEnabled(True)
        self._show_nle_losses()

    def _show_nle_losses(self) -> None:
        name = self.nle.currentData()
        prepared = self.prepared.get(self.selected_preset())
        if not name or prepared is None:
            self.nle_losses.setText("")
            return
        target = nle_target(name)
        lost = nle_losses(prepared.plan, target)
        self.nle_losses.setText("\n".join(f"• {line}" for line in lost) if lost else
                                f"{target.editor} gets every transition as it is.")

    def _on_summaries_failed(self, message: str) -> None:
        if not self._latest_summary():
            return
        for _radio, detail in self.preset_rows.values():
            detail.setText("")
        self.notes.setText(message)
        self.notes.setStyleSheet(f"color: {theme.FAILED.name()};")
        self.export_btn.setEnabled(False)

    def selected_preset(self) -> PresetName:
        order = (PresetName.SMART, PresetName.FINAL, PresetName.PREVIEW)
        return order[max(self.preset_group.checkedId(), 0)]

    def select_preset(self, name: PresetName) -> None:
        self.preset_rows[name][0].setChecked(True)

    def _on_preset_toggled(self, _id: int, checked: bool) -> None:
        defaults = {str(default_destination(self.project, n.value)) for n in PresetName}
        if checked and self.dest.text() in defaults:
            self.dest.setText(str(default_destination(self.project,
                                                      self.selected_preset().value)))

    # ------------------------------------------------------------------ seams

    def _replace_seams(self, widget: QWidget) -> None:
        while self.seams_layout.count():
            item = self.seams_layout.takeAt(0)
            w = item.widget()
            if w is not None:
                w.deleteLater()
        self.seams_layout.addWidget(widget)
        self.seams_layout.addStretch(1)

    def _frame(self, path: Path | None, at: float) -> QLabel:
        label = QLabel()
        label.setFixedSize(QSize(96, 54))
        label.setStyleSheet("background: #000; border-radius: 3px;")
        if path is not None:
            self._missing_frames.append((label, path, round(at, 2)))
        return label

    def _fill_frames(self) -> None:
        """Put every decoded seam frame into its label; the others wait for the thumbnail
        service. Only the labels still empty are touched, so a frame arriving costs one
        small pixmap, not a rebuild of the report."""
        still: list[tuple[QLabel, Path, float]] = []
        for label, path, at in self._missing_frames:
            img = self.thumbnails.get(path, at)
            if isinstance(img, QImage):
                label.setPixmap(QPixmap.fromImage(img.scaled(
                    label.size(), Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                    Qt.TransformationMode.SmoothTransformation)))
            elif self.thumbnails.pending(path, at):
                still.append((label, path, at))
        self._missing_frames = still
        waiting = bool(still)
        if waiting != self._waiting_for_frames:
            self._waiting_for_frames = waiting
            if waiting:
                self.thumbnails.updated.connect(self._fill_frames)
            else:
                self.thumbnails.updated.disconnect(self._fill_frames)

    def _on_seams(self, seams: object) -> None:
        assert isinstance(seams, list)
        self.seams = seams
        self._missing_frames = []
        host = QWidget()
        grid = QGridLayout(host)
        grid.setContentsMargins(0, 0, 0, 0)
        for r, seam in enumerate(seams):
            assert isinstance(seam, Seam)
            grid.addWidget(self._frame(seam.out_file, seam.out_time), r, 0)
            grid.addWidget(self._frame(seam.in_file, seam.in_time), r, 1)
            score = "" if seam.score is None else f" · {seam.score:.2f}"
            text = QLabel(f"<b>{seam.label}</b>{score}<br>{seam.message}")
            text.setWordWrap(True)
            grid.addWidget(text, r, 2)
            color = VERDICT_COLORS.get(seam.verdict)
            pill = QLabel(seam.verdict)
            style = "padding: 2px 8px; border-radius: 8px;"
            if color is not None:
                style += f" background: {color.name()}; color: #111;"
            else:
                style += f" background: {theme.mix(theme.surface(), theme.text(), 0.15).name()};"
            pill.setStyleSheet(style)
            grid.addWidget(pill, r, 3, Qt.AlignmentFlag.AlignTop)
            if seam.verdict in BRIDGEABLE:
                grid.addWidget(self._bridge_button(seam), r, 4, Qt.AlignmentFlag.AlignTop)
        grid.setColumnStretch(2, 1)
        if not seams:
            grid.addWidget(QLabel("One segment: no seams."), 0, 0)
        self._replace_seams(host)
        self._fill_frames()

    def _bridge_button(self, seam: Seam) -> QPushButton:
        before = self.project.storyboard.segments[seam.index]
        btn = QPushButton("Bridge…")
        btn.setObjectName(f"bridge_{seam.index}")
        btn.setToolTip(f"Make segment {seam.index + 2} start on the real last frame of "
                       f"segment {seam.index + 1}: regenerate it, or insert a short bridge "
                       "clip — priced before it runs; the current takes are kept")
        btn.clicked.connect(lambda _checked=False, sid=before.id: self.bridge_requested.emit(sid))
        return btn

    _waiting_for_frames = False
    export_started = 0.0  #: monotonic time the running or last export started
    _missing_frames: list[tuple[QLabel, Path, float]]

    # ------------------------------------------------------------------ export

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.dest.text(), "MP4 (*.mp4)")
        if path:
            self.dest.setText(path if path.lower().endswith(".mp4") else path + ".mp4")

    def _browse_music(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Music bed", "",
                                              "Audio (*.m4a *.mp3 *.wav *.flac *.ogg *.aac)")
        if path:
            self.music.setText(path)
            self._summarise()

    def start_export(self) -> None:
        prepared = self.prepared.get(self.selected_preset())
        if prepared is None:
            return
        given = Path(self.dest.text()).expanduser()
        own_exports = given.absolute().parent == self.project.bundle.exports_dir
        try:
            try:
                dest = check_destination(given, create_folder=own_exports)
            except DestinationExists as e:
                if not self._confirm_replace(e.path):
                    return
                dest = check_destination(given, overwrite=True)
        except DestinationError as e:
            self.stage.setText(str(e))
            self.stage.setStyleSheet(f"color: {theme.FAILED.name()};")
            return
        target = dest.path
        if prepared.subtitles is not None:
            prepared.subtitles = replace(prepared.subtitles,
                                         burn_in=self.burn_subtitles.isChecked())
        if dest.bundle is not None:  # writing into a project (this one or another): its lock
            lock = BundleLock(dest.bundle, "the soraboard editor (exporting)")
            try:
                lock.acquire()
            except LockHeld as e:
                self.stage.setText(str(e))
                self.stage.setStyleSheet(f"color: {theme.FAILED.name()};")
                return
            self._dest_lock = lock
        self._exported_voice = len(prepared.plan.voice)
        self.job = ExportJob(prepared, target)
        self.job.signals.progress.connect(self._on_progress)
        self.job.signals.done.connect(self._on_done)
        self.job.signals.failed.connect(self._on_failed)
        self.job.signals.cancelled.connect(self._on_cancelled)
        self.export_btn.setEnabled(False)
        self.show_btn.hide()
        self.cancel_btn.setText("Cancel")
        self.stage.setText("Starting…")
        self.export_started = time.monotonic()
        self.stage.setStyleSheet("")
        self.progress.setValue(0)
        self.progress.show()
        self.runner.start(self.job)

    def _confirm_replace(self, path: Path) -> bool:
        """An existing film is replaced only when the user says so."""
        box = QMessageBox(QMessageBox.Icon.Question, "Replace the film?",
                          f"{path.name} already exists in {path.parent}. Replace it?",
                          QMessageBox.StandardButton.Cancel, self)
        replace_btn = box.addButton("Replace", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setObjectName("replace_film")
        box.exec()
        return box.clickedButton() is replace_btn

    def _on_progress(self, p: object) -> None:
        assert isinstance(p, Progress)
        self.progress.setValue(int(p.fraction * 1000))
        self.stage.setText(p.text)

    _dest_lock: BundleLock | None = None
    _exported_voice = 0  #: voice-over lines in the running or last export's film

    def _release_destination(self) -> None:
        if self._dest_lock is not None:
            self._dest_lock.release()
            self._dest_lock = None

    def _on_done(self, result: object) -> None:
        self._release_destination()
        assert isinstance(result, ExportResult)
        self.job = None
        self.result_path = result.path
        self.progress.setValue(1000)
        note = f" ({'; '.join(result.notes)})" if result.notes else ""
        voice = self._exported_voice
        spoken = (f" · voice-over track: {plural(voice, 'line')} spoken, music ducked under it"
                  if voice else "")
        self.stage.setText(f"Exported {result.path.name} · {fmt_seconds(result.duration)} s in "
                           f"{result.elapsed:.1f} s{spoken}{note}")
        if self.otio.isChecked():
            self._write_otio(result.path.with_suffix(".otio"))
        if self.nle.currentData():
            self._write_nle(result.path, self.nle.currentData())
        self.show_btn.show()
        self.cancel_btn.setText("Close")
        self.export_btn.setEnabled(True)
        self.ended.emit("Export finished", f"{result.path.name} is ready "
                        f"({fmt_seconds(result.duration)} s of film).", False)

    def _write_otio(self, path: Path) -> None:
        try:
            from soraboard.stitch.otio import write_otio

            write_otio(self.project, path)
            self.stage.setText(self.stage.text() + f" · timeline {path.name}")
        except Exception as e:  # the film is written; say what went wrong with the hand-off
            self.stage.setText(self.stage.text() + f" · OTIO failed: {e}")

    def _write_nle(self, film: Path, name: str) -> None:
        target = nle_target(name)
        prepared = self.prepared.get(self.selected_preset())
        try:
            path = write_nle(self.project, film.with_suffix(target.suffix), target,
                             plan=prepared.plan if prepared is not None else None)
            self.stage.setText(self.stage.text() + f" · {target.editor} timeline {path.name}")
        except Exception as e:  # the film is written; say what went wrong with the hand-off
            self.stage.setText(self.stage.text() + f" · {target.editor} timeline failed: {e}")

    def _on_failed(self, message: str) -> None:
        self._release_destination()
        self.job = None
        self.stage.setText(f"Export failed — any earlier file at that path is untouched.\n{message}")
        self.stage.setStyleSheet(f"color: {theme.FAILED.name()};")
        self.cancel_btn.setText("Close")
        self.export_btn.setEnabled(True)
        self.ended.emit("Export failed", message.splitlines()[0] if message else "", True)

    def _on_cancelled(self) -> None:
        self._release_destination()
        self.job = None
        self.stage.setText("Cancelled — nothing was written.")
        self.progress.setValue(0)
        self.cancel_btn.setText("Close")
        self.export_btn.setEnabled(True)

    def _cancel_or_close(self) -> None:
        if self.job is not None:
            self.job.cancel()
        else:
            self.close()

    def _show_in_folder(self) -> None:
        if self.result_path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.result_path.parent)))

    def done(self, result: int) -> None:
        # closing never waits for a cancelled export or seam analysis to wind down
        self.runner.shut_down()
        self._release_destination()
        super().done(result)
