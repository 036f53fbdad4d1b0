"""Answers whose JSON is nested past Python's recursion limit: a typed error, never ``RecursionError``."""

from __future__ import annotations

import json

import pytest
from hostile import HostileServer, Reply, Seen

from airflow_provider_salesloft.exceptions import SalesloftError
from airflow_provider_salesloft.hooks.salesloft import SalesloftHook

DEEP = b"[" * 200_000


def hook_on(server: HostileServer, monkeypatch: pytest.MonkeyPatch, **extra: object) -> SalesloftHook:
    conn = {"conn_type": "salesloft", "host": server.url, "password": "sk-attack-22", "extra": extra}
    monkeypatch.setenv("AIRFLOW_CONN_SL_DEEP", json.dumps(conn))
    return SalesloftHook(salesloft_conn_id="sl_deep")


@pytest.mark.parametrize("status", [200, 422, 404])
def test_an_answer_nested_too_deep_is_a_typed_error(status: int, monkeypatch: pytest.MonkeyPatch) -> None:
    reply = Reply(status, DEEP, {"Content-Type": "application/json"})
    with HostileServer(lambda seen: reply) as server, pytest.raises(SalesloftError):
        hook_on(server, monkeypatch).get_me()


def test_a_token_answer_nested_too_deep_is_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def script(seen: Seen) -> Reply:
        return Reply(200, DEEP, {"Content-Type": "application/json"})

    with HostileServer(script) as server:
        hook = hook_on(
            server, monkeypatch, client_id="id-22", client_secret="secret-22", oauth_url=f"{server.url}/oauth"
        )
        monkeypatch.setattr("airflow_provider_salesloft.hooks.token_store.read_variable", lambda key: None)
        monkeypatch.setattr(
            "airflow_provider_salesloft.hooks.token_store.write_variable", lambda key, value: None
        )
        with pytest.raises(SalesloftError):
            hook.get_me()
