"""Stills: keyframe images made by an image model (issue 17.1), beside the video backend.

A still is cheap (cents) and fast (seconds) where a clip is dollars and minutes, so keyframe
mode makes its stills first. Two backends:

* :class:`OpenAIStills` speaks the OpenAI Images API through the official ``openai``
  client, with the same provider profile as the videos: ``POST /images/generations`` for a
  still from a prompt, ``POST /images/edits`` when reference images (the cast) go with it.
  LiteLLM routes both to gpt-image, Imagen, Nano Banana, Seedream or Flux; vLLM-Omni serves
  image models too. Created with ``max_retries=0`` like the videos client: an image costs
  money and the SDK's retries carry no idempotency key.
* :class:`OfflineStills`: a drawn placeholder of the requested size that shows the prompt
  and the cast names, for animatic mode ($0, no network).

Either way the result is written into the bundle as a PNG of *exactly* the clip's size
(centre-cropped and scaled), atomically, because a first or last frame must match the
requested width and height.
"""

from __future__ import annotations

import base64
import textwrap
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from soraboard.catalog.catalog import Catalog, ImageModelSpec, parse_size
from soraboard.generation.errors import DownloadFailed, GenerationError, Rejected, Transient

if TYPE_CHECKING:
    import openai

    from soraboard.model.storyboard import Storyboard
    from soraboard.model.take import StillRecord
    from soraboard.storage.bundle import Bundle


@dataclass(frozen=True)
class StillRequest:
    """One still: ``size`` is the clip's (the PNG comes out exactly so); ``api_size`` what
    to ask the image model for (its nearest allowed size; None = ``size``)."""

    prompt: str
    model: str
    size: str
    references: tuple[Path, ...] = ()
    cast: tuple[str, ...] = ()  #: names of who and what appears (the placeholder shows them)
    api_size: str | None = None
    #: which still of its slot this is (0: the first): never sent, but the placeholder shows
    #: it, so the stills of one slot can be told apart offline as an image model's can
    variant: int = 0


@dataclass(frozen=True)
class Still:
    path: Path
    sha256: str
    width: int
    height: int


class StillBackend(Protocol):
    name: str

    def make(self, request: StillRequest, dest: Path) -> Still:
        """Make the still and write it to ``dest`` as a PNG of exactly ``request.size``."""
        ...


def _save(image: Any, request: StillRequest, dest: Path) -> Still:
    from soraboard.generation import frames

    w, h = parse_size(request.size)
    saved = frames.save_png(frames.fit_to_size(image, w, h), dest)
    return Still(saved.path, saved.sha256, saved.width, saved.height)


class OpenAIStills:
    """Stills through an OpenAI-Images-compatible server (one profile's connection)."""

    def __init__(self, *, name: str, base_url: str, api_key: str | None,
                 timeout: float = 120.0) -> None:
        import openai

        from soraboard.generation.openai_backend import NO_KEY

        self.name = name
        self._client: openai.OpenAI = openai.OpenAI(
            base_url=base_url, api_key=api_key or NO_KEY, max_retries=0, timeout=timeout)

    def make(self, request: StillRequest, dest: Path) -> Still:
        import cv2
        import numpy as np

        from soraboard.catalog.catalog import default_catalog
        from soraboard.generation.openai_backend import _mime, map_error

        size = request.api_size or request.size
        spec = default_catalog().images.get(request.model)
        # the quality the catalog's price is for: a model's default ("auto") may bill dearer
        extra: dict[str, Any] = {"quality": spec.quality} if spec and spec.quality else {}
        try:
            if request.references:
                files = [(p.name, p.read_bytes(), _mime(p)) for p in request.references]
                result = self._client.images.edit(model=request.model, prompt=request.prompt,
                                                  image=files, size=size, n=1, **extra)
            else:
                result = self._client.images.generate(model=request.model,
                                                      prompt=request.prompt, size=size, n=1,
                                                      **extra)
            data = self._image_bytes(result)
        except OSError as e:
            raise GenerationError(f"cannot read a reference image: {e}") from None
        except GenerationError:
            raise
        except Exception as e:
            raise map_error(e, "still") from None
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            raise DownloadFailed("still: the image model sent something that is not an image")
        return _save(image, request, dest)

    def _image_bytes(self, result: Any) -> bytes:
        items = list(getattr(result, "data", None) or [])
        if not items:
            raise Rejected("still: the image model returned no image")
        first = items[0]
        if getattr(first, "b64_json", None):
            return base64.b64decode(first.b64_json)
        url = getattr(first, "url", None)
        if not url:
            raise Rejected("still: the image model returned neither image data nor a URL")
        return _fetch(str(url))


