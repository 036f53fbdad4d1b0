"""OAuth 2 in real DAG runs: rotating refresh tokens, expiry between tasks and mid mapped run, client
credentials, parallel refreshes, and no token anywhere in logs, XCom or rendered fields."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from dag_runner import received, run_dag, single_conf
from support import database_text, delete_variable

from airflow_provider_salesloft.exceptions import SalesloftConfigError, SalesloftOAuthError
from airflow_provider_salesloft.hooks.auth import VariableTokenStore
from airflow_provider_salesloft.hooks.redaction import secret_forms
from airflow_provider_salesloft.hooks.salesloft import SalesloftHook
from airflow_provider_salesloft.hooks.token_store import store_key
from airflow_provider_salesloft.testing import SalesloftSimulator

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.salesloft_simulator(
        oauth_clients={"app-client-id": "app-client-secret-5e4d3c2b1a"}, rate_limit=100_000, rate_window_s=5.0
    ),
]

CLIENT_ID, CLIENT_SECRET = "app-client-id", "app-client-secret-5e4d3c2b1a"


def delete_store(conn_id: str) -> None:
    delete_variable(store_key(conn_id))


def assert_store_sealed(conn_id: str, secrets: list[str]) -> None:
    """The store's value, as anyone reading the Variable sees it, is sealed and holds no form of a secret."""
    from airflow.models.variable import Variable

    raw = Variable.get(store_key(conn_id), default_var=None)
    assert raw is not None and set(json.loads(raw)) == {"sealed", "tokens"}
    assert not [form for secret in secrets for form in secret_forms(secret) if form in raw]


def test_rotating_refresh_token_survives_expiry_twice_in_a_row(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, task_logs: Any
) -> None:
    delete_store("salesloft_default")
    first_refresh_token = salesloft_simulator.grant_refresh_token(CLIENT_ID)
    monkeypatch.setenv(
        "AIRFLOW_CONN_SALESLOFT_DEFAULT",
        salesloft_simulator.oauth_connection_json(CLIENT_ID, CLIENT_SECRET, first_refresh_token),
    )

    salesloft_simulator.set_faults(
        expire_tokens_every_calls=4
    )  # also revoke every token in the middle of the mapped run
    for run, people in enumerate((list(range(1151, 1163)), list(range(1163, 1175)))):
        out = tmp_path / f"run{run}.json"
        result = run_dag(
            "salesloft_test_oauth", {"sim_url": salesloft_simulator.url, "people": people, "out": str(out)}
        )

        assert result["state"] == "success", result
        on_cadence = salesloft_simulator.memberships_on(11)
        assert received(out)["ids"] == [on_cadence[p]["id"] for p in people]

    # Each run: 2 revocations between tasks, and one before every 4th of its 12+ calls.
    assert salesloft_simulator.stats.unauthorized >= 8  # revoked access tokens were refused, then refreshed
    assert salesloft_simulator.stats.tokens_issued >= 8  # and the refresh token rotated each time
    assert (
        first_refresh_token not in salesloft_simulator.refresh_tokens
    )  # the connection's own token is long dead
    assert len(salesloft_simulator.refresh_tokens) == 1  # exactly one live refresh token: the stored one
    stored = VariableTokenStore("salesloft_default", CLIENT_SECRET).load()
    assert stored is not None and stored.refresh_token in salesloft_simulator.refresh_tokens
    assert_store_sealed("salesloft_default", [*salesloft_simulator.issued_secrets, CLIENT_SECRET])

    logs, stored = task_logs(), database_text()
    for secret in [*salesloft_simulator.issued_secrets, CLIENT_SECRET]:
        assert secret not in logs
        assert secret not in stored


