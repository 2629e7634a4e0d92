"""The cost strip: the estimate large; spent / in flight / left of the budget as one stacked
bar; the what-if totals in one line. A pure function of the document, refreshed on every edit."""

from __future__ import annotations

from decimal import Decimal
from html import escape

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QFont, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from soraboard.catalog.cost import CostReport, fmt_usd
from soraboard.document import Document
from soraboard.ui import theme


class BudgetBar(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report: CostReport | None = None
        self.setFixedHeight(8)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(200, 8)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect())
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(theme.mix(theme.surface(), theme.text(), 0.12))
        p.drawRoundedRect(r, 3, 3)
        rep = self.report
        if rep is not None:
            scale = rep.budget if rep.budget else max(rep.estimate.known, rep.committed)
            if scale and scale > 0:
                x = r.left()
                for value, color in ((rep.spent, theme.DONE), (rep.in_flight, theme.accent()),
                                     (rep.possibly_billed, theme.STALE)):
                    w = float(min(value / scale, Decimal(1))) * r.width()
                    if w > 0:
                        p.setBrush(color)
                        p.drawRoundedRect(QRectF(x, r.top(), min(w, r.right() - x), r.height()),
                                          3, 3)
                        x += w
                if rep.budget:
                    # the plan's estimate as a tick: where the film will land
                    est = float(min(rep.estimate.known / scale, Decimal(1))) * r.width()
                    p.setBrush(theme.FAILED if rep.over_budget else theme.text())
                    p.drawRect(QRectF(r.left() + est - 1, r.top(), 2, r.height()))
        p.end()


class CostPanel(QWidget):
    def __init__(self, doc: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        v = QVBoxLayout(self)
        v.setContentsMargins(12, 8, 12, 10)
        v.setSpacing(4)
        top = QHBoxLayout()
        self.estimate = QLabel()
        f = QFont(self.estimate.font())
        f.setPointSizeF(f.pointSizeF() * 1.45)
        f.setBold(True)
        self.estimate.setFont(f)
        self.caption = QLabel("estimate")
        self.detail = QLabel()
        self.detail.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.detail.setWordWrap(True)  # two lines rather than cut on a narrow dock
        top.addWidget(self.estimate)
        top.addWidget(self.caption, 0, Qt.AlignmentFlag.AlignBottom)
        top.addWidget(self.detail, 1)
        v.addLayout(top)
        self.bar = BudgetBar()
        v.addWidget(self.bar)
        self.what_if = QLabel()
        self.what_if.setWordWrap(True)
        v.addWidget(self.what_if)
        # the voice-over is billed per character, apart from the clips: its own line, as in
        # `soraboard cost`, never added to the estimate above
        self.voiceover = QLabel()
        self.voiceover.setObjectName("voiceover_cost")
        self.voiceover.setWordWrap(True)
        self.voiceover.hide()
        v.addWidget(self.voiceover)
        doc.storyboard_changed.connect(self.refresh)
        doc.takes_changed.connect(self.refresh)
        theme.notifier().changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        rep = self.doc.cost()
        self.estimate.setText(rep.estimate.describe())
        sec = theme.secondary_text().name()
        left = ""
        if rep.budget is not None:
            color = theme.FAILED if rep.over_budget else theme.STALE if rep.near_budget else None
            left_text = f"left {fmt_usd(rep.remaining)} of {fmt_usd(rep.budget)}"
            left = f" · <span style='color:{color.name()}'>{left_text}</span>" if color else \
                f" · {left_text}"
        else:
            left = " · no budget"
        possibly = ""
        if rep.possibly_billed:
            # creates whose outcome is unknown: counted against the budget until resolved
            possibly = (f" · <span style='color:{theme.STALE.name()}'>possibly billed "
                        f"{fmt_usd(rep.possibly_billed)}</span>")
        self.detail.setText(f"<span style='color:{sec}'>spent {fmt_usd(rep.spent)} · in flight "
                            f"{fmt_usd(rep.in_flight)}</span>{possibly}{left}")
        self.what_if.setText(
            f"<span style='color:{sec}'>What if: all cheapest {rep.what_if_cheapest.describe()}"
            f" · all best {rep.what_if_best.describe()}</span>")
        self._refresh_voiceover(sec)
        self.bar.report = rep
        self.bar.update()
        tip = "\n".join(f"{m.model}: {m.amount.describe()} for {m.seconds:g} s"
                        for m in rep.by_model)
        self.setToolTip(tip)

    def _refresh_voiceover(self, sec: str) -> None:
        from soraboard.generation.voiceover import cost_line

        line = cost_line(self.doc.bundle, self.doc.storyboard)
        self.voiceover.setVisible(line is not None)
        self.voiceover.setText(f"<span style='color:{sec}'>{escape(line)}</span>"
                               if line is not None else "")
