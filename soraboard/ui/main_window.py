"""The main window: player in the centre, timeline across the bottom, the inspector dock on
the right (Segment · Takes · Style bible · Jobs) with the cost strip pinned under it."""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, QSettings, QSize, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QImage, QImageReader, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QSlider,
    QSplitter,
    QSystemTrayIcon,
    QTabWidget,
    QToolBar,
    QToolButton,
    QUndoView,
    QVBoxLayout,
    QWidget,
)

from soraboard.catalog.cost import Amount, fmt_usd, segment_cost
from soraboard.catalog.validate import Severity, validate
from soraboard.document import Document, read_autosave
from soraboard.generation.factory import make_backend
from soraboard.media.ffmpeg import use_ffmpeg
from soraboard.model.status import SegmentState
from soraboard.model.storyboard import (
    Continuity,
    RefMode,
    Segment,
    Storyboard,
    Transition,
    TransitionType,
)
from soraboard.model.take import Take, TakeSource, chosen_take
from soraboard.model.timing import (
    clip_length,
    film_length,
    fmt_duration,
    fmt_seconds,
    trim_range,
)
from soraboard.settings import Settings, load_settings, save_settings
from soraboard.stitch.plan import ExportPlan
from soraboard.storage.bundle import Bundle, Project, load_project
from soraboard.storage.errors import ProjectError
from soraboard.ui import theme
from soraboard.ui.about import AboutDialog, app_icon
from soraboard.ui.actions import ACTIONS, MENUS, ActionSpec
from soraboard.ui.cost_panel import CostPanel
from soraboard.ui.frame_picker import FramePickerDialog
from soraboard.ui.icons import icon
from soraboard.ui.inspector import SegmentInspector
from soraboard.ui.panels import JobsPanel, TakesPanel
from soraboard.ui.player import PlayerWidget
from soraboard.ui.style_bible import StyleBibleEditor
from soraboard.ui.timeline import MAX_PPS, MIN_PPS, TimelineView
from soraboard.workers import prefer_gui_thread
from soraboard.workers.export import PreviewJob, StitchRunner
from soraboard.workers.generation import JobManager
from soraboard.workers.thumbnails import ThumbnailService
from soraboard.workers.warmup import is_warm, warm_up

log = logging.getLogger(__name__)

#: a batch or an export longer than this ends with a desktop notification
LONG_TASK_SECONDS = 20
#: running jobs' progress is shown at most this often (ms)
TAKE_UPDATE_MS = 100


