"""Settings: defaults for new segments, concurrency, budget, ffmpeg, autosave — and which
provider "Generate" uses. Keys never pass through here into a file: profiles and keys are
managed by :mod:`soraboard.generation.providers` (keyring or environment variable)."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from soraboard.catalog.catalog import default_catalog
from soraboard.settings import Settings
from soraboard.ui.icons import icon


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self._settings = settings
        v = QVBoxLayout(self)
        form = QFormLayout()
        v.addLayout(form)

        self.provider = QComboBox()
        self.provider.addItem(icon("film"), "Animatic (offline, $0)", None)
        for name in self._profile_names():
            self.provider.addItem(icon("provider"), name, name)
        self.provider.setCurrentIndex(max(self.provider.findData(settings.provider), 0))
        form.addRow("Generate with", self.provider)

        cat = default_catalog()
        self.model = QComboBox()
        for mid, spec in cat.items():
            self.model.addItem(spec.label(), mid)
        self.model.setCurrentIndex(max(self.model.findData(settings.default_model), 0))
        form.addRow("Default model", self.model)
        self.size = QComboBox()
        self.model.currentIndexChanged.connect(self._fill_sizes)
        self._fill_sizes()
        self.size.setCurrentIndex(max(self.size.findData(settings.default_size), 0))
        form.addRow("Default size", self.size)

        self.concurrency = QSpinBox()
        self.concurrency.setRange(1, 32)
        self.concurrency.setValue(settings.concurrency)
        form.addRow("Jobs at once", self.concurrency)
        self.budget = QLineEdit(settings.budget or "")
        self.budget.setPlaceholderText("no budget")
        form.addRow("Budget for new storyboards ($)", self.budget)

        ff = QHBoxLayout()
        self.ffmpeg = QLineEdit(settings.ffmpeg_path or "")
        self.ffmpeg.setPlaceholderText("automatic ($SORABOARD_FFMPEG, PATH, then the bundled one)")
        browse = QPushButton(icon("folder"), "Browse…")
        browse.clicked.connect(self._browse_ffmpeg)
        ff.addWidget(self.ffmpeg, 1)
        ff.addWidget(browse)
        form.addRow("ffmpeg", ff)
        self.ffmpeg_status = QLabel()
        self.ffmpeg_status.setWordWrap(True)
        form.addRow("", self.ffmpeg_status)
        self.ffmpeg.editingFinished.connect(self._check_ffmpeg)
        self._check_ffmpeg()

        self.autosave = QSpinBox()
        self.autosave.setRange(0, 3600)
        self.autosave.setSuffix(" s")
        self.autosave.setSpecialValueText("off")
        self.autosave.setValue(settings.autosave_seconds)
        form.addRow("Autosave every", self.autosave)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        v.addWidget(buttons)

    @staticmethod
    def _profile_names() -> list[str]:
        try:
            from soraboard.generation.providers import load_profiles
        except ImportError:
            return []
        return [p.name for p in load_profiles()]

    def _fill_sizes(self) -> None:
        spec = default_catalog().get(self.model.currentData())
        current = self.size.currentData()
        self.size.clear()
        for s in spec.sizes if spec else ():
            self.size.addItem(s.replace("x", "×"), s)
        if current is not None:
            self.size.setCurrentIndex(max(self.size.findData(current), 0))

    def _browse_ffmpeg(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "ffmpeg executable")
        if path:
            self.ffmpeg.setText(path)
            self._check_ffmpeg()

    def _check_ffmpeg(self) -> None:
        from soraboard.media.ffmpeg import FFmpegNotFound, check_ffmpeg, find_ffmpeg

        path = self.ffmpeg.text().strip()
        try:
            ff = check_ffmpeg(path, "settings") if path else find_ffmpeg()
            self.ffmpeg_status.setText(f"✓ {ff.describe()}")
        except (ValueError, FFmpegNotFound) as e:
            self.ffmpeg_status.setText(f"✕ {e}")

    def result_settings(self) -> Settings:
        budget = self.budget.text().strip().lstrip("$") or None
        return replace(
            self._settings,
            provider=self.provider.currentData(),
            default_model=self.model.currentData(),
            default_size=self.size.currentData() or self._settings.default_size,
            concurrency=self.concurrency.value(),
            budget=budget,
            ffmpeg_path=self.ffmpeg.text().strip() or None,
            autosave_seconds=self.autosave.value(),
        )
