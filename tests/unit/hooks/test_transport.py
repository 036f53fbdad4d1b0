"""The hook's transport against the simulator over loopback HTTP: errors, retries, pacing, paging."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from airflow_provider_salesloft.exceptions import (
    SalesloftRateLimitError,
    SalesloftTransportError,
)
from airflow_provider_salesloft.testing import DEFAULT_API_KEY, SalesloftSimulator

pytestmark = pytest.mark.salesloft_simulator(rate_window_s=1.0, rate_limit=100_000)


def test_keep_alive_reuses_tcp_connections(salesloft_simulator: SalesloftSimulator, make_hook: Any) -> None:
    ports: set[int] = set()
    hook = make_hook(salesloft_simulator)
    original = salesloft_simulator._server.process_request

    def record(request: Any, client_address: Any) -> None:
        ports.add(client_address[1])
        original(request, client_address)

    salesloft_simulator._server.process_request = record  # type: ignore[method-assign]
    for _ in range(10):
        hook.get_me()

    assert len(ports) == 1


def test_extras_never_become_headers(make_hook: Any) -> None:
    seen: list[dict[str, str]] = []

    class Echo(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            seen.append(dict(self.headers))
            body = json.dumps({"data": {"name": "x", "email": "y"}}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        fake = type(
            "S",
            (),
            {
                "url": f"http://127.0.0.1:{server.server_address[1]}",
                "faults": type("F", (), {"rate_window_s": 60})(),
            },
        )()
        fake.connection_uri_json = SalesloftSimulator.connection_uri_json.__get__(fake)
        make_hook(fake, note="cs-secret-value", some_header="leak").get_me()
    finally:
        server.shutdown()
        server.server_close()

    headers = {k.lower(): v for k, v in seen[0].items()}
    assert headers["authorization"] == f"Bearer {DEFAULT_API_KEY}"
    assert "some_header" not in headers
    assert "cs-secret-value" not in json.dumps(seen)


def test_transient_503s_are_absorbed(salesloft_simulator: SalesloftSimulator, make_hook: Any) -> None:
    salesloft_simulator.set_faults(error_503_share=0.5)
    hook = make_hook(salesloft_simulator, retry_max_attempts=10)
    for _ in range(10):
        assert hook.get_me()["id"] == 1
    assert salesloft_simulator.stats.errors_503 > 0


def test_dropped_connections_are_retried(salesloft_simulator: SalesloftSimulator, make_hook: Any) -> None:
    salesloft_simulator.set_faults(drop_share=1.0)
    with pytest.raises(SalesloftTransportError) as info:
        make_hook(salesloft_simulator, retry_max_attempts=3).get_me()
    assert info.value.committed_maybe
    assert salesloft_simulator.stats.dropped == 3


def test_refused_connection_is_retried_and_known_uncommitted(
    salesloft_simulator: SalesloftSimulator, make_hook: Any
) -> None:
    salesloft_simulator.stop()  # the port now refuses
    with pytest.raises(SalesloftTransportError) as info:
        make_hook(salesloft_simulator, retry_max_attempts=2).get_me()
    assert not info.value.committed_maybe
    assert "connection refused" in str(info.value)


@pytest.mark.salesloft_simulator(rate_limit=1, rate_window_s=1.0, retry_after=True)
def test_429_with_retry_after_waits_that_long(
    salesloft_simulator: SalesloftSimulator, make_hook: Any
) -> None:
    hook = make_hook(salesloft_simulator)
    hook.get_me()
    started = time.monotonic()
    hook.get_me()  # 429 first, Retry-After: 1
    assert time.monotonic() - started >= 0.9
    assert salesloft_simulator.stats.rate_limited >= 1


@pytest.mark.salesloft_simulator(rate_limit=2, rate_window_s=1.0, rate_limit_headers=False)
def test_429_without_retry_after_or_headers_is_retried_in_next_window(
    salesloft_simulator: SalesloftSimulator, make_hook: Any
) -> None:
    hook = make_hook(salesloft_simulator)
    assert [hook.get_me()["id"] for _ in range(5)] == [1] * 5
    assert salesloft_simulator.stats.rate_limited > 0
    assert len(salesloft_simulator.stats.cost_by_window) >= 3  # the five calls needed three windows


@pytest.mark.salesloft_simulator(rate_limit=500, rate_window_s=1.0)
def test_pacer_keeps_concurrent_callers_within_the_limit(
    salesloft_simulator: SalesloftSimulator, make_hook: Any
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    hook = make_hook(salesloft_simulator)
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(lambda _: hook.get_me()["id"], range(1200))) == [1] * 1200
    assert salesloft_simulator.stats.calls - salesloft_simulator.stats.rate_limited == 1200
    assert salesloft_simulator.stats.rate_limited <= 12  # <= 1 %: probes find the reserved budget, not 429s
    # The limit is what windows reach: at most the requests in flight (8) below 500 when a window's first
    # answer already counts some of them; never above it.
    estimate = hook.pacer.limit_estimate
    assert estimate is not None and 500 - 8 <= estimate <= 500


@pytest.mark.salesloft_simulator(rate_limit=1, rate_window_s=1.0)
def test_429_gives_up_after_max_elapsed(salesloft_simulator: SalesloftSimulator, make_hook: Any) -> None:
    salesloft_simulator.set_faults(rate_limit=0)
    with pytest.raises(SalesloftRateLimitError):
        make_hook(salesloft_simulator, retry_max_elapsed_s=0.5).get_me()


def test_timeout_is_always_set(salesloft_simulator: SalesloftSimulator, make_hook: Any) -> None:
    salesloft_simulator.set_faults(latency_ms=(400, 400))
    with pytest.raises(SalesloftTransportError) as info:
        make_hook(salesloft_simulator, timeout=0.1, retry_max_attempts=1).get_me()
    assert info.value.committed_maybe  # a read timeout may have been acted on
    assert make_hook(salesloft_simulator).settings.timeout == 30.0


def test_pagination_follows_next_page(salesloft_simulator: SalesloftSimulator, make_hook: Any) -> None:
    hook = make_hook(salesloft_simulator)
    for person in range(1001, 1031):
        hook.create_cadence_membership(person, 11)
    before = salesloft_simulator.stats.calls_by_route["GET /v2/cadence_memberships"]

    found = list(hook.iter_cadence_memberships(cadence_id=11, per_page=7))

    assert sorted(m["person"]["id"] for m in found) == list(range(1001, 1031))
    assert salesloft_simulator.stats.calls_by_route["GET /v2/cadence_memberships"] - before == 5


def test_pagination_never_pays_for_deep_pages(
    salesloft_simulator: SalesloftSimulator, make_hook: Any
) -> None:
    hook = make_hook(salesloft_simulator)
    for person in range(1001, 1106):
        hook.create_cadence_membership(person, 11)
    pages_seen: list[int] = []
    original = hook.transport.request

    def spy(method: str, path: str, **kwargs: Any) -> Any:
        if method == "GET":
            pages_seen.append(int(kwargs["params"]["page"]))
        return original(method, path, **kwargs)

    hook.transport.request = spy  # type: ignore[method-assign]
    found = list(hook.iter_cadence_memberships(cadence_id=11, per_page=1))

    assert sorted(m["person"]["id"] for m in found) == list(range(1001, 1106))
    assert max(pages_seen) <= 101  # restarted from an updated_at cursor instead of reaching page 102+
