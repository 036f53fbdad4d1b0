"""A slow answer is read whole within ``timeout``, or given up at it: however slowly a server drips it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hostile import HostileServer, Reply, Seen

from airflow_provider_salesloft.exceptions import SalesloftOAuthError, SalesloftTransportError
from airflow_provider_salesloft.hooks.salesloft import SalesloftHook

#: The issue's answer: 60 bytes, one every half second (30 s to send whole).
SIXTY_BYTES = {"data": {"id": 1, "name": "x" * 29}}


def hook_on(monkeypatch: pytest.MonkeyPatch, server: HostileServer, **extras: Any) -> SalesloftHook:
    conn = {"conn_type": "salesloft", "host": server.url, "password": "key-0123456789", "extra": extras}
    monkeypatch.setenv("AIRFLOW_CONN_SL_DRIP", json.dumps(conn))
    return SalesloftHook(salesloft_conn_id="sl_drip")


def test_a_slow_drip_is_given_up_at_the_timeout_not_read_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    payload = json.dumps(SIXTY_BYTES).encode()
    assert len(payload) == 60
    with HostileServer(lambda seen: Reply(200, payload, drip_s=0.5)) as server:
        with pytest.raises(SalesloftTransportError, match="within the 2 s timeout") as info:
            hook_on(monkeypatch, server, timeout=2, retry_max_attempts=1).get_me()
        sent = server.dripped
    assert info.value.committed_maybe
    # The client hung up at its deadline: the server could not drip the rest (it would have taken 30 s).
    assert sent < len(payload) // 2


def test_a_quick_answer_in_many_small_pieces_is_read_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    with HostileServer(lambda seen: Reply(200, {"data": {"id": 7, "name": "drip"}}, drip_s=0.001)) as server:
        assert hook_on(monkeypatch, server, timeout=30).get_me()["id"] == 7


@pytest.mark.parametrize("status", [200, 503])
def test_headers_dripped_are_given_up_at_the_timeout(monkeypatch: pytest.MonkeyPatch, status: int) -> None:
    """The status line and headers count against the same deadline as the body (before: each byte arrived
    within the 2 s read timeout, so a head of ~90 bytes at one every 0.5 s took 45 s)."""
    with HostileServer(lambda seen: Reply(status, SIXTY_BYTES, drip_head_s=0.5)) as server:
        hook = hook_on(monkeypatch, server, timeout=2, retry_max_attempts=1)
        with pytest.raises(SalesloftTransportError, match="answer within the 2 s timeout") as info:
            hook.get_me()
        sent = server.dripped
    assert info.value.committed_maybe
    # Given up at its deadline: about 4 of the head's bytes were sent (0.5 s each), never the whole head.
    assert sent < 20


def test_a_quick_head_in_many_small_pieces_is_read_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    reply = Reply(200, {"data": {"id": 8, "name": "head"}}, drip_head_s=0.001)
    with HostileServer(lambda seen: reply) as server:
        assert hook_on(monkeypatch, server, timeout=30).get_me()["id"] == 8


@pytest.mark.parametrize("drip", ["drip_s", "drip_head_s"])
def test_a_token_endpoint_dripping_its_answer_is_given_up_at_the_timeout(
    monkeypatch: pytest.MonkeyPatch, drip: str
) -> None:
    """a20: the OAuth token answer too is read whole within ``timeout`` (it was read with per-read timeouts
    only: 111 bytes dripped every 0.25 s took 36 s with ``timeout=2``)."""
    token = {"access_token": "at-0123456789", "expires_in": 7200, "refresh_token": "rt-0123456789"}
    payload = json.dumps(token).encode()

    def script(seen: Seen) -> Reply:
        if seen.path == "/oauth/token":
            return Reply(200, payload, **{drip: 0.5})
        return Reply(200, SIXTY_BYTES)

    with HostileServer(script) as server:
        hook = hook_on(
            monkeypatch,
            server,
            timeout=2,
            retry_max_attempts=1,
            client_id="a",
            client_secret="cs-0123456789",
            token_url=f"{server.url}/oauth/token",
        )
        with pytest.raises(SalesloftOAuthError, match="within the 2 s timeout") as info:
            hook.get_me()
        sent = server.dripped
    assert sent < len(payload) // 2  # the client hung up at its deadline
    assert "cs-0123456789" not in str(info.value)
