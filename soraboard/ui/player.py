"""The preview player: QMediaPlayer + QVideoWidget + QAudioOutput, with the controls a
creator expects — play/pause, scrub, frame step, time, loop — in two modes: the selected
segment's take, or the whole storyboard through the sequence preview."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QSize, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer, QVideoFrame, QVideoSink
from PySide6.QtMultimediaWidgets import QVideoWidget
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QStackedLayout,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from soraboard.ui.icons import icon
from soraboard.ui.widgets import Segmented


def fmt_clock(ms: int) -> str:
    s, ms = divmod(max(ms, 0), 1000)
    m, s = divmod(s, 60)
    return f"{m:02d}:{s:02d}.{ms // 10:02d}"


class FrameCounter(QObject):
    """Counts the valid frames that reach a video sink: "frames are on screen", for the
    self-test and the tests. The sink emits on Qt's rendering thread; this GUI-thread object's
    slot receives the frames queued, so the count is only ever touched on the GUI thread."""

    def __init__(self, sink: QVideoSink, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.count = 0
        sink.videoFrameChanged.connect(self._on_frame)

    @Slot(QVideoFrame)
    def _on_frame(self, frame: QVideoFrame) -> None:
        if frame.isValid():
            self.count += 1


class Slate(QWidget):
    """What the player shows when there is nothing to play: the reason, and what to do."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = ""
        self.hint = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_text(self, title: str, hint: str) -> None:
        self.title, self.hint = title, hint
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#141518"))
        f = QFont(self.font())
        f.setPointSizeF(f.pointSizeF() * 1.3)
        f.setBold(True)
        p.setFont(f)
        p.setPen(QColor("#d7d9de"))
        r = self.rect().adjusted(20, 0, -20, 0)
        p.drawText(r.adjusted(0, 0, 0, -24), Qt.AlignmentFlag.AlignCenter, self.title)
        p.setFont(self.font())
        p.setPen(QColor("#979ca7"))
        p.drawText(r.adjusted(0, 36, 0, 0), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                   self.hint)
        p.end()


