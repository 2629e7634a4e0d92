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
7. 429s carry ``Retry-After``/``Retry-After-Ms`` into :class:`Transient`;
8. a create has three outcomes (PROVIDERS.md §3.8): *not sent* (connection refused, DNS,
   429, 408/425) is a plain :class:`Transient`; a 4xx refusal is final; a 5xx, a reset or a
   timeout after the request went out is ``Transient(ambiguous=True)`` — the job may exist
   and be billed, so the engine never simply sends it again. Each create carries an
   ``Idempotency-Key`` stable for its take;
9. LiteLLM wraps upstream errors (``litellm.BadRequestError: OpenAIException - {json}``):
   the provider's own message is unwrapped.

Downloads stream to a temp file beside the target and are renamed only when complete.
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
import json
import os
import re
import socket
import time
import uuid
import warnings
from dataclasses import dataclass
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
#: How much earlier than the send a job of a lost create may say it was created (the
#: provider's clock may run behind ours); a same-prompt job older than this is not ours.
CLOCK_ALLOWANCE = 10.0
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


_LITELLM_WRAPPER = re.compile(r"^\s*litellm\.\w+:\s*(?:\w+Exception\s*-\s*)?(?P<rest>.*)$", re.S)


def unwrap_message(message: str) -> tuple[str, str | None]:
    """The provider's own words inside a gateway's wrapper, and its code when the wrapper
    carries one: ``litellm.BadRequestError: OpenAIException - {"error": {"message": …}}`` →
    the inner message. Text that is not wrapped comes back as it is."""
    code: str | None = None
    for _ in range(3):  # a wrapper can hold a wrapper
        m = _LITELLM_WRAPPER.match(message)
        if m is None:
            break
        rest = m.group("rest").strip()
        start = rest.find("{")
        inner: Any = None
        if start >= 0:
            with contextlib.suppress(ValueError):
                inner = json.loads(rest[start:])
        if isinstance(inner, dict):
            err = inner.get("error", inner)
            if isinstance(err, dict) and err.get("message"):
                code = str(err.get("code") or err.get("type") or "") or code
                message = str(err["message"])
                continue
            if isinstance(err, str) and err:
                message = err
                continue
        message = rest or message
    return message.strip(), code


