"""Attacks on the sealed OAuth token store (x23), in the session's metadata db against the simulator: a
hostile Variable value is absent with a warning, never a crash; two tasks moving a 0.1.0 store at once keep
the refresh-token chain."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_salesloft.hooks import token_store
from airflow_provider_salesloft.hooks.auth import VariableTokenStore
from airflow_provider_salesloft.hooks.salesloft import SalesloftHook
from airflow_provider_salesloft.hooks.token_store import legacy_store_key, store_key
from airflow_provider_salesloft.testing import SalesloftSimulator
from e2e.test_token_store import put, raw

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.salesloft_simulator(
        oauth_clients={"app-client-id": "app-client-secret-x23"}, rate_limit=100_000, rate_window_s=5.0
    ),
]

CLIENT_ID, CLIENT_SECRET = "app-client-id", "app-client-secret-x23"


@pytest.mark.parametrize(
    "value",
    [
        "[" * 100_000 + "]" * 100_000,  # RecursionError in json.loads
        json.dumps({"refresh_token": "rt-x", "expires_at": 10**400}),  # OverflowError in float()
        '{"refresh_token": "rt-x", "lifetime": ' + "9" * 400 + "}",
    ],
    ids=["nested-deep", "huge-expires_at", "huge-lifetime"],
)
@pytest.mark.parametrize("where", ["0.5.0", "0.1.0"])
def test_a_hostile_store_value_is_absent_with_a_warning_not_a_crash(
    value: str, where: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Anyone with Variable access can write anything there: the promise is "treated as absent, with a
    warning", for every value, not an exception out of the hook."""
    store = VariableTokenStore(f"sl_hostile_{where.replace('.', '')}", CLIENT_SECRET)
    put(store.key, None)
    put(legacy_store_key(store.conn_id), None)
    put(store.key if where == "0.5.0" else store.legacy_key, value)

    assert store.load() is None
    assert "does not hold the tokens" in caplog.text


def test_two_tasks_moving_a_0_1_0_store_at_once_keep_the_chain(
    salesloft_simulator: SalesloftSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Task B reads 0.1.0's Variable; before it moves it, task A moves it, rotates its refresh token at once
    (as unsealed tokens now are) and stores the new one sealed. B's move must not put the revoked refresh
    token back over A's: B loses the refresh race, re-reads the store and carries on with A's tokens, and
    the store ends with a live refresh token (else every later task fails with invalid_grant)."""
    monkeypatch.setattr("airflow_provider_salesloft.hooks.auth.ROTATION_WAIT_S", (0.01, 0.01, 0.01))
    conn_id = "sl_legacy_race"
    put(store_key(conn_id), None)
    legacy = {"refresh_token": salesloft_simulator.grant_refresh_token(CLIENT_ID)}
    put(legacy_store_key(conn_id), json.dumps(legacy))
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{conn_id.upper()}",
        salesloft_simulator.oauth_connection_json(CLIENT_ID, CLIENT_SECRET, "rt-connection-long-dead"),
    )
    task_a, task_b = SalesloftHook(salesloft_conn_id=conn_id), SalesloftHook(salesloft_conn_id=conn_id)
    read = token_store.read_variable
    interleaved: list[Any] = []

    def read_then_let_a_run(key: str) -> str | None:
        value = read(key)
        if key == legacy_store_key(conn_id) and not interleaved:
            interleaved.append("A runs")
            interleaved.append(task_a.token_source.token())  # A rotates between B's read and B's move
        return value

    monkeypatch.setattr(token_store, "read_variable", read_then_let_a_run)

    assert task_b.token_source.token()
    assert len(interleaved) == 2 and interleaved[1]

    stored = VariableTokenStore(conn_id, CLIENT_SECRET).load()
    assert stored is not None and stored.refresh_token in salesloft_simulator.refresh_tokens
    assert raw(legacy_store_key(conn_id)) is None
