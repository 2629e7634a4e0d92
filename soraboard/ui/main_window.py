"""The main window: player in the centre, timeline across the bottom, the inspector dock on
the right (Segment · Takes · Style bible · Jobs) with the cost strip pinned under it.

The window is assembly: it builds the widgets, docks, menus and toolbar and wires them to one
controller per flow (soraboard/ui/controllers/): files, edit, generation, preview, imports.
Only the window-level bits live here — settings, about, history, zoom, export, notifications.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QPoint, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QImage, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QScrollArea,
    QSlider,
    QSplitter,
    QStyle,
    QSystemTrayIcon,
    QTabWidget,
    QToolBar,
    QToolButton,
    QUndoView,
    QVBoxLayout,
    QWidget,
)

from soraboard.catalog.cost import fmt_usd
from soraboard.document import Document
from soraboard.media.ffmpeg import use_ffmpeg
from soraboard.model.status import SegmentState
from soraboard.model.still_slots import current_still
from soraboard.model.storyboard import Continuity, RefMode, Segment, Transition, TransitionType
from soraboard.model.take import chosen_take
from soraboard.model.timing import clip_length, film_length, fmt_seconds, trim_range
from soraboard.settings import Settings, load_settings, save_settings
from soraboard.storage.bundle import Project
from soraboard.storage.errors import ProjectError
from soraboard.ui import theme
from soraboard.ui.about import AboutDialog, app_icon
from soraboard.ui.actions import ACTIONS, MENUS, PRIMARY, TOOLBAR, ActionSpec, key_sequences
from soraboard.ui.ask import Ask, DialogAsk
from soraboard.ui.controllers import plural
from soraboard.ui.controllers.cast import CastController
from soraboard.ui.controllers.edit import EditController
from soraboard.ui.controllers.files import FilesController
from soraboard.ui.controllers.generation import LONG_TASK_SECONDS, GenerationController
from soraboard.ui.controllers.imports import ImportController
from soraboard.ui.controllers.keyframes import KeyframeController
from soraboard.ui.controllers.preview import PreviewController
from soraboard.ui.controllers.voiceover import VoiceoverController
from soraboard.ui.cost_panel import CostPanel
from soraboard.ui.frame_picker import FramePickerDialog
from soraboard.ui.icons import icon
from soraboard.ui.inspector import SegmentInspector
from soraboard.ui.panels import JobsPanel, TakesPanel
from soraboard.ui.player import PlayerWidget
from soraboard.ui.still_takes import StillCompareDialog, StillTakesDialog
from soraboard.ui.style_bible import StyleBibleEditor
from soraboard.ui.timeline import MAX_PPS, MIN_PPS, TimelineView
from soraboard.workers import prefer_gui_thread
from soraboard.workers.export import StitchRunner
from soraboard.workers.thumbnails import ThumbnailService
from soraboard.workers.warmup import is_warm, warm_up

log = logging.getLogger(__name__)


class Banner(QFrame):
    """One dismissible line with the action that fixes it (the offline notice)."""

    action_clicked = Signal()

    def __init__(self, text: str, action: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        amber = theme.STALE
        self.restyle()
        theme.notifier().changed.connect(self.restyle)
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

    def restyle(self) -> None:
        bg = theme.mix(theme.surface(), theme.STALE, 0.16)
        self.setStyleSheet(f"#banner {{ background: {bg.name()}; }}")


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
                 parent: QWidget | None = None, ask: Ask | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.settings = settings or load_settings()[0]
        use_ffmpeg(self.settings.ffmpeg_path)
        self.ask: Ask = ask or DialogAsk(self)
        self.actions_by_id: dict[str, QAction] = {}
        prefer_gui_thread()
        self._resolved_paths: dict[tuple[Path, str], Path] = {}
        self.setWindowIcon(app_icon())
        self.resize(1440, 900)
        self.setMinimumSize(QSize(960, 600))

        self._build_central()
        self._build_dock()
        self._build_controllers()
        self._build_actions()
        self._build_status_bar()

        doc.storyboard_changed.connect(self._refresh_chrome)
        doc.takes_changed.connect(self._refresh_chrome)
        doc.selection_changed.connect(self._on_selection_changed)
        doc.file_state_changed.connect(self._refresh_title)
        self._refresh_chrome()
        self._refresh_title()
        self._on_selection_changed()

        self.files.restart_autosave()
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(5000)
        self._status_timer.timeout.connect(self._refresh_status)
        self._status_timer.start()
        if doc.storyboard.segments and doc.current_id is None:
            doc.select([doc.storyboard.segments[0].id])
        QTimer.singleShot(0, lambda: warm_up(self.settings.ffmpeg_path))
        self.files.remember()

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
        canvas.transition_clicked.connect(self._edit_transition)
        canvas.activated.connect(lambda _sid: self._show_tab(0))
        canvas.context_menu_requested.connect(self._context_menu)
        canvas.zoom_changed.connect(self._on_zoom_changed)

        header = QWidget()
        hh = QHBoxLayout(header)
        hh.setContentsMargins(12, 6, 12, 2)
        title = QLabel("<b>Timeline</b>")
        self.timeline_info = QLabel()
        self.timeline_info.setStyleSheet(theme.secondary_style())
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

    def _build_dock(self) -> None:
        self.inspector = SegmentInspector(self.doc)
        self.inspector.pick_frame_requested.connect(self.pick_reference_frame)
        self.inspector.frames = self.thumbnails
        self.style_editor = StyleBibleEditor(self.doc)
        self.takes_panel = TakesPanel(self.doc, self.thumbnails)
        self.takes_panel.compare_requested.connect(self._compare_takes)
        self.jobs_panel = JobsPanel(self.doc)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.inspector, "Segment")
        self.tabs.addTab(self.takes_panel, "Takes")
        style_scroll = QScrollArea()  # it scrolls rather than make the window taller
        style_scroll.setWidget(self.style_editor)
        style_scroll.setWidgetResizable(True)
        style_scroll.setFrameShape(QFrame.Shape.NoFrame)
        style_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.tabs.addTab(style_scroll, "Style bible")
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
        self.dock.setMinimumWidth(340)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.resizeDocks([self.dock], [440], Qt.Orientation.Horizontal)

    def _build_controllers(self) -> None:
        """One controller per flow, each wired to the widgets that show it."""
        doc, get, ask, status = self.doc, lambda: self.settings, self.ask, self.statusBar()
        canvas = self.timeline.canvas

        self.files = FilesController(doc, get, ask, self)
        self.files.project_loaded.connect(self._open_in_new_window)
        self.files.settings_changed.connect(self._set_settings)
        self.files.autosaved.connect(self._refresh_status)

        self.edit = EditController(doc, get, ask, self)
        canvas.add_requested.connect(lambda: doc.add_segment())
        canvas.move_requested.connect(self.edit.move)
        self.inspector.image_chosen.connect(self.edit.set_reference_image)
        self.takes_panel.delete_requested.connect(self.edit.delete_take_file)

        self.cast = CastController(doc, get, ask, self.edit.import_image, self)
        self.cast.message.connect(status.showMessage)
        self.cast.sheets_changed.connect(self.style_editor.set_sheets_running)
        self.style_editor.image_add_requested.connect(self.cast.add_images)
        self.style_editor.image_remove_requested.connect(self.cast.remove_image)
        self.style_editor.sheet_requested.connect(self.cast.make_sheet)
        self.inspector.cast_panel.edit_cast_requested.connect(lambda: self._show_tab(2))

        self.generation = GenerationController(doc, get, ask, self)
        gen = self.generation
        gen.started.connect(lambda: self._show_tab(3))
        gen.take_tracked.connect(self.jobs_panel.track)
        gen.failure_noted.connect(self.jobs_panel.note_failure)
        gen.face_warning.connect(self.inspector.set_face_warning)
        gen.long_task_finished.connect(self._notify_if_long)
        gen.settings_requested.connect(self.open_settings)
        self.jobs_panel.cancel_requested.connect(gen.cancel_segment)
        self.jobs_panel.retry_requested.connect(gen.retry)
        self.jobs_panel.check_again_requested.connect(gen.check_again)
        self.jobs_panel.send_again_requested.connect(gen.send_again)
        self.jobs_panel.forget_requested.connect(gen.forget)
        self.inspector.generate_requested.connect(gen.generate_segment)
        self.inspector.cancel_requested.connect(gen.cancel_segment)
        self.takes_panel.remix_requested.connect(gen.remix)

        self.preview = PreviewController(doc, get, ask, self.player, self.timeline, self)
        gen.take_chosen.connect(self.preview.take_chosen)
        self.takes_panel.play_requested.connect(self.preview.play_take)

        self.imports = ImportController(doc, get, ask, self)
        self.imports.new_project_requested.connect(self.files.create_and_open)
        self.imports.message_cleared.connect(status.clearMessage)
        canvas.files_dropped.connect(self.imports.import_paths)

        self.keyframes = KeyframeController(doc, get, ask, self)
        panel = self.inspector.keyframes
        panel.first_mode_chosen.connect(self.keyframes.set_first_frame_mode)
        panel.import_requested.connect(self.keyframes.import_still)
        panel.generate_requested.connect(self.keyframes.generate_still)
        panel.take_frame_requested.connect(self.pick_keyframe_from_take)
        panel.last_cleared.connect(self.keyframes.clear_last)
        panel.stills_requested.connect(self.show_still_takes)
        self.keyframes.busy_changed.connect(panel.set_busy)
        canvas.boundary_clicked.connect(self._boundary_menu_at)

        self.voiceover = VoiceoverController(doc, get, ask, self)
        self.voiceover.settings_requested.connect(self.open_settings)
        self.voiceover.changed.connect(self.cost_panel.refresh)
        self.voiceover.changed.connect(self._on_voiceover_changed)

        for c in (self.files, self.edit, self.generation, self.preview, self.imports,
                  self.keyframes, self.voiceover):
            c.message.connect(status.showMessage)

    @property
    def controllers(self) -> dict[str, QObject]:
        """Who owns an action's slot: ``ActionSpec.slot`` is ``"owner.method"``."""
        return {"window": self, "undo": self.doc.undo_stack, "files": self.files, "edit": self.edit,
                "generation": self.generation, "preview": self.preview,
                "imports": self.imports, "keyframes": self.keyframes,
                "voiceover": self.voiceover}

    def _build_actions(self) -> None:
        menus: dict[str, QMenu] = {name: self.menuBar().addMenu(name) for name in MENUS}
        for spec in ACTIONS:
            act = self._make_action(spec)
            if spec.menu:
                if spec.separator_before:
                    menus[spec.menu].addSeparator()
                menus[spec.menu].addAction(act)
            if spec.id == "file.open":
                self.recent_menu = menus[spec.menu].addMenu(icon("history"), "Open &Recent")
                self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._build_toolbar()
        for dock_act in (self.dock.toggleViewAction(),):
            dock_act.setText("&Inspector")
            menus["&View"].addSeparator()
            menus["&View"].addAction(dock_act)
        self._build_theme_menu(menus["&View"])
        self._on_voiceover_running(False)
        self.voiceover.running_changed.connect(self._on_voiceover_running)

    def _on_voiceover_running(self, running: bool) -> None:
        self.actions_by_id["generate.voiceover"].setEnabled(not running)
        self.actions_by_id["generate.voices"].setEnabled(not running)
        self.actions_by_id["generate.voiceover_cancel"].setEnabled(running)

    def _build_theme_menu(self, view: QMenu) -> None:
        self.theme_menu = view.addMenu("&Theme")
        group = QActionGroup(self)
        group.setExclusive(True)
        self.theme_actions: dict[str, QAction] = {}
        for name, label in theme.THEMES.items():
            act = self.theme_menu.addAction(f"&{label}")
            act.setCheckable(True)
            act.setData(name)
            act.setChecked(name == theme.current())
            group.addAction(act)
            act.triggered.connect(lambda _c=False, n=name: self.set_theme(n))
            self.theme_actions[name] = act
        theme.notifier().changed.connect(self._on_theme_changed)

    def _build_toolbar(self) -> None:
        toolbar = QToolBar("Main", self)
        toolbar.setObjectName("main-toolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.setIconSize(QSize(18, 18))
        self.addToolBar(toolbar)
        self.toolbar = toolbar
        for aid in TOOLBAR:
            if aid is None:
                toolbar.addSeparator()
                continue
            act = self.actions_by_id[aid]
            toolbar.addAction(act)
            if aid in ("edit.undo", "edit.redo"):
                # "Undo Delete 3 segments" must never push the primary actions out
                btn = toolbar.widgetForAction(act)
                if isinstance(btn, QToolButton):
                    btn.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
            if aid == PRIMARY:
                btn = toolbar.widgetForAction(act)
                if isinstance(btn, QToolButton):
                    btn.setObjectName("primary")
                    self.primary_button = btn
                    self._restyle()
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
        self._chip_texts: dict[QToolButton, tuple[str, str]] = {}  #: full and short label

    def _set_chip(self, chip: QToolButton, full: str, short: str) -> None:
        self._chip_texts[chip] = (full, short)
        chip.setToolTip(full)
        self._fit_toolbar()

    def _fit_toolbar(self) -> None:
        """Keep Generate, Export, the provider and the budget on screen at any width: first
        the file and edit buttons drop their text (icons with tooltips), then the chips
        shorten. Nothing the creator needs goes into the toolbar's overflow menu."""
        tb = getattr(self, "toolbar", None)
        if tb is None or not hasattr(self, "_chip_texts"):
            return
        keep_text = {PRIMARY, "export.export"}
        secondary = [b for aid in TOOLBAR if aid is not None and aid not in keep_text
                     and aid not in ("edit.undo", "edit.redo")
                     for b in [tb.widgetForAction(self.actions_by_id[aid])]
                     if isinstance(b, QToolButton)]
        avail = self.width() - 16
        for step in range(3):
            for b in secondary:
                b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon if step == 0
                                     else Qt.ToolButtonStyle.ToolButtonIconOnly)
            for chip, (full, short) in self._chip_texts.items():
                chip.setText(full if step < 2 else short)
            if self._toolbar_width() <= avail:
                break
        self.toolbar_compact = step

    toolbar_compact = 0  #: 0 all labels, 1 icon-only file/edit buttons, 2 also short chips

    def _toolbar_width(self) -> int:
        tb = self.toolbar
        spacing = tb.style().pixelMetric(QStyle.PixelMetric.PM_ToolBarItemSpacing, None, tb) + 2
        total = 2 * tb.style().pixelMetric(QStyle.PixelMetric.PM_ToolBarHandleExtent, None, tb)
        for act in tb.actions():
            w = tb.widgetForAction(act)
            if act.isSeparator():
                total += 8 + spacing
            elif w is not None and act.isVisible():
                hint = w.sizeHint().width()
                total += (hint if hint > 0 else 0) + spacing
        return total + 2 * tb.contentsMargins().left() + 8

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_toolbar()

    primary_button: QToolButton | None = None

    def _restyle(self) -> None:
        """Styles computed from the palette: again after View ▸ Theme."""
        btn = self.primary_button
        if btn is not None:
            acc = theme.accent()
            btn.setStyleSheet(
                f"QToolButton#primary {{ background: {acc.name()}; color: white; "
                "border-radius: 4px; padding: 3px 10px; }"
                f"QToolButton#primary:disabled {{ background: "
                f"{theme.mix(acc, theme.surface(), 0.6).name()}; }}")

    def _on_theme_changed(self, name: str) -> None:
        self._restyle()
        for act in self.theme_actions.values():
            act.setChecked(act.data() == name)
        self._refresh_chrome()
        self.timeline.canvas.update()

    def set_theme(self, name: str) -> None:
        """View ▸ Theme: apply at once and remember it."""
        theme.apply(name)
        if self.settings.theme != name:
            self.settings = replace(self.settings, theme=name)
            try:
                save_settings(self.settings)
            except (OSError, ValueError) as e:
                self.statusBar().showMessage(f"The theme was not remembered: {e}", 8000)

    def slot_for(self, spec: ActionSpec) -> Callable[[], Any]:
        owner, name = spec.slot.split(".", 1)
        slot: Callable[[], Any] = getattr(self.controllers[owner], name)
        return slot

    def _make_action(self, spec: ActionSpec) -> QAction:
        if spec.slot == "undo.undo":  # the stack's own actions: their text names the step
            act = self.doc.undo_stack.createUndoAction(self, spec.text)
        elif spec.slot == "undo.redo":
            act = self.doc.undo_stack.createRedoAction(self, spec.text)
        else:
            act = QAction(spec.text, self)
            slot = self.slot_for(spec)
            act.triggered.connect(lambda _checked=False, s=slot: s())
            act.setToolTip(spec.tip or spec.text.replace("&", ""))
        act.setIcon(icon(spec.icon) if spec.icon else icon("info"))
        act.setShortcuts(key_sequences(spec.shortcut))
        act.setStatusTip(spec.tip)
        if spec.context == "media":
            # only while the timeline or the player has focus, never in a text field
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
                # an estimate at each model's list price; the animatic backend charges $0
                gen.setText(f"Generate missing && stale · est. {rep.to_generate.describe()}")
                gen.setToolTip(
                    f"Generate {plural(rep.to_generate_count, 'segment')} without a good take. "
                    + ("Estimated at each model's list price; the animatic backend renders "
                       "them offline for $0." if self.settings.provider is None else
                       f"Estimated at each model's list price with {self.settings.provider}."))
                gen.setEnabled(True)
            else:
                gen.setText("Everything generated")
                gen.setEnabled(False)
        provider = self.settings.provider or "Animatic (offline, $0)"
        self._set_chip(self.provider_chip, f"Provider: {provider}",
                       self.settings.provider or "Animatic · $0")
        if rep.budget is not None:
            color = theme.FAILED if rep.over_budget else theme.STALE if rep.near_budget else None
            self._set_chip(self.budget_chip,
                           f"Budget {fmt_usd(rep.budget)} · left {fmt_usd(rep.remaining)}",
                           f"Left {fmt_usd(rep.remaining)}")
            self.budget_chip.setStyleSheet(f"color: {color.name()};" if color else "")
        else:
            self._set_chip(self.budget_chip, "No budget", "No budget")
            self.budget_chip.setStyleSheet("")
        held = sum(sb.held_by_keyframe(i) for i in range(len(sb.segments) - 1))
        links = sum(1 for i in range(1, len(sb.segments)) if sb.waits_on_previous(i))
        length = film_length(sb, self.doc.takes)
        self.timeline_info.setText(f"{plural(len(sb.segments), 'segment')} · {fmt_seconds(length)} s · "
                                   f"{plural(links, 'chained link')}"
                                   + (f" · {held} held by keyframes" if held else ""))
        self._refresh_status()

    def _refresh_status(self) -> None:
        sb = self.doc.storyboard
        rep = self.doc.cost()
        running = sum(1 for s in self.doc.statuses()
                      if s.state in (SegmentState.GENERATING, SegmentState.QUEUED))
        parts = [f"{plural(len(sb.segments), 'segment')} · "
                 f"{fmt_seconds(film_length(sb, self.doc.takes))} s",
                 f"Estimate {rep.estimate.describe()}"]
        if running:
            parts.append(f"{plural(running, 'job')} running")
        note = self.files.autosave_note()
        if note:
            parts.append(note)
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
        self.preview.show_selected()

    def _set_settings(self, settings: Settings) -> None:
        self.settings = settings

    # ------------------------------------------------------------------ pictures

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

    def pick_keyframe_from_take(self, segment_id: str, which: str,
                                take_id: str) -> FramePickerDialog | None:
        """Open the frame picker on any take; the picked frame becomes the segment's first
        or last keyframe still (cut in a worker, one undo step). Returns the open dialog."""
        take = self.doc.takes.get(take_id)
        sb = self.doc.storyboard
        if take is None or not take.usable or take.file is None or \
                not sb.has_segment(take.segment_id) or not sb.has_segment(segment_id):
            return None
        try:
            path = self._resolved(take.file)
        except ProjectError as e:
            self.statusBar().showMessage(str(e), 8000)
            return None
        src = sb.segment(take.segment_id)
        length = clip_length(src, self.doc.takes)
        index = sb.index_of(segment_id)
        what = "start" if which == "first" else "end"
        dlg = FramePickerDialog(self.thumbnails, path, length, max(length - 1 / 30, 0.0),
                                f"Segment {index + 1} will {what} on this frame of segment "
                                f"{sb.index_of(src.id) + 1}'s take.", self)
        dlg.setWindowTitle("Pick the keyframe")
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.accepted.connect(lambda: self.keyframes.use_take_frame(segment_id, which, take_id,
                                                                   dlg.value()))
        dlg.open()
        return dlg

    def show_still_takes(self, segment_id: str, which: str) -> StillTakesDialog:
        """The stills made for a segment's first or last frame, to compare, choose or make
        again (non-modal). Returns the dialog."""
        dlg = StillTakesDialog(self.doc, segment_id, which, self)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.chosen.connect(self.keyframes.choose_still)
        dlg.regenerate_requested.connect(self.keyframes.regenerate_still)
        dlg.compare_requested.connect(self.compare_stills)
        self.keyframes.busy_changed.connect(dlg.set_busy)
        dlg.set_busy(self.keyframes.busy())
        dlg.show()
        return dlg

    def compare_stills(self, segment_id: str, which: str, a: str,
                       b: str) -> StillCompareDialog | None:
        """Two stills of one frame side by side; either can be chosen. Returns the dialog."""
        made = self.doc.stills_for(segment_id, which)
        pair = [next(((n, r) for n, r in enumerate(made, 1) if r.file == f), None)
                for f in (a, b)]
        if pair[0] is None or pair[1] is None:
            return None
        (na, ra), (nb, rb) = pair[0], pair[1]
        in_use = current_still(self.doc.storyboard, segment_id, which)
        dlg = StillCompareDialog(self.doc, ra, rb, (na, nb), in_use, self)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.chosen.connect(lambda still: self.keyframes.choose_still(segment_id, which, still))
        dlg.show()
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

    def _compare_takes(self, a: str, b: str) -> None:
        from soraboard.ui.compare import CompareDialog

        pa, pb = self.edit.take_path(a), self.edit.take_path(b)
        if pa is None or pb is None:
            return
        ta, tb = self.doc.takes[a], self.doc.takes[b]
        order = [t.id for t in self.doc.takes_of(ta.segment_id)]
        numbers = (order.index(a) + 1 if a in order else 1, order.index(b) + 1 if b in order else 2)
        dlg = CompareDialog(pa, pb, ta, tb, self, numbers)
        dlg.chosen.connect(lambda tid: self.doc.choose_take(self.doc.takes[tid].segment_id, tid))
        dlg.show()

    # ------------------------------------------------------------------ window-level slots

    def _show_tab(self, index: int) -> None:
        self.dock.show()
        self.tabs.setCurrentIndex(index)

    def _on_zoom_changed(self, pps: float) -> None:
        self.zoom.blockSignals(True)
        self.zoom.setValue(int(pps * 10))
        self.zoom.blockSignals(False)

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
        if idx is not None and idx + 1 < len(self.doc.storyboard.segments):
            menu.addSeparator()
            self.add_boundary_actions(menu, idx)
        menu.exec(where)

    def add_boundary_actions(self, menu: QMenu, index: int) -> None:
        """Keyframe actions for the boundary after ``segments[index]``."""
        sb = self.doc.storyboard
        seg = sb.segments[index]
        held = sb.held_by_keyframe(index)
        ok, why = self.keyframes.last_frame_support(seg)
        hold = menu.addAction(icon("keyframe"), f"Hold {index + 1}→{index + 2} with a "
                              "&Keyframe" if not held else
                              f"Hold {index + 1}→{index + 2} with a New &Keyframe")
        hold.setEnabled(ok and not self.keyframes.busy())
        hold.setToolTip(why or "Make a still both shots meet on; they then generate at once")
        hold.triggered.connect(lambda _c=False, i=index: self.keyframes.hold_boundary(i))
        if held:
            release = menu.addAction(icon("link"), f"&Release {index + 1}→{index + 2} "
                                     "(back to chaining)")
            release.triggered.connect(lambda _c=False, i=index:
                                      self.keyframes.release_boundary(i))
        # mend a seam that jumps: the same as the seam report's Bridge… (issue 17.6)
        bridge = menu.addAction(icon("generate"), f"&Bridge the Seam {index + 1}→{index + 2}…")
        nxt = sb.segments[index + 1]
        have_takes = seg.chosen_take in self.doc.takes and nxt.chosen_take in self.doc.takes
        bridge.setEnabled(have_takes)
        bridge.setToolTip(
            "Regenerate the next shot between the two real frames (or insert a short bridge "
            "clip); priced before it runs, the old takes stay" if have_takes else
            "Both shots need a take first")
        bridge.triggered.connect(lambda _c=False, sid=seg.id: self.generation.bridge(sid))
        menu.setToolTipsVisible(True)

    def boundary_menu(self, index: int) -> QMenu:
        """The menu of the boundary mark after ``segments[index]``: keyframe and transition."""
        menu = QMenu(self)
        self.add_boundary_actions(menu, index)
        menu.addSeparator()
        seg_id = self.doc.storyboard.segments[index].id
        trans = menu.addAction("&Transition…")
        chip = self.timeline.canvas.chip_rect(index)
        where = self.pos() if chip is None else self.timeline.canvas.mapToGlobal(
            chip.bottomLeft())
        trans.triggered.connect(lambda _c=False: self._edit_transition(seg_id, where))
        return menu

    def _boundary_menu_at(self, index: int, where: QPoint) -> None:
        self.boundary_menu(index).exec(where)

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

    def show_about(self) -> AboutDialog:
        dlg = AboutDialog(self)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.open()
        return dlg

    def open_settings(self) -> None:
        from soraboard.ui.settings_dialog import SettingsDialog

        dlg = SettingsDialog(self.settings, self)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self.settings = dlg.result_settings()
            use_ffmpeg(self.settings.ffmpeg_path)
            save_settings(self.settings)
            self.banner.setVisible(self.settings.provider is None)
            self.files.restart_autosave()
            self._refresh_chrome()

    # ------------------------------------------------------------------ files

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        shown = self.files.recent_paths()
        for p in shown:
            act = self.recent_menu.addAction(icon("film"), Path(p).name.removesuffix(".soraboard"))
            act.setToolTip(p)
            act.triggered.connect(lambda _c=False, p=p: self.files.open_recent(p))
        if not shown:
            none = self.recent_menu.addAction("No other recent projects")
            none.setEnabled(False)

    def _open_in_new_window(self, project: Project) -> None:
        from soraboard.app import open_window
        from soraboard.storage.lock import LockHeld

        try:
            open_window(project, self.settings)
        except LockHeld as e:  # another soraboard writes that project: it says which
            self.ask.error("Cannot open the project", str(e))
            return
        self.doc.undo_stack.setClean()  # the user already agreed to discard
        self.close()

    def offer_recovery(self) -> None:
        self.files.offer_recovery()

    def closeEvent(self, event: QCloseEvent) -> None:
        running = self.generation.active_segments()
        if running:
            n = len(running)
            if not self.ask.confirm(
                    "Jobs are running",
                    f"{n} segment{'s are' if n != 1 else ' is'} still being generated. Close "
                    "anyway? Running jobs stay recorded in the project and resume when you open "
                    "it again (nothing is paid twice); queued ones are dropped.",
                    yes="close", default_yes=False):
                event.ignore()
                return
        if not self.files.confirm_discard():
            event.ignore()
            return
        self.files.close()
        self.cast.close()
        self.generation.close(detach=True, msecs=10000)
        self.keyframes.close()
        self.voiceover.close()
        self.preview.close(10000)
        StitchRunner.wait_for_shut_down(10000)
        self.thumbnails.wait(5000)
        QSettings("soraboard", "soraboard").setValue("geometry", self.saveGeometry())
        self.doc.release_lock()  # other soraboard commands may write the project again
        event.accept()

    # ------------------------------------------------------------------ export, notifications

    def export_film(self) -> None:
        from soraboard.ui.export_dialog import ExportDialog

        missing = [f"{i + 1} · {s.title}" for i, s in enumerate(self.doc.storyboard.segments)
                   if not (s.chosen_take and s.chosen_take in self.doc.takes
                           and self.doc.takes[s.chosen_take].usable)]
        if missing:
            self.ask.inform(
                "Not ready to export",
                "These segments have no usable take yet:\n" + "\n".join(missing[:12])
                + "\n\nGenerate them first (the sequence preview shows slates for them).")
            return
        self.export_dialog = ExportDialog(self.doc.snapshot(), self.thumbnails, self)
        self.export_dialog.ended.connect(self._on_export_ended)
        self.export_dialog.bridge_requested.connect(self._on_bridge_requested)
        self.export_dialog.voiceover_requested.connect(self.voiceover.render)
        self.export_dialog.show()

    export_dialog: Any = None

    def _on_voiceover_changed(self) -> None:
        """Rendered lines (or new voices): an open export dialog offers the track again."""
        if self.export_dialog is not None and self.export_dialog.isVisible():
            self.export_dialog.refresh_voiceover()

    def edit_voices(self) -> None:
        """Generate ▸ Voice-over Voices…: the TTS model and each speaker's voice."""
        from soraboard.ui.voice_dialog import VoicesDialog

        try:
            state = self.voiceover.state()
        except ValueError as e:
            self.ask.warn("Voice-over", str(e))
            return
        dlg = VoicesDialog(state, self)
        if dlg.exec() == VoicesDialog.DialogCode.Accepted:
            try:
                self.voiceover.save_voices(dlg.model(), dlg.voices())
            except (OSError, ValueError, RuntimeError) as e:  # RuntimeError: LockHeld
                self.ask.warn("Voice-over", f"The voices were not saved: {e}")

    def _on_bridge_requested(self, segment_id: str) -> None:
        """A Bridge… button of the seam report: the dialog's report is about to be out of
        date, so it closes; the generation controller asks, edits and generates."""
        if self.export_dialog is not None and self.export_dialog.job is None:
            self.export_dialog.close()
        self.generation.bridge(segment_id)

    def _on_export_ended(self, title: str, text: str, warning: bool) -> None:
        dlg = self.export_dialog
        if dlg is not None and time.monotonic() - dlg.export_started > LONG_TASK_SECONDS:
            self.notify(title, text, warning)

    def _notify_if_long(self, title: str, text: str, warning: bool) -> None:
        self.notify(title, text, warning)

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

    def _bring_to_front(self) -> None:
        self.showNormal() if self.isMinimized() else self.show()
        self.raise_()
        self.activateWindow()
