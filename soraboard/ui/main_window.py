"""The main window: player in the centre, timeline across the bottom, the inspector dock on
the right (Segment · Takes · Style bible · Jobs) with the cost strip pinned under it."""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QImage, QKeySequence
from PySide6.QtWidgets import (
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
    QTabWidget,
    QToolBar,
    QToolButton,
    QUndoView,
    QVBoxLayout,
    QWidget,
)

from soraboard import __version__
from soraboard.catalog.cost import fmt_usd
from soraboard.document import Document, read_autosave
from soraboard.model.status import SegmentState
from soraboard.model.storyboard import Continuity, RefMode, Segment, Transition, TransitionType
from soraboard.model.timing import film_length, fmt_seconds, trim_range
from soraboard.settings import Settings, load_settings, save_settings
from soraboard.storage.bundle import Bundle, load_project
from soraboard.storage.errors import ProjectError
from soraboard.ui import theme
from soraboard.ui.actions import ACTIONS, MENUS, ActionSpec
from soraboard.ui.cost_panel import CostPanel
from soraboard.ui.icons import icon
from soraboard.ui.inspector import SegmentInspector
from soraboard.ui.player import PlayerWidget
from soraboard.ui.style_bible import StyleBibleEditor
from soraboard.ui.timeline import MAX_PPS, MIN_PPS, TimelineView
from soraboard.workers.thumbnails import ThumbnailService

log = logging.getLogger(__name__)


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
        self.actions_by_id: dict[str, QAction] = {}
        self.setWindowIcon(icon("film", theme.accent()))
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
        if not doc.storyboard.segments:
            pass
        elif doc.current_id is None:
            doc.select([doc.storyboard.segments[0].id])

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
        self.player.mode_changed.connect(lambda _m: self._load_player())

    def _build_dock(self) -> None:
        self.inspector = SegmentInspector(self.doc)
        self.inspector.image_chosen.connect(self._set_reference_image)
        self.style_editor = StyleBibleEditor(self.doc)
        self.takes_panel = QLabel()  # replaced by the takes panel below
        self.jobs_panel = QLabel()
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
        self.setWindowTitle(f"{self.doc.title} — soraboard")
        self.setWindowModified(self.doc.is_modified())
        self.setWindowFilePath(str(self.doc.bundle.path))
        self.setWindowTitle(f"{self.doc.title}[*] — soraboard")

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
            return
        idx = self.doc.current_index()
        if idx is None:
            self.player.show_slate("Nothing selected", "Select a segment on the timeline.")
            return
        seg = self.doc.storyboard.segments[idx]
        take = self.doc.takes.get(seg.chosen_take) if seg.chosen_take else None
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
        self.player.loop_range = None
        self.player.load(path, f"Take · segment {idx + 1} of {len(self.doc.storyboard.segments)}",
                         start=seg.trim_in)

    def thumbnail_for(self, segment: Segment) -> QImage | None:
        """A card's picture: the chosen take's frame, else the reference image, else None
        (the card paints the animatic slate)."""
        take = self.doc.takes.get(segment.chosen_take) if segment.chosen_take else None
        try:
            if take is not None and take.usable and take.file:
                t_in, t_out = trim_range(segment, self.doc.takes)
                return self.thumbnails.get(self.doc.bundle.resolve(take.file),
                                           round((t_in + t_out) / 2, 2))
            if segment.reference_image:
                return self.thumbnails.get(self.doc.bundle.resolve(segment.reference_image))
        except ProjectError:
            return None
        return None

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
        self.player.mode_changed.emit("sequence")

    def show_about(self) -> None:
        QMessageBox.about(
            self, "About soraboard",
            f"<h3>soraboard {__version__}</h3>"
            "<p>A storyboard editor for long AI-generated videos.</p>"
            "<p>Free software under the GNU GPL v3 or later.<br>"
            "Built on Qt for Python (PySide6, LGPL v3) and FFmpeg (GPL build from "
            "imageio-ffmpeg).</p>")

    # ------------------------------------------------------------------ files

    def new_project(self) -> None:
        if not self._confirm_discard():
            return
        path, _ = QFileDialog.getSaveFileName(self, "New storyboard", str(Path.home() / "Untitled"),
                                              "soraboard project (*.soraboard)")
        if path:
            from soraboard.model.storyboard import Storyboard

            name = Path(path).name.removesuffix(".soraboard")
            sb = Storyboard(title=name, default_model=self.settings.default_model,
                            default_size=self.settings.default_size,
                            budget=self.settings.budget)
            sb = Storyboard(title=sb.title, default_model=sb.default_model,
                            default_size=sb.default_size, budget=sb.budget,
                            segments=(sb.new_segment(title="Segment 1"),))
            try:
                Bundle.create(path, sb)
            except ProjectError as e:
                QMessageBox.warning(self, "New storyboard", str(e))
                return
            self.replace_document(Bundle(path).path)

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
        if not self._confirm_discard():
            event.ignore()
            return
        QSettings("soraboard", "soraboard").setValue("geometry", self.saveGeometry())
        event.accept()

    # ------------------------------------------------------------------ settings

    def open_settings(self) -> None:
        from soraboard.ui.settings_dialog import SettingsDialog

        dlg = SettingsDialog(self.settings, self)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self.settings = dlg.result_settings()
            save_settings(self.settings)
            self.banner.setVisible(self.settings.provider is None)
            self._restart_autosave()
            self._refresh_chrome()

    # ------------------------------------------------------------------ TEMPORARY (wired next)

    def _pending(self) -> None:
        QMessageBox.information(self, "soraboard", "This arrives with the generation engine.")

    new_from_story = import_files = generate_selected = cancel_selected = _pending
    generate_missing = generate_all = cancel_all = export_film = _pending
