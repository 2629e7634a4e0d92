"""Settings: defaults for new segments, concurrency, budget, ffmpeg, autosave — and which
provider "Generate" uses. Keys never pass through here into a file: profiles and keys are
managed by :mod:`soraboard.generation.providers` (keyring or environment variable)."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtWidgets import (
    QAbstractItemView,
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
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from soraboard.catalog.catalog import default_catalog
from soraboard.settings import Settings
from soraboard.ui.icons import icon
from soraboard.workers.providers import ProviderCheckJob


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
        self.provider.addItem("", settings.provider)  # refilled by _fill_profiles below
        self.provider.setCurrentIndex(1 if settings.provider else 0)
        form.addRow("Generate with", self.provider)
        self._build_profiles(form)

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

    # ------------------------------------------------------------------ provider profiles

    def _build_profiles(self, form: QFormLayout) -> None:
        self.pool = QThreadPool(self)
        self._checks: list[ProviderCheckJob] = []
        self.profiles = QTableWidget(0, 3)
        self.profiles.setHorizontalHeaderLabels(["Profile", "Server", "Key"])
        self.profiles.horizontalHeader().setStretchLastSection(True)
        self.profiles.verticalHeader().hide()
        self.profiles.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.profiles.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.profiles.setMinimumHeight(110)
        form.addRow("Providers", self.profiles)
        row = QHBoxLayout()
        add = QPushButton(icon("add"), "Add…")
        key = QPushButton(icon("key"), "Set key…")
        test = QPushButton(icon("check"), "Test connection")
        for b in (add, key, test):
            row.addWidget(b)
        row.addStretch(1)
        form.addRow("", row)
        self.profile_status = QLabel("Keys are stored in the system keyring (or read from an "
                                     "environment variable), never in a file.")
        self.profile_status.setWordWrap(True)
        form.addRow("", self.profile_status)
        from soraboard.generation.providers import LITELLM_NOTE

        self.gateway_note = QLabel(LITELLM_NOTE)
        self.gateway_note.setWordWrap(True)
        self.copy_litellm = QPushButton(icon("provider"), "Copy LiteLLM config")
        self.copy_litellm.setToolTip("A config.yaml for a video model with retries off")
        self.copy_litellm.clicked.connect(self._copy_litellm_config)
        form.addRow("", self.gateway_note)
        form.addRow("", self.copy_litellm)
        add.clicked.connect(self._add_profile)
        key.clicked.connect(self._set_key_dialog)
        test.clicked.connect(self._test_selected)
        self._fill_profiles()

    def _copy_litellm_config(self) -> None:
        from PySide6.QtGui import QGuiApplication

        from soraboard.generation.providers import LITELLM_VIDEO_CONFIG

        QGuiApplication.clipboard().setText(LITELLM_VIDEO_CONFIG)
        self.profile_status.setText("Copied a LiteLLM config.yaml for a video model (with "
                                    "num_retries: 0) to the clipboard.")

    def _fill_profiles(self) -> None:
        from soraboard.generation.providers import key_source, load_profiles

        profiles = load_profiles()
        self.profiles.setRowCount(len(profiles))
        for r, p in enumerate(profiles):
            for c, text in enumerate((p.describe(), p.base_url, key_source(p))):
                self.profiles.setItem(r, c, QTableWidgetItem(text))
            self.profiles.item(r, 0).setData(Qt.ItemDataRole.UserRole, p.name)
        current = self.provider.currentData()
        self.provider.clear()
        self.provider.addItem(icon("film"), "Animatic (offline, $0)", None)
        for p in profiles:
            self.provider.addItem(icon("provider"), p.describe(), p.name)
        self.provider.setCurrentIndex(max(self.provider.findData(current), 0))

    def selected_profile(self) -> str | None:
        row = self.profiles.currentRow()
        item = self.profiles.item(row, 0) if row >= 0 else None
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def add_profile(self, name: str, base_url: str, key_env: str | None,
                    model: str | None) -> None:
        from soraboard.generation.providers import ProviderProfile, save_profile

        save_profile(ProviderProfile(name, base_url, key_env=key_env or None,
                                     default_model=model or None))
        self._fill_profiles()

    def _add_profile(self) -> None:
        from PySide6.QtWidgets import QInputDialog

        name, ok = QInputDialog.getText(self, "Add provider", "Name (e.g. studio-gateway):")
        if not ok or not name.strip():
            return
        url, ok = QInputDialog.getText(self, "Add provider", "Base URL:",
                                       text="http://localhost:4000")
        if not ok or not url.strip():
            return
        env, ok = QInputDialog.getText(self, "Add provider",
                                       "Environment variable with the key (optional):")
        if not ok:
            return
        try:
            self.add_profile(name.strip(), url.strip(), env.strip() or None, None)
        except Exception as e:
            self.profile_status.setText(f"✕ {e}")

    def set_key(self, name: str, key: str) -> None:
        from soraboard.generation.providers import set_key

        set_key(name, key)
        self._fill_profiles()
        self.profile_status.setText(f"✓ key for {name} stored in the system keyring")

    def _set_key_dialog(self) -> None:
        from PySide6.QtWidgets import QInputDialog

        name = self.selected_profile()
        if name is None:
            self.profile_status.setText("Select a provider first.")
            return
        key, ok = QInputDialog.getText(self, "API key", f"Key for {name}:",
                                       QLineEdit.EchoMode.Password)
        if ok and key:
            try:
                self.set_key(name, key)
            except Exception as e:  # no keyring on this machine: say where the key can go
                self.profile_status.setText(f"✕ {e}")

    def _test_selected(self) -> None:
        name = self.selected_profile()
        if name is None:
            self.profile_status.setText("Select a provider first.")
            return
        self.profile_status.setText(f"Asking {name}…")
        job = ProviderCheckJob(name)
        job.signals.done.connect(self._on_checked)
        self._checks.append(job)
        self.pool.start(job)

    def _on_checked(self, name: str, ok: bool, message: str) -> None:
        self.profile_status.setText(f"✓ {name} answers" if ok else f"✕ {name}: {message}")

    def done(self, result: int) -> None:
        self.pool.waitForDone(3000)
        super().done(result)

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
        from soraboard.media.ffmpeg import FFmpegNotFound, find_ffmpeg

        path = self.ffmpeg.text().strip()
        try:
            ff = find_ffmpeg(path or None)
        except FFmpegNotFound as e:
            self.ffmpeg_status.setText(f"✕ {e}")
            return
        # a path that fails the version and feature check is not used: say so, and why
        mark = "⚠" if path and ff.source != "settings" else "✓"
        self.ffmpeg_status.setText(f"{mark} {ff.explain()}")

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
