"""SalesloftHook against the simulator over loopback HTTP: transport, errors, retries, paging, settings."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from airflow_provider_salesloft.exceptions import (
    SalesloftAPIError,
    SalesloftAuthenticationError,
    SalesloftConfigError,
    SalesloftError,
    SalesloftNotFoundError,
    SalesloftPermissionError,
    SalesloftRateLimitError,
    SalesloftServerError,
    SalesloftTransportError,
    SalesloftValidationError,
)
from airflow_provider_salesloft.hooks.salesloft import SalesloftHook, parse_base_url
from airflow_provider_salesloft.testing import DEFAULT_API_KEY, SalesloftSimulator

FAST_RETRY = {"retry_backoff_base_s": 0.01, "retry_backoff_max_s": 0.02}


@pytest.fixture
def make_hook(monkeypatch: pytest.MonkeyPatch) -> Callable[..., SalesloftHook]:
    """Build a hook on a connection named ``sl_test`` pointing at ``sim`` with ``extras``."""

    def make(sim: SalesloftSimulator, api_key: str = DEFAULT_API_KEY, **extras: Any) -> SalesloftHook:
        monkeypatch.setenv(
            "AIRFLOW_CONN_SL_TEST", sim.connection_uri_json(api_key, **{**FAST_RETRY, **extras})
        )
        return SalesloftHook(salesloft_conn_id="sl_test")

    return make


@pytest.fixture
def sim() -> Any:
    with SalesloftSimulator(rate_window_s=1.0, rate_limit=100_000) as simulator:
        yield simulator


def test_create_membership_returns_unwrapped_membership(sim: SalesloftSimulator, make_hook: Any) -> None:
    membership = make_hook(sim).create_cadence_membership(1001, 10, step_id=100)

    assert membership == sim.memberships_on(10)[1001]
    assert set(membership) >= {"id", "added_at", "created_at", "current_state", "cadence", "person", "counts"}


def test_one_session_and_one_connection_read_for_many_calls(
    sim: SalesloftSimulator, make_hook: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = make_hook(sim)
    reads = []
    original = SalesloftHook.get_connection

    def counting(conn_id: str) -> Any:
        reads.append(conn_id)
        return original(conn_id)

    monkeypatch.setattr(SalesloftHook, "get_connection", staticmethod(counting))
    sessions = set()
    for person in range(1001, 1006):
        hook.create_cadence_membership(person, 10)
        sessions.add(id(hook.get_conn()))
    hook.get_me()

    assert reads == ["sl_test"]
    assert len(sessions) == 1


def test_keep_alive_reuses_tcp_connections(sim: SalesloftSimulator, make_hook: Any) -> None:
    ports: set[int] = set()
    hook = make_hook(sim)
    original = sim._server.process_request

    def record(request: Any, client_address: Any) -> None:
        ports.add(client_address[1])
        original(request, client_address)

    sim._server.process_request = record  # type: ignore[method-assign]
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


@pytest.mark.parametrize(
    ("call", "error", "status"),
    [
        (lambda h: h.create_cadence_membership(999_999, 10), SalesloftNotFoundError, 404),
        (lambda h: h.create_cadence_membership(1001, 12, user_id=3), SalesloftPermissionError, 403),
        (lambda h: h.create_cadence_membership(1001, 10, step_id=110), SalesloftValidationError, 422),
        (lambda h: h.get_cadence_membership(777), SalesloftNotFoundError, 404),
    ],
)
def test_errors_are_typed_with_status_and_salesloft_message(
    sim: SalesloftSimulator, make_hook: Any, call: Any, error: type[SalesloftAPIError], status: int
) -> None:
    with pytest.raises(error) as info:
        call(make_hook(sim))

    assert info.value.status_code == status
    assert info.value.message
    assert isinstance(info.value, SalesloftError)
    assert sim.stats.calls == 1  # never retried


def test_validation_error_carries_errors_object(sim: SalesloftSimulator, make_hook: Any) -> None:
    with pytest.raises(SalesloftValidationError) as info:
        make_hook(sim).create_cadence_membership(1001, 10, step_id=110)
    assert info.value.errors == {"step_id": ["does not belong to this cadence"]}
    assert "step_id does not belong to this cadence" in str(info.value)


def test_wrong_key_is_401_not_retried_and_not_in_message(sim: SalesloftSimulator, make_hook: Any) -> None:
    with pytest.raises(SalesloftAuthenticationError) as info:
        make_hook(sim, api_key="bad-key-123456").get_me()
    assert sim.stats.calls == 1
    assert "bad-key-123456" not in str(info.value)
    assert "No Bearer Token" in info.value.message or "Invalid" in info.value.message


def test_503_is_retried_up_to_max_attempts(sim: SalesloftSimulator, make_hook: Any) -> None:
    sim.set_faults(error_503_share=1.0)
    with pytest.raises(SalesloftServerError) as info:
        make_hook(sim, retry_max_attempts=4).get_me()
    assert info.value.status_code == 503
    assert "503 Service Temporarily Unavailable" in info.value.message  # HTML body, made readable
    assert sim.stats.calls == 4


def test_transient_503s_are_absorbed(sim: SalesloftSimulator, make_hook: Any) -> None:
    sim.set_faults(error_503_share=0.5)
    hook = make_hook(sim, retry_max_attempts=10)
    for _ in range(10):
        assert hook.get_me()["id"] == 1
    assert sim.stats.errors_503 > 0


def test_dropped_connections_are_retried(sim: SalesloftSimulator, make_hook: Any) -> None:
    sim.set_faults(drop_share=1.0)
    with pytest.raises(SalesloftTransportError) as info:
        make_hook(sim, retry_max_attempts=3).get_me()
    assert info.value.committed_maybe
    assert sim.stats.dropped == 3


def test_refused_connection_is_retried_and_known_uncommitted(make_hook: Any) -> None:
    with SalesloftSimulator() as gone:
        pass  # started and stopped: the port now refuses
    with pytest.raises(SalesloftTransportError) as info:
        make_hook(gone, retry_max_attempts=2).get_me()
    assert not info.value.committed_maybe
    assert "connection refused" in str(info.value)


def test_429_with_retry_after_waits_that_long(make_hook: Any) -> None:
    with SalesloftSimulator(rate_limit=1, rate_window_s=1.0, retry_after=True) as sim:
        hook = make_hook(sim)
        hook.get_me()
        started = time.monotonic()
        hook.get_me()  # 429 first, Retry-After: 1
        assert time.monotonic() - started >= 0.9
        assert sim.stats.rate_limited >= 1


def test_429_without_retry_after_or_headers_is_retried_in_next_window(make_hook: Any) -> None:
    with SalesloftSimulator(rate_limit=2, rate_window_s=1.0, rate_limit_headers=False) as sim:
        hook = make_hook(sim)
        assert [hook.get_me()["id"] for _ in range(5)] == [1] * 5
        assert sim.stats.rate_limited > 0
        assert len(sim.stats.cost_by_window) >= 3  # the five calls needed three windows


def test_pacer_keeps_concurrent_callers_within_the_limit(make_hook: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with SalesloftSimulator(rate_limit=500, rate_window_s=1.0) as sim:
        hook = make_hook(sim)
        with ThreadPoolExecutor(8) as pool:
            assert list(pool.map(lambda _: hook.get_me()["id"], range(1200))) == [1] * 1200
        assert sim.stats.calls - sim.stats.rate_limited == 1200
        assert sim.stats.rate_limited <= 12  # <= 1 %: probes find the reserved budget instead of 429s
        assert hook.pacer.limit_estimate == 500


def test_429_gives_up_after_max_elapsed(make_hook: Any) -> None:
    with SalesloftSimulator(rate_limit=1, rate_window_s=1.0) as sim:
        sim.set_faults(rate_limit=0)
        with pytest.raises(SalesloftRateLimitError):
            make_hook(sim, retry_max_elapsed_s=0.5).get_me()


def test_timeout_is_always_set(sim: SalesloftSimulator, make_hook: Any) -> None:
    sim.set_faults(latency_ms=(400, 400))
    with pytest.raises(SalesloftTransportError) as info:
        make_hook(sim, timeout=0.1, retry_max_attempts=1).get_me()
    assert info.value.committed_maybe  # a read timeout may have been acted on
    assert make_hook(sim).settings.timeout == 30.0


def test_pagination_follows_next_page(sim: SalesloftSimulator, make_hook: Any) -> None:
    hook = make_hook(sim)
    for person in range(1001, 1031):
        hook.create_cadence_membership(person, 11)
    before = sim.stats.calls_by_route["GET /v2/cadence_memberships"]

    found = list(hook.iter_cadence_memberships(cadence_id=11, per_page=7))

    assert sorted(m["person"]["id"] for m in found) == list(range(1001, 1031))
    assert sim.stats.calls_by_route["GET /v2/cadence_memberships"] - before == 5


def test_pagination_never_pays_for_deep_pages(sim: SalesloftSimulator, make_hook: Any) -> None:
    hook = make_hook(sim)
    for person in range(1001, 1106):
        hook.create_cadence_membership(person, 11)
    pages_seen: list[int] = []
    original = hook.request

    def spy(method: str, path: str, **kwargs: Any) -> Any:
        if method == "GET":
            pages_seen.append(int(kwargs["params"]["page"]))
        return original(method, path, **kwargs)

    hook.request = spy  # type: ignore[method-assign]
    found = list(hook.iter_cadence_memberships(cadence_id=11, per_page=1))

    assert sorted(m["person"]["id"] for m in found) == list(range(1001, 1106))
    assert max(pages_seen) <= 101  # restarted from an updated_at cursor instead of reaching page 102+


def test_find_people_by_email_batches_100_per_call(sim: SalesloftSimulator, make_hook: Any) -> None:
    emails = [f"Person{n}@Example.com" for n in range(1, 151)] + ["nobody@example.com"]
    people = make_hook(sim).find_people_by_email(emails)

    assert len(people) == 150
    assert sim.stats.calls_by_route["GET /v2/people"] == 2


def test_delete_membership_takes_person_off(sim: SalesloftSimulator, make_hook: Any) -> None:
    hook = make_hook(sim)
    membership = hook.create_cadence_membership(1001, 10)
    hook.delete_cadence_membership(membership["id"])
    assert hook.get_cadence_membership(membership["id"])["currently_on_cadence"] is False
    again = hook.create_cadence_membership(1001, 10)
    assert again["id"] == membership["id"]  # Salesloft reuses the record
    assert again["created_at"] == membership["created_at"]


def test_test_connection(sim: SalesloftSimulator, make_hook: Any) -> None:
    assert make_hook(sim).test_connection() == (True, "Connected as Ada Admin (ada@example.com)")
    ok, message = make_hook(sim, api_key="nope").test_connection()
    assert not ok
    assert "nope" not in message
    assert message


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        (None, "https://api.salesloft.com"),
        ("api.salesloft.com", "https://api.salesloft.com"),
        ("https://eu.salesloft.example/", "https://eu.salesloft.example"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://localhost:9", "http://localhost:9"),
        ("http://[::1]:9", "http://[::1]:9"),
    ],
)
def test_base_url(host: str | None, expected: str) -> None:
    assert parse_base_url(host) == expected


@pytest.mark.parametrize("host", ["http://api.salesloft.com", "http://10.0.0.5:80", "ftp://x"])
def test_plain_http_to_remote_host_is_refused(host: str) -> None:
    with pytest.raises(SalesloftConfigError, match="http"):
        parse_base_url(host)