class PlayerWidget(QWidget):
    mode_changed = Signal(str)  #: "sequence" or "take"
    position_changed = Signal(float)  #: seconds into what is playing

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.player = QMediaPlayer(self)
        self.audio = QAudioOutput(self)
        self.player.setAudioOutput(self.audio)
        self.video = QVideoWidget(self)
        self.video.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.video.setStyleSheet("background: #141518;")
        self.player.setVideoOutput(self.video)
        self.slate = Slate(self)
        self.source: Path | None = None
        self.loop_range: tuple[float, float] | None = None  #: seconds, for "loop segment"

        self.overlay = QLabel(self)  #: what is on screen ("Take · segment 2 of 5")
        self.overlay.setStyleSheet("color: palette(placeholder-text);")
        # never what sets the player's minimum width (the controls are)
        self.overlay.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.overlay.hide()

        stack_host = self.stack_host = QWidget(self)
        self.stack = QStackedLayout(stack_host)
        self.stack.addWidget(self.slate)
        self.stack.addWidget(self.video)

        # the keys named here are View's actions (soraboard/ui/actions.py)
        self.to_start = self._tool("skip-start", "Go to start")
        self.back = self._tool("frame-back", "Previous frame (,)")
        self.play = self._tool("play", "Play / pause (Space)")
        self.fwd = self._tool("frame-forward", "Next frame (.)")
        self.to_end = self._tool("skip-end", "Go to end")
        self.time = QLabel("00:00.00 / 00:00.00")
        mono = self.time.font()
        mono.setStyleHint(QFont.StyleHint.Monospace)
        mono.setFamily("monospace")
        self.time.setFont(mono)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.loop = QCheckBox("Loop segment")
        self.mode = Segmented()
        self.mode.set_options([("Sequence", "sequence"), ("Take", "take")])
        self.mode.set_value("take")

        # every control keeps its full label and the seek bar stays usable on a small screen
        self.time.setMinimumWidth(self.time.sizeHint().width())
        self.slider.setMinimumWidth(80)
        self.loop.setMinimumWidth(self.loop.sizeHint().width())
        self.mode.setMinimumWidth(self.mode.sizeHint().width())
        controls = QHBoxLayout()
        controls.setSpacing(4)
        for w in (self.to_start, self.back, self.play, self.fwd, self.to_end):
            controls.addWidget(w)
        controls.addWidget(self.time)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.loop)
        # what is on screen, beside the switch: a label over the picture would be hidden by
        # the video surface, which is a native window on X11
        top = QHBoxLayout()
        top.addWidget(self.overlay, 1)
        top.addStretch(0)
        top.addWidget(self.mode)

        v = QVBoxLayout(self)
        v.setContentsMargins(16, 6, 16, 8)
        v.setSpacing(6)
        v.addLayout(top)
        v.addWidget(stack_host, 1)
        v.addLayout(controls)

        self.play.clicked.connect(self.toggle)
        self.to_start.clicked.connect(lambda: self.seek(0.0))
        self.to_end.clicked.connect(lambda: self.player.setPosition(max(self.player.duration() - 1, 0)))
        self.back.clicked.connect(lambda: self.step(-1))
        self.fwd.clicked.connect(lambda: self.step(1))
        self.slider.sliderMoved.connect(lambda v: self.player.setPosition(v))
        self.player.positionChanged.connect(self._on_position)
        self.player.durationChanged.connect(self._on_duration)
        self.player.playbackStateChanged.connect(self._on_state)
        self.player.errorOccurred.connect(self._on_error)
        self.player.mediaStatusChanged.connect(self._on_media_status)
        self.mode.changed.connect(lambda m: self.mode_changed.emit(str(m)))
        self.fps = 30.0
        self._pending_seek: float | None = None
        #: a clip is on its way (the sequence preview renders): Play now means "play it then"
        self.awaiting = False
        self._play_when_loaded = False
        self.show_slate("Nothing to play yet",
                        "Select a segment with a take, or switch to Sequence to preview the film.")

    def _tool(self, name: str, tip: str) -> QToolButton:
        b = QToolButton(self)
        b.setIcon(icon(name))
        b.setIconSize(QSize(18, 18))
        b.setToolTip(tip)
        b.setAutoRaise(True)
        return b

    @property
    def sink(self) -> QVideoSink:
        return self.video.videoSink()

    def show_slate(self, title: str, hint: str, *, awaiting: bool = False) -> None:
        """Nothing to play: say why. ``awaiting``: a clip is coming, and Play pressed in the
        meantime plays it when it arrives."""
        if not (awaiting and self.awaiting):  # a new wait: forget an earlier Play
            self._play_when_loaded = False
        self.awaiting = awaiting
        self._pending_seek = None
        if not self.player.source().isEmpty():
            self.player.setSource(QUrl())  # stops playback and frees the clip
        self.source = None
        self.slate.set_text(title, hint)
        self.stack.setCurrentWidget(self.slate)
        self.slider.setRange(0, 0)
        self.time.setText("00:00.00 / 00:00.00")

    def load(self, path: Path, label: str = "", fps: float = 30.0, start: float = 0.0,
             *, reload: bool = False) -> None:
        """Show ``path`` paused at ``start`` seconds, with that frame on screen (the poster)
        rather than black. ``reload``: the file changed under the same name."""
        self.fps = fps or 30.0
        self.awaiting = False
        self.stack.setCurrentWidget(self.video)
        self.set_overlay(label)
        if self.source != path or reload:
            self.source = path
            self._pending_seek = start  # a position set before the media is loaded is lost
            url = QUrl.fromLocalFile(str(path))
            # setSource stops first (from Stopped, the pause() after loading shows the frame).
            # Never call stop() here: PySide runs setSource without the GIL but stop() with
            # it, and stopping waits for the playback engine's threads — a GIL deadlock seen
            # on Python 3.12 (the test run hung in stop() for 80 minutes).
            if self.player.source() == url:
                self.player.setSource(QUrl())
            self.player.setSource(url)
            return
        if self._pending_seek is not None:  # still loading: it seeks and shows the frame then
            self._pending_seek = start
            return
        self.seek(start)
        self._show_poster()

    def _on_media_status(self, status: QMediaPlayer.MediaStatus) -> None:
        if status != QMediaPlayer.MediaStatus.LoadedMedia or self._pending_seek is None \
                or self.source is None \
                or self.player.source() != QUrl.fromLocalFile(str(self.source)):
            return  # (the previous clip reports as it is being unloaded)
        start, self._pending_seek = self._pending_seek, None
        self.seek(start)
        if self._play_when_loaded:
            self._play_when_loaded = False
            self.player.play()
        else:
            self._show_poster()

    def _show_poster(self) -> None:
        """A stopped player shows nothing; a paused one shows the frame at its position."""
        if self.player.playbackState() != QMediaPlayer.PlaybackState.PlayingState:
            self.player.pause()

    def set_overlay(self, text: str) -> None:
        self.overlay.setVisible(bool(text))
        self.overlay.setText(text)


    def toggle(self) -> None:
        if self.source is None:
            self._play_when_loaded = self.awaiting and not self._play_when_loaded
            return
        if self._pending_seek is not None:  # still loading: play once it is there
            self._play_when_loaded = not self._play_when_loaded
            return
        if self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            self.player.pause()
        else:
            self.player.play()

    def play_now(self) -> None:
        if self._pending_seek is not None:
            self._play_when_loaded = True
        else:
            self.player.play()

    @property
    def will_play(self) -> bool:
        """Play was asked for while the clip was still on its way."""
        return self._play_when_loaded

    def pause(self) -> None:
        self.player.pause()

    def position(self) -> float:
        """Seconds into what is loaded."""
        return self.player.position() / 1000

    def seek(self, seconds: float) -> None:
        if self._pending_seek is not None:  # not loaded yet: the load seeks there
            self._pending_seek = seconds
            return
        self.player.setPosition(round(seconds * 1000))

    def step(self, frames: int) -> None:
        self.player.pause()
        self.player.setPosition(max(int(self.player.position() + frames * 1000 / self.fps), 0))

    def _on_position(self, ms: int) -> None:
        if not self.slider.isSliderDown():
            self.slider.setValue(ms)
        self.time.setText(f"{fmt_clock(ms)} / {fmt_clock(self.player.duration())}")
        t = ms / 1000
        if self.loop.isChecked() and self.loop_range is not None:
            a, b = self.loop_range
            if t >= b - 0.02 and self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
                QTimer.singleShot(0, lambda: self.seek(a))
        self.position_changed.emit(t)

    def _on_duration(self, ms: int) -> None:
        self.slider.setRange(0, ms)
        self.time.setText(f"{fmt_clock(self.player.position())} / {fmt_clock(ms)}")

    def _on_state(self, state: QMediaPlayer.PlaybackState) -> None:
        playing = state == QMediaPlayer.PlaybackState.PlayingState
        self.play.setIcon(icon("pause" if playing else "play"))
        if (state == QMediaPlayer.PlaybackState.StoppedState and self.loop.isChecked()
                and self.source is not None and self.loop_range is None):
            self.seek(0)
            self.player.play()

    def _on_error(self, _error: QMediaPlayer.Error, message: str) -> None:
        self.show_slate("This clip cannot be played", message or "The file is missing or damaged.")
