"""A loopback OpenAI-compatible text-to-speech server (``POST /v1/audio/speech``), for tests.

A real ``ThreadingHTTPServer`` on 127.0.0.1: the ``openai`` client talks to it over HTTP as it
would to OpenAI or a LiteLLM proxy. Every request's path, JSON body and headers are recorded;
the answer is ``audio`` (real encoded audio the test made with ffmpeg), or an error status.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeSpeechServer:
    def __init__(self, audio: bytes, *, status: int = 200, error: str = "",
                 delay: float = 0.0) -> None:
        self.audio = audio
        self.status = status
        self.error = error
        self.delay = delay  #: seconds each answer takes (a slow voice, for cancelling)
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with server._lock:
                    server.requests.append(body)
                    server.paths.append(self.path)
                    server.headers.append({k.lower(): v for k, v in self.headers.items()})
                if server.delay:
                    time.sleep(server.delay)
                if self.path.rstrip("/") != "/v1/audio/speech":
                    self._send(404, "application/json",
                               json.dumps({"error": {"message": f"no route {self.path}"}}).encode())
                elif server.status != 200:
                    self._send(server.status, "application/json", json.dumps(
                        {"error": {"message": server.error, "type": "invalid_request_error"}}
                    ).encode())
                else:
                    self._send(200, "audio/mpeg", server.audio)

            def _send(self, status: int, kind: str, data: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)


@contextmanager
def fake_speech_server(audio: bytes, **kwargs: Any) -> Iterator[FakeSpeechServer]:
    server = FakeSpeechServer(audio, **kwargs)
    server.start()
    try:
        yield server
    finally:
        server.stop()
