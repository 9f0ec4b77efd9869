"""A loopback HTTP server that answers like a provider, for tests and demos of the pollers.

``ReplayServer(handler)`` serves on 127.0.0.1 (a free port) in a daemon thread; ``handler(request)`` returns a
:class:`Reply` (status, JSON body, headers). Every request is recorded (method, path, query, headers) so a test
can check what a poller asked for. Point a source at ``server.url`` (``api_base_url``, ``url``).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    #: Query parameters, each with its last value.
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    #: Raw bytes instead of JSON (for "not JSON" answers).
    raw: bytes | None = None
    #: A streamed body (chunked): each item is one chunk, written and flushed in turn (``None`` waits 50 ms); then
    #: the stream ends and the connection closes.
    stream: Iterable[bytes | None] | None = None


class ReplayServer:
    def __init__(self, handler: Callable[[Request], Reply], host: str = "127.0.0.1") -> None:
        self.requests: list[Request] = []
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                req = Request(self.command, parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()},
                              {k.lower(): v for k, v in self.headers.items()}, body)
                with lock:
                    outer.requests.append(req)
                try:
                    reply = handler(req)
                except Exception as exc:  # noqa: BLE001 - a broken handler answers 500, the test sees it
                    reply = Reply(500, {"error": f"{type(exc).__name__}: {exc}"})
                if reply.stream is not None:
                    self._stream(reply)
                    return
                data = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json; charset=utf-8", **reply.headers}
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, reply: Reply) -> None:
                self.send_response(reply.status)
                for k, v in {"Content-Type": "application/json; charset=utf-8", **reply.headers}.items():
                    self.send_header(k, v)
                self.send_header("Transfer-Encoding", "chunked")  # as the X API streams
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                try:
                    for chunk in reply.stream or ():
                        if chunk is None:
                            time.sleep(0.05)
                            continue
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        self.wfile.flush()
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                except OSError:
                    pass  # the client went away

            do_GET = do_POST = do_DELETE = _serve  # noqa: N815 - http.server API

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self.address = self._server.server_address[:2]
        self.url = f"http://{self.address[0]}:{self.address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="replay-server", daemon=True)

    def start(self) -> ReplayServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
