"""The simulator's HTTP side: parsing requests, the admin endpoints, and the steps every API call goes
through (count, latency, drop, auth, rate limit, 503, route, lost response)."""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import json
import socket
import time
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from airflow_provider_salesloft.testing.api import ApiError, optional_int_or_none, page_cost
from airflow_provider_salesloft.testing.observe import OBSERVERS, Exchange
from airflow_provider_salesloft.testing.routes import ApiRequest, dispatch, ident_of, route_of

if TYPE_CHECKING:
    from airflow_provider_salesloft.testing.simulator import SalesloftSimulator

SERVICE_UNAVAILABLE_PAGE = b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"


class SimulatorServer(ThreadingHTTPServer):
    """A threading HTTP server that knows its simulator."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], sim: SalesloftSimulator) -> None:
        super().__init__(address, SimulatorRequestHandler)
        self.sim = sim


def parse_params(content_type: str, query: str, body: bytes) -> dict[str, Any]:
    """Merge query string and body (JSON, urlencoded or multipart) into one mapping; body wins."""
    params: dict[str, Any] = {}

    def put(key: str, values: list[Any]) -> None:
        params[key] = values if key.endswith("[]") else values[-1]

    for key, values in parse_qs(query, keep_blank_values=True).items():
        put(key, values)
    if not body:
        return params
    if "application/json" in content_type:
        try:
            decoded = json.loads(body)
        except ValueError:
            raise ApiError(400, {"error": "Malformed JSON body"}) from None
        if not isinstance(decoded, dict):
            raise ApiError(400, {"error": "JSON body must be an object"})
        params.update(decoded)
    elif "multipart/form-data" in content_type:
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        for part in message.iter_parts() if message.is_multipart() else ():
            name = part.get_param("name", header="content-disposition")
            if name:
                payload = part.get_payload(decode=True)
                value = payload.decode() if isinstance(payload, bytes) else str(payload or "")
                if str(name).endswith("[]"):
                    params.setdefault(str(name), []).append(value)
                else:
                    params[str(name)] = value
    else:
        for key, values in parse_qs(body.decode(), keep_blank_values=True).items():
            put(key, values)
    return params


class SimulatorRequestHandler(BaseHTTPRequestHandler):
    """Answers one connection's requests as Salesloft would (or as the faults say)."""

    protocol_version = "HTTP/1.1"
    server_version = "SalesloftSimulator/1.0"
    server: SimulatorServer
    _observed: tuple[str, bytes] | None = None  # the request's query and body, while observers listen

    @property
    def sim(self) -> SalesloftSimulator:
        """The simulator this server belongs to."""
        return self.server.sim

    def setup(self) -> None:
        """Set TCP_NODELAY: headers and body go out in two writes, and delayed ACKs would add ~40 ms."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging."""

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header, as the faults say (shifted, or without its zone)."""
        faults = self.sim.faults
        text = super().date_time_string((timestamp or time.time()) + faults.date_offset_s)
        return text.replace("GMT", "-0000") if faults.date_header == "zoneless" else text

    def send_header(self, keyword: str, value: str) -> None:
        """Send a header (``Date`` left out when the faults say so)."""
        if keyword == "Date" and self.sim.faults.date_header == "missing":
            return
        super().send_header(keyword, value)

    def do_GET(self) -> None:
        """Handle a GET."""
        self._handle("GET")

    def do_POST(self) -> None:
        """Handle a POST."""
        self._handle("POST")

    def do_DELETE(self) -> None:
        """Handle a DELETE."""
        self._handle("DELETE")

    def do_PUT(self) -> None:
        """Handle a PUT."""
        self._handle("PUT")

    # -- plumbing ----------------------------------------------------------------------------------------
    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send(
        self,
        status: int,
        body: Any,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json; charset=utf-8",
    ) -> None:
        payload = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        self.send_response(status)
        if payload:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if getattr(self, "_dripping", False):
            self._dripping = False
            head: list[bytes] = getattr(self, "_headers_buffer", [])  # what end_headers() would send
            self._headers_buffer: list[bytes] = []
            self._drip(b"".join(head) + b"\r\n" + payload)
            return
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    def _drip(self, answer: bytes) -> None:
        """Send ``answer`` (status line, headers, body) ``drip_bytes`` at a time, ``drip_interval_s`` apart,
        until it is sent or the client hangs up."""
        faults = self.sim.faults
        step = faults.drip_bytes
        self.close_connection = True
        for start in range(0, len(answer), step):
            try:
                self.wfile.write(answer[start : start + step])
                self.wfile.flush()
            except OSError:  # the client gave up
                return
            if start + step < len(answer):
                time.sleep(faults.drip_interval_s)

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = parts.path.rstrip("/") or "/"
        try:
            if path.startswith("/_sim/"):
                self._admin(method, path, body)
                return
            params = parse_params(self.headers.get("Content-Type", ""), parts.query, body)
            if path == "/oauth/token" and method == "POST":
                self._send(200, self.sim.issue_token(params))
                return
            if path == "/oauth/authorize" and method == "GET":
                self._send(302, None, {"Location": self.sim.oauth.authorize(params)})
                return
        except ApiError as error:
            self._send(error.status, error.body)
            return
        self._observed = (parts.query, body) if OBSERVERS else None
        self._api(method, path, params)

    # -- admin (no auth, never rate limited) ---------------------------------------------------------------
    def _admin(self, method: str, path: str, body: bytes) -> None:
        sim = self.sim
        if path == "/_sim/stats":
            with sim.state.lock:
                # When window 0 began (time.time()), to place ``cost_by_window`` in time.
                self._send(200, {**sim.stats.as_dict(), "rate_window_origin": sim.rate_window_origin()})
        elif path == "/_sim/faults" and method == "POST":
            try:
                sim.set_faults(**json.loads(body or b"{}"))
            except (ValueError, TypeError) as error:
                raise ApiError(400, {"error": str(error)}) from None
            self._send(200, asdict(sim.faults))
        elif path == "/_sim/reset" and method == "POST":
            sim.reset()
            self._send(200, {"ok": True})
        elif path == "/_sim/expire_tokens" and method == "POST":
            sim.expire_tokens()
            self._send(200, {"ok": True})
        else:
            self._send(404, {"error": "Not Found"})

    def _error_body(self, error: ApiError) -> dict[str, Any]:
        """The error's body; with ``echo_authorization``, quoting the request's credentials as a careless
        proxy would."""
        if not self.sim.faults.echo_authorization:
            return error.body
        echo = f"request had Authorization: {self.headers.get('Authorization')}"
        if isinstance(error.body.get("errors"), dict):
            return {"errors": {**error.body["errors"], "request": [echo]}}
        return {**error.body, "error": f"{error.body.get('error', 'error')} ({echo})"}

    def _observe(self, method: str, path: str, status: int, answer: Any) -> None:
        """Tell the observers (see :mod:`.observe`) about a request the API handled, and its answer."""
        observed = getattr(self, "_observed", None)
        if not OBSERVERS or observed is None:
            return
        query, body = observed
        exchange = Exchange(
            method,
            path,
            parse_params("", query, b""),
            parse_params(self.headers.get("Content-Type", ""), "", body),
            self.headers.get("User-Agent", ""),
            status,
            answer,
        )
        for observer in list(OBSERVERS):
            observer(exchange)

    # -- the API: each step may end the exchange ------------------------------------------------------------
    def _api(self, method: str, path: str, params: dict[str, Any]) -> None:
        sim = self.sim
        call = sim.count_call(f"{method} {route_of(path)}")
        delay = sim.dice.latency(sim.faults.latency_ms)
        if delay:
            time.sleep(delay)
        if sim.fault_happens("drop_share", "dropped"):
            self._drop()
            return
        if sim.faults.max_url_bytes and len(self.path) > sim.faults.max_url_bytes:  # a proxy refuses it
            self._send(414, b"<html><body>414 Request-URI Too Large</body></html>", content_type="text/html")
            return
        try:
            user_id = sim.authenticate(self.headers.get("Authorization"))
            sim.check_scope(self.headers.get("Authorization"), f"{method} {route_of(path)}")
        except ApiError as error:
            self._send(error.status, self._error_body(error))
            return
        page = page_cost(optional_int_or_none(params, "page") or 1)
        allowed, headers = sim.charge(
            max(page, sim.faults.route_costs.get(f"{method} {route_of(path)}", 1)), call
        )
        if not allowed:
            self._send(429, {"error": "API rate limit exceeded"}, headers)
            return
        if sim.fault_happens("error_503_share", "errors_503"):
            self._send(503, SERVICE_UNAVAILABLE_PAGE, headers, content_type="text/html")
            return
        if status := sim.faults.error_routes.get(f"{method} {route_of(path)}"):  # an endpoint's outage
            self._send(status, {"error": f"simulated outage of {method} {route_of(path)}"}, headers)
            return
        try:
            status, answer = dispatch(sim, ApiRequest(method, path, params, user_id, ident_of(path)))
        except ApiError as error:
            self._observe(method, path, error.status, error.body)
            self._send(error.status, self._error_body(error), headers)
            return
        self._observe(method, path, status, answer)
        committed_add = method == "POST" and route_of(path) == "/v2/cadence_memberships"
        targeted = sim.faults.lost_response_routes
        committed_write = method in ("POST", "PUT", "DELETE") and (
            not targeted or f"{method} {route_of(path)}" in targeted
        )
        if committed_write and sim.fault_happens("lost_response_share", "lost_responses"):
            self._drop()
            return
        if committed_add and sim.fault_happens("malformed_add_share", "malformed_answers"):
            answer = {"data": {}}
        sim.count_answer()
        drips = not sim.faults.drip_routes or f"{method} {route_of(path)}" in sim.faults.drip_routes
        self._dripping = drips and sim.fault_happens("drip_share", "dripped")
        self._send(status, answer, headers)
