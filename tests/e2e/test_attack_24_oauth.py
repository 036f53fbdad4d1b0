"""Attacks on the authorize command (review of #24, a24): a token endpoint that drips its answer, and the
callback listener's connections and threads after the flow, in every outcome."""

from __future__ import annotations

import io
import socket
import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from hostile import HostileServer, Reply

from airflow_provider_salesloft.exceptions import SalesloftOAuthError
from airflow_provider_salesloft.oauth import LOOPBACK, OAuthApp, _CallbackServer, authorize, exchange_code
from airflow_provider_salesloft.testing import SalesloftSimulator

CLIENT_ID, CLIENT_SECRET = "app-client-id", "app-client-secret-5e4d3c2b1a"
pytestmark = [pytest.mark.e2e, pytest.mark.salesloft_simulator(oauth_clients={CLIENT_ID: CLIENT_SECRET})]

TOKENS = {"access_token": "at-dripped-0001", "refresh_token": "rt-dripped-0001", "expires_in": 7200}


@pytest.mark.parametrize(
    "reply",
    [Reply(body=TOKENS, drip_head_s=0.02), Reply(body=TOKENS, drip_s=0.05)],
    ids=["status-line-and-headers", "body"],
)
def test_a_token_answer_dripped_past_the_timeout_is_refused_at_it(reply: Reply) -> None:
    """``requests`` bounds each read, not the answer: a token endpoint sending a byte at a time held the
    command far past its timeout (a minute and more in the attack) and then took the answer. Now the whole
    answer must come within ``timeout_s``."""
    with HostileServer(lambda seen: reply) as server:
        app = OAuthApp(CLIENT_ID, CLIENT_SECRET, f"{server.url}/oauth/token", f"{server.url}/oauth/authorize")
        too_slow = r"no complete answer within the 0\.3 s timeout"
        with pytest.raises(SalesloftOAuthError, match=too_slow) as caught:
            exchange_code(app, "code-1", "http://127.0.0.1:1/callback", timeout_s=0.3)
    assert CLIENT_SECRET not in str(caught.value)


def _listener_threads() -> list[str]:
    """Threads serving a callback listener's connections (not the simulator's own)."""
    return [
        thread.name
        for thread in threading.enumerate()
        if isinstance(getattr(getattr(thread, "_target", None), "__self__", None), _CallbackServer)
    ]


@pytest.mark.parametrize("outcome", ["token", "refused", "timeout"])
def test_no_connection_or_thread_of_the_listener_outlives_the_flow(
    salesloft_simulator: SalesloftSimulator, outcome: str, capfd: pytest.CaptureFixture[str]
) -> None:
    """Invariant, in every outcome: when ``authorize`` returns or raises, the listener's connections are
    closed and their threads ended. Idle connections (a browser's preconnects, a request line never finished)
    used to keep a thread and an open socket each, for up to the read timeout per byte they sent."""
    clients: list[socket.socket] = []
    callbacks: list[int] = []

    def open_browser(url: str) -> None:
        port = urlsplit(parse_qs(urlsplit(url).query)["redirect_uri"][0]).port
        for partial in (b"", b"GET /callback?state=x HTTP/1.1\r\nHost: 127.0.0.1"):
            for _ in range(3):
                clients.append(socket.create_connection((LOOPBACK, port)))
                clients[-1].sendall(partial)
        if outcome == "timeout":
            return
        callback = requests.get(url, allow_redirects=False, timeout=10).headers["Location"]
        if outcome == "refused":
            callback = callback.split("code=")[0] + "error=access_denied&" + callback.split("&", 1)[1]
        callbacks.append(requests.get(callback, timeout=10).status_code)

    result: dict[str, Any] = {}
    try:
        try:
            result["answer"] = authorize(
                app := OAuthApp(
                    CLIENT_ID, CLIENT_SECRET, salesloft_simulator.token_url, salesloft_simulator.authorize_url
                ),
                port=0,
                timeout_s=0.5 if outcome == "timeout" else 60,
                open_browser=open_browser,
                out=io.StringIO(),
            )
        except SalesloftOAuthError as error:
            result["error"] = str(error)
        assert _listener_threads() == []  # checked at once: nothing left to wind down
        for client in clients:
            client.settimeout(60)  # a hang guard: the listener closed them
            assert client.recv(1024) == b""
        with pytest.raises(ConnectionRefusedError):  # and nothing listens on the port any more
            socket.create_connection((LOOPBACK, clients[0].getpeername()[1]), timeout=10).close()
    finally:
        for client in clients:
            client.close()
    assert app.client_secret not in repr(result)
    assert "Traceback" not in capfd.readouterr().err  # shutting a connection is no error to show
    if outcome == "token":
        assert result["answer"]["refresh_token"] in salesloft_simulator.refresh_tokens
    elif outcome == "refused":
        assert "access_denied" in result["error"] and callbacks == [200]
    else:
        assert "no answer from Salesloft" in result["error"]
