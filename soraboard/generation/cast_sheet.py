"""A cast entry's "sheet": reference images made from its description (issue 17.2).

A character gets a front view, a profile and a full figure; a prop a front, a side and a
detail; a location a wide view, a reverse angle and a detail. Each image is asked of the
still backend (:mod:`soraboard.generation.stills`: an image model, or the offline
placeholder in animatic mode) and written into ``media/cast/``; like a keyframe still, each
is journaled in ``stills/<id>.json`` before the image model is called, so the ledger counts
what the sheet cost even if the app dies meanwhile.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from soraboard.catalog.catalog import ImageModelSpec
from soraboard.generation.errors import DownloadFailed, Transient
from soraboard.generation.stills import DEFAULT_STILL_MODEL, StillBackend, StillRequest
from soraboard.model.storyboard import MAX_CAST_IMAGES, CastKind, Character, StyleBible
from soraboard.model.take import StillRecord, new_still_id

if TYPE_CHECKING:
    from soraboard.storage.bundle import Bundle

#: the views of a sheet, per kind of entry, in the order they are made
SHEET_VIEWS: dict[CastKind, tuple[str, ...]] = {
    CastKind.CHARACTER: ("front view, facing the camera", "profile view, from the side",
                         "full figure, head to toe"),
    CastKind.PROP: ("front view", "side view", "close-up detail"),
    CastKind.LOCATION: ("wide establishing view", "reverse angle", "detail of the place"),
}

#: square: what every image model allows, and what reference inputs expect
SHEET_SIZE = "1024x1024"


def sheet_count(entry: Character) -> int:
    """How many images a sheet adds to ``entry`` (the room left under the maximum)."""
    return max(0, min(len(SHEET_VIEWS[entry.kind]), MAX_CAST_IMAGES - len(entry.images)))


def sheet_prompts(entry: Character, style: StyleBible) -> list[str]:
    """The prompt of each image of ``entry``'s sheet (deterministic)."""
    what = entry.description.strip() or entry.name.strip()
    look = f" Style: {style.style.strip()}" if style.style.strip() else ""
    palette = f" Palette: {style.palette.strip()}" if style.palette.strip() else ""
    plain = (" Plain neutral background, even light, no text."
             if entry.kind is not CastKind.LOCATION else " No people, no text.")
    return [f"Reference sheet of {entry.name.strip()}, {view}: {what}.{plain}{look}{palette}"
            for view in SHEET_VIEWS[entry.kind][:sheet_count(entry)]]


def sheet_cost(entry: Character, spec: ImageModelSpec | None) -> Decimal | None:
    """What the sheet costs at ``spec``'s list price (None: unknown; offline: pass None spec
    and treat the backend's $0 yourself)."""
    if spec is None or spec.usd_per_image is None:
        return None
    return spec.usd_per_image * sheet_count(entry)


def make_sheet(bundle: Bundle, entry: Character, style: StyleBible, backend: StillBackend,
               model: str = DEFAULT_STILL_MODEL, spec: ImageModelSpec | None = None,
               cost_each: Decimal | None = None,
               cancel: threading.Event | None = None,
               progress: Callable[[int, int], None] | None = None) -> list[str]:
    """Make ``entry``'s sheet into ``media/cast/``; returns the images' bundle-relative paths
    (add them to the entry with :func:`soraboard.model.edits.set_cast_entry`). Stops between
    images when ``cancel`` is set, returning what was made so far."""
    prompts = sheet_prompts(entry, style)
    api_size = None if spec is None else spec.nearest_size(1024, 1024)
    made: list[str] = []
    for n, prompt in enumerate(prompts):
        if cancel is not None and cancel.is_set():
            break
        if progress is not None:
            progress(n, len(prompts))
        request = StillRequest(prompt, model, SHEET_SIZE, cast=(entry.name.strip(),),
                               api_size=api_size)
        tag = hashlib.sha256(f"{backend.name}|{model}|{prompt}".encode()).hexdigest()[:8]
        safe = "".join(ch if ch.isalnum() else "-" for ch in entry.name.strip().lower())
        dest = bundle.media_dir / "cast" / f"{safe or 'entry'}-{n + 1}-{tag}.png"
        record = StillRecord(new_still_id(), backend.name, model, SHEET_SIZE, prompt,
                             cost=None if cost_each is None else str(cost_each),
                             file=bundle.relative(dest), created_at=time.time(),
                             role="cast", cast=(entry.name.strip(),), api_size=api_size)
        bundle.write_still(record)  # before anything is sent: a crash leaves "possibly billed"
        try:
            still = backend.make(request, dest)
        except BaseException as e:
            status = ("unknown" if isinstance(e, Transient) and e.ambiguous else
                      "not_downloaded" if isinstance(e, DownloadFailed) else "failed")
            bundle.write_still(record.with_changes(status=status, error=str(e)[:500]))
            raise
        bundle.write_still(record.with_changes(status="done", sha256=still.sha256,
                                               file=bundle.relative(still.path)))
        made.append(bundle.relative(still.path))
    return made
