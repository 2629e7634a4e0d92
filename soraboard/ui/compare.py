"""Two takes side by side, playing in sync, with a button to use either."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtMultimedia import QMediaPlayer
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from soraboard.catalog.cost import fmt_usd
from soraboard.model.take import Take, TakeSource
from soraboard.ui.icons import icon
from soraboard.ui.panels import when
from soraboard.ui.player import PlayerWidget


def take_label(take: Take, number: int) -> str:
    """Which take this is: its number in the segment, model, when it was made, its cost."""
    cost = "$0.00 (imported)" if take.source is TakeSource.IMPORTED else fmt_usd(take.cost_value)
    model = take.label or take.model
    return " · ".join(p for p in (f"Take {number}", model, when(take.created_at), cost) if p)


class CompareDialog(QDialog):
    chosen = Signal(str)  #: take id

    def __init__(self, a: Path, b: Path, take_a: Take, take_b: Take,
                 parent: QWidget | None = None, numbers: tuple[int, int] = (1, 2)) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare takes")
        self.resize(1200, 520)
        v = QVBoxLayout(self)
        row = QHBoxLayout()
        self.players: list[PlayerWidget] = []
        self.labels: list[QLabel] = []
        for path, take, number in ((a, take_a, numbers[0]), (b, take_b, numbers[1])):
            col = QVBoxLayout()
            text = take_label(take, number)
            label = QLabel(f"<b>Take {number}</b>{text.removeprefix(f'Take {number}')}")
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            label.setToolTip(take.request.prompt)
            col.addWidget(label)
            p = PlayerWidget(self)
            p.mode.hide()
            p.load(path, text)
            col.addWidget(p, 1)
            self.labels.append(label)
            use = QPushButton(icon("check"), "Use this take")
            use.clicked.connect(lambda _c=False, t=take.id: (self.chosen.emit(t), self.accept()))
            col.addWidget(use, 0, Qt.AlignmentFlag.AlignHCenter)
            row.addLayout(col, 1)
            self.players.append(p)
        v.addLayout(row, 1)
        both = QPushButton(icon("play"), "Play both")
        both.clicked.connect(self.play_both)
        v.addWidget(both, 0, Qt.AlignmentFlag.AlignHCenter)
        # the left player leads: seeking or pausing it moves the right one too
        lead, follow = self.players
        lead.player.playbackStateChanged.connect(self._follow_state)
        lead.slider.sliderMoved.connect(lambda ms: follow.player.setPosition(ms))

    def play_both(self) -> None:
        for p in self.players:
            p.player.setPosition(0)
        for p in self.players:
            p.player.play()

    def _follow_state(self, state: QMediaPlayer.PlaybackState) -> None:
        lead, follow = self.players
        if state == QMediaPlayer.PlaybackState.PausedState:
            follow.player.pause()
            follow.player.setPosition(lead.player.position())
        elif state == QMediaPlayer.PlaybackState.PlayingState:
            follow.player.setPosition(lead.player.position())
            follow.player.play()

    def done(self, result: int) -> None:
        for p in self.players:
            # unload rather than stop(): setSource runs without the GIL (see PlayerWidget.load)
            p.player.setSource(QUrl())
        super().done(result)
