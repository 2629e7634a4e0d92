"""A loopback server speaking the OpenAI Videos protocol, with injectable faults.

A real ``http.server.ThreadingHTTPServer`` on 127.0.0.1:0, talked to by the real ``openai``
client. It implements ``POST /v1/videos`` (multipart and JSON), ``GET /v1/videos/{id}``,
``GET /v1/videos/{id}/content``, ``GET /v1/videos`` and ``POST /v1/videos/{id}/remix``, serves
real MP4s (made with ffmpeg, of the requested size and seconds) and counts every create, so
tests can assert "never two jobs for one request".

Faults are counters on :class:`Faults` (how many of the next requests misbehave) or flags
(every request misbehaves); tests set them before or during a run. Besides plain faults it
plays the gateway cases of PROVIDERS.md §3.8–9: a create that is accepted and then answered
500 (LiteLLM's "Server disconnected"), reset or left to time out; a job list hidden like
LiteLLM's (400 "LLM Provider NOT provided"); LiteLLM's wrapped error texts; decoy jobs of the
same prompt (:meth:`FakeVideosServer.add_job`); a download outage of N seconds; and a log of
every create with its ``Idempotency-Key`` (:attr:`ServerState.create_log`).
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import subprocess
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from soraboard.media.ffmpeg import find_ffmpeg


@dataclass
class Faults:
    """What goes wrong. Integers count down (the next N requests), booleans stay on."""

    create_429: int = 0  #: answer 429 with Retry-After (nothing created)
    retry_after: str = "1"  #: the Retry-After header sent with a 429
    retry_after_ms: str | None = "50"  #: Retry-After-Ms (None = not sent)
    create_500: int = 0  #: answer 500 (nothing created)
    create_500_after: int = 0  #: create the job, then answer 500 (LiteLLM: upstream dropped)
    create_refuse_before: int = 0  #: answer 400 before creating anything
    create_reset_before: int = 0  #: drop the connection before creating anything
    create_reset_after: int = 0  #: create the job, then drop the connection
    create_slow_after: int = 0  #: create the job, then answer after ``slow_seconds``
    slow_seconds: float = 3.0
    poll_slow: int = 0  #: answer a poll after ``slow_seconds``
    poll_500: int = 0
    image_refuse: int = 0  #: images requests answered 400 (moderation)
    image_reset_after: int = 0  #: make the image (billed), then drop the connection
    image_garbled: int = 0  #: answer with b64 data that is not an image
    poll_429: int = 0  #: answer a poll 429 with ``Retry-After``/``Retry-After-Ms``
    status_word: str = "in_progress"  #: what running jobs say (LiteLLM: "processing")
    fail_policy: bool = False  #: jobs end ``failed`` with a moderation error
    fail_message: str = "Your request was blocked by our moderation system."
    completed_without_file: bool = False  #: jobs say ``completed`` but content answers 500
    truncate_downloads: int = 0  #: serve half the file (with a matching Content-Length)
    reset_download: int = 0  #: send the headers and part of the body, then drop
    expired_content: bool = False  #: content answers 404 "expired"
    list_broken: bool = False  #: GET /videos answers 404 (a gateway without a list)
    list_hidden: bool = False  #: GET /videos answers 400 like LiteLLM 1.109
    litellm_errors: bool = False  #: error messages wrapped the way LiteLLM wraps them
    litellm_models: bool = False  #: GET /models lists video model groups like LiteLLM
    honour_idempotency: bool = False  #: a repeated Idempotency-Key returns the first job
    download_outage_until: float = 0.0  #: content answers 503 until this unix time
    require_key: str | None = None  #: Authorization must be "Bearer <key>"
    quota_exceeded: bool = False  #: creates answer 429 insufficient_quota
    #: every request answers 401 quoting the Authorization header back (a careless gateway)
    echo_key: bool = False


@dataclass
class Job:
    id: str
    prompt: str
    model: str
    size: str
    seconds: str
    created_at: float
    started: float
    latency: float
    fail: bool = False
    reference_size: tuple[int, int] | None = None
    remixed_from: str | None = None
    json_body: dict[str, Any] | None = None


@dataclass
class ServerState:
    latency: float = 0.5  #: seconds a job runs
    faults: Faults = field(default_factory=Faults)
    jobs: dict[str, Job] = field(default_factory=dict)
    creates: Counter[str] = field(default_factory=Counter)  #: prompt → jobs created
    create_attempts: int = 0  #: every POST /videos, created or not
    polls: int = 0
    poll_times: list[float] = field(default_factory=list)  #: unix time of every poll
    downloads: int = 0
    clip_cache: dict[tuple[str, str], bytes] = field(default_factory=dict)
    clip_dir: Path | None = None
    big_file: Path | None = None  #: serve this file instead of rendering (benchmarks)
    requests: list[tuple[str, str]] = field(default_factory=list)
    #: every create that made a job: (prompt, Idempotency-Key or None, job id, unix time)
    create_log: list[tuple[str, str | None, str, float]] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)  #: Idempotency-Key → job id
    attempt_keys: list[str | None] = field(default_factory=list)  #: key of every POST /videos
    #: every field of every create that made a job, images replaced by their
    #: {"image": (width, height), "mime": …} (multipart files and data URLs alike)
    create_fields: list[dict[str, Any]] = field(default_factory=list)
    #: every images request (generations and edits), described like ``create_fields``
    image_requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, name: str) -> bool:
        """Consume one unit of a counting fault."""
        with self.lock:
            n = getattr(self.faults, name)
            if n > 0:
                setattr(self.faults, name, n - 1)
                return True
            return False


def make_clip_bytes(size: str, seconds: str, cache_dir: Path) -> bytes:
    """A real H.264/AAC MP4 of ``size`` and ``seconds`` (short GOP, ultrafast)."""
    out = cache_dir / f"clip-{size}-{seconds}.mp4"
    if not out.exists():
        w, h = size.split("x")
        ff = find_ffmpeg().path
        d = float(seconds)
        subprocess.run(
            [ff, "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
             "-f", "lavfi", "-i", f"testsrc2=size={w}x{h}:rate=24:duration={d:g}",
             "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={d:g}",
             "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "24",
             "-c:a", "aac", "-ac", "2", "-t", f"{d:g}", "-movflags", "+faststart",
             str(out)], check=True, stdin=subprocess.DEVNULL)
    return out.read_bytes()


class _BadImage(ValueError):
    pass


def _image_of(data: bytes, mime: str) -> dict[str, Any]:
    import cv2
    import numpy as np

    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise _BadImage("an image field is not a readable image")
    return {"image": (int(img.shape[1]), int(img.shape[0])), "mime": mime}


def _describe(value: Any) -> Any:
    import base64

    if isinstance(value, dict) and "bytes" in value and "filename" in value:
        return _image_of(value["bytes"], value["mime"])
    if isinstance(value, dict) and set(value) == {"bytesBase64Encoded", "mimeType"}:
        # Veo's image object (LiteLLM's vertex_ai and gemini routes)
        return {"veo": _image_of(base64.b64decode(value["bytesBase64Encoded"]),
                                 str(value["mimeType"]))}
    if isinstance(value, str) and value.startswith("data:image/"):
        head, _, data = value.partition(",")
        return _image_of(base64.b64decode(data), head[5:].split(";")[0])
    if isinstance(value, dict):
        return {k: _describe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_describe(v) for v in value]
    return value


def _describe_images(fields: dict[str, Any]) -> dict[str, Any] | str:
    """``fields`` with every image (a multipart file, a data URL) replaced by its size and
    type; an error text when one cannot be read."""
    try:
        out: dict[str, Any] = _describe(fields)
    except (_BadImage, ValueError) as e:
        return str(e)
    return out


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, a keep-alive client's
    # delayed ACK would add ~40 ms to every answer.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # ------------------------------------------------------------------ helpers
    @property
    def state(self) -> ServerState:
        return self.server.state

    def _json(self, code: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, code: int, message: str, type_: str = "invalid_request_error",
               code_word: str | None = None, headers: dict[str, str] | None = None) -> None:
        if self.state.faults.litellm_errors:
            # LiteLLM 1.109: the upstream's JSON error as text inside its own exception name.
            inner = json.dumps({"error": {"message": message, "type": type_,
                                          "code": code_word, "param": None}})
            name = {400: "BadRequestError", 401: "AuthenticationError",
                    404: "NotFoundError", 429: "RateLimitError"}.get(code,
                                                                     "InternalServerError")
            message = f"litellm.{name}: OpenAIException - {inner}"
            type_, code_word = "None", str(code)
        self._json(code, {"error": {"message": message, "type": type_, "code": code_word,
                                    "param": None}}, headers)

    def _reset(self) -> None:
        """Drop the connection with a TCP RST and no answer."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.wfile.flush()
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    def _body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _authorised(self) -> bool:
        if self.state.faults.echo_key:
            self._error(401, f"Invalid credentials in header Authorization: "
                             f"{self.headers.get('Authorization')!r}", "invalid_request_error",
                        "invalid_api_key")
            return False
        key = self.state.faults.require_key
        if key is None:
            return True
        if self.headers.get("Authorization") == f"Bearer {key}":
            return True
        self._error(401, "Incorrect API key provided.", "invalid_request_error",
                    "invalid_api_key")
        return False

    def _video(self, job: Job) -> dict[str, Any]:
        st = self.state
        elapsed = time.time() - job.started
        done = elapsed >= job.latency
        if done:
            status = "failed" if job.fail else "completed"
            progress = 100
        else:
            status = "queued" if elapsed < job.latency * 0.1 else st.faults.status_word
            progress = int(100 * elapsed / job.latency) if job.latency else 100
        obj: dict[str, Any] = {
            "id": job.id, "object": "video", "model": job.model, "status": status,
            "progress": progress, "created_at": int(job.created_at),
            "completed_at": int(job.started + job.latency) if done else None,
            "expires_at": int(job.started + job.latency + 3600) if done else None,
            "prompt": job.prompt, "size": job.size, "seconds": job.seconds,
            "remixed_from_video_id": job.remixed_from, "error": None,
        }
        if done and job.fail:
            obj["error"] = {"code": "moderation_blocked",
                            "message": self.state.faults.fail_message}
        return obj

    # ------------------------------------------------------------------ routes
    def do_POST(self) -> None:
        self.state.requests.append(("POST", self.path))
        path = urlparse(self.path).path
        body = self._body()
        if not self._authorised():
            return
        if path == "/v1/videos":
            self._create(body)
        elif path in ("/v1/images/generations", "/v1/images/edits"):
            self._image(path.rsplit("/", 1)[1], body)
        elif path.startswith("/v1/videos/") and path.endswith("/remix"):
            self._remix(path.split("/")[3], body)
        else:
            self._error(404, f"no route {path}")

    def _parse_create(self, body: bytes) -> dict[str, Any]:
        ctype = self.headers.get("Content-Type", "")
        fields: dict[str, Any] = {}
        if ctype.startswith("multipart/form-data"):
            msg = BytesParser(policy=email_policy).parsebytes(
                b"Content-Type: " + ctype.encode() + b"\r\nMIME-Version: 1.0\r\n\r\n" + body)
            for part in msg.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                value: Any = {"filename": part.get_filename(), "mime": part.get_content_type(),
                              "bytes": payload} if part.get_filename() is not None \
                    else (payload or b"").decode()
                if str(name) in fields:  # a repeated field (image[] …): all of them, in order
                    old = fields[str(name)]
                    fields[str(name)] = [*(old if isinstance(old, list) else [old]), value]
                else:
                    fields[str(name)] = value
        else:
            fields = json.loads(body or b"{}")
            fields["_json"] = True
        return fields

    def _reference_size(self, fields: dict[str, Any]) -> tuple[int, int] | str | None:
        ref = fields.get("input_reference")
        if ref is None:
            return None
        import base64

        import cv2
        import numpy as np

        if isinstance(ref, dict) and "bytes" in ref:
            if ref["mime"] not in ("image/png", "image/jpeg", "image/webp"):
                return f"Unsupported input_reference mime type {ref['mime']!r}."
            data = ref["bytes"]
        elif isinstance(ref, dict) and str(ref.get("image_url", "")).startswith("data:"):
            data = base64.b64decode(ref["image_url"].split(",", 1)[1])
        elif isinstance(ref, str) and ref.startswith("data:image/"):  # LiteLLM fal/runway
            data = base64.b64decode(ref.split(",", 1)[1])
        elif isinstance(ref, dict) and "bytesBase64Encoded" in ref:  # LiteLLM gemini (Veo)
            data = base64.b64decode(ref["bytesBase64Encoded"])
        else:
            return "input_reference must be an image file or a data URL"
        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        if img is None:
            return "input_reference is not a readable image"
        return int(img.shape[1]), int(img.shape[0])

    def _create(self, body: bytes) -> None:
        st = self.state
        with st.lock:
            st.create_attempts += 1
            st.attempt_keys.append(self.headers.get("Idempotency-Key"))
        if st.take("create_reset_before"):
            return self._reset()
        if st.faults.quota_exceeded:
            return self._error(429, "You exceeded your current quota, please check your plan "
                               "and billing details.", "insufficient_quota", "insufficient_quota")
        if st.take("create_429"):
            headers = {"Retry-After": st.faults.retry_after}
            if st.faults.retry_after_ms is not None:
                headers["Retry-After-Ms"] = st.faults.retry_after_ms
            return self._error(429, "Rate limit reached for videos per minute.", "requests",
                               "rate_limit_exceeded", headers)
        if st.take("create_500"):
            return self._error(500, "The server had an error while processing your request.",
                               "server_error")
        if st.take("create_refuse_before"):
            return self._error(400, "Invalid 'size': must be one of 320x180, 640x360.",
                               code_word="invalid_value")
        try:
            fields = self._parse_create(body)
        except (ValueError, KeyError) as e:
            return self._error(400, f"cannot parse the request: {e}")
        prompt = str(fields.get("prompt", ""))
        if not prompt:
            return self._error(400, "Missing required parameter: 'prompt'.")
        size = str(fields.get("size", "720x1280"))
        seconds = str(fields.get("seconds", "4"))
        if not isinstance(fields.get("seconds", "4"), str) or not isinstance(
                fields.get("size", "720x1280"), str):
            return self._error(400, "'seconds' and 'size' must be strings")
        ref = self._reference_size(fields)
        if isinstance(ref, str):
            return self._error(400, ref)
        if ref is not None and f"{ref[0]}x{ref[1]}" != size:
            return self._error(400, "Inpaint image must match the requested width and height",
                               code_word="invalid_value")
        recorded = _describe_images(fields)
        if isinstance(recorded, str):
            return self._error(400, recorded)
        for frame in recorded.get("frame_images", []):
            if frame.get("frame_type") not in ("first_frame", "last_frame"):
                return self._error(400, "frame_type must be first_frame or last_frame")
            if "x".join(map(str, frame["image_url"]["url"]["image"])) != size:
                return self._error(400, f"{frame['frame_type']} must match the requested "
                                        "width and height", code_word="invalid_value")
        key = self.headers.get("Idempotency-Key")
        with st.lock:
            known = st.jobs.get(st.keys.get(key or "", "")) if st.faults.honour_idempotency \
                else None
        if known is not None:
            return self._json(200, self._video(known))
        now = time.time()
        job = Job("video_" + uuid.uuid4().hex, prompt, str(fields.get("model", "sora-2")),
                  size, seconds, now, now, st.latency, fail=st.faults.fail_policy,
                  reference_size=ref,
                  json_body={k: v for k, v in fields.items() if k != "input_reference"}
                  if fields.get("_json") else None)
        with st.lock:
            st.create_fields.append(recorded)
            st.jobs[job.id] = job
            st.creates[prompt] += 1
            st.create_log.append((prompt, key, job.id, now))
            if key:
                st.keys[key] = job.id
        if st.take("create_reset_after"):
            return self._reset()
        if st.take("create_500_after"):
            if st.faults.litellm_errors:
                return self._error(500, "Server disconnected", "None", "500")
            return self._error(500, "The server had an error while processing your request.",
                               "server_error")
        if st.take("create_slow_after"):
            time.sleep(st.faults.slow_seconds)
        self._json(200, self._video(job))

    def _image(self, kind: str, body: bytes) -> None:
        """The OpenAI Images API: a PNG of the asked size (a gradient), as ``b64_json``."""
        import base64

        import cv2
        import numpy as np

        st = self.state
        try:
            fields = self._parse_create(body)
        except (ValueError, KeyError) as e:
            return self._error(400, f"cannot parse the request: {e}")
        recorded = _describe_images(fields)
        if isinstance(recorded, str):
            return self._error(400, recorded)
        recorded["_endpoint"] = kind
        with st.lock:
            st.image_requests.append(recorded)
        if st.take("image_refuse"):
            return self._error(400, "Your request was rejected by the safety system.",
                               code_word="moderation_blocked")
        if st.take("image_reset_after"):
            return self._reset()
        if st.take("image_garbled"):
            return self._json(200, {"created": int(time.time()), "data": [
                {"b64_json": base64.b64encode(b"not a picture").decode()}]})
        size = str(fields.get("size") or "1024x1024")
        try:
            w, h = (int(x) for x in size.split("x"))
        except ValueError:
            return self._error(400, f"Invalid size {size!r}")
        img = np.zeros((h, w, 3), np.uint8)
        img[:, :, 1] = np.linspace(0, 255, w, dtype=np.uint8)[None, :]
        ok, buf = cv2.imencode(".png", img)
        assert ok
        self._json(200, {"created": int(time.time()),
                         "data": [{"b64_json": base64.b64encode(buf.tobytes()).decode()}]})

    def _remix(self, video_id: str, body: bytes) -> None:
        st = self.state
        src = st.jobs.get(video_id)
        if src is None:
            return self._error(404, f"Video with id '{video_id}' not found.")
        prompt = json.loads(body or b"{}").get("prompt", "")
        now = time.time()
        job = Job("video_" + uuid.uuid4().hex, prompt, src.model, src.size, src.seconds, now,
                  now, st.latency, remixed_from=video_id)
        with st.lock:
            st.jobs[job.id] = job
            st.creates[prompt] += 1
        self._json(200, self._video(job))

    def do_GET(self) -> None:
        st = self.state
        st.requests.append(("GET", self.path))
        url = urlparse(self.path)
        parts = url.path.split("/")
        if not self._authorised():
            return
        if url.path == "/v1/videos":
            return self._list(parse_qs(url.query))
        if url.path == "/v1/models":
            return self._models()
        if len(parts) == 4 and parts[2] == "videos":
            with st.lock:
                st.polls += 1
                st.poll_times.append(time.time())
            if st.take("poll_429"):
                headers = {"Retry-After": st.faults.retry_after}
                if st.faults.retry_after_ms is not None:
                    headers["Retry-After-Ms"] = st.faults.retry_after_ms
                return self._error(429, "Rate limit reached for requests.", "requests",
                                   "rate_limit_exceeded", headers)
            if st.take("poll_slow"):
                time.sleep(st.faults.slow_seconds)
            if st.take("poll_500"):
                return self._error(500, "upstream error", "server_error")
            job = st.jobs.get(parts[3])
            if job is None:
                return self._error(404, f"Video with id '{parts[3]}' not found.")
            return self._json(200, self._video(job))
        if len(parts) == 5 and parts[2] == "videos" and parts[4] == "content":
            return self._content(parts[3])
        self._error(404, f"no route {url.path}")

    def _models(self) -> None:
        models = sorted({j.model for j in self.state.jobs.values()} | {"test-video"})
        extra = {"mode": "video_generation"} if self.state.faults.litellm_models else {}
        self._json(200, {"object": "list", "data": [
            {"id": m, "object": "model", "created": 0, "owned_by": "openai", **extra}
            for m in models]})

    def _list(self, query: dict[str, list[str]]) -> None:
        st = self.state
        if st.faults.list_broken:
            return self._error(404, "Not Found")
        if st.faults.list_hidden:
            # LiteLLM 1.109 cannot route the job list to any provider.
            return self._json(400, {"error": {
                "message": "litellm.BadRequestError: LLM Provider NOT provided. Pass in the "
                           "LLM provider you are trying to call. You passed model=None",
                "type": None, "param": None, "code": "400"}})
        order = query.get("order", ["desc"])[0]
        limit = int(query.get("limit", ["20"])[0])
        after = query.get("after", [None])[0]
        jobs = sorted(st.jobs.values(), key=lambda j: (j.created_at, j.id),
                      reverse=order != "asc")
        if after is not None:
            ids = [j.id for j in jobs]
            jobs = jobs[ids.index(after) + 1:] if after in ids else []
        page = jobs[:limit]
        self._json(200, {"object": "list", "data": [self._video(j) for j in page],
                         "first_id": page[0].id if page else None,
                         "last_id": page[-1].id if page else None,
                         "has_more": len(jobs) > limit})

    def _content(self, video_id: str) -> None:
        st = self.state
        job = st.jobs.get(video_id)
        if job is None:
            return self._error(404, f"Video with id '{video_id}' not found.")
        if time.time() - job.started < job.latency or job.fail:
            return self._error(400, "Video is not ready yet." if not job.fail else
                               "Video generation failed; there is no content.")
        if st.faults.expired_content:
            return self._error(404, "The video content has expired.", code_word="video_expired")
        if st.faults.completed_without_file:
            return self._error(500, "upstream returned no video", "server_error")
        if time.time() < st.faults.download_outage_until:
            return self._error(503, "upstream storage unavailable", "server_error")
        with st.lock:
            st.downloads += 1
        if st.big_file is not None:
            return self._send_file(st.big_file)
        assert st.clip_dir is not None
        data = make_clip_bytes(job.size, job.seconds, st.clip_dir)
        if st.take("truncate_downloads"):
            data = data[: len(data) // 2]
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if st.take("reset_download"):
            self.wfile.write(data[: len(data) // 3])
            return self._reset()
        self.wfile.write(data)

    def _send_file(self, path: Path) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(path.stat().st_size))
        self.end_headers()
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                self.wfile.write(chunk)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: ServerState

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # resets and client timeouts are the point of this server; keep test output quiet


class FakeVideosServer:
    """``with FakeVideosServer(tmp) as srv: srv.base_url`` → ``http://127.0.0.1:PORT/v1``."""

    def __init__(self, clip_dir: Path, latency: float = 0.5) -> None:
        self.state = ServerState(latency=latency, clip_dir=Path(clip_dir))
        Path(clip_dir).mkdir(parents=True, exist_ok=True)
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.state = self.state
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def faults(self) -> Faults:
        return self.state.faults

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeVideosServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> FakeVideosServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def jobs_for(self, prompt: str) -> int:
        return self.state.creates[prompt]

    def add_job(self, prompt: str, model: str = "test-video", size: str = "320x180",
                seconds: str = "2", age: float = 0.0) -> str:
        """A job made by someone else ``age`` seconds ago (a decoy for lost-create lookups);
        it is not counted in :attr:`ServerState.creates`."""
        made = time.time() - age
        job = Job("video_" + uuid.uuid4().hex, prompt, model, size, seconds, made, made,
                  self.state.latency)
        with self.state.lock:
            self.state.jobs[job.id] = job
        return job.id

    def download_outage(self, seconds: float) -> None:
        """Content downloads answer 503 for the next ``seconds``."""
        self.state.faults.download_outage_until = time.time() + seconds

    def max_jobs_per_prompt(self) -> int:
        return max(self.state.creates.values(), default=0)


def main() -> None:  # pragma: no cover - for the crash test's subprocess-free use and by hand
    import argparse

    ap = argparse.ArgumentParser(description="run the fake Videos server")
    ap.add_argument("--latency", type=float, default=1.0)
    ap.add_argument("--clips", default="/tmp/fake-videos-clips")
    a = ap.parse_args()
    srv = FakeVideosServer(Path(a.clips), a.latency).start()
    print(srv.base_url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        srv.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