#: the largest still accepted from a URL (a 4K PNG is ~25 MB)
MAX_STILL_BYTES = 64 << 20


def _fetch(url: str, timeout: float = 60.0) -> bytes:
    """An image the model left at a URL (a CDN, a bucket): fetched without our API key —
    the key belongs to the provider, not to whoever hosts its files."""
    import urllib.error
    import urllib.request

    if not url.startswith(("https://", "http://")):
        raise Rejected(f"still: the image model returned an unusable URL ({url[:40]})")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            data: bytes = resp.read(MAX_STILL_BYTES + 1)
    except (urllib.error.URLError, OSError) as e:
        raise DownloadFailed(f"still: the image could not be fetched ({e})") from None
    if len(data) > MAX_STILL_BYTES:
        raise DownloadFailed("still: the image is larger than 64 MB")
    return data


class OfflineStills:
    """The animatic's still: the prompt and the cast names drawn on a plain card, $0."""

    name = "animatic"

    def make(self, request: StillRequest, dest: Path) -> Still:
        import hashlib

        import cv2
        import numpy as np

        w, h = parse_size(request.size)
        digest = hashlib.sha256(request.prompt.encode("utf-8")).digest()
        image = np.zeros((h, w, 3), np.uint8)
        image[:] = tuple(30 + (digest[i] + 37 * request.variant * (i + 1)) % 80
                         for i in range(3))
        scale = max(h / 720, 0.3)
        lines = textwrap.wrap(request.prompt.strip() or "(no prompt)", 48)[:6]
        if request.cast:
            lines.append("Cast: " + ", ".join(request.cast))
        y = int(h * 0.15)
        step = int(40 * scale) + 4
        for line in lines:
            cv2.putText(image, line, (int(w * 0.08), y), cv2.FONT_HERSHEY_SIMPLEX, scale,
                        (235, 235, 235), max(int(2 * scale), 1), cv2.LINE_AA)
            y += step
        if request.variant:
            cv2.putText(image, f"#{request.variant + 1}", (int(w * 0.08), int(h * 0.9)),
                        cv2.FONT_HERSHEY_SIMPLEX, scale * 1.4, (235, 235, 235),
                        max(int(3 * scale), 1), cv2.LINE_AA)
        return _save(image, request, dest)


#: the image model a still is asked of when none is named (a gateway maps the name)
DEFAULT_STILL_MODEL = "gpt-image-1"


def boundaries_to_hold(sb: Storyboard, catalog: Catalog) -> tuple[list[int], bool]:
    """What "make keyframes" makes when not told which boundaries, and whether that is a
    plan's proposal: the boundaries a planner proposed (``Segment.keyframe_proposed``), not
    held yet, whose shot can end on a still; when there are none, every boundary not held
    yet whose shot can end on a still."""
    def can(i: int) -> bool:
        spec = catalog.get(sb.segments[i].model)
        return spec is not None and spec.last_frame

    proposed = [i for i in sb.proposed_keyframes() if can(i)]
    if proposed:
        return proposed, True
    return [i for i in range(len(sb.segments) - 1) if not sb.held_by_keyframe(i) and can(i)], \
        False


def keyframe_still(bundle: Bundle, sb: Storyboard, index: int, backend: StillBackend,
                   model: str = DEFAULT_STILL_MODEL, spec: ImageModelSpec | None = None,
                   cost: Decimal | None = None) -> str:
    """Make the still that holds the boundary after ``sb.segments[index]`` (from both shots'
    prompt and their cast's images) into ``media/stills/``; returns its bundle-relative
    path. Apply :func:`soraboard.model.edits.hold_boundary` with it to use it. ``spec``
    (the catalog's entry for ``model``) picks the size to ask for; ``cost`` is what the
    still costs (None: unknown), journaled in ``stills/<id>.json`` before the image model
    is called and updated with its answer, so the ledger counts it. The record names the
    boundary (its slot) and keeps the whole request, so :func:`regenerate_still` can ask
    for it again."""
    from soraboard.model.prompt import keyframe_prompt

    seg, nxt = sb.segments[index], sb.segments[index + 1]
    prompt = keyframe_prompt(sb, index)
    cast = tuple(dict.fromkeys(n for s in (seg, nxt) for n in s.cast))
    images = tuple(dict.fromkeys(p for i in (index, index + 1)
                                 for p in sb.cast_images(i)))
    if spec is not None and spec.reference_images < len(images):
        images = images[:spec.reference_images]  # the first ones: the shot's own cast first
    api_size = None if spec is None else spec.nearest_size(*parse_size(nxt.size))
    record = _still_record(backend, model, nxt.size, prompt, cost, role="boundary",
                           segment_id=seg.id, next_segment_id=nxt.id, references=images,
                           cast=cast, api_size=api_size)
    return _make_journaled(bundle, backend, record, _variant(bundle, record)).file or ""