def test_token_is_refreshed_before_it_expires(
    salesloft_simulator: SalesloftSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    delete_store("sl_expiring")
    salesloft_simulator.set_faults(token_lifetime_s=1.0)
    monkeypatch.setenv(
        "AIRFLOW_CONN_SL_EXPIRING",
        salesloft_simulator.oauth_connection_json(
            CLIENT_ID, CLIENT_SECRET, salesloft_simulator.grant_refresh_token(CLIENT_ID)
        ),
    )
    hook = SalesloftHook(salesloft_conn_id="sl_expiring")
    hook.get_me()
    time.sleep(1.0)  # the access token's lifetime: it is now expired (or about to be)
    hook.get_me()

    assert salesloft_simulator.stats.tokens_issued == 2
    assert salesloft_simulator.stats.unauthorized == 0  # refreshed ahead of time, not after a 401


def test_client_credentials_connection(
    salesloft_simulator: SalesloftSimulator, out_file: Path, monkeypatch: pytest.MonkeyPatch, task_logs: Any
) -> None:
    delete_store("salesloft_default")
    monkeypatch.setenv(
        "AIRFLOW_CONN_SALESLOFT_DEFAULT", salesloft_simulator.oauth_connection_json(CLIENT_ID, CLIENT_SECRET)
    )
    result = run_dag("salesloft_test_single", single_conf(out_file), "salesloft_test_single")

    assert result["state"] == "success"
    assert received(out_file)["membership_id"] == salesloft_simulator.memberships_on(10)[1001]["id"]
    logs = task_logs()
    for secret in [*salesloft_simulator.issued_secrets, CLIENT_SECRET]:
        assert secret not in logs
    assert_store_sealed("salesloft_default", [*salesloft_simulator.issued_secrets, CLIENT_SECRET])


def test_parallel_workers_do_not_invalidate_each_other(
    salesloft_simulator: SalesloftSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    delete_store("sl_parallel")
    monkeypatch.setenv(
        "AIRFLOW_CONN_SL_PARALLEL",
        salesloft_simulator.oauth_connection_json(
            CLIENT_ID, CLIENT_SECRET, salesloft_simulator.grant_refresh_token(CLIENT_ID)
        ),
    )
    errors: list[BaseException] = []

    def worker() -> None:  # each "worker" has its own hook, as separate tasks do
        try:
            SalesloftHook(salesloft_conn_id="sl_parallel").get_me()
        except BaseException as error:
            errors.append(error)

    for _ in range(3):  # each round: every access token has just expired, six tasks start at once
        salesloft_simulator.expire_tokens()
        threads = [threading.Thread(target=worker) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert errors == []
    assert len(salesloft_simulator.refresh_tokens) == 1
    assert_store_sealed("sl_parallel", [*salesloft_simulator.issued_secrets, CLIENT_SECRET])


def test_revoked_refresh_token_fails_clearly(
    salesloft_simulator: SalesloftSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    delete_store("sl_revoked")
    monkeypatch.setattr("airflow_provider_salesloft.hooks.auth.ROTATION_WAIT_S", (0.01,))
    monkeypatch.setenv(
        "AIRFLOW_CONN_SL_REVOKED",
        salesloft_simulator.oauth_connection_json(CLIENT_ID, CLIENT_SECRET, "rt-never-issued-0000"),
    )
    with pytest.raises(SalesloftOAuthError) as info:
        SalesloftHook(salesloft_conn_id="sl_revoked").get_me()
    assert info.value.error == "invalid_grant"
    assert "salesloft_oauth_token__sl_revoked" in str(info.value)  # the store to delete, by its name
    assert "rt-never-issued-0000" not in str(info.value)


@pytest.mark.parametrize(
    ("extra", "missing"),
    [
        ({"client_id": "x"}, "client_secret"),
        ({"client_secret": "y"}, "client_id"),
        ({"refresh_token": "z"}, "client_id and client_secret"),
    ],
)
def test_incomplete_oauth_connection_says_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, extra: dict[str, str], missing: str
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SL_BAD", json.dumps({"conn_type": "salesloft", "extra": extra}))
    with pytest.raises(SalesloftConfigError, match=f"lack {missing}$"):
        SalesloftHook(salesloft_conn_id="sl_bad").get_me()


def test_connection_without_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SL_EMPTY", json.dumps({"conn_type": "salesloft"}))
    ok, message = SalesloftHook(salesloft_conn_id="sl_empty").test_connection()
    assert not ok
    assert "has no credentials" in message
