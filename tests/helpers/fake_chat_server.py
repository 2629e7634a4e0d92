"""A loopback OpenAI-compatible chat-completions server with scripted answers, for tests.

A real ``http.server.ThreadingHTTPServer`` on 127.0.0.1 and a free port: the ``openai``
client talks to it over HTTP exactly as it would to a LiteLLM proxy or vLLM. Each request gets
the next scripted :class:`Reply` (the last one repeats); every request body is recorded.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    content: str | None = None  #: the assistant message text
    refusal: str | None = None  #: a structured-outputs refusal instead of content
    finish_reason: str = "stop"
    delay: float = 0.0  #: seconds to wait before answering (to provoke a client timeout)
    status: int = 200
    error: str = ""  #: the error message for a non-200 status


class FakeChatServer:
    def __init__(self, replies: list[Reply]) -> None:
        self.replies = list(replies)
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with server._lock:
                    server.requests.append(body)
                    server.headers.append({k.lower(): v for k, v in self.headers.items()})
                    n = len(server.requests) - 1
                    reply = server.replies[min(n, len(server.replies) - 1)]
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                if reply.delay:
                    deadline = time.monotonic() + reply.delay
                    while time.monotonic() < deadline and not server._stop.is_set():
                        server._stop.wait(0.05)
                    if server._stop.is_set():
                        return
                if reply.status != 200:
                    self._send(reply.status, {"error": {"message": reply.error,
                                                        "type": "invalid_request_error"}})
                    return
                self._send(200, {
                    "id": f"chatcmpl-{n}", "object": "chat.completion", "created": 0,
                    "model": body.get("model", "fake"),
                    "choices": [{"index": 0, "finish_reason": reply.finish_reason,
                                 "message": {"role": "assistant", "content": reply.content,
                                             "refusal": reply.refusal}}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                })

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)


@contextmanager
def fake_chat_server(replies: list[Reply]) -> Iterator[FakeChatServer]:
    server = FakeChatServer(replies)
    server.start()
    try:
        yield server
    finally:
        server.stop()
