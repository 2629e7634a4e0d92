"""The ``litellm`` dialect: a create for a LiteLLM proxy, in the fields LiteLLM forwards.

LiteLLM's ``POST /videos`` takes JSON as well as multipart; every field of the JSON body
reaches ``litellm.video_generation`` as a keyword, and each upstream's ``map_openai_params``
decides what survives (docs/litellm-keyframes.md lists, with line references into LiteLLM
1.109.1, what each route reads). So the stills go where the routed upstream's transformation
looks for them:

- ``vertex_ai`` (Veo on Vertex): everything in ``extra_body.instances`` — LiteLLM merges
  that dict into Veo's instance, and drops unknown top-level fields. ``image`` (first),
  ``lastFrame`` and ``referenceImages`` are ``{"bytesBase64Encoded", "mimeType"}`` objects.
  ``input_reference`` is *not* sent beside it: with ``instances`` present LiteLLM skips it.
- ``gemini`` (Veo on the Gemini API): ``input_reference`` as a Veo image object (becomes
  the instance's ``image``); ``lastFrame`` and ``referenceImages`` at the top level (LiteLLM
  passes unknown fields into ``parameters``, where its request type declares them).
- ``fal_ai``: ``input_reference`` must be a string (LiteLLM refuses a file: "fal.ai needs a
  public image URL") — a data URL here; the last frame and references under the model's own
  fal field names, which the catalog gives per model (``litellm_fields``).
- ``volcengine`` (Seedance on Ark) and ``minimax``: a ``content`` array of
  ``{"type": "image_url", "image_url": {"url"}, "role": first_frame|last_frame|
  reference_image}`` items (LiteLLM keeps the caller's items; the prompt stays ``prompt``).
- ``runwayml``: ``input_reference`` as a data URL string (becomes ``promptImage``).
- any other route: the OpenAI multipart shape (a first frame only) — ``None`` here.

What a route cannot take is refused before anything is sent (and validation says so first:
:mod:`soraboard.catalog.dialects`).
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from soraboard.catalog.catalog import ModelSpec
from soraboard.catalog.dialects import carriage, litellm_route
from soraboard.generation.backend import VideoRequest


class NotCarried(ValueError):
    """The request has a still that LiteLLM cannot forward to this model's upstream."""


def _mime(path: Path) -> str:
    return {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
            ".webp": "image/webp"}.get(path.suffix.lower(), "image/png")


def _b64(path: Path) -> str:
    return base64.b64encode(Path(path).read_bytes()).decode()


def veo_image(path: Path) -> dict[str, str]:
    """Veo's image object (Vertex and Gemini API alike)."""
    return {"bytesBase64Encoded": _b64(path), "mimeType": _mime(Path(path))}


def data_url(path: Path) -> str:
    return f"data:{_mime(Path(path))};base64,{_b64(path)}"


def _content_item(path: Path, role: str) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": data_url(path)}, "role": role}


def check_carried(request: VideoRequest, spec: ModelSpec | None) -> None:
    """Raise :class:`NotCarried` when ``request`` has a still LiteLLM cannot forward."""
    if spec is None:
        if request.last_frame is not None or request.references:
            raise NotCarried(f"{request.model} is not in the catalog, so its LiteLLM route "
                             "is unknown: only a first frame can be sent")
        return
    c = carriage("litellm", spec)
    if request.last_frame is not None and not c.last_frame:
        raise NotCarried(f"{spec.id} gets no last frame through LiteLLM: {c.why}")
    if len(request.references) > c.reference_images:
        raise NotCarried(f"{spec.id} gets at most {c.reference_images} reference image(s) "
                         f"through LiteLLM: {c.why}")


def litellm_body(request: VideoRequest, spec: ModelSpec | None) -> dict[str, Any] | None:
    """The JSON create for a LiteLLM proxy, or ``None`` for the plain multipart create (a
    route that takes only ``input_reference``, or a request with no stills and no extras).
    Raises :class:`NotCarried` for a still the route cannot take."""
    check_carried(request, spec)
    route = "" if spec is None else litellm_route(spec)
    has_stills = request.reference is not None or request.last_frame is not None \
        or bool(request.references)
    if route not in ("vertex_ai", "gemini", "fal_ai", "volcengine", "minimax", "runwayml") \
            or not has_stills:
        return None
    body: dict[str, Any] = {"prompt": request.prompt, "model": request.model,
                            "seconds": request.seconds_text, "size": request.size,
                            **request.extra}
    first, last, refs = request.reference, request.last_frame, request.references
    kinds = spec.reference_kinds if spec is not None else ()
    kind = kinds[0] if kinds else "asset"
    if route == "vertex_ai":
        instance: dict[str, Any] = {}
        if first is not None:
            instance["image"] = veo_image(first)
        if last is not None:
            instance["lastFrame"] = veo_image(last)
        if refs:
            instance["referenceImages"] = [{"image": veo_image(p), "referenceType": kind}
                                           for p in refs]
        extra_body = dict(body.get("extra_body") or {})
        extra_body["instances"] = {**dict(extra_body.get("instances") or {}), **instance}
        body["extra_body"] = extra_body
    elif route == "gemini":
        if first is not None:
            body["input_reference"] = veo_image(first)
        if last is not None:
            body["lastFrame"] = veo_image(last)
        if refs:
            body["referenceImages"] = [{"image": veo_image(p), "referenceType": kind}
                                       for p in refs]
    elif route == "fal_ai":
        names = dict(spec.litellm_fields) if spec is not None else {}
        if first is not None:
            body["input_reference"] = data_url(first)
        if last is not None:
            body[names["last_frame"]] = data_url(last)
        if refs:
            body[names["references"]] = [data_url(p) for p in refs]
    elif route in ("volcengine", "minimax"):
        items = [] if first is None else [_content_item(first, "first_frame")]
        if last is not None:
            items.append(_content_item(last, "last_frame"))
        items.extend(_content_item(p, "reference_image") for p in refs)
        body["content"] = items
    else:  # runwayml: promptImage takes a URL or a data URL
        assert first is not None  # check_carried let nothing else through
        body["input_reference"] = data_url(first)
    return body
