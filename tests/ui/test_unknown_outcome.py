"""A take whose create's outcome is unknown ("may be billed"), in the window: the card says
so, the Jobs tab lists it with its provider, time and request and offers Check again (sends
nothing), Send again (asks first, with the amount) and Forget."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from soraboard.catalog.cost import fmt_usd, segment_cost
from soraboard.document import Document
from soraboard.generation.providers import ProviderProfile, save_profile
from soraboard.model.status import SegmentState
from soraboard.model.take import RequestSnapshot, Take, TakeStatus
from soraboard.settings import Settings
from soraboard.storage.bundle import Bundle, load_project
from tests.helpers.fake_videos_server import FakeVideosServer


@pytest.fixture
def server(tmp_path: Path) -> Iterator[FakeVideosServer]:
    with FakeVideosServer(tmp_path / "clips", latency=60) as srv:
        srv.faults.list_hidden = True  # like LiteLLM: the job list cannot be read
        yield srv


def _unknown_take(bundle: Bundle, cost: str) -> Take:
    sb = bundle.load_storyboard()
    seg = sb.segments[0]
    from soraboard.model.prompt import compose_prompt

    sent = time.time() - 90
    take = Take(id="take_unknown01", segment_id=seg.id, provider="fake",
                request=RequestSnapshot(compose_prompt(sb, 0).text, seg.model, seg.size,
                                        seg.duration),
                status=TakeStatus.UNKNOWN, created_at=sent, updated_at=sent, sent_at=sent,
                cost=cost, error="outcome unknown — may be billed: create: Server "
                                 "disconnected (HTTP 500); the provider's job list cannot be "
                                 "read, so it was not sent again",
                error_kind="unknown")
    bundle.write_take(take)
    return take


def test_an_unknown_outcome_shows_its_three_choices_and_send_again_asks_with_the_amount(
        qtbot: QtBot, project_path: Path, server: FakeVideosServer,
        no_modal_dialogs: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from soraboard.ui.main_window import MainWindow

    save_profile(ProviderProfile("fake", server.base_url, needs_key=False, poll_interval=0.05))
    project = load_project(project_path)
    doc0 = Document(project)
    price = segment_cost(project.storyboard.segments[0], doc0.catalog).cost
    assert price is not None
    take = _unknown_take(project.bundle, format(price, "f"))
    doc = Document(load_project(project_path))
    win = MainWindow(doc, Settings(autosave_seconds=0, provider="fake"))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    try:
        # The card's status and the ledger.
        assert doc.statuses()[0].state is SegmentState.UNKNOWN
        assert doc.cost().possibly_billed == price
        assert f"possibly billed {fmt_usd(price)}" in win.cost_panel.detail.text()
        # The Jobs tab lists it (from an earlier session) with provider, time and request.
        panel = win.jobs_panel
        panel.refresh()
        item = next(panel.tree.topLevelItem(i) for i in range(panel.tree.topLevelItemCount())
                    if take.id in panel.tree.topLevelItem(i).text(1))
        text = item.text(1)
        assert text.startswith("outcome unknown — may be billed")
        assert "sent to fake at" in text and take.request.size in text
        assert "Server disconnected" in text
        panel.tree.setCurrentItem(item)
        assert panel.details.text() == text  # shown whole below the list
        for b in (panel.check_btn, panel.send_again_btn, panel.forget_btn):
            assert b.isVisibleTo(panel) and b.isEnabled()
        assert not panel.retry_btn.isEnabled()  # never a plain retry
        assert panel.send_again_btn.text() == f"Send again (pays again, {fmt_usd(price)})"

        # Send again asks first, with the amount; saying no sends nothing.
        panel.send_again_btn.click()
        asked = [s for s in no_modal_dialogs if "Send again" in s]
        assert asked and f"for {fmt_usd(price)}?" in asked[-1] and "pays" in asked[-1]
        assert server.state.create_attempts == 0

        # Check again sends nothing; behind a list that cannot be read it stays unknown.
        panel.check_btn.click()
        qtbot.waitUntil(lambda: win.generation.jobs is not None and not win.generation.jobs.running_segments(),
                        timeout=20_000)
        assert doc.takes[take.id].status is TakeStatus.UNKNOWN
        assert server.state.create_attempts == 0
        assert not [r for r in server.state.requests if r[0] == "POST"]

        # Saying yes sends it again — once.
        monkeypatch.setattr(QMessageBox, "question", staticmethod(
            lambda *a, **k: QMessageBox.StandardButton.Yes))
        panel.refresh()
        item = next(panel.tree.topLevelItem(i) for i in range(panel.tree.topLevelItemCount())
                    if panel.tree.topLevelItem(i).data(1, Qt.ItemDataRole.UserRole) == take.id)
        panel.tree.setCurrentItem(item)
        panel.send_again_btn.click()
        qtbot.waitUntil(lambda: server.state.create_attempts == 1, timeout=20_000)
        assert win.generation.jobs is not None
        win.generation.jobs.cancel_all()
        qtbot.waitUntil(lambda: not win.generation.jobs.running_segments(), timeout=20_000)
        assert server.state.create_attempts == 1
    finally:
        doc.undo_stack.setClean()
        win.thumbnails.wait()


def test_forget_stops_counting_it(qtbot: QtBot, project_path: Path, server: FakeVideosServer) -> None:
    from soraboard.ui.main_window import MainWindow

    save_profile(ProviderProfile("fake", server.base_url, needs_key=False, poll_interval=0.05))
    take = _unknown_take(load_project(project_path).bundle, "1.20")
    doc = Document(load_project(project_path))
    win = MainWindow(doc, Settings(autosave_seconds=0, provider="fake"))
    qtbot.addWidget(win)
    try:
        panel = win.jobs_panel
        panel.refresh()
        panel.tree.setCurrentItem(panel.tree.topLevelItem(0))
        assert panel.selected_take() is not None and panel.selected_take().id == take.id
        panel.forget_btn.click()
        qtbot.waitUntil(lambda: doc.takes[take.id].status is TakeStatus.FAILED, timeout=10_000)
        assert doc.cost().possibly_billed == 0
        assert doc.statuses()[0].state is not SegmentState.UNKNOWN
        assert server.state.requests == []
    finally:
        doc.undo_stack.setClean()
        win.thumbnails.wait()
