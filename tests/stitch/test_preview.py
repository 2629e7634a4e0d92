"""The sequence preview re-renders only what a change touches; missing takes are slates."""

from __future__ import annotations

from pathlib import Path

from soraboard import paths
from soraboard.model.storyboard import Storyboard, Transition
from soraboard.model.storyboard import TransitionType as T
from soraboard.stitch.export import probe_takes
from soraboard.stitch.plan import build_plan
from soraboard.stitch.presets import PREVIEW
from soraboard.stitch.preview import SequencePreview, preview_pieces
from soraboard.storage.bundle import Project
from tests.stitch.helpers import ClipSpec, decode_errors, frame_at, make_project, stream_durations


def _plan(project: Project, sb: Storyboard | None = None):  # type: ignore[no-untyped-def]
    files, probes, _ = probe_takes(project)
    return build_plan(sb or project.storyboard, project.takes, files, probes, PREVIEW,
                      allow_slates=True)


def _with_transition(sb: Storyboard, index: int, tr: Transition) -> Storyboard:
    segs = list(sb.segments)
    segs[index] = segs[index].with_changes(transition_out=tr)
    return Storyboard(title=sb.title, default_size=sb.default_size, segments=tuple(segs))


def test_preview_caches_pieces_and_re_renders_only_what_changed(tmp_path: Path) -> None:
    project = make_project(tmp_path, [ClipSpec("a.mp4", 3.0, "red"), ClipSpec("b.mp4", 3.0, "blue"),
                                      ClipSpec("c.mp4", 3.0, "lime")],
                           [(T.CROSSFADE, 0.5), (T.CUT, 0)], size="640x360")
    preview = SequencePreview()
    assert preview.cache == paths.cache_dir() / "preview"
    first = preview.render(_plan(project), tmp_path / "p1.mp4")
    pieces = preview_pieces(_plan(project))
    # a: 0–60, 60–75 | transition | b: 15–60, 60–90 | c: 0–60, 60–90
    assert [p.kind for p in pieces] == ["body", "body", "transition", "body", "body", "body", "body"]
    assert first.reused == 0 and len(first.rendered) == 7
    frames, vdur, adur = stream_durations(first.path)
    assert frames == first.frames == 90 + 90 + 90 - 15 and abs(adur - vdur) <= 1 / 30
    assert decode_errors(first.path) == ""
    assert frame_at(first.path, 0).shape == (360, 640, 3)

    # the same storyboard again: everything from the cache
    again = preview.render(_plan(project), tmp_path / "p2.mp4")
    assert again.rendered == [] and again.reused == 7

    # another transition type: only that transition piece
    sb = _with_transition(project.storyboard, 0, Transition(T.WIPE_LEFT, 0.5))
    typed = preview.render(_plan(project, sb), tmp_path / "p3.mp4")
    assert typed.rendered == ["transition 1 → 2"]

    # a longer transition: the piece and the chunks at its ends, not the whole segments
    # (segment 1 now ends its body at frame 60, a chunk mark: nothing of it is rendered)
    sb = _with_transition(project.storyboard, 0, Transition(T.CROSSFADE, 1.0))
    longer = preview.render(_plan(project, sb), tmp_path / "p4.mp4")
    assert longer.rendered == ["transition 1 → 2", "segment 2 “Shot 2” 30–60"]
    assert longer.reused == 4
    assert stream_durations(longer.path)[0] == 270 - 30

    # pruning drops the least recently used pieces first: those of the latest render stay
    cached = sorted(preview.cache.glob("*.mov"))
    assert len(cached) == 10
    latest = {preview.piece_file(p) for p in preview_pieces(_plan(project, sb))}
    keep = sum(f.stat().st_size for f in latest)
    assert preview.prune(max_bytes=keep) == 4  # a 60–75, b 15–60 and two transitions
    assert set(preview.cache.glob("*.mov")) == latest


def test_segments_without_a_take_are_slates_of_their_duration(tmp_path: Path) -> None:
    project = make_project(tmp_path, [ClipSpec("a.mp4", 1.0, "red"), None], [(T.CUT, 0)])
    result = SequencePreview().render(_plan(project), tmp_path / "animatic.mp4")
    frames, vdur, adur = stream_durations(result.path)
    assert frames == 30 + 4 * 30  # the draft segment's requested 4 s
    assert abs(adur - vdur) <= 1 / 30
    slate = frame_at(result.path, 60).astype(int)
    assert slate.max() > 200  # the white title text
    assert abs(slate[2, 2] - [0x23, 0x25, 0x2B]).max() < 12  # on the slate's dark colour