def _provider_message(err: Any) -> tuple[str, str | None]:
    """The provider's own words and error code from an SDK status error."""
    body = getattr(err, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            code = inner.get("code") or inner.get("type")
            message, inner_code = unwrap_message(str(inner["message"]))
            code = inner_code or code
            return message, None if code is None else str(code)
    message, code = unwrap_message(str(getattr(err, "message", None) or err))
    return message, code or getattr(err, "code", None)


#: Failures of the transport that prove the request never left this machine (nothing sent).
_NOT_SENT_CAUSES = ("ConnectError", "ConnectTimeout", "PoolTimeout", "ConnectionRefusedError",
                    "gaierror", "UnsupportedProtocol", "LocalProtocolError")


def _never_sent(err: BaseException) -> bool:
    """True when the error chain shows the connection was never made (refused, DNS, …)."""
    seen: set[int] = set()
    e: BaseException | None = err
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if type(e).__name__ in _NOT_SENT_CAUSES or isinstance(
                e, (ConnectionRefusedError, socket.gaierror)):
            return True
        e = e.__cause__ or e.__context__
    return False


def map_error(err: Exception, what: str, create: bool = False) -> GenerationError:
    """Turn anything the SDK (or its HTTP layer) raises into a typed failure.

    ``create``: the request asks for a paid job, so a 5xx answer is an unknown outcome
    (``ambiguous``) — a gateway says 500 when its upstream accepted the job and then the
    connection dropped.
    """
    import openai

    if isinstance(err, GenerationError):
        return err
    if _never_sent(err):
        cause = err.__cause__ or err
        return Transient(f"{what}: could not connect ({_describe(cause)}); nothing was sent")
    if isinstance(err, openai.APITimeoutError):
        return Transient(f"{what}: no answer in time", ambiguous=True)
    if isinstance(err, openai.APIConnectionError):
        cause = err.__cause__ or err
        return Transient(f"{what}: the connection failed before an answer ({_describe(cause)})",
                         ambiguous=True)
    if isinstance(err, openai.APIStatusError):
        status = err.status_code
        message, code = _provider_message(err)
        text = f"{what}: {message}"
        if status == 429:
            if code in ("insufficient_quota", "billing_hard_limit_reached") or \
                    "quota" in message.lower():
                return QuotaError(text)
            return Transient(text, _retry_after(err.response.headers), throttled=True)
        if status in (401, 403):
            return AuthError(text)
        if status == 402:
            return QuotaError(text)
        if status in (404, 410):
            return ExpiredOrNotFound(text)
        if status >= 500 or status == 409:
            # 409: a gateway that honours Idempotency-Key may say "still in progress".
            return Transient(f"{text} (HTTP {status})", _retry_after(err.response.headers),
                             ambiguous=create)
        if status in (408, 425):
            return Transient(text, _retry_after(err.response.headers))
        if create and "idempotency" in f"{code} {message}".lower():
            # A server that de-duplicates: "this key was used" means a job may exist.
            return Transient(f"{text} (HTTP {status})", ambiguous=True)
        return Rejected(text, code)
    if isinstance(err, openai.OpenAIError):
        return Rejected(f"{what}: {err}")
    # The HTTP layer below the SDK (a body cut short, a reset while streaming …).
    return Transient(f"{what}: {_describe(err)}", ambiguous=True)


def _describe(err: BaseException) -> str:
    text = str(err).strip()
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


@dataclass(frozen=True)
class ProviderCheck:
    """What a provider check found: ``verdict`` is ``ok``, ``auth failed``, ``unreachable``
    or ``not a Videos endpoint``; ``detail`` says what answered (or why not)."""

    verdict: str
    detail: str

    @property
    def ok(self) -> bool:
        return self.verdict == "ok"

    def __str__(self) -> str:
        return f"{self.verdict} ({self.detail})" if self.detail else self.verdict


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
                 download_timeout: float = 600.0, catalog: Catalog | None = None,
                 dialect: str = "openai") -> None:
        import openai

        self.name = name
        self.base_url = base_url
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self.download_timeout = download_timeout
        self.dialect = dialect
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

    def probe(self, timeout: float = 5.0) -> ProviderCheck:
        """Ask the server what every OpenAI-shaped video server really answers, never the job
        list (LiteLLM cannot route it): ``GET /models``, then a retrieve of an id that does
        not exist — a Videos endpoint says 404 about that id, a wrong key says 401."""
        import openai

        quiet_sora_deprecation()
        client = self._client.with_options(timeout=timeout)
        models: list[Any] = []
        try:
            models = list(client.models.list())
        except Exception as e:
            failure = _check_failure(e)
            if failure is not None:
                return failure
        video_models = [str(m.id) for m in models
                        if str(getattr(m, "mode", "") or (m.model_extra or {}).get("mode", ""))
                        == "video_generation"]
        if video_models:
            return ProviderCheck("ok", "video models: " + ", ".join(video_models[:4]))
        probe_id = "video_soraboard_check_" + uuid.uuid4().hex[:8]
        try:
            client.videos.retrieve(probe_id)
        except openai.NotFoundError as e:
            message, _code = _provider_message(e)
            if probe_id in message or "video" in message.lower():
                found = f"{len(models)} model(s)" if models else "the Videos API"
                return ProviderCheck("ok", f"answers {found}")
            return ProviderCheck("not a Videos endpoint", f"/videos answered 404: {message}")
        except Exception as e:
            failure = _check_failure(e)
            if failure is not None:
                return failure
            message, _code = _provider_message(e)
            if models:
                return ProviderCheck("ok", f"{len(models)} model(s); the job lookup answered: "
                                           f"{message}")
            return ProviderCheck("not a Videos endpoint", message)
        return ProviderCheck("not a Videos endpoint", f"it answered a made-up job id {probe_id}")

    def check(self, timeout: float = 5.0) -> None:
        """Raise a :class:`GenerationError` unless :meth:`probe` says ok."""
        result = self.probe(timeout)
        if result.verdict == "auth failed":
            raise AuthError(f"check: {result.detail}")
        if result.verdict == "unreachable":
            raise Transient(f"check: {result.detail}")
        if not result.ok:
            raise Rejected(f"check: {result.verdict}: {result.detail}")

    # ------------------------------------------------------------------ calls
    def submit(self, request: VideoRequest) -> JobState:
        from openai.types.video import Video

        quiet_sora_deprecation()
        headers = {"Idempotency-Key": request.idempotency_key} if request.idempotency_key \
            else {}
        body: dict[str, Any] | None = None
        if self.dialect == "openrouter":
            body = openrouter_body(request)
        elif self.dialect == "litellm":
            from soraboard.generation.litellm_dialect import NotCarried, litellm_body

            try:  # refused here, before anything is sent, when the route cannot take it
                body = litellm_body(request, self.capabilities(request.model))
            except NotCarried as e:
                raise Rejected(f"not sent: {e}") from None
        elif request.last_frame is not None or request.references:
            # Refused here, before anything is sent: the multipart shape has no such field.
            raise Rejected(f"provider {self.name!r} speaks the OpenAI Videos shape, which "
                           "carries a first frame only; give the profile the \"openrouter\" "
                           "dialect for last frames and reference images")
        try:
            if body is not None:
                video = self._client.post("/videos", body=body, cast_to=Video,
                                          options={"headers": headers})
            elif request.extra:
                body = {"prompt": request.prompt, "model": request.model,
                        "seconds": request.seconds_text, "size": request.size,
                        **request.extra}
                if request.reference is not None:
                    body["input_reference"] = {"image_url": _data_url(request.reference)}
                video = self._client.post("/videos", body=body, cast_to=Video,
                                          options={"headers": headers})
            else:
                kwargs: dict[str, Any] = {"prompt": request.prompt, "model": request.model,
                                          "seconds": request.seconds_text, "size": request.size}
                if request.reference is not None:
                    ref = Path(request.reference)
                    # A (name, bytes, mime) tuple: raw bytes would go out as octet-stream.
                    kwargs["input_reference"] = (ref.name, ref.read_bytes(), _mime(ref))
                video = self._client.videos.create(**kwargs, extra_headers=headers)
        except Exception as e:
            raise map_error(e, "create", create=True) from None
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
            raise map_error(e, "remix", create=True) from None

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

    def find_jobs(self, request: VideoRequest, since: float,
                  exclude: frozenset[str] = frozenset()) -> list[JobState]:
        """Jobs that the create sent at ``since`` may have made: created at or after it (less
        :data:`CLOCK_ALLOWANCE`), same prompt, model, size and seconds (where the provider
        echoes them), not in ``exclude``; nearest to the send first."""
        quiet_sora_deprecation()
        earliest = since - CLOCK_ALLOWANCE
        found: list[JobState] = []
        try:
            page = self._client.videos.list(order="desc", limit=100)
            for n, video in enumerate(page):
                if n >= LOOKUP_LIMIT:
                    break
                st = state_of(video)
                if st.created_at is not None and st.created_at < earliest:
                    break  # newest first: everything after this is older still
                if st.job_id in exclude or st.prompt != request.prompt:
                    continue
                if st.model not in (None, request.model) or st.size not in (None, request.size):
                    continue
                if st.seconds is not None and not _same_seconds(st.seconds, request.seconds_text):
                    continue
                found.append(st)
        except Exception as e:
            raise map_error(e, "looking up jobs") from None
        return sorted(found, key=lambda st: abs((st.created_at or since) - since))


