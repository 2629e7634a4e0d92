"""What each request dialect can carry to a model: first frame, last frame, references.

A model's catalog entry says what the *model* takes; the provider profile's dialect says
what the *request shape* can carry there. A storyboard is checked against both (the narrower
wins), so a still that could not arrive is a validation error before anything is paid for.

- ``openai``: the OpenAI Videos multipart shape, ``input_reference`` only — a first frame.
- ``openrouter``: OpenRouter's JSON (``frame_images`` first/last, ``input_references``).
- ``litellm``: a LiteLLM proxy's ``POST /videos``. What survives depends on the upstream
  LiteLLM routes the model to (its "route"); read from LiteLLM 1.109.1's source, written
  down with line references in ``docs/litellm-keyframes.md``:

  ============  ===========  ==========  ==========================================
  route         first frame  last frame  references
  ============  ===========  ==========  ==========================================
  vertex_ai     yes          yes         yes (Veo ``referenceImages``)
  gemini        yes          yes         yes (Veo ``referenceImages``)
  fal_ai        yes          when the catalog names the model's field
  volcengine    yes          yes         yes (Ark ``content`` roles)
  minimax       yes          yes         yes (``content`` roles)
  runwayml …    yes          no          no
  ============  ===========  ==========  ==========================================

  Any other route (openai, azure, dashscope, hosted_vllm, unknown) is first frame only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from soraboard.catalog.catalog import ModelSpec

#: the request shapes a provider profile may speak
DIALECTS = ("openai", "openrouter", "litellm")

#: LiteLLM routes whose ``POST /videos`` forwards a last frame and reference images
#: (``fal_ai`` only for the fields the catalog names per model)
LITELLM_FULL_ROUTES = ("vertex_ai", "gemini", "volcengine", "minimax")
#: every route the ``litellm`` dialect knows by name (others: first frame, multipart)
LITELLM_ROUTES = (*LITELLM_FULL_ROUTES, "fal_ai", "runwayml", "dashscope", "openai",
                  "azure", "hosted_vllm")


@dataclass(frozen=True)
class Carriage:
    """What one request can bring to the model: ``why`` explains a missing piece."""

    first_frame: bool
    last_frame: bool
    reference_images: int
    why: str = ""


def litellm_route(spec: ModelSpec) -> str:
    """The upstream a LiteLLM proxy sends ``spec`` to: the catalog's ``litellm_route``, else
    the id's prefix when it is a route LiteLLM has (``vertex_ai/veo-3.1-…`` → vertex_ai),
    else "" (unknown: treated like the OpenAI shape)."""
    if spec.litellm_route:
        return spec.litellm_route
    prefix = spec.id.split("/", 1)[0] if "/" in spec.id else ""
    return prefix if prefix in LITELLM_ROUTES else ""


def carriage(dialect: str | None, spec: ModelSpec) -> Carriage:
    """What a request in ``dialect`` carries to ``spec`` (``None``: the offline animatic,
    which honours everything the model does)."""
    model = Carriage(spec.first_frame, spec.last_frame, spec.reference_images)
    if dialect in (None, "openrouter"):
        return model
    if dialect == "openai":
        return Carriage(spec.first_frame, False, 0,
                        "the OpenAI Videos request (multipart input_reference) carries a "
                        "first frame only; give the profile the \"litellm\" or "
                        "\"openrouter\" dialect")
    if dialect != "litellm":
        return Carriage(spec.first_frame, False, 0, f"unknown dialect {dialect!r}")
    route = litellm_route(spec)
    if route in LITELLM_FULL_ROUTES:
        return model
    if route == "fal_ai":
        fields = dict(spec.litellm_fields)
        return Carriage(spec.first_frame, spec.last_frame and "last_frame" in fields,
                        spec.reference_images if "references" in fields else 0,
                        f"LiteLLM passes fal.ai fields through under the model's own names, "
                        f"and the catalog names none for {spec.id} (litellm_fields)")
    where = f"LiteLLM's {route} route" if route else \
        f"LiteLLM (the catalog names no upstream route for {spec.id}: litellm_route)"
    return Carriage(spec.first_frame, False, 0,
                    f"{where} forwards a first frame only (input_reference)")


def narrowed(spec: ModelSpec, dialect: str | None) -> ModelSpec:
    """``spec`` with only what ``dialect`` can bring to it (for validation)."""
    c = carriage(dialect, spec)
    if (c.first_frame, c.last_frame, c.reference_images) == (
            spec.first_frame, spec.last_frame, spec.reference_images):
        return spec
    return replace(spec, first_frame=c.first_frame, last_frame=c.last_frame,
                   reference_images=c.reference_images,
                   note=(spec.note + " " if spec.note else "") + c.why)
