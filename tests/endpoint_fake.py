"""A scripted HTTP server on 127.0.0.1 for the endpoint fault tests: it replays captured
responses (tests/fixtures/endpoints) or misbehaves on purpose (an error status, a malformed
or truncated stream, a stall, a death mid-sweep). Streams are sent close-delimited (HTTP/1.0
style), the way a server that dies mid-answer leaves them."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CAPTURES = Path(__file__).parent / "fixtures" / "endpoints"


def capture(name: str) -> bytes:
    return (CAPTURES / name).read_bytes()


# A route answers (handler, body) by writing the response itself.
Route = Callable[[BaseHTTPRequestHandler, dict], None]


def send(
    handler: BaseHTTPRequestHandler, status: int, body: bytes, kind: str = "application/json"
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", kind)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def stream(
    handler: BaseHTTPRequestHandler,
    chunks: list[bytes],
    pause_s: float = 0.0,
    kind: str = "text/event-stream",
) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", kind)
    handler.send_header("Connection", "close")
    handler.end_headers()
    for chunk in chunks:
        handler.wfile.write(chunk)
        handler.wfile.flush()
        if pause_s:
            time.sleep(pause_s)


def sse_events(name: str) -> list[bytes]:
    """A captured SSE stream, one event (with its blank line) per chunk."""
    text = capture(name).decode()
    return [(event + "\n\n").encode() for event in text.split("\n\n") if event.strip()]


class Fake:
    """``routes``: "GET /v1/models" -> Route. Records each request's headers."""

    def __init__(self, routes: dict[str, Route]) -> None:
        self.routes, self.seen = routes, []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args) -> None:  # quiet
                pass

            def _answer(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.seen.append((method, self.path, dict(self.headers), body))
                route = fake.routes.get(f"{method} {self.path}")
                if route is None:
                    send(self, 404, b'{"detail":"Not Found"}')
                else:
                    route(self, body)

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Fake:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        if self.thread.is_alive():
            self.httpd.shutdown()
        self.httpd.server_close()


def openai_models(handler, body) -> None:
    send(handler, 200, capture("llama-cpp-python-models.json"))


def openai_stream(handler, body) -> None:
    stream(handler, sse_events("llama-cpp-python-completions.sse"))
