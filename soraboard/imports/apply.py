"""Putting checked files into a project: copies in ``media/``, imported take records, and one
undoable edit that inserts the new segments.

The storyboard itself is not written here: the CLI saves it, the editor pushes the edit on its
undo stack. What *is* written (the copies and the take records) is outside the undo history,
like every take; when anything fails halfway, whatever was written is removed again and the
project is as it was.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from soraboard.catalog.catalog import Catalog, CatalogError, default_catalog
from soraboard.imports.check import ImportItem, check_files, shown_name
from soraboard.media.ffmpeg import FFmpeg
from soraboard.media.probe import MediaInfo
from soraboard.model.dialogue import parse_srt
from soraboard.model.edits import Edit, insert_segments
from soraboard.model.storyboard import (
    CUT,
    Continuity,
    DialogueLine,
    RefMode,
    Segment,
    Storyboard,
    Transition,
)
from soraboard.model.take import RequestSnapshot, Take, TakeSource, TakeStatus, new_take_id
from soraboard.storage.atomic import fsync_dir
from soraboard.storage.bundle import Bundle, Project, bundle_path_for
from soraboard.storage.errors import ProjectError

#: where copies go, inside the bundle's media/ (the engine uses media/takes and media/refs)
IMPORT_DIR = "imported"
PROVIDER = "imported"
#: a draft made from an image asks for this long when the model allows it (else the nearest)
IMAGE_SEGMENT_SECONDS = 4.0


class ImportFailed(RuntimeError):
    """Copying or recording failed (a full disk, a file that changed …). Everything written
    so far was removed again: the project is unchanged."""


@dataclass(frozen=True)
class ImportResult:
    """What an import added: the new segments (in film order), the imported takes (one per
    video) and ONE edit inserting all the segments (apply it, or push it on the undo stack)."""

    segments: list[Segment]
    takes: list[Take]
    edit: Edit
    files: tuple[Path, ...] = ()  #: the copies made in the bundle, for :meth:`discard`

    def discard(self, bundle: Bundle) -> None:
        """Remove the copies and take records again (when the storyboard could not be saved,
        so nothing refers to them)."""
        _remove(bundle, list(self.files), [t.id for t in self.takes])


def title_for(path: Path) -> str:
    """A segment title from a file name: the stem, control characters and runs of
    ``_``/whitespace turned into single spaces."""
    stem = path.stem if path.suffix else path.name
    text = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in stem)
    text = re.sub(r"[\s_]+", " ", text).strip()
    return text or "Imported clip"


def _safe_stem(path: Path) -> str:
    """A portable file-name stem (ASCII letters, digits, ``-``), at most 40 characters."""
    norm = unicodedata.normalize("NFKD", path.stem).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", norm).strip("-").lower()[:40].strip("-")
    return slug or "clip"


def _safe_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ""


def image_seconds(storyboard: Storyboard, catalog: Catalog | None = None) -> float:
    """The default model's allowed duration nearest :data:`IMAGE_SEGMENT_SECONDS` (ties: the
    shorter); 4 s when the catalog does not know the model."""
    try:
        cat = catalog or default_catalog()
        spec = cat.get(storyboard.default_model)
    except CatalogError:
        spec = None
    if spec is None or not spec.durations:
        return IMAGE_SEGMENT_SECONDS
    return min(spec.durations, key=lambda d: (abs(d - IMAGE_SEGMENT_SECONDS), d))


def _copy_into(src: Path, folder: Path, expected_bytes: int) -> Path:
    """Copy ``src`` to a new unique name in ``folder``: a hidden temp file first, fsynced,
    then renamed, so a half-written copy never carries a real name."""
    name = f"{_safe_stem(src)}-{uuid.uuid4().hex[:8]}{_safe_suffix(src)}"
    dest = folder / name
    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, src.open("rb") as inp:
            shutil.copyfileobj(inp, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
            written = out.tell()
        if expected_bytes and written != expected_bytes:
            raise ImportFailed(f"{shown_name(src)} changed since it was checked "
                               f"({expected_bytes} bytes then, {written} now); import it again")
        # mkstemp makes the file private (0600); a media file gets the usual permissions
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        if dest.exists():  # a uuid clash: astronomically unlikely, but never overwrite
            raise ImportFailed(f"{dest} already exists")
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return dest


def _remove(bundle: Bundle, files: Sequence[Path], take_ids: Sequence[str]) -> None:
    for f in files:
        with contextlib.suppress(OSError):
            f.unlink()
    for tid in take_ids:
        with contextlib.suppress(OSError, ValueError):
            bundle.take_file(tid).unlink()


#: a subtitle file bigger than this is not a clip's subtitles
MAX_SRT_BYTES = 1_000_000


def sidecar_dialogue(clip: Path, duration: float) -> tuple[DialogueLine, ...]:
    """The dialogue of ``clip.srt`` beside a clip (its cues, in the clip's time), if any.

    A subtitle file that cannot be read is an :class:`ImportFailed` naming it, raised before
    anything is copied."""
    srt = clip.with_suffix(".srt")
    if not srt.is_file():
        return ()
    try:
        if srt.stat().st_size > MAX_SRT_BYTES:
            raise ImportFailed(f"{srt.name}: {srt.stat().st_size // 1000} kB is not a clip's "
                               "subtitles; nothing was imported")
        return parse_srt(srt.read_text("utf-8-sig"), duration)
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise ImportFailed(f"{srt.name}: cannot read its subtitles ({e}); nothing was "
                           "imported") from None


def apply_import(bundle: Bundle, storyboard: Storyboard, items: list[ImportItem],
                 at: int | None = None, transition: Transition | None = None, *,
                 catalog: Catalog | None = None) -> ImportResult:
    """Copy ``items`` (from :func:`~soraboard.imports.check_files`) into ``bundle`` and build
    the edit that inserts one segment per item at ``at`` (0-based; default: the end).

    * a video becomes a segment lasting the clip, with an IMPORTED take that is the copy
      (provider "imported", cost $0, label the original file name), chosen;
    * an image becomes an independent draft segment whose reference image (``ref_mode``
      CUSTOM) is the copy, lasting the default model's allowed duration nearest 4 s;
    * ``transition`` (when given) joins consecutive imported segments; the last one's
      ``transition_out`` is a cut.

    Copies and take records are written here; ``storyboard.json`` is not. The originals are
    only read. On any failure the copies and records already written are removed and
    :class:`ImportFailed` is raised (``EditError`` for a bad ``at``, before anything is
    written).
    """
    if not items:
        raise ValueError("nothing to import")
    index = len(storyboard.segments) if at is None else at
    has_images = any(item.kind == "image" for item in items)
    draft_seconds = image_seconds(storyboard, catalog) if has_images else IMAGE_SEGMENT_SECONDS
    # Build the segments first so a bad position fails before anything is written.
    segments: list[Segment] = []
    for item in items:
        seg = storyboard.new_segment(title=title_for(item.path), continuity=Continuity.INDEPENDENT)
        if item.kind == "image":
            seg = seg.with_changes(duration=draft_seconds, ref_mode=RefMode.CUSTOM)
        else:
            seg = seg.with_changes(duration=item.duration, trim_in=0.0, trim_out=None,
                                   dialogue=sidecar_dialogue(item.path, item.duration))
        segments.append(seg)
    if transition is not None and not transition.is_cut:
        segments = [s.with_changes(transition_out=transition) for s in segments[:-1]] + [
            segments[-1].with_changes(transition_out=CUT)]
    edit = insert_segments(storyboard, index, segments,
                           label="Import file" if len(items) == 1 else f"Import {len(items)} files")

    folder = bundle.media_dir / IMPORT_DIR
    copies: list[Path] = []
    takes: list[Take] = []
    made_folder = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for item in items:
            copies.append(_copy_into(item.path, folder, item.bytes))
        fsync_dir(folder)
        now = time.time()
        final: list[Segment] = []
        for item, seg, copy in zip(items, segments, copies):
            rel = bundle.relative(copy)
            if item.kind == "image":
                final.append(seg.with_changes(reference_image=rel))
                continue
            take = Take(
                id=new_take_id(), segment_id=seg.id, provider=PROVIDER,
                request=RequestSnapshot(prompt="", model=seg.model, size=item.size,
                                        seconds=item.duration),
                status=TakeStatus.DONE, source=TakeSource.IMPORTED, progress=1.0,
                created_at=now, updated_at=now, completed_at=now, cost="0", file=rel,
                media_duration=item.duration, label=item.path.name)
            bundle.write_take(take)
            takes.append(take)
            final.append(seg.with_changes(chosen_take=take.id))
    except BaseException as e:
        # whatever went wrong (a full disk, Ctrl-C), leave the project as it was
        _remove(bundle, copies, [t.id for t in takes])
        if made_folder:
            with contextlib.suppress(OSError):
                folder.rmdir()
        if isinstance(e, OSError):
            raise ImportFailed(f"cannot copy the files into {bundle.path}: "
                               f"{e.strerror or e}; nothing was imported") from None
        raise
    edit = insert_segments(storyboard, index, final, label=edit.label)
    return ImportResult(final, takes, edit, tuple(copies))


LANDSCAPE, PORTRAIT = "1280x720", "720x1280"


def film_size_for(items: Sequence[ImportItem]) -> str:
    """The film's size for a project made from files: the size most of the video footage
    has (by seconds; as displayed: rotation and pixel shape applied, even numbers), so Smart
    export copies that footage instead of scaling it. Without videos: a size every catalog
    model offers, portrait when most images are taller than wide."""
    seconds: dict[tuple[int, int], float] = {}
    tall = wide = 0.0
    for item in items:
        w, _, h = item.size.partition("x")
        if not (w.isdigit() and h.isdigit()):
            continue
        width, height = int(w), int(h)
        info = item.info
        if item.kind == "video" and isinstance(info, MediaInfo) and info.video is not None:
            width = round(width * float(info.video.sar or 1))  # the shape as displayed
            size = (width - width % 2, height - height % 2)
            if size[0] > 0 and size[1] > 0:
                seconds[size] = seconds.get(size, 0.0) + item.duration
            continue
        if height > width:
            tall += 1.0
        else:
            wide += 1.0
    if seconds:  # ties: the first file's
        width, height = max(seconds, key=lambda k: seconds[k])
        return f"{width}x{height}"
    return PORTRAIT if tall > wide else LANDSCAPE


def create_from_files(path: Path | str, files: Sequence[Path | str],
                      transition: Transition | None = None, *,
                      ffmpeg: FFmpeg | None = None) -> Project:
    """``soraboard new PATH --from FILE...``: a new bundle holding one segment per file.

    The files are checked before the bundle is created (a bad file raises
    :class:`~soraboard.imports.ImportRejected` and nothing is created); if copying fails the
    half-made bundle is removed again. The storyboard is saved once.
    """
    target = bundle_path_for(path).absolute()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ProjectError(target, "already exists; choose another name or open it")
    items = check_files(files, ffmpeg)
    existed = target.exists()
    name = target.name.removesuffix(".soraboard")
    bundle = Bundle.create(target, Storyboard(title=name, default_size=film_size_for(items)))
    try:
        sb = bundle.load_storyboard()
        result = apply_import(bundle, sb, items, transition=transition)
        sb = result.edit.apply(sb)
        bundle.save(sb)
    except BaseException:
        # we made this folder a moment ago: nothing of the user's is in it
        if existed:  # an empty folder the user made: empty it again, keep it
            for child in target.iterdir():
                if child.is_dir():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)
        else:
            shutil.rmtree(target, ignore_errors=True)
        raise
    return Project(bundle, sb, {t.id: t for t in result.takes})