class Banner(QFrame):
    """One dismissible line with the action that fixes it (the offline notice)."""

    action_clicked = Signal()

    def __init__(self, text: str, action: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        amber = theme.STALE
        bg = theme.mix(theme.surface(), amber, 0.16)
        self.setStyleSheet(f"#banner {{ background: {bg.name()}; }}")
        h = QHBoxLayout(self)
        h.setContentsMargins(12, 5, 8, 5)
        self.label = QLabel(text)
        self.label.setWordWrap(True)
        self.button = QPushButton(action)
        self.button.setFlat(True)
        self.button.setStyleSheet(f"color: {amber.name()}; text-decoration: underline;")
        self.button.setCursor(Qt.CursorShape.PointingHandCursor)
        close = QToolButton()
        close.setText("Dismiss")
        close.setAutoRaise(True)
        h.addWidget(self.label, 1)
        h.addWidget(self.button)
        h.addWidget(close)
        self.button.clicked.connect(self.action_clicked)
        close.clicked.connect(self.hide)


class TransitionPopup(QDialog):
    """Click a chip on the timeline: choose the transition's type and duration."""

    def __init__(self, doc: Document, segment_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.doc = doc
        self.segment_id = segment_id
        seg = doc.storyboard.segment(segment_id)
        index = doc.storyboard.index_of(segment_id)
        form = QFormLayout(self)
        form.addRow(QLabel(f"<b>{index + 1} → {index + 2}</b>"))
        self.kind = QComboBox()
        for t in TransitionType:
            self.kind.addItem(t.label, t)
        self.kind.setCurrentIndex(self.kind.findData(seg.transition_out.type))
        self.duration = QDoubleSpinBox()
        self.duration.setRange(0.0, 6.0)
        self.duration.setSingleStep(0.25)
        self.duration.setSuffix(" s")
        self.duration.setValue(seg.transition_out.duration or 0.5)
        form.addRow("Type", self.kind)
        form.addRow("Duration", self.duration)
        self.kind.activated.connect(self._apply)
        self.duration.valueChanged.connect(self._apply)
        self._sync()

    def _sync(self) -> None:
        self.duration.setEnabled(self.kind.currentData() is not TransitionType.CUT)

    def _apply(self, *_args: Any) -> None:
        self._sync()
        kind = self.kind.currentData()
        dur = 0.0 if kind is TransitionType.CUT else round(self.duration.value(), 3)
        self.doc.set_transition(self.segment_id, Transition(kind, dur))


class MainWindow(QMainWindow):
    def __init__(self, doc: Document, settings: Settings | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.settings = settings or load_settings()[0]
        use_ffmpeg(self.settings.ffmpeg_path)
        self.actions_by_id: dict[str, QAction] = {}
        prefer_gui_thread()
        self._resolved_paths: dict[tuple[Path, str], Path] = {}
        self._pending_takes: dict[str, Take] = {}
        self._take_flush = QTimer(self)
        self._take_flush.setSingleShot(True)
        self._take_flush.setInterval(TAKE_UPDATE_MS)
        self._take_flush.timeout.connect(self._flush_take_updates)
        self.setWindowIcon(app_icon())
        self.resize(1440, 900)
        self.setMinimumSize(QSize(960, 600))
        self._last_autosave: float | None = None

        self._build_central()
        self._build_dock()
        self._build_actions()
        self._build_status_bar()

        doc.storyboard_changed.connect(self._refresh_chrome)
        doc.takes_changed.connect(self._refresh_chrome)
        doc.selection_changed.connect(self._on_selection_changed)
        doc.file_state_changed.connect(self._refresh_title)
        self._refresh_chrome()
        self._refresh_title()
        self._on_selection_changed()

        self.autosave_timer = QTimer(self)
        self.autosave_timer.timeout.connect(self._autosave)
        self._restart_autosave()
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(5000)
        self._status_timer.timeout.connect(self._refresh_status)
        self._status_timer.start()
        if doc.storyboard.segments and doc.current_id is None:
            doc.select([doc.storyboard.segments[0].id])
        QTimer.singleShot(0, lambda: warm_up(self.settings.ffmpeg_path))
        self._remember()

    # ------------------------------------------------------------------ construction

    def _build_central(self) -> None:
        self.player = PlayerWidget()
        self.banner = Banner(
            "No video provider is connected — generation renders free animatic clips so you "
            "can judge pacing.", "Connect a provider…")
        self.banner.action_clicked.connect(self.open_settings)
        self.banner.setVisible(self.settings.provider is None)

        self.timeline = TimelineView(self.doc)
        canvas = self.timeline.canvas
        self.thumbnails = ThumbnailService(self)
        self.thumbnails.updated.connect(canvas.update)
        canvas.thumbnail_provider = self
        canvas.add_requested.connect(lambda: self.doc.add_segment())
        canvas.move_requested.connect(self._move_with_warning)
        canvas.transition_clicked.connect(self._edit_transition)
        canvas.activated.connect(lambda _sid: self._show_tab(0))
        canvas.context_menu_requested.connect(self._context_menu)
        canvas.zoom_changed.connect(self._on_zoom_changed)

        header = QWidget()
        hh = QHBoxLayout(header)
        hh.setContentsMargins(12, 6, 12, 2)
        title = QLabel("<b>Timeline</b>")
        self.timeline_info = QLabel()
        self.timeline_info.setStyleSheet(f"color: {theme.secondary_text().name()};")
        hh.addWidget(title)
        hh.addWidget(self.timeline_info)
        hh.addStretch(1)
        hh.addWidget(QLabel("Zoom"))
        self.zoom = QSlider(Qt.Orientation.Horizontal)
        self.zoom.setRange(int(MIN_PPS * 10), int(MAX_PPS * 10))
        self.zoom.setValue(int(canvas.pps * 10))
        self.zoom.setFixedWidth(140)
        self.zoom.valueChanged.connect(lambda v: canvas.set_zoom(v / 10))
        hh.addWidget(self.zoom)

        bottom = QWidget()
        bv = QVBoxLayout(bottom)
        bv.setContentsMargins(0, 0, 0, 0)
        bv.setSpacing(0)
        bv.addWidget(header)
        bv.addWidget(self.timeline)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.player)
        self.splitter.addWidget(bottom)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 0)
        self.splitter.setChildrenCollapsible(False)

        central = QWidget()
        cv = QVBoxLayout(central)
        cv.setContentsMargins(0, 0, 0, 0)
        cv.setSpacing(0)
        cv.addWidget(self.banner)
        cv.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.player.mode_changed.connect(self._on_mode_changed)
        self.player.position_changed.connect(self._on_player_position)
        canvas.seek_requested.connect(self._seek_film)
        canvas.files_dropped.connect(self.import_paths)
        self.stitch = StitchRunner(self)
        self._imports = set()
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(1500)
        self._preview_timer.timeout.connect(self._render_preview)
        self.doc.storyboard_changed.connect(self._on_document_changed_for_preview)
        self.doc.takes_changed.connect(self._on_document_changed_for_preview)

    def _build_dock(self) -> None:
        self.inspector = SegmentInspector(self.doc)
        self.inspector.image_chosen.connect(self._set_reference_image)
        self.inspector.pick_frame_requested.connect(self.pick_reference_frame)
        self.inspector.frames = self.thumbnails
        self.style_editor = StyleBibleEditor(self.doc)
        self.takes_panel = TakesPanel(self.doc, self.thumbnails)
        self.takes_panel.play_requested.connect(self._play_take)
        self.takes_panel.compare_requested.connect(self._compare_takes)
        self.takes_panel.remix_requested.connect(self._remix_take)
        self.takes_panel.delete_requested.connect(self._delete_take_file)
        self.jobs_panel = JobsPanel(self.doc)
        self.jobs_panel.cancel_requested.connect(self._cancel_segment)
        self.jobs_panel.retry_requested.connect(lambda sid: self._generate([sid], confirm=False))
        self.jobs_panel.check_again_requested.connect(self._check_again)
        self.jobs_panel.send_again_requested.connect(self._send_again)
        self.jobs_panel.forget_requested.connect(self._forget_take)
        self.inspector.generate_requested.connect(lambda sid: self._generate([sid]))
        self.inspector.cancel_requested.connect(self._cancel_segment)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.inspector, "Segment")
        self.tabs.addTab(self.takes_panel, "Takes")
        self.tabs.addTab(self.style_editor, "Style bible")
        self.tabs.addTab(self.jobs_panel, "Jobs")
        self.cost_panel = CostPanel(self.doc)
        host = QWidget()
        hv = QVBoxLayout(host)
        hv.setContentsMargins(0, 0, 0, 0)
        hv.setSpacing(0)
        hv.addWidget(self.tabs, 1)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        hv.addWidget(line)
        hv.addWidget(self.cost_panel)
        self.dock = QDockWidget("Inspector", self)
        self.dock.setObjectName("inspector")
        self.dock.setWidget(host)
        self.dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                              | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.dock.setTitleBarWidget(QWidget())
        self.dock.setMinimumWidth(380)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.resizeDocks([self.dock], [440], Qt.Orientation.Horizontal)

    def _build_actions(self) -> None:
        menus: dict[str, QMenu] = {name: self.menuBar().addMenu(name) for name in MENUS}
        toolbar = QToolBar("Main", self)
        toolbar.setObjectName("main-toolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.setIconSize(QSize(18, 18))
        self.addToolBar(toolbar)
        self.toolbar = toolbar
        undo = self.doc.undo_stack.createUndoAction(self, "&Undo")
        undo.setIcon(icon("undo"))
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.doc.undo_stack.createRedoAction(self, "&Redo")
        redo.setIcon(icon("redo"))
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence.StandardKey.Redo])
        self.actions_by_id["edit.undo"] = undo
        self.actions_by_id["edit.redo"] = redo
        menus["&Edit"].addAction(undo)
        menus["&Edit"].addAction(redo)
        for spec in ACTIONS:
            act = self._make_action(spec)
            if spec.menu:
                if spec.separator_before:
                    menus[spec.menu].addSeparator()
                menus[spec.menu].addAction(act)
            if spec.id == "file.open":
                self.recent_menu = menus[spec.menu].addMenu(icon("history"), "Open &Recent")
                self.recent_menu.aboutToShow.connect(self._fill_recent)
            if spec.toolbar:
                if spec.id == "edit.add":
                    toolbar.addSeparator()
                    toolbar.addAction(undo)
                    toolbar.addAction(redo)
                    toolbar.addSeparator()
                if spec.id == "generate.missing":
                    toolbar.addSeparator()
                toolbar.addAction(act)
                if spec.id == "generate.missing":
                    btn = toolbar.widgetForAction(act)
                    if isinstance(btn, QToolButton):
                        btn.setObjectName("primary")
                        acc = theme.accent()
                        btn.setStyleSheet(
                            f"QToolButton#primary {{ background: {acc.name()}; color: white; "
                            "border-radius: 4px; padding: 3px 10px; }"
                            f"QToolButton#primary:disabled {{ background: "
                            f"{theme.mix(acc, theme.surface(), 0.6).name()}; }}")
        spacer = QWidget()
        spacer.setSizePolicy(spacer.sizePolicy().horizontalPolicy().Expanding,
                             spacer.sizePolicy().verticalPolicy().Preferred)
        toolbar.addWidget(spacer)
        self.provider_chip = QToolButton()
        self.provider_chip.setIcon(icon("provider"))
        self.provider_chip.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.provider_chip.clicked.connect(self.open_settings)
        self.budget_chip = QToolButton()
        self.budget_chip.clicked.connect(lambda: self._show_tab(2))
        toolbar.addWidget(self.provider_chip)
        toolbar.addWidget(self.budget_chip)
        for dock_act in (self.dock.toggleViewAction(),):
            dock_act.setText("&Inspector")
            menus["&View"].addSeparator()
            menus["&View"].addAction(dock_act)

    def _make_action(self, spec: ActionSpec) -> QAction:
        act = QAction(icon(spec.icon) if spec.icon else icon("info"), spec.text, self)
        if spec.shortcut:
            act.setShortcut(QKeySequence(spec.shortcut))
        act.setToolTip(spec.tip or spec.text.replace("&", ""))
        act.setStatusTip(spec.tip)
        slot: Callable[[], Any] = getattr(self, spec.slot)
        act.triggered.connect(lambda _checked=False, s=slot: s())
        if spec.id == "view.play":
            # Space must not steal typing in text fields: only when no text widget has focus
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.timeline.addAction(act)
            self.player.addAction(act)
        else:
            self.addAction(act)
        self.actions_by_id[spec.id] = act
        return act

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.status_left = QLabel()
        self.status_right = QLabel()
        sb.addWidget(self.status_left, 1)
        sb.addPermanentWidget(self.status_right)

    # ------------------------------------------------------------------ refresh

    def _refresh_title(self) -> None:
        self.setWindowTitle(f"{self.doc.title}[*] — soraboard")
        self.setWindowModified(self.doc.is_modified())
        self.setWindowFilePath(str(self.doc.bundle.path))

    def _refresh_chrome(self) -> None:
        rep = self.doc.cost()
        sb = self.doc.storyboard
        gen = self.actions_by_id.get("generate.missing")
        if gen is not None:
            if rep.to_generate_count:
                gen.setText(f"Generate missing && stale · {rep.to_generate.describe()}")
                gen.setEnabled(True)
            else:
                gen.setText("Everything generated")
                gen.setEnabled(False)
        provider = self.settings.provider or "Animatic (offline, $0)"
        self.provider_chip.setText(f"Provider: {provider}")
        if rep.budget is not None:
            color = theme.FAILED if rep.over_budget else theme.STALE if rep.near_budget else None
            self.budget_chip.setText(f"Budget {fmt_usd(rep.budget)} · left {fmt_usd(rep.remaining)}")
            self.budget_chip.setStyleSheet(f"color: {color.name()};" if color else "")
        else:
            self.budget_chip.setText("No budget")
        links = sum(1 for i, s in enumerate(sb.segments) if s.is_chained and i > 0)
        length = film_length(sb, self.doc.takes)
        self.timeline_info.setText(f"{len(sb.segments)} segments · {fmt_seconds(length)} s · "
                                   f"{links} chained link{'s' if links != 1 else ''}")
        self._refresh_status()

    def _refresh_status(self) -> None:
        sb = self.doc.storyboard
        rep = self.doc.cost()
        running = sum(1 for s in self.doc.statuses()
                      if s.state in (SegmentState.GENERATING, SegmentState.QUEUED))
        parts = [f"{len(sb.segments)} segments · {fmt_seconds(film_length(sb, self.doc.takes))} s",
                 f"Estimate {rep.estimate.describe()}"]
        if running:
            parts.append(f"{running} job{'s' if running != 1 else ''} running")
        if self._last_autosave is not None:
            ago = int(time.time() - self._last_autosave)
            parts.append(f"Autosaved {ago} s ago" if ago < 120 else f"Autosaved {ago // 60} min ago")
        self.status_left.setText("     ".join(parts))
        backend = self.settings.provider or "Animatic backend"
        self.status_right.setText(backend + self._ffmpeg_note())

    def _ffmpeg_note(self) -> str:
        # Finding ffmpeg runs it three times: the warm-up does that off the GUI thread, and
        # until it has, the status bar simply does not name the version.
        if not is_warm():
            return ""
        try:
            from soraboard.media.ffmpeg import find_ffmpeg

            return f" · ffmpeg {find_ffmpeg(self.settings.ffmpeg_path).version.split('-')[0]}"
        except Exception as e:  # shown, not fatal: generation and export say more when used
            return f" · ffmpeg missing ({e})"

    def _on_selection_changed(self) -> None:
        has = bool(self.doc.selection)
        for spec in ACTIONS:
            if spec.needs_selection:
                self.actions_by_id[spec.id].setEnabled(has)
        self._load_player()

    def _load_player(self) -> None:
        if self.player.mode.value() == "sequence":
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

    def pick_reference_frame(self, segment_id: str) -> FramePickerDialog | None:
        """Open the frame picker on the previous segment's chosen take; the picked time
        becomes this segment's reference frame (one undo step). Returns the open dialog."""
        sb = self.doc.storyboard
        index = sb.index_of(segment_id)
        if index <= 0:
            return None
        prev, seg = sb.segments[index - 1], sb.segments[index]
        take = chosen_take(prev, self.doc.takes)
        if take is None or not take.usable or take.file is None:
            self.statusBar().showMessage(f"Segment {index} has no take to pick a frame from yet.",
                                         8000)
            return None
        try:
            path = self._resolved(take.file)
        except ProjectError as e:
            self.statusBar().showMessage(str(e), 8000)
            return None
        length = clip_length(prev, self.doc.takes)
        at = seg.ref_time if seg.ref_time is not None else max(length - 1 / 30, 0.0)
        dlg = FramePickerDialog(self.thumbnails, path, length, at,
                                f"Segment {index + 1} <b>{seg.title or 'Untitled'}</b> will start "
                                f"from this frame of segment {index}'s take.", self)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def use() -> None:
            if segment_id in {s.id for s in self.doc.storyboard.segments}:
                self.doc.set_fields(segment_id, ref_mode=RefMode.AT_TIME, ref_time=dlg.value())

        dlg.accepted.connect(use)
        dlg.open()
        return dlg

    def thumbnail_for(self, segment: Segment) -> QImage | None:
        """A card's picture: the chosen take's frame, else the reference image, else None
        (the card paints the animatic slate)."""
        take = chosen_take(segment, self.doc.takes)
        try:
            if take is not None and take.usable and take.file:
                t_in, t_out = trim_range(segment, self.doc.takes)
                return self.thumbnails.get(self._resolved(take.file),
                                           round((t_in + t_out) / 2, 2))
            if segment.reference_image:
                return self.thumbnails.get(self._resolved(segment.reference_image))
        except ProjectError:
            return None
        return None

    def _resolved(self, relative: str) -> Path:
        """``bundle.resolve`` remembered per bundle: cards are painted often and resolving
        walks the file system."""
        key = (self.doc.bundle.path, relative)
        path = self._resolved_paths.get(key)
        if path is None:
            path = self._resolved_paths[key] = self.doc.bundle.resolve(relative)
        return path

    def _show_tab(self, index: int) -> None:
        self.dock.show()
        self.tabs.setCurrentIndex(index)

    def _on_zoom_changed(self, pps: float) -> None:
        self.zoom.blockSignals(True)
        self.zoom.setValue(int(pps * 10))
        self.zoom.blockSignals(False)

    # ------------------------------------------------------------------ editing slots

    def add_segment(self) -> None:
        idx = self.doc.current_index()
        self.doc.add_segment(None if idx is None else idx + 1)

    def insert_segment(self) -> None:
        idx = self.doc.current_index()
        self.doc.add_segment(0 if idx is None else idx)

    def duplicate(self) -> None:
        self.doc.duplicate(self.doc.selection)

    def delete_selected(self) -> None:
        self.doc.delete(self.doc.selection)

    def select_all(self) -> None:
        self.doc.select([s.id for s in self.doc.storyboard.segments])

    def move_left(self) -> None:
        i = self.doc.current_index()
        if i is not None and i > 0:
            self._move_with_warning(self.doc.storyboard.segments[i].id, i - 1)

    def move_right(self) -> None:
        i = self.doc.current_index()
        if i is not None and i + 1 < len(self.doc.storyboard.segments):
            self._move_with_warning(self.doc.storyboard.segments[i].id, i + 1)

    def _move_with_warning(self, segment_id: str, to_index: int) -> None:
        sb = self.doc.storyboard
        src = sb.index_of(segment_id)
        broken = []
        if sb.segments[src].is_chained and src > 0:
            broken.append(f"“{sb.segments[src].title}” no longer follows the shot it continues")
        if src + 1 < len(sb.segments) and sb.segments[src + 1].is_chained:
            broken.append(f"“{sb.segments[src + 1].title}” loses the shot it continues from")
        self.doc.move(segment_id, to_index)
        if broken:
            self.statusBar().showMessage("Chain broken: " + "; ".join(broken)
                                         + " — regenerate or make them independent.", 10000)

    def _edit_transition(self, segment_id: str, where: QPoint) -> None:
        popup = TransitionPopup(self.doc, segment_id, self)
        popup.move(where)
        popup.show()

    def _context_menu(self, where: QPoint) -> None:
        menu = QMenu(self)
        for aid in ("edit.add", "edit.insert", "edit.duplicate", "edit.delete", None,
                    "segment.generate", "segment.cancel", None, "segment.move_left",
                    "segment.move_right"):
            if aid is None:
                menu.addSeparator()
            else:
                menu.addAction(self.actions_by_id[aid])
        idx = self.doc.current_index()
        if idx is not None and idx > 0:
            seg = self.doc.storyboard.segments[idx]
            menu.addSeparator()
            chain = menu.addAction(icon("link"), "Continues from the previous segment")
            chain.setCheckable(True)
            chain.setChecked(seg.is_chained)
            chain.toggled.connect(lambda on, sid=seg.id: self.doc.set_field(
                sid, "continuity", Continuity.CHAIN if on else Continuity.INDEPENDENT))
        menu.exec(where)

    def _set_reference_image(self, segment_id: str, path: str) -> None:
        src = Path(path)
        reader = QImageReader(str(src))
        if not reader.canRead():
            QMessageBox.warning(self, "Not an image",
                                f"{src.name} cannot be used as a reference image: "
                                f"{reader.errorString()}. Use a PNG, JPEG or WebP file.")
            return
        target_dir = self.doc.bundle.media_dir / "references"
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / src.name
        n = 1
        while target.exists() and target.read_bytes() != src.read_bytes():
            target = target_dir / f"{src.stem}-{n}{src.suffix}"
            n += 1
        if not target.exists():
            shutil.copy2(src, target)
        self.doc.set_fields(segment_id, reference_image=self.doc.bundle.relative(target),
                            ref_mode=RefMode.CUSTOM)

    def show_history(self) -> None:
        dlg = QDialog(self)
        dlg.setWindowTitle("Undo history")
        v = QVBoxLayout(dlg)
        view = QUndoView(self.doc.undo_stack)
        view.setEmptyLabel("Opened")
        v.addWidget(view)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dlg.reject)
        v.addWidget(buttons)
        dlg.resize(360, 420)
        dlg.show()

    def zoom_in(self) -> None:
        self.timeline.canvas.set_zoom(self.timeline.canvas.pps * 1.25)

    def zoom_out(self) -> None:
        self.timeline.canvas.set_zoom(self.timeline.canvas.pps / 1.25)

    def toggle_play(self) -> None:
        self.player.toggle()

    def preview_sequence(self) -> None:
        self.player.mode.set_value("sequence")
        self._on_mode_changed("sequence")

    def show_about(self) -> AboutDialog:
        dlg = AboutDialog(self)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.open()
        return dlg

    # ------------------------------------------------------------------ files

    def new_project(self) -> None:
        if not self._confirm_discard():
            return
        path, _ = QFileDialog.getSaveFileName(self, "New storyboard", str(Path.home() / "Untitled"),
                                              "soraboard project (*.soraboard)")
        if path:
            sb = Storyboard(title=Path(path).name.removesuffix(".soraboard"),
                            default_model=self.settings.default_model,
                            default_size=self.settings.default_size, budget=self.settings.budget)
            self._create_and_open(path, replace(sb, segments=(sb.new_segment(title="Segment 1"),)))

    def _create_and_open(self, path: str, storyboard: Storyboard) -> None:
        try:
            Bundle.create(path, storyboard)
        except ProjectError as e:
            QMessageBox.warning(self, "New project", str(e))
            return
        self.replace_document(Bundle(path).path)

    def _remember(self) -> None:
        """Put this project first in File ▸ Open Recent (ten kept, missing ones dropped)."""
        path = str(self.doc.bundle.path)
        recent = [path, *(p for p in self.settings.recent_projects if p != path)][:10]
        if tuple(recent) != self.settings.recent_projects:
            self.settings = replace(self.settings, recent_projects=tuple(recent))
            try:
                save_settings(self.settings)
            except (OSError, ValueError) as e:
                log.warning("recent projects not saved: %s", e)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        shown = [p for p in self.settings.recent_projects
                 if p != str(self.doc.bundle.path) and Path(p).is_dir()]
        for p in shown:
            act = self.recent_menu.addAction(icon("film"), Path(p).name.removesuffix(".soraboard"))
            act.setToolTip(p)
            act.triggered.connect(lambda _c=False, p=p: self._open_recent(p))
        if not shown:
            none = self.recent_menu.addAction("No other recent projects")
            none.setEnabled(False)

    def _open_recent(self, path: str) -> None:
        if self._confirm_discard():
            self.replace_document(Path(path))

    def open_project(self) -> None:
        if not self._confirm_discard():
            return
        path = QFileDialog.getExistingDirectory(self, "Open a .soraboard project folder")
        if path:
            self.replace_document(Path(path))

    def replace_document(self, path: Path) -> None:
        try:
            project = load_project(path)
        except ProjectError as e:
            QMessageBox.critical(self, "Cannot open the project", str(e))
            return
        from soraboard.app import open_window

        open_window(project, self.settings)
        self.doc.undo_stack.setClean()  # the user already agreed to discard
        self.close()

    def save(self) -> bool:
        try:
            self.doc.save()
        except (OSError, ProjectError) as e:
            QMessageBox.critical(self, "Save failed",
                                 f"The storyboard was not saved, and the file on disk is "
                                 f"unchanged.\n\n{e}")
            return False
        self.statusBar().showMessage(f"Saved {self.doc.bundle.path}", 4000)
        return True

    def save_as(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save as", str(self.doc.bundle.path.parent),
                                              "soraboard project (*.soraboard)")
        if path:
            try:
                self.doc.save_as(path)
            except (OSError, ProjectError) as e:
                QMessageBox.critical(self, "Save as failed", str(e))

    def _confirm_discard(self) -> bool:
        if not self.doc.is_modified():
            return True
        answer = QMessageBox.question(
            self, "Unsaved changes", f"Save the changes to “{self.doc.title}”?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        if answer == QMessageBox.StandardButton.Discard:
            self.doc.discard_autosave()
            return True
        return False

    def _restart_autosave(self) -> None:
        secs = self.settings.autosave_seconds
        if secs > 0:
            self.autosave_timer.start(secs * 1000)
        else:
            self.autosave_timer.stop()

    def _autosave(self) -> None:
        try:
            if self.doc.autosave():
                self._last_autosave = time.time()
                self._refresh_status()
        except OSError as e:
            self.statusBar().showMessage(f"Autosave failed: {e}", 10000)

    def offer_recovery(self) -> None:
        """After a crash: the autosave is newer than the saved storyboard — offer it."""
        sb = read_autosave(self.doc.bundle)
        if sb is None:
            return
        answer = QMessageBox.question(
            self, "Recover unsaved changes?",
            f"soraboard found changes to “{sb.title}” that were autosaved but never saved "
            "(the app may have crashed). Recover them? You can undo the recovery.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes)
        if answer == QMessageBox.StandardButton.Yes:
            self.doc.recover_autosave()
        else:
            self.doc.discard_autosave()

    # ------------------------------------------------------------------ closing

    def closeEvent(self, event: QCloseEvent) -> None:
        running = self.jobs.running_segments() + self.jobs.pending_segments() \
            if self.jobs is not None else []
        if running:
            answer = QMessageBox.question(
                self, "Jobs are running",
                f"{len(running)} segment{'s are' if len(running) != 1 else ' is'} still being "
                "generated. Close anyway? Running jobs stay recorded in the project and resume "
                "when you open it again (nothing is paid twice); queued ones are dropped.",
                QMessageBox.StandardButton.Close | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel)
            if answer != QMessageBox.StandardButton.Close:
                event.ignore()
                return
        if not self._confirm_discard():
            event.ignore()
            return
        if self.jobs is not None:
            self.jobs.close(detach=True, msecs=10000)
        self.stitch.cancel_all()
        self.stitch.wait(10000)
        StitchRunner.wait_for_shut_down(10000)
        self.thumbnails.wait(5000)
        QSettings("soraboard", "soraboard").setValue("geometry", self.saveGeometry())
        event.accept()

    # ------------------------------------------------------------------ settings

    def open_settings(self) -> None:
        from soraboard.ui.settings_dialog import SettingsDialog

        dlg = SettingsDialog(self.settings, self)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self.settings = dlg.result_settings()
            use_ffmpeg(self.settings.ffmpeg_path)
            save_settings(self.settings)
            self.banner.setVisible(self.settings.provider is None)
            self._restart_autosave()
            self._refresh_chrome()


    # ------------------------------------------------------------------ generation

    jobs: JobManager | None = None

    def _job_manager(self) -> JobManager | None:
        """The JobManager for the configured provider (built on first use, rebuilt when the
        provider changes). None, with a message, when the provider cannot be used."""
        name = self.settings.provider or "animatic"
        if self.jobs is not None and self.jobs.backend.name == name:
            return self.jobs
        if self.jobs is not None and (self.jobs.running_segments() or self.jobs.pending_segments()):
            QMessageBox.warning(self, "Generation", "Jobs of the previous provider are still "
                                "running; wait for them or cancel them first.")
            return None
        try:
            backend = make_backend(self.settings.provider, concurrency=self.settings.concurrency,
                                   catalog=self.doc.catalog)
        except Exception as e:
            answer = QMessageBox.warning(
                self, "Cannot generate", f"{e}\n\nOpen the settings to fix the provider?",
                QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel)
            if answer == QMessageBox.StandardButton.Open:
                self.open_settings()
            return None
        jobs = JobManager(self.doc.bundle, backend, self)
        jobs.take_updated.connect(self._on_take_updated)
        jobs.take_finished.connect(self._on_take_finished)
        jobs.job_failed.connect(self._on_job_failed)
        jobs.segment_blocked.connect(self._on_job_blocked)
        jobs.warning.connect(self._on_job_warning)
        jobs.idle.connect(self._on_jobs_idle)
        self.jobs = jobs
        return jobs

    def resume_journaled_jobs(self) -> None:
        """After a crash or a close with jobs running: follow every journaled job again."""
        active = [t for t in self.doc.takes.values() if t.status.is_resumable]
        if not active:
            return
        jobs = self._job_manager()
        if jobs is None:
            return
        jobs.generate(self.doc.storyboard, self.doc.takes, [])
        self.statusBar().showMessage(f"Resumed {len(active)} journaled job"
                                     f"{'s' if len(active) != 1 else ''}", 8000)

    def plan_text(self, segment_ids: list[str]) -> str:
        """What will run at once and what waits for what — shown before money is spent."""
        sb = self.doc.storyboard
        wanted = set(segment_ids)
        now, later = [], []
        for sid in segment_ids:
            i = sb.index_of(sid)
            seg = sb.segments[i]
            if seg.is_chained and i > 0 and sb.segments[i - 1].id in wanted:
                later.append(f"{i + 1} after {i}")
            else:
                now.append(str(i + 1))
        parts = []
        if now:
            k = self.settings.concurrency
            parts.append(f"In parallel (up to {k} at once): {', '.join(now)}.")
        if later:
            parts.append(f"In sequence, each from the last frame of the one before: "
                         f"{', '.join(later)}.")
        return " ".join(parts)

    def _confirm(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text,
                                      QMessageBox.StandardButton.Yes
                                      | QMessageBox.StandardButton.Cancel,
                                      QMessageBox.StandardButton.Yes)
        return answer == QMessageBox.StandardButton.Yes

    def _generate(self, segment_ids: list[str], confirm: bool = True) -> bool:
        sb = self.doc.storyboard
        ids = [s.id for s in sb.segments if s.id in set(segment_ids)]
        if self.jobs is not None:
            ids = [i for i in ids if not self.jobs.is_running(i)]
        if not ids:
            self.statusBar().showMessage("Nothing to generate", 4000)
            return False
        errors = [p for p in validate(sb, self.doc.catalog, self.doc.takes)
                  if p.severity is Severity.ERROR and p.segment_id in ids]
        if errors:
            QMessageBox.warning(self, "Fix these first",
                                "\n".join(str(p) for p in errors[:8]))
            return False
        amount = Amount()
        for sid in ids:
            amount += segment_cost(sb.segment(sid), self.doc.catalog).amount
        rep = self.doc.cost()
        provider = self.settings.provider or "the animatic backend (offline, $0)"
        free = self.settings.provider is None
        cost_text = "$0.00 — animatic clips are free" if free else amount.describe()
        if confirm:
            text = (f"Generate {len(ids)} segment{'s' if len(ids) != 1 else ''} with "
                    f"{provider} for {cost_text}.\n\n{self.plan_text(ids)}")
            if not self._confirm("Generate", text):
                return False
        if not free and rep.remaining is not None and amount.known > rep.remaining:
            over = amount.known - rep.remaining
            if not self._confirm("Over budget",
                                 f"This would go {fmt_usd(over)} over the budget "
                                 f"(left: {fmt_usd(rep.remaining)}). Start anyway?"):
                return False
        jobs = self._job_manager()
        if jobs is None:
            return False
        try:
            jobs.generate(sb, self.doc.takes, ids, None)
        except Exception as e:  # e.g. another soraboard is generating into this project
            QMessageBox.warning(self, "Cannot generate", str(e))
            return False
        self._batch = (time.time(), list(ids))
        self._show_tab(3)
        return True

    _batch: tuple[float, list[str]] | None = None

    def generate_selected(self) -> None:
        self._generate(self.doc.selection)

    def generate_missing(self) -> None:
        statuses = self.doc.statuses()
        ids = [s.id for s, st in zip(self.doc.storyboard.segments, statuses)
               if st.state.needs_generation]
        self._generate(ids)

    def generate_all(self) -> None:
        self._generate([s.id for s in self.doc.storyboard.segments])

    # ------------------------------------------------ creates whose outcome is unknown
    def _check_again(self, take_id: str) -> None:
        """Ask the provider again (sends nothing); the take follows its job if one is listed."""
        take = self.doc.takes.get(take_id)
        jobs = self._job_manager()
        if take is None or jobs is None:
            return
        sb = self.doc.storyboard
        seg = sb.segment(take.segment_id) if sb.has_segment(take.segment_id) else None
        jobs.check_again(take, seg)
        self.statusBar().showMessage("Checking the provider again — nothing is sent", 6000)

    def _send_again(self, take_id: str) -> None:
        """The user agreed (with the amount shown) to pay again for this segment."""
        take = self.doc.takes.get(take_id)
        jobs = self._job_manager()
        if take is None or jobs is None or not self.doc.storyboard.has_segment(take.segment_id):
            return
        try:
            jobs.generate(self.doc.storyboard, self.doc.takes, [take.segment_id], None,
                          send_again={take.segment_id})
        except Exception as e:  # e.g. another soraboard is generating into this project
            QMessageBox.warning(self, "Cannot generate", str(e))

    def _forget_take(self, take_id: str) -> None:
        take = self.doc.takes.get(take_id)
        jobs = self._job_manager()
        if take is None or jobs is None:
            return
        jobs.forget(take)
        self.statusBar().showMessage("Forgotten: it no longer counts as possibly billed", 6000)

    def _cancel_segment(self, segment_id: str) -> None:
        if self.jobs is not None and self.jobs.cancel(segment_id):
            self.statusBar().showMessage("Cancelled. The provider may still bill for a job it "
                                         "had started.", 10000)

    def cancel_selected(self) -> None:
        for sid in self.doc.selection:
            self._cancel_segment(sid)

    def cancel_all(self) -> None:
        if self.jobs is not None:
            self.jobs.cancel_all()
            self.statusBar().showMessage("Cancelled every job. The provider may still bill for "
                                         "jobs it had started.", 10000)

    def _on_take_updated(self, take: object) -> None:
        """Progress of running jobs arrives often and from many jobs at once: it is gathered
        and shown together at most every ``TAKE_UPDATE_MS`` (one repaint, one cost update)."""
        assert isinstance(take, Take)
        self._pending_takes[take.id] = take
        if not self._take_flush.isActive():
            self._take_flush.start()

    def _flush_take_updates(self) -> None:
        self._take_flush.stop()
        pending, self._pending_takes = self._pending_takes, {}
        if pending:
            self.doc.record_takes(pending.values())
            for take in pending.values():
                self.jobs_panel.track(take)

    def _on_take_finished(self, take: object) -> None:
        assert isinstance(take, Take)
        self._pending_takes.pop(take.id, None)
        self._flush_take_updates()
        self.doc.record_take(take)
        self.jobs_panel.track(take)
        if take.usable and self.doc.storyboard.has_segment(take.segment_id):
            # the new take is used at once (undoable); the previous one stays in Takes
            self.doc.choose_take(take.segment_id, take.id)
            if take.segment_id == self.doc.current_id:
                self._load_player()
        elif not take.usable:
            self.statusBar().showMessage(self._explain(take.segment_id, take.error or
                                                       take.status.value), 15000)

    def _explain(self, segment_id: str, message: str) -> str:
        """A failure in words, with the likely fix."""
        sb = self.doc.storyboard
        where = f"Segment {sb.index_of(segment_id) + 1}" if sb.has_segment(segment_id) \
            else "A deleted segment"
        low = message.lower()
        if "must match the requested width and height" in low or ("reference" in low and \
                "size" in low):
            fix = "the reference frame has the wrong size — regenerate the previous segment or " \
                  "pick another reference"
        elif "policy" in low or "moderation" in low or "rejected" in low:
            fix = "the provider refused the prompt — edit the prompt and try again"
        elif "key" in low or "auth" in low or "401" in low:
            fix = "the API key is missing or wrong — open Settings"
        elif "quota" in low or "billing" in low or "insufficient" in low:
            fix = "the account is out of credit or over its quota"
        elif "expired" in low:
            fix = "the provider deleted the result before it was downloaded — regenerate"
        else:
            fix = "retry it from the Jobs tab"
        return f"{where} failed: {message} ({fix})"

    def _on_job_failed(self, segment_id: str, message: str) -> None:
        text = self._explain(segment_id, message)
        self.jobs_panel.note_failure(segment_id, text)
        self.statusBar().showMessage(text, 15000)

    def _on_job_blocked(self, segment_id: str, why: str) -> None:
        sb = self.doc.storyboard
        where = (f"Segment {sb.index_of(segment_id) + 1}" if sb.has_segment(segment_id)
                 else "A segment")
        text = f"{where} cannot start: {why}"
        self.jobs_panel.note_failure(segment_id, text)
        self.statusBar().showMessage(text, 15000)

    def _on_job_warning(self, segment_id: str, text: str) -> None:
        if segment_id == self.doc.current_id:
            self.inspector.set_face_warning(text)
        self.statusBar().showMessage(text, 10000)

    def _on_jobs_idle(self) -> None:
        self._flush_take_updates()
        if self._batch is None:
            return
        started, ids = self._batch
        self._batch = None
        took = time.time() - started
        sb = self.doc.storyboard
        states = [st.state for seg, st in zip(sb.segments, self.doc.statuses()) if seg.id in ids]
        done = sum(s is SegmentState.DONE for s in states)
        failed = sum(s is SegmentState.FAILED for s in states)
        unknown = sum(s is SegmentState.UNKNOWN for s in states)
        parts = [f"{done} of {len(ids)} done"]
        if failed:
            parts.append(f"{failed} failed")
        if unknown:
            parts.append(f"{unknown} outcome unknown — may be billed (see Jobs)")
        failed += unknown
        rep = self.doc.cost()
        msg = (f"Generation finished: {', '.join(parts)} in {fmt_duration(took)} · spent so far "
               f"{fmt_usd(rep.spent)}"
               + (f", possibly billed {fmt_usd(rep.possibly_billed)}" if rep.possibly_billed
                  else ""))
        self.statusBar().showMessage(msg, 20000)
        if took > LONG_TASK_SECONDS:
            self.notify("Generation finished" if not failed else "Generation finished with "
                        "failures", msg.removeprefix("Generation finished: "),
                        warning=bool(failed))

    def notify(self, title: str, text: str, warning: bool = False) -> None:
        """Tell a creator who is looking elsewhere that a long task ended: a desktop
        notification through the system tray where there is one, and the window asks for
        attention in the task bar (both do nothing when the window is in front)."""
        if self.isActiveWindow():
            return
        QApplication.alert(self)
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return
        if self._tray is None:
            self._tray = QSystemTrayIcon(self.windowIcon(), self)
            self._tray.setToolTip("soraboard")
            self._tray.messageClicked.connect(self._bring_to_front)
            self._tray.activated.connect(lambda _r: self._bring_to_front())
        self._tray.show()
        kind = QSystemTrayIcon.MessageIcon.Warning if warning else \
            QSystemTrayIcon.MessageIcon.Information
        self._tray.showMessage(title, text, kind, 10_000)

    _tray: QSystemTrayIcon | None = None

    def _on_export_ended(self, title: str, text: str, warning: bool) -> None:
        dlg = self.export_dialog
        if dlg is not None and time.monotonic() - dlg.export_started > LONG_TASK_SECONDS:
            self.notify(title, text, warning)

    def _bring_to_front(self) -> None:
        self.showNormal() if self.isMinimized() else self.show()
        self.raise_()
        self.activateWindow()

    # ------------------------------------------------------------------ takes

    def _take_path(self, take_id: str) -> Path | None:
        take = self.doc.takes.get(take_id)
        if take is None or not take.usable or take.file is None:
            return None
        try:
            return self.doc.bundle.resolve(take.file)
        except ProjectError:
            return None

    def _play_take(self, take_id: str) -> None:
        path = self._take_path(take_id)
        if path is None:
            return
        self.player.mode.set_value("take")
        self.player.loop_range = None
        self.player.load(path, f"Take {take_id}")
        self.player.player.play()

    def _compare_takes(self, a: str, b: str) -> None:
        from soraboard.ui.compare import CompareDialog

        pa, pb = self._take_path(a), self._take_path(b)
        if pa is None or pb is None:
            return
        dlg = CompareDialog(pa, pb, self.doc.takes[a], self.doc.takes[b], self)
        dlg.chosen.connect(lambda tid: self.doc.choose_take(self.doc.takes[tid].segment_id, tid))
        dlg.show()

    def _remix_take(self, take_id: str) -> None:
        from PySide6.QtWidgets import QInputDialog

        take = self.doc.takes[take_id]
        text, ok = QInputDialog.getText(
            self, "Remix", f"One targeted change to this take ({fmt_usd(take.cost_value)} "
            "again, same model, size and length):")
        if not ok or not text.strip():
            return
        jobs = self._job_manager()
        if jobs is None:
            return
        seg = self.doc.storyboard.segment(take.segment_id) \
            if self.doc.storyboard.has_segment(take.segment_id) else None
        jobs.remix(take, text.strip(), seg)
        self._show_tab(3)

    def _delete_take_file(self, take_id: str) -> None:
        take = self.doc.takes[take_id]
        path = self._take_path(take_id)
        if path is None:
            return
        cost = "$0.00 (imported)" if take.source is TakeSource.IMPORTED else fmt_usd(take.cost_value)
        answer = QMessageBox.question(
            self, "Delete the take's file?",
            f"Delete the video file of this take? It cost {cost}; the record of the take "
            "stays, but the clip is gone for good.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            path.unlink()
        except OSError as e:
            QMessageBox.warning(self, "Delete failed", str(e))
            return
        updated = take.with_changes(file=None, error="file deleted by the user",
                                    updated_at=time.time())
        self.doc.bundle.write_take(updated)
        self.doc.record_take(updated)

    # ------------------------------------------------------------------ story, import, export

    def new_from_story(self) -> None:
        from soraboard.ui.story_dialog import StoryDialog

        dlg = StoryDialog(self.doc.catalog, self.doc.storyboard.default_model,
                          self.doc.storyboard.default_size, self)
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return
        planned = dlg.edited_storyboard()
        if planned is None:
            return
        if dlg.new_project.isChecked():
            path, _ = QFileDialog.getSaveFileName(self, "New project from the story",
                                                  str(self.doc.bundle.path.parent / planned.title),
                                                  "soraboard project (*.soraboard)")
            if path:
                self._create_and_open(path, planned)
            return
        self.apply_plan(planned)

    def apply_plan(self, planned: Storyboard) -> None:
        """Replace the segments and the style bible by a planned storyboard: one undo step."""
        from soraboard.model.edits import (
            Macro,
            delete_segments,
            insert_segments,
            set_storyboard_field,
        )

        sb = self.doc.storyboard
        steps = []
        if sb.segments:
            steps.append(delete_segments(sb, [s.id for s in sb.segments]))
        steps.append(insert_segments(sb, 0, planned.segments, "Insert planned segments"))
        steps.append(set_storyboard_field(sb, "style", planned.style))
        self.doc.apply(Macro(tuple(steps), label="Plan from story"))
        self.doc.select([planned.segments[0].id])

    def import_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Import clips or images", "",
            "Media (*.mp4 *.mov *.mkv *.webm *.m4v *.png *.jpg *.jpeg *.webp);;All files (*)")
        if paths:
            idx = self.doc.current_index()
            self.import_paths(paths, None if idx is None else idx + 1)

    def import_paths(self, paths: list[str], index: int | None) -> None:
        """Clips become segments whose take is that footage, images become drafts that start
        from them — all files checked first (in a worker), one undo step for the whole drop."""
        from soraboard.workers.imports import ImportJob

        job = ImportJob(self.doc.bundle, self.doc.storyboard, paths, index)
        job.signals.done.connect(lambda result, j=job: self._on_imported(j, result))
        job.signals.rejected.connect(lambda problems, j=job: self._on_import_failed(
            j, "\n".join(problems) + "\n\nThe storyboard is unchanged."))
        job.signals.failed.connect(lambda message, j=job: self._on_import_failed(
            j, f"{message}\n\nThe storyboard is unchanged."))
        self._imports.add(job)
        self.statusBar().showMessage(f"Importing {len(paths)} file{'s' if len(paths) != 1 else ''}…")
        QThreadPool.globalInstance().start(job)

    _imports: set[Any]  #: running import jobs, kept referenced until they report

    def _on_import_failed(self, job: Any, message: str) -> None:
        self._imports.discard(job)
        self.statusBar().clearMessage()
        QMessageBox.warning(self, "Nothing was imported", message)

    def _on_imported(self, job: Any, result: Any) -> None:
        self._imports.discard(job)
        for take in result.takes:
            self.doc.record_take(take)
        self.doc.apply(result.edit)
        self.doc.select([s.id for s in result.segments])
        n = len(result.segments)
        self.statusBar().showMessage(f"Imported {n} file{'s' if n != 1 else ''}", 6000)

    def _project_snapshot(self) -> Project:
        return Project(self.doc.bundle, self.doc.storyboard, dict(self.doc.takes))

    def export_film(self) -> None:
        from soraboard.ui.export_dialog import ExportDialog

        missing = [f"{i + 1} · {s.title}" for i, s in enumerate(self.doc.storyboard.segments)
                   if not (s.chosen_take and s.chosen_take in self.doc.takes
                           and self.doc.takes[s.chosen_take].usable)]
        if missing:
            QMessageBox.information(
                self, "Not ready to export",
                "These segments have no usable take yet:\n" + "\n".join(missing[:12])
                + "\n\nGenerate them first (the sequence preview shows slates for them).")
            return
        self.export_dialog = ExportDialog(self._project_snapshot(), self.thumbnails, self)
        self.export_dialog.ended.connect(self._on_export_ended)
        self.export_dialog.show()

    # ------------------------------------------------------------------ sequence preview

    _preview_job: PreviewJob | None = None
    _preview_plan: ExportPlan | None = None
    _preview_dirty = True

    def _on_document_changed_for_preview(self) -> None:
        self._preview_dirty = True
        if self.player.mode.value() == "sequence":
            self._preview_timer.start()

    def _render_preview(self) -> None:
        if self._preview_job is not None:
            self._preview_job.cancel()
        job = PreviewJob(self._project_snapshot())
        job.signals.progress.connect(self._on_preview_progress)
        job.signals.done.connect(self._on_preview_done)
        job.signals.failed.connect(lambda msg: self.player.show_slate(
            "The sequence preview failed", msg))
        self._preview_job = job
        self._preview_dirty = False
        if self.player.source is None:
            self.player.show_slate("Rendering the sequence preview…",
                                   "Segments without a take appear as slates of their length.")
        self.stitch.start(job)

    def _on_preview_progress(self, p: object) -> None:
        if self.player.source is None and hasattr(p, "text"):
            self.player.slate.set_text("Rendering the sequence preview…", str(p.text))

    def _on_preview_done(self, result: object) -> None:
        preview, plan = result  # type: ignore[misc]
        self._preview_job = None
        self._preview_plan = plan
        if self.player.mode.value() != "sequence":
            return
        pos = self.player.player.position() / 1000 if self.player.source else 0.0
        self.player.source = None  # force a reload: the file changed under the same name
        self.player.load(preview.path, "Sequence preview", start=pos)
        self._update_sequence_overlay(pos)

    def _update_sequence_overlay(self, t: float) -> None:
        canvas = self.timeline.canvas
        i = canvas.index_at_time(t)
        n = len(self.doc.storyboard.segments)
        if i is not None:
            self.player.set_overlay(f"Sequence preview · {int(t // 60):02d}:{t % 60:04.1f} · "
                                    f"segment {i + 1} of {n}")

    def _on_player_position(self, t: float) -> None:
        if self.player.mode.value() != "sequence":
            return
        idx = self.doc.current_index()
        if self.player.loop.isChecked() and idx is not None:
            card = self.timeline.canvas.layouts[idx]
            self.player.loop_range = (card.start, card.end)  # loop the selected segment
        else:
            self.player.loop_range = None
        self.timeline.canvas.set_playhead(t)
        self.timeline.follow_playhead(t)
        self._update_sequence_overlay(t)

    def _on_mode_changed(self, mode: str) -> None:
        if mode == "sequence":
            if self._preview_dirty or self.player.source is None:
                self._render_preview()
        else:
            self.timeline.canvas.set_playhead(None)
            self._load_player()

    def _seek_film(self, t: float) -> None:
        if self.player.mode.value() != "sequence":
            self.player.mode.set_value("sequence")
            self._on_mode_changed("sequence")
        self.player.seek(t)
        self.timeline.canvas.set_playhead(t)