def _check_failure(err: Exception) -> ProviderCheck | None:
    """A check's answer that settles it (unreachable, auth failed), or None to look on."""
    mapped = map_error(err, "check")
    if isinstance(mapped, AuthError):
        return ProviderCheck("auth failed", mapped.message.removeprefix("check: "))
    if isinstance(mapped, Transient) and not isinstance(err, _status_error()):
        return ProviderCheck("unreachable", mapped.message.removeprefix("check: "))
    return None


def _status_error() -> type[Exception]:
    import openai

    return openai.APIStatusError


def _data_url(path: Path) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode()
    return f"data:{_mime(Path(path))};base64,{data}"


def openrouter_body(request: VideoRequest) -> dict[str, Any]:
    """The JSON create of OpenRouter's (and Inworld's) dialect: first and last frame as
    ``frame_images`` tagged ``frame_type``, reference images as ``input_references``, each
    an ``image_url`` item (a data URL: the stills live on this machine)."""
    body: dict[str, Any] = {"prompt": request.prompt, "model": request.model,
                            "seconds": request.seconds_text, "size": request.size,
                            **request.extra}
    frames = [(request.reference, "first_frame"), (request.last_frame, "last_frame")]
    frame_images = [{"type": "image_url", "image_url": {"url": _data_url(path)},
                     "frame_type": kind} for path, kind in frames if path is not None]
    if frame_images:
        body["frame_images"] = frame_images
    if request.references:
        body["input_references"] = [{"type": "image_url", "image_url": {"url": _data_url(p)}}
                                    for p in request.references]
    return body


def _mime(path: Path) -> str:
    suffix = path.suffix.lower()
    return {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
            ".webp": "image/webp"}.get(suffix, "image/png")
