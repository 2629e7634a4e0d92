"""The OpenAI-Videos-compatible backend, on the official ``openai`` client.

Speaks to LiteLLM proxy, vLLM-Omni, any gateway that clones ``/v1/videos`` (and to OpenAI
itself, whose Sora 2 was retired on 2026-09-24). Every trap of PROVIDERS.md §3 is handled
here or in the engine:

1. the client is built with ``max_retries=0``: the SDK's own retries carry no idempotency
   key and could start a second paid job; the engine retries, after recording the attempt;
2. statuses are normalised by :func:`~soraboard.generation.backend.normalise_status`, so
   ``processing`` and other unknown words mean "running";
3. ``completed`` is not trusted: the engine probes the downloaded file;
4. requests with fields the SDK drops (``VideoRequest.extra``) go out as JSON through
   ``client.post``;
5. the SDK's Sora ``DeprecationWarning`` is ignored by message, nothing wider;
6. job ids are stored verbatim;
7. 429s carry ``Retry-After``/``Retry-After-Ms`` into :class:`Transient`.

Downloads stream to a temp file beside the target and are renamed only when complete.
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
import os
import time
import uuid
import warnings
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from soraboard.catalog.catalog import Catalog, ModelSpec, default_catalog
from soraboard.generation.backend import (
    JobState,
    JobStatus,
    VideoRequest,
    catalog_price,
    normalise_status,
)
from soraboard.generation.errors import (
    AuthError,
    DownloadFailed,
    ExpiredOrNotFound,
    GenerationError,
    QuotaError,
    Rejected,
    Transient,
)

if TYPE_CHECKING:
    import openai

#: The SDK marks every ``videos`` method deprecated with this message (openai 3.x).
SORA_DEPRECATION = r"The Sora API is scheduled to permanently shut down"
#: How far back a lost create is looked for (server clocks drift; a create can be slow).
LOOKUP_SLACK = 120.0
#: Most jobs a lookup reads from ``GET /videos`` before it gives up.
LOOKUP_LIMIT = 500
NO_KEY = "sk-no-key"  #: sent when a gateway needs none (the SDK insists on some key)


def quiet_sora_deprecation() -> None:
    """Ignore the SDK's Sora deprecation warning — that one message, nothing else.

    Added (idempotently) right before each SDK call rather than with ``catch_warnings``,
    which swaps the process-wide filter list and is not safe with several polling threads.
    """
    warnings.filterwarnings("ignore", message=SORA_DEPRECATION, category=DeprecationWarning)


def _retry_after(headers: Any) -> float | None:
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        with contextlib.suppress(ValueError):
            return max(float(ms) / 1000.0, 0.0)
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return None if parsed is None else max(parsed.timestamp() - time.time(), 0.0)


def _provider_message(err: Any) -> tuple[str, str | None]:
    """The provider's own words and error code from an SDK status error."""
    body = getattr(err, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            code = inner.get("code") or inner.get("type")
            return str(inner["message"]), None if code is None else str(code)
    return str(getattr(err, "message", None) or err), getattr(err, "code", None)


def map_error(err: Exception, what: str) -> GenerationError:
    """Turn anything the SDK (or its HTTP layer) raises into a typed failure."""
    import openai

    if isinstance(err, GenerationError):
        return err
    if isinstance(err, openai.APITimeoutError):
        return Transient(f"{what}: no answer in time", ambiguous=True)
    if isinstance(err, openai.APIConnectionError):
        cause = err.__cause__ or err
        return Transient(f"{what}: connection failed ({type(cause).__name__}: {cause})",
                         ambiguous=True)
    if isinstance(err, openai.APIStatusError):
        status = err.status_code
        message, code = _provider_message(err)
        text = f"{what}: {message}"
        if status == 429:
            if code in ("insufficient_quota", "billing_hard_limit_reached") or \
                    "quota" in message.lower():
                return QuotaError(text)
            return Transient(text, _retry_after(err.response.headers))
        if status in (401, 403):
            return AuthError(text)
        if status == 402:
            return QuotaError(text)
        if status in (404, 410):
            return ExpiredOrNotFound(text)
        if status >= 500 or status in (408, 409, 425):
            return Transient(text, _retry_after(err.response.headers))
        return Rejected(text, code)
    if isinstance(err, openai.OpenAIError):
        return Rejected(f"{what}: {err}")
    # The HTTP layer below the SDK (a body cut short, a reset while streaming …).
    return Transient(f"{what}: {type(err).__name__}: {err}", ambiguous=True)


def _ts(value: Any) -> float | None:
    return None if value is None else float(value)


def state_of(video: Any) -> JobState:
    """A ``Video`` object (or anything shaped like one) → :class:`JobState`."""
    raw = str(getattr(video, "status", "") or "")
    status = normalise_status(raw)
    err = getattr(video, "error", None)
    message = code = None
    if err is not None:
        message = getattr(err, "message", None) or (err.get("message") if isinstance(
            err, dict) else None)
        code = getattr(err, "code", None) or (err.get("code") if isinstance(err, dict) else None)
    progress = getattr(video, "progress", None)
    try:
        fraction = min(max(float(progress or 0) / 100.0, 0.0), 1.0)
    except (TypeError, ValueError):
        fraction = 0.0
    seconds = getattr(video, "seconds", None)
    return JobState(
        job_id=str(video.id),
        status=status,
        progress=1.0 if status is JobStatus.COMPLETED else fraction,
        error=None if message is None else str(message),
        error_code=None if code is None else str(code),
        created_at=_ts(getattr(video, "created_at", None)),
        expires_at=_ts(getattr(video, "expires_at", None)),
        raw_status=raw,
        prompt=getattr(video, "prompt", None),
        model=None if getattr(video, "model", None) is None else str(video.model),
        size=None if getattr(video, "size", None) is None else str(video.size),
        seconds=None if seconds is None else str(seconds),
    )


def _same_seconds(a: str | None, b: str) -> bool:
    try:
        return a is not None and abs(float(a) - float(b)) < 1e-6
    except ValueError:
        return False


class OpenAIBackend:
    """One provider profile's connection. Thread-safe (the SDK client is)."""

    def __init__(self, *, name: str, base_url: str, api_key: str | None,
                 concurrency: int = 2, timeout: float = 60.0, poll_interval: float = 5.0,
                 download_timeout: float = 600.0, catalog: Catalog | None = None) -> None:
        import openai

        self.name = name
        self.base_url = base_url
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self.download_timeout = download_timeout
        self._catalog = catalog
        # api_key is passed explicitly so OPENAI_API_KEY in the environment never leaks into
        # a request to some other provider's URL.
        self._client: openai.OpenAI = openai.OpenAI(
            base_url=base_url, api_key=api_key or NO_KEY, max_retries=0, timeout=timeout)

    # ------------------------------------------------------------------ catalog
    def capabilities(self, model: str) -> ModelSpec | None:
        return (self._catalog or default_catalog()).get(model)

    def price(self, request: VideoRequest) -> Decimal | None:
        return catalog_price(self._catalog or default_catalog(), request)

    def can_remix(self, model: str) -> bool:
        spec = self.capabilities(model)
        return bool(spec and spec.remix)

    def check(self, timeout: float = 5.0) -> None:
        """Raise a :class:`GenerationError` unless the server answers ``GET /videos``."""
        quiet_sora_deprecation()
        try:
            self._client.with_options(timeout=timeout).videos.list(limit=1)
        except Exception as e:
            raise map_error(e, "check") from None

    # ------------------------------------------------------------------ calls
    def submit(self, request: VideoRequest) -> JobState:
        from openai.types.video import Video

        quiet_sora_deprecation()
        try:
            if request.extra:
                body: dict[str, Any] = {"prompt": request.prompt, "model": request.model,
                                        "seconds": request.seconds_text, "size": request.size,
                                        **request.extra}
                if request.reference is not None:
                    data = base64.b64encode(Path(request.reference).read_bytes()).decode()
                    body["input_reference"] = {"image_url": f"data:image/png;base64,{data}"}
                video = self._client.post("/videos", body=body, cast_to=Video)
            else:
                kwargs: dict[str, Any] = {"prompt": request.prompt, "model": request.model,
                                          "seconds": request.seconds_text, "size": request.size}
                if request.reference is not None:
                    ref = Path(request.reference)
                    # A (name, bytes, mime) tuple: raw bytes would go out as octet-stream.
                    kwargs["input_reference"] = (ref.name, ref.read_bytes(), _mime(ref))
                video = self._client.videos.create(**kwargs)
        except Exception as e:
            raise map_error(e, "create") from None
        return state_of(video)

    def poll(self, job_id: str) -> JobState:
        quiet_sora_deprecation()
        try:
            return state_of(self._client.videos.retrieve(job_id))
        except Exception as e:
            raise map_error(e, "status") from None

    def remix(self, job_id: str, prompt: str) -> JobState:
        quiet_sora_deprecation()
        try:
            return state_of(self._client.videos.remix(job_id, prompt=prompt))
        except Exception as e:
            raise map_error(e, "remix") from None

    def download(self, job_id: str, request: VideoRequest, dest: Path) -> None:
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.part")
        quiet_sora_deprecation()
        try:
            with self._client.videos.with_streaming_response.download_content(
                    job_id, variant="video", timeout=self.download_timeout) as resp:
                expected = resp.headers.get("content-length")
                written = 0
                with tmp.open("wb") as f:
                    for chunk in resp.iter_bytes(1 << 20):
                        f.write(chunk)
                        written += len(chunk)
                    f.flush()
                    os.fsync(f.fileno())
            if expected is not None and expected.isdigit() and int(expected) != written:
                raise Transient(f"download: got {written} of {expected} bytes")
            if written == 0:
                raise DownloadFailed("download: the provider sent an empty file")
            tmp.replace(dest)
        except Exception as e:
            raise map_error(e, "download") from None
        finally:
            tmp.unlink(missing_ok=True)

    def find_job(self, request: VideoRequest, since: float,
                 exclude: frozenset[str] = frozenset()) -> JobState | None:
        quiet_sora_deprecation()
        oldest_wanted = since - LOOKUP_SLACK
        best: JobState | None = None
        try:
            page = self._client.videos.list(order="desc", limit=100)
            for n, video in enumerate(page):
                if n >= LOOKUP_LIMIT:
                    break
                st = state_of(video)
                if st.created_at is not None and st.created_at < oldest_wanted:
                    break  # newest first: everything after this is older still
                if st.job_id in exclude or st.prompt != request.prompt:
                    continue
                if st.model not in (None, request.model) or st.size not in (None, request.size):
                    continue
                if st.seconds is not None and not _same_seconds(st.seconds, request.seconds_text):
                    continue
                best = st  # keep going: the oldest match is the one our lost create made
        except Exception as e:
            raise map_error(e, "looking up jobs") from None
        return best


def _mime(path: Path) -> str:
    suffix = path.suffix.lower()
    return {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
            ".webp": "image/webp"}.get(suffix, "image/png")
