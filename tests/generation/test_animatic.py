"""The animatic backend: exact size and duration, deterministic, $0, text that needs escaping."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

import cv2
import numpy as np

from soraboard.generation.animatic import AnimaticBackend, colour_for, render_animatic
from soraboard.generation.backend import Beat, JobStatus, VideoRequest
from soraboard.media.probe import probe

TRICKY = "It's 50% \"done\": C:\\path; [a,b] {x} %{pts} \\n ok"


def test_exact_size_duration_and_format(tmp_path: Path) -> None:
    out = tmp_path / "a.mp4"
    req = VideoRequest("p", "sora-2", "320x180", 3.0, title=TRICKY,
                       beats=(Beat(0, 1.5, TRICKY), Beat(1.5, 3, "second: 100%")), key="seg_a")
    render_animatic(req, out)
    info = probe(out)
    assert info.video is not None and info.audio is not None
    assert info.video.size == "320x180" and info.video.codec == "h264"
    assert info.video.pix_fmt == "yuv420p"
    assert abs(info.duration - 3.0) < 1e-6 and info.video.frame_count == 72
    assert (info.audio.codec, info.audio.sample_rate, info.audio.channels) == ("aac", 48000, 2)
    head = out.read_bytes()[:4096]
    assert head.find(b"moov") < head.find(b"mdat") or b"mdat" not in head  # faststart


def test_same_request_same_bytes_and_different_segments_differ(tmp_path: Path) -> None:
    req = VideoRequest("p", "sora-2", "320x180", 2.0, title="Title", key="seg_a",
                       beats=(Beat(0, 2, "beat"),))
    a, b, c = tmp_path / "a.mp4", tmp_path / "b.mp4", tmp_path / "c.mp4"
    render_animatic(req, a)
    render_animatic(req, b)
    render_animatic(VideoRequest("p", "sora-2", "320x180", 2.0, title="Title", key="seg_b",
                                 beats=(Beat(0, 2, "beat"),)), c)
    digest = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (a, b, c)]
    assert digest[0] == digest[1] != digest[2]
    assert colour_for("seg_a") != colour_for("seg_b")


def test_the_reference_image_is_the_background(tmp_path: Path) -> None:
    ref = tmp_path / "ref.png"
    img = np.zeros((180, 320, 3), np.uint8)
    img[:, :] = (0, 200, 0)  # green (BGR)
    cv2.imwrite(str(ref), img)
    out = tmp_path / "r.mp4"
    render_animatic(VideoRequest("p", "sora-2", "320x180", 2.0, reference=ref, title="T"), out)
    cap = cv2.VideoCapture(str(out))
    ok, first = cap.read()
    cap.release()
    assert ok
    centre = first[90, 40].astype(int)  # away from the title and the bar
    assert centre[1] > 150 and centre[0] < 60 and centre[2] < 60


def test_backend_protocol_costs_nothing_and_accepts_every_model(tmp_path: Path) -> None:
    from soraboard.catalog.catalog import default_catalog

    backend = AnimaticBackend(latency=0.0)
    for model in default_catalog():
        req = VideoRequest("p", model, "320x180", 2.0)
        assert backend.price(req) == Decimal(0)
        assert backend.capabilities(model) is not None
    state = backend.submit(VideoRequest("p", "sora-2", "320x180", 2.0))
    assert state.status is JobStatus.COMPLETED
    assert backend.poll(state.job_id).status is JobStatus.COMPLETED
    assert backend.find_jobs(VideoRequest("p", "sora-2", "320x180", 2.0), 0) == []


def test_simulated_latency_reports_progress() -> None:
    backend = AnimaticBackend(latency=60)
    state = backend.submit(VideoRequest("p", "sora-2", "320x180", 2.0))
    assert state.status is JobStatus.QUEUED
    polled = backend.poll(state.job_id)
    assert polled.status is JobStatus.RUNNING and 0 <= polled.progress < 1
