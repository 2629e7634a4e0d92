"""Generate ▸ Voice-over Voices…: the text-to-speech model and one voice per speaker.

A small form; what it returns is written to the bundle's ``voiceover.json`` by the voice-over
controller. A changed voice makes that speaker's lines new lines (rendered, and paid, again
on the next render), so the dialog says so."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from soraboard.storage.voiceover import VOICES
from soraboard.ui import theme
from soraboard.ui.controllers.voiceover import VoiceoverState


class VoicesDialog(QDialog):
    def __init__(self, state: VoiceoverState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Voice-over voices")
        self.setMinimumWidth(420)
        v = QVBoxLayout(self)
        intro = QLabel("Each speaker is read by one voice of the provider's text-to-speech "
                       "model. A new voice renders that speaker's lines again (and bills "
                       "them) the next time the voice-over is rendered.")
        intro.setWordWrap(True)
        intro.setStyleSheet(theme.secondary_style())
        v.addWidget(intro)
        form = QFormLayout()
        self.model_edit = QLineEdit(state.settings.model)
        self.model_edit.setToolTip("tts-1, tts-1-hd, or the name of a LiteLLM route")
        form.addRow("Model", self.model_edit)
        self.combos: dict[str, QComboBox] = {}
        for speaker, voice in state.speakers():
            combo = QComboBox()
            combo.setEditable(True)  # ElevenLabs and Azure voices have other names
            combo.addItems(list(VOICES))
            combo.setCurrentText(voice)
            self.combos[speaker] = combo
            form.addRow(speaker, combo)
        if not self.combos:
            form.addRow(QLabel("No segment has dialogue yet."))
        v.addLayout(form)
        if not state.configured:
            note = QLabel("These are the default voices (by cast order).")
            note.setStyleSheet(theme.secondary_style())
            v.addWidget(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        v.addWidget(buttons)

    def model(self) -> str:
        return self.model_edit.text().strip()

    def voices(self) -> dict[str, str]:
        """Every speaker's voice, as chosen (the defaults written down too, so they stay
        when the cast order changes)."""
        return {s: c.currentText().strip() for s, c in self.combos.items()
                if s != "(no speaker)" and c.currentText().strip()}