def segment_still(bundle: Bundle, sb: Storyboard, index: int, backend: StillBackend,
                  role: str = "first", model: str = DEFAULT_STILL_MODEL,
                  spec: ImageModelSpec | None = None, cost: Decimal | None = None) -> str:
    """Make a still for ``sb.segments[index]``'s own ``role`` (``"first"`` or ``"last"``)
    frame, from that segment's prompt alone (:func:`~soraboard.model.prompt.frame_prompt`)
    and its cast's images, where no boundary is there to share: the film's first shot, a
    shot before a cut. Journaled as :func:`keyframe_still` (the record names the role and the
    segment, so :func:`regenerate_still` and the still chooser take it as any other);
    returns its bundle-relative path. Use it with ``reference_image`` (and ``ref_mode``
    CUSTOM when chained) or ``last_keyframe``."""
    from soraboard.model.prompt import frame_prompt

    seg = sb.segments[index]
    prompt = frame_prompt(sb, index, role)  # raises ValueError on another role
    images = sb.cast_images(index)
    if spec is not None and spec.reference_images < len(images):
        images = images[:spec.reference_images]
    api_size = None if spec is None else spec.nearest_size(*parse_size(seg.size))
    record = _still_record(backend, model, seg.size, prompt, cost, role=role,
                           segment_id=seg.id, references=images,
                           cast=tuple(dict.fromkeys(seg.cast)), api_size=api_size)
    return _make_journaled(bundle, backend, record, _variant(bundle, record)).file or ""


def regenerate_still(bundle: Bundle, source: StillRecord, backend: StillBackend,
                     cost: Decimal | None = None) -> StillRecord:
    """Ask for ``source``'s still again: the same prompt, model, size and references, for the
    same slot, into a new file with a new record (journaled before the image model is
    called, like every still). ``source`` and its file stay as they are: a slot keeps
    every still made for it. Returns the new record (status ``done``); raises as the backend
    does, leaving the failed record in the ledger."""
    record = _still_record(backend, source.model, source.size, source.prompt, cost,
                           role=source.role, segment_id=source.segment_id,
                           next_segment_id=source.next_segment_id,
                           references=source.references, cast=source.cast,
                           api_size=source.api_size)
    return _make_journaled(bundle, backend, record, _variant(bundle, record))


def _still_record(backend: StillBackend, model: str, size: str, prompt: str,
                  cost: Decimal | None, **slot: Any) -> StillRecord:
    import time

    from soraboard.model.take import StillRecord, new_still_id

    return StillRecord(new_still_id(), backend.name, model, size, prompt,
                       cost=None if cost is None else str(cost), created_at=time.time(),
                       **slot)


def _variant(bundle: Bundle, record: StillRecord) -> int:
    """How many stills were asked for the same slot before ``record``."""
    if record.role is None:
        return 0
    known, _warnings = bundle.load_stills()
    return sum(1 for r in known.values() if r.id != record.id and r.role == record.role
               and (r.segment_id, r.next_segment_id) == (record.segment_id,
                                                         record.next_segment_id))


def _make_journaled(bundle: Bundle, backend: StillBackend, record: StillRecord,
                    variant: int = 0) -> StillRecord:
    """Journal ``record``, make its still into ``media/stills/`` under a name of its own
    (never another still's file), record the answer; the done record is returned."""
    import hashlib

    tag = hashlib.sha256(f"{backend.name}|{record.model}|{record.prompt}|{record.size}|"
                         f"{record.references}".encode()).hexdigest()[:8]
    stem = "-".join(p for p in (record.segment_id, record.next_segment_id) if p) or "still"
    dest = bundle.media_dir / "stills" / f"{stem}-{tag}-{record.id.removeprefix('still_')}.png"
    record = record.with_changes(file=bundle.relative(dest))
    request = StillRequest(record.prompt, record.model, record.size,
                           references=tuple(bundle.resolve(p) for p in record.references),
                           cast=record.cast, api_size=record.api_size, variant=variant)
    bundle.write_still(record)  # before anything is sent: a crash leaves "possibly billed"
    try:
        made = backend.make(request, dest)
    except BaseException as e:
        # A lost answer may have been billed; an image made but unusable was.
        status = ("unknown" if isinstance(e, Transient) and e.ambiguous else
                  "not_downloaded" if isinstance(e, DownloadFailed) else "failed")
        bundle.write_still(record.with_changes(status=status, error=str(e)[:500]))
        raise
    done = record.with_changes(status="done", sha256=made.sha256,
                               file=bundle.relative(made.path))
    bundle.write_still(done)
    return done
