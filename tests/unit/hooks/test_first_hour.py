"""Everyday mistakes get errors that say what to do (issue #15): wrong scheme, a host that does not
resolve, a connection test of an incomplete connection; and the hook is where users look for it."""

from __future__ import annotations

import json
import re
import socket
from typing import Any

import pytest

from airflow_provider_salesloft.exceptions import SalesloftTransportError
from airflow_provider_salesloft.hooks.salesloft import SalesloftHook
from airflow_provider_salesloft.testing import SalesloftSimulator


def connect(monkeypatch: pytest.MonkeyPatch, host: str, **extra: Any) -> SalesloftHook:
    conn = {"conn_type": "salesloft", "host": host, "password": "key-123456", "extra": extra}
    monkeypatch.setenv("AIRFLOW_CONN_SL_FIRST", json.dumps(conn))
    return SalesloftHook(salesloft_conn_id="sl_first")


def test_the_hook_is_importable_from_hooks() -> None:
    from airflow_provider_salesloft.hooks import SalesloftHook as Exported

    assert Exported is SalesloftHook


def test_https_to_a_plain_http_server_says_use_http(
    salesloft_simulator: SalesloftSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = salesloft_simulator.url.rsplit(":", 1)[1]
    hook = connect(monkeypatch, f"127.0.0.1:{port}")  # no scheme: https is assumed
    with pytest.raises(SalesloftTransportError, match="write the URL with http://") as info:
        hook.get_me()
    assert f"https://127.0.0.1:{port}" in str(info.value)
    assert info.value.permanent
    assert salesloft_simulator.stats.calls == 0  # TLS never got to HTTP, and was not retried


def test_a_host_that_does_not_resolve_is_named_and_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def no_dns(host: str, *args: Any, **kwargs: Any) -> Any:  # no name is ever resolved in tests
        calls.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    hook = connect(monkeypatch, "https://api.salesloft.example")
    expected = re.escape("cannot resolve 'api.salesloft.example' (DNS)")
    with pytest.raises(SalesloftTransportError, match=expected):
        hook.get_me()
    assert calls == ["api.salesloft.example"]  # one try: retrying cannot fix DNS


def test_connection_test_does_not_name_airflows_temporary_id(monkeypatch: pytest.MonkeyPatch) -> None:
    conn = {"conn_type": "salesloft", "extra": {"client_id": "app"}}
    monkeypatch.setenv("AIRFLOW_CONN_ZMM1HWQJ", json.dumps(conn))
    ok, message = SalesloftHook(salesloft_conn_id="zmm1hwqj").test_connection()
    assert not ok
    assert message == "this connection is set up for OAuth but its extras lack client_secret"
