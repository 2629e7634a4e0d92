"""New from story…: paste or open a story, choose length and model, review the proposed
segments with their durations and cost, edit titles and durations, then apply — as one undo
step in this storyboard, or as a new project."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from soraboard.catalog.catalog import Catalog
from soraboard.catalog.cost import estimate, fmt_usd, segment_cost
from soraboard.model.storyboard import Storyboard
from soraboard.model.timing import fmt_seconds
from soraboard.model.words import plural
from soraboard.planner import PlanResult
from soraboard.ui.icons import icon
from soraboard.ui.widgets import caption
from soraboard.workers.planning import PlanJob


class StoryDialog(QDialog):
    def __init__(self, catalog: Catalog, default_model: str, default_size: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New from story")
        self.resize(980, 640)
        self.catalog = catalog
        self.result_plan: PlanResult | None = None
        self.job: PlanJob | None = None
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)

        left = QVBoxLayout()
        head = QHBoxLayout()
        head.addWidget(caption("Story, brief or screenplay"))
        head.addStretch(1)
        open_btn = QPushButton(icon("open"), "Open file…")
        open_btn.clicked.connect(self._open_file)
        head.addWidget(open_btn)
        left.addLayout(head)
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText("Paste a story, a brief, or a Fountain screenplay…")
        left.addWidget(self.text, 1)
        form = QFormLayout()
        self.length = QDoubleSpinBox()
        self.length.setRange(4, 3600)
        self.length.setValue(60)
        self.length.setSuffix(" s")
        self.model = QComboBox()
        for mid, spec in catalog.items():
            self.model.addItem(spec.label(), mid)
        # plan on a current model even when the open project is on a retired one
        self.model.setCurrentIndex(max(self.model.findData(catalog.current_model(default_model)),
                                       0))
        self.size = QComboBox()
        self.model.currentIndexChanged.connect(self._fill_sizes)
        self._fill_sizes()
        self.size.setCurrentIndex(max(self.size.findData(default_size), 0))
        self.style = QPlainTextEdit()
        self.style.setPlaceholderText("optional: the look of the film")
        self.style.setFixedHeight(54)
        self.planner = QComboBox()
        self.planner.addItem("Automatic (LLM if configured, else offline)", "auto")
        self.planner.addItem("Offline planner", "offline")
        self.planner.addItem("LLM planner", "llm")
        form.addRow("Length", self.length)
        form.addRow("Model", self.model)
        form.addRow("Size", self.size)
        form.addRow("Style", self.style)
        form.addRow("Planner", self.planner)
        left.addLayout(form)
        self.plan_btn = QPushButton(icon("story"), "Plan")
        self.plan_btn.clicked.connect(self.plan)
        left.addWidget(self.plan_btn)

        right = QVBoxLayout()
        right.addWidget(caption("Proposed segments — edit titles and durations"))
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["Title", "Duration", "Continuity", "Into next",
                                              "Cost"])
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.setColumnWidth(0, 220)
        right.addWidget(self.table, 1)
        self.summary = QLabel("Plan the story to see the segments.")
        self.summary.setWordWrap(True)
        right.addWidget(self.summary)
        self.replace = QRadioButton("Replace this storyboard's segments (one undo step)")
        self.new_project = QRadioButton("Create a new project…")
        self.replace.setChecked(True)
        right.addWidget(self.replace)
        right.addWidget(self.new_project)

        body = QHBoxLayout()
        body.addLayout(left, 2)
        body.addLayout(right, 3)
        v = QVBoxLayout(self)
        v.addLayout(body, 1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Apply")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        v.addWidget(self.buttons)
        self.table.itemChanged.connect(lambda _i: self._update_summary())

    def _fill_sizes(self) -> None:
        spec = self.catalog.get(self.model.currentData())
        self.size.clear()
        for s in spec.sizes if spec else ():
            self.size.addItem(s.replace("x", "×"), s)

    def _open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Story", "",
                                              "Stories (*.txt *.md *.fountain);;All files (*)")
        if path:
            try:
                self.text.setPlainText(Path(path).read_text("utf-8"))
            except (OSError, UnicodeDecodeError) as e:
                self.summary.setText(f"Cannot read {Path(path).name}: {e}")

    def plan(self) -> None:
        text = self.text.toPlainText()
        if not text.strip():
            self.summary.setText("Write or open a story first.")
            return
        self.plan_btn.setEnabled(False)
        self.summary.setText("Planning…")
        self.job = PlanJob(text, self.length.value(), self.model.currentData(),
                           self.size.currentData(), self.style.toPlainText().strip() or None,
                           self.planner.currentData())
        self.job.signals.done.connect(self._on_planned)
        self.job.signals.failed.connect(self._on_failed)
        self.pool.start(self.job)

    def _on_failed(self, message: str) -> None:
        self.plan_btn.setEnabled(True)
        self.summary.setText(f"Could not plan: {message}")

    def _on_planned(self, result: object) -> None:
        assert isinstance(result, PlanResult)
        self.plan_btn.setEnabled(True)
        self.result_plan = result
        sb = result.storyboard
        self.table.blockSignals(True)
        self.table.setRowCount(len(sb.segments))
        for r, seg in enumerate(sb.segments):
            spec = self.catalog.get(seg.model)
            title = QTableWidgetItem(seg.title)
            self.table.setItem(r, 0, title)
            dur = QComboBox()
            for d in spec.durations if spec else (seg.duration,):
                dur.addItem(f"{fmt_seconds(d)} s", float(d))
            dur.setCurrentIndex(max(dur.findData(float(seg.duration)), 0))
            dur.currentIndexChanged.connect(lambda _i: self._update_summary())
            self.table.setCellWidget(r, 1, dur)
            for col, text in ((2, "chained" if seg.is_chained else "new shot"),
                              (3, seg.transition_out.describe() if r + 1 < len(sb.segments)
                               else ""),
                              (4, fmt_usd(segment_cost(seg, self.catalog).cost))):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(r, col, item)
        self.table.blockSignals(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(True)
        self._update_summary()

    def edited_storyboard(self) -> Storyboard | None:
        """The plan with the user's titles and durations."""
        if self.result_plan is None:
            return None
        sb = self.result_plan.storyboard
        segs = []
        for r, seg in enumerate(sb.segments):
            title = self.table.item(r, 0)
            dur = self.table.cellWidget(r, 1)
            changes: dict[str, object] = {}
            if title is not None and title.text() != seg.title:
                changes["title"] = title.text()
            if isinstance(dur, QComboBox) and dur.currentData() != seg.duration:
                new = float(dur.currentData())
                factor = new / seg.duration
                changes["duration"] = new
                changes["actions"] = tuple(b.__class__(round(b.start * factor, 2),
                                                       round(b.end * factor, 2), b.text)
                                           for b in seg.actions)
            segs.append(seg.with_changes(**changes) if changes else seg)
        return Storyboard(sb.title, sb.default_model, sb.default_size, sb.style, sb.budget,
                          tuple(segs))

    def _update_summary(self) -> None:
        sb = self.edited_storyboard()
        if sb is None or self.result_plan is None:
            return
        rep = estimate(sb, self.catalog)
        total = sum(s.duration for s in sb.segments)
        notes = "".join(f"<br>• {n}" for n in self.result_plan.notes)
        self.summary.setText(f"<b>{plural(len(sb.segments), 'segment')} · {fmt_seconds(total)} s · "
                             f"{rep.estimate.describe()}</b> (planned "
                             f"{self.result_plan.planner}){notes}")
