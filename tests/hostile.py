"""A scripted loopback HTTP server, for what the simulator will not do: answers no Salesloft would give."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Seen:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    """What to answer: a status, a body (bytes, or JSON), headers; ``drip_s`` sends the body one byte at a
    time with that pause, ``drip_head_s`` the status line and headers; ``drop`` closes the connection
    without answering."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drip_s: float = 0.0
    drop: bool = False
    drip_head_s: float = 0.0


class HostileServer:
    """Answers every request with ``script(seen) -> Reply``; records what it received.

    :param script: decides each answer.
    """

    def __init__(self, script: Callable[[Seen], Reply]) -> None:
        self.script = script
        self.seen: list[Seen] = []
        self.dripped = 0  # body bytes sent one at a time (a client that gives up stops them)
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _any(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(
                    self.command,
                    parts.path,
                    parse_qs(parts.query),
                    dict(self.headers),
                    self.rfile.read(length) if length else b"",
                )
                server.seen.append(seen)
                reply = server.script(seen)
                if reply.drop:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                body = reply.body
                payload = (
                    body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
                )
                headers = {"Content-Type": "application/json", **reply.headers}
                if reply.drip_head_s:
                    lines = [f"HTTP/1.1 {reply.status} Whatever"]
                    lines += [f"{key}: {value}" for key, value in headers.items()]
                    lines += [f"Content-Length: {len(payload)}", "", ""]
                    for byte in "\r\n".join(lines).encode():
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        server.dripped += 1
                        time.sleep(reply.drip_head_s)
                    self.wfile.write(payload)
                    return
                self.send_response(reply.status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if reply.drip_s:
                    for byte in payload:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        server.dripped += 1
                        time.sleep(reply.drip_s)
                else:
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _any

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True

    @property
    def url(self) -> str:
        """Base URL."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def requests(self, method: str, path: str | None = None) -> list[Seen]:
        """What was received with ``method`` (and ``path``)."""
        return [s for s in self.seen if s.method == method and (path is None or s.path == path)]

    def __enter__(self) -> HostileServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
