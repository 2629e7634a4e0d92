"""JobManager on a real QThreadPool: signals on the GUI thread, chains in order, cancel."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from soraboard.generation.animatic import AnimaticBackend
from soraboard.generation.journal import LOCK_FILE
from soraboard.model.take import Take, TakeStatus
from soraboard.storage.bundle import load_project
from soraboard.workers.generation import JobManager
from tests.generation.conftest import make_bundle


def test_a_chain_runs_in_order_and_signals_arrive_on_the_gui_thread(qtbot: QtBot, tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path / "Film", [False, True, False])
    sb = bundle.load_storyboard()
    manager = JobManager(bundle, AnimaticBackend(latency=0.2, poll_interval=0.02))
    finished: list[Take] = []
    threads: set[bool] = set()
    gui = QApplication.instance().thread()  # type: ignore[union-attr]

    def on_finished(take: object) -> None:
        assert isinstance(take, Take)
        threads.add(QThread.currentThread() is gui)
        finished.append(take)

    manager.take_finished.connect(on_finished)
    with qtbot.waitSignal(manager.idle, timeout=60000):
        manager.generate(sb, {}, [s.id for s in sb.segments])
        assert (bundle.path / LOCK_FILE).exists()
    assert threads == {True}
    assert [t.status for t in finished] == [TakeStatus.DONE] * 3
    by_segment = {t.segment_id: t for t in finished}
    first, second = by_segment[sb.segments[0].id], by_segment[sb.segments[1].id]
    assert finished.index(second) > finished.index(first)
    assert second.request.upstream_take == first.id
    assert not (bundle.path / LOCK_FILE).exists()  # released when idle
    assert manager.running_segments() == []
    # The journal holds every take; the storyboard file was not touched by the jobs.
    project = load_project(bundle.path)
    assert {t.id for t in finished} <= set(project.takes)
    assert all(s.chosen_take is None for s in project.storyboard.segments)


def test_cancel_by_segment_marks_the_take_cancelled(qtbot: QtBot, tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path / "Film", [False, True])
    sb = bundle.load_storyboard()
    manager = JobManager(bundle, AnimaticBackend(latency=600, poll_interval=0.02))
    blocked: list[tuple[str, str]] = []
    manager.segment_blocked.connect(lambda sid, why: blocked.append((sid, why)))
    with qtbot.waitSignal(manager.take_updated, timeout=10000,
                          check_params_cb=lambda t: t.status is TakeStatus.RUNNING):
        manager.generate(sb, {}, [s.id for s in sb.segments])
    assert manager.is_running(sb.segments[0].id)
    assert manager.pending_segments() == [sb.segments[1].id]
    with qtbot.waitSignal(manager.take_finished, timeout=10000) as sig:
        assert manager.cancel(sb.segments[0].id)
    take = sig.args[0]
    assert take.status is TakeStatus.CANCELLED and "may still bill" in take.error
    qtbot.waitUntil(lambda: not manager.running_segments(), timeout=10000)
    # The chained segment cannot start without its predecessor's take.
    assert blocked and blocked[0][0] == sb.segments[1].id


def test_close_cancels_everything_and_releases_the_lock(qtbot: QtBot, tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path / "Film", [False, False])
    sb = bundle.load_storyboard()
    manager = JobManager(bundle, AnimaticBackend(latency=600, poll_interval=0.02))
    with qtbot.waitSignal(manager.take_updated, timeout=10000,
                          check_params_cb=lambda t: t.status is TakeStatus.RUNNING):
        manager.generate(sb, {}, [s.id for s in sb.segments])
    assert manager.close(msecs=10000)
    assert not (bundle.path / LOCK_FILE).exists()
    takes = load_project(bundle.path).takes.values()
    assert sorted(t.status.value for t in takes) == ["cancelled", "cancelled"]


def test_a_journaled_take_is_resumed_when_generation_starts(qtbot: QtBot, tmp_path: Path) -> None:
    from soraboard.model.take import RequestSnapshot

    bundle = make_bundle(tmp_path / "Film", [False])
    sb = bundle.load_storyboard()
    seg = sb.segments[0]
    journaled = Take(id="take_j", segment_id=seg.id, provider="animatic",
                     request=RequestSnapshot("p", seg.model, seg.size, seg.duration),
                     job_id="animatic_0123456789abcdef", status=TakeStatus.RUNNING,
                     created_at=1, updated_at=1)
    bundle.write_take(journaled)
    manager = JobManager(bundle, AnimaticBackend(poll_interval=0.02))
    with qtbot.waitSignal(manager.idle, timeout=60000), \
            qtbot.waitSignal(manager.take_finished, timeout=60000) as sig:
        manager.generate(sb, {"take_j": journaled}, [])
    assert sig.args[0].id == "take_j" and sig.args[0].status is TakeStatus.DONE


class _BrokenBackend(AnimaticBackend):
    def price(self, request: object) -> object:  # type: ignore[override]
        raise RuntimeError("disk on fire")


def test_an_unexpected_error_reaches_the_gui_as_job_failed(qtbot: QtBot, tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path / "Film", [False])
    sb = bundle.load_storyboard()
    manager = JobManager(bundle, _BrokenBackend())
    with qtbot.waitSignal(manager.job_failed, timeout=10000) as sig:
        manager.generate(sb, {}, [sb.segments[0].id])
    assert sig.args == [sb.segments[0].id, "RuntimeError: disk on fire"]
    qtbot.waitUntil(lambda: not manager.running_segments(), timeout=10000)


def test_retry_download_resumes_a_finished_take_without_a_new_job(qtbot: QtBot, tmp_path: Path) -> None:
    from soraboard.model.take import RequestSnapshot

    bundle = make_bundle(tmp_path / "Film", [False])
    sb = bundle.load_storyboard()
    seg = sb.segments[0]
    waiting = Take(id="take_u", segment_id=seg.id, provider="animatic",
                   request=RequestSnapshot("p", seg.model, seg.size, seg.duration),
                   job_id="animatic_0123456789abcdef", status=TakeStatus.UNDOWNLOADED,
                   created_at=1, updated_at=1, cost="0.20",
                   error="finished, not downloaded")
    bundle.write_take(waiting)
    manager = JobManager(bundle, AnimaticBackend(poll_interval=0.02))
    finished: list[Take] = []
    manager.take_finished.connect(finished.append)
    with qtbot.waitSignal(manager.idle, timeout=60000):
        manager.generate(sb, {"take_u": waiting}, [seg.id])  # "Retry download"
    assert [t.id for t in finished] == ["take_u"] and finished[0].usable
    assert set(load_project(bundle.path).takes) == {"take_u"}  # no second take, no new job


def test_a_segment_whose_outcome_is_unknown_is_blocked_until_sent_again(qtbot: QtBot, tmp_path: Path) -> None:
    from soraboard.model.take import RequestSnapshot

    bundle = make_bundle(tmp_path / "Film", [False])
    sb = bundle.load_storyboard()
    seg = sb.segments[0]
    doubt = Take(id="take_q", segment_id=seg.id, provider="animatic",
                 request=RequestSnapshot("p", seg.model, seg.size, seg.duration),
                 status=TakeStatus.UNKNOWN, created_at=1, updated_at=1, sent_at=1,
                 cost="0.20", error="outcome unknown — may be billed: create: HTTP 500")
    bundle.write_take(doubt)
    manager = JobManager(bundle, AnimaticBackend(poll_interval=0.02))
    with qtbot.waitSignal(manager.segment_blocked, timeout=10000) as sig:
        manager.generate(sb, {"take_q": doubt}, [seg.id])
    assert sig.args[0] == seg.id and "send it again (pays again)" in sig.args[1]
    assert "may be billed" in sig.args[1]
    finished: list[Take] = []
    manager.take_finished.connect(finished.append)
    with qtbot.waitSignal(manager.idle, timeout=60000):
        manager.generate(sb, {"take_q": doubt}, [seg.id], send_again={seg.id})
    assert len(finished) == 1 and finished[0].usable and finished[0].id != "take_q"
