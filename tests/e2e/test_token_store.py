"""The OAuth token store in the session's metadata db against the simulator: a masked name; tokens sealed
under the connection's client secret; unsealed tokens of older versions read, rotated away and sealed; a
value that does not open treated as absent, with one warning and no secret anywhere."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_salesloft.exceptions import SalesloftOAuthError
from airflow_provider_salesloft.hooks.auth import StoredToken, VariableTokenStore
from airflow_provider_salesloft.hooks.redaction import secret_forms
from airflow_provider_salesloft.hooks.salesloft import SalesloftHook
from airflow_provider_salesloft.hooks.token_store import legacy_store_key, store_key
from airflow_provider_salesloft.testing import SalesloftSimulator

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.salesloft_simulator(
        oauth_clients={"app-client-id": "app-client-secret-5e4d3c2b1a"}, rate_limit=100_000, rate_window_s=5.0
    ),
]

CLIENT_ID, CLIENT_SECRET = "app-client-id", "app-client-secret-5e4d3c2b1a"
FIX = "python -m airflow_provider_salesloft.oauth authorize --conn-id"


def raw(key: str) -> str | None:
    """The Variable as anyone with Variable access reads it (Airflow's own Fernet layer removed)."""
    from airflow.models.variable import Variable

    return Variable.get(key, default_var=None)


def put(key: str, value: str | None) -> None:
    from airflow.models.variable import Variable

    Variable.delete(key)
    if value is not None:
        Variable.set(key, value)


def connect(sim: SalesloftSimulator, monkeypatch: pytest.MonkeyPatch, conn_id: str, refresh: str) -> None:
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{conn_id.upper()}", sim.oauth_connection_json(CLIENT_ID, CLIENT_SECRET, refresh)
    )


def assert_sealed_and_live(sim: SalesloftSimulator, conn_id: str) -> None:
    """The store is sealed, holds no form of any token or the client secret, and opens to a live refresh
    token."""
    value = raw(store_key(conn_id))
    assert value is not None and set(json.loads(value)) == {"sealed", "tokens"}
    assert not [f for s in [*sim.issued_secrets, CLIENT_SECRET] for f in secret_forms(s) if f in value]
    stored = VariableTokenStore(conn_id, CLIENT_SECRET).load()
    assert stored is not None and stored.access_token and stored.refresh_token in sim.refresh_tokens


def test_the_store_name_is_masked_by_airflow() -> None:
    try:
        from airflow.sdk.execution_time.secrets_masker import should_hide_value_for_key  # Airflow 3
    except ImportError:
        from airflow.utils.log.secrets_masker import should_hide_value_for_key  # type: ignore[no-redef]

    assert should_hide_value_for_key(store_key("salesloft_default"))


@pytest.mark.parametrize("where", ["0.5.0", "0.1.0"])
def test_unsealed_tokens_are_read_rotated_away_at_once_and_stored_sealed(
    salesloft_simulator: SalesloftSimulator,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    where: str,
) -> None:
    """0.5.0 and before wrote the store as plain JSON (0.1.0 under another name). Its refresh token is used
    at once (its access token never: it was readable), so Salesloft revokes what was readable, and the new
    tokens are stored sealed."""
    conn_id = f"sl_plain_{where.replace('.', '')}"
    old_refresh = salesloft_simulator.grant_refresh_token(CLIENT_ID)
    plain = {
        "access_token": "at-readable-0",
        "expires_at": 4e9,
        "refresh_token": old_refresh,
        "lifetime": 7200,
    }
    key = store_key(conn_id) if where == "0.5.0" else legacy_store_key(conn_id)
    put(store_key(conn_id), None)
    put(key, json.dumps(plain))
    connect(salesloft_simulator, monkeypatch, conn_id, "rt-connection-long-dead")

    assert SalesloftHook(salesloft_conn_id=conn_id).get_me()["id"] == 1

    assert salesloft_simulator.stats.unauthorized == 0  # the readable access token was never sent
    assert old_refresh not in salesloft_simulator.refresh_tokens  # the readable refresh token is revoked
    assert_sealed_and_live(salesloft_simulator, conn_id)
    assert raw(legacy_store_key(conn_id)) is None
    assert "written unsealed by an older version" in caplog.text
    assert not [s for s in [*salesloft_simulator.issued_secrets, CLIENT_SECRET] if s in caplog.text]


@pytest.mark.parametrize("harm", ["client-secret-rotated", "tampered", "another-connections"])
def test_a_store_that_does_not_open_is_absent_with_one_warning(
    salesloft_simulator: SalesloftSimulator,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    harm: str,
) -> None:
    """The connection's own refresh token is used instead, and the next rotation replaces the store."""
    conn_id = f"sl_unopenable_{harm.replace('-', '_')}"
    kept = StoredToken("at-sealed-0", 4e9, salesloft_simulator.grant_refresh_token(CLIENT_ID), 7200)
    if harm == "client-secret-rotated":
        VariableTokenStore(conn_id, "the-client-secret-before-rotation").save(kept)
    elif harm == "another-connections":
        VariableTokenStore("sl_other", CLIENT_SECRET).save(kept)
        put(store_key(conn_id), raw(store_key("sl_other")))
    else:
        VariableTokenStore(conn_id, CLIENT_SECRET).save(kept)
        document = json.loads(raw(store_key(conn_id)) or "{}")
        middle = len(document["tokens"]) // 2
        flipped = "A" if document["tokens"][middle] != "A" else "B"
        document["tokens"] = document["tokens"][:middle] + flipped + document["tokens"][middle + 1 :]
        put(store_key(conn_id), json.dumps(document))
    connect(salesloft_simulator, monkeypatch, conn_id, salesloft_simulator.grant_refresh_token(CLIENT_ID))

    hook = SalesloftHook(salesloft_conn_id=conn_id)
    hook.get_me()
    salesloft_simulator.expire_tokens()
    hook.get_me()  # refreshed from the store now sealed with the connection's secret

    assert salesloft_simulator.stats.unauthorized == 1  # the stored access token was never used
    warnings = [
        r.getMessage() for r in caplog.records if "Cannot open the Salesloft token store" in r.message
    ]
    assert len(warnings) == 1
    assert store_key(conn_id) in warnings[0] and f"{FIX} {conn_id} --store" in warnings[0]
    assert not [s for s in [*salesloft_simulator.issued_secrets, CLIENT_SECRET] if s in caplog.text]
    assert_sealed_and_live(salesloft_simulator, conn_id)


def test_a_store_that_does_not_open_with_a_dead_connection_token_fails_clearly(
    salesloft_simulator: SalesloftSimulator, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("airflow_provider_salesloft.hooks.auth.ROTATION_WAIT_S", (0.01, 0.01))
    conn_id = "sl_unopenable_dead"
    live = salesloft_simulator.grant_refresh_token(CLIENT_ID)
    VariableTokenStore(conn_id, "the-client-secret-before-rotation").save(StoredToken(None, 0, live, 7200))
    connect(salesloft_simulator, monkeypatch, conn_id, "rt-connection-long-dead")

    with pytest.raises(SalesloftOAuthError) as info:
        SalesloftHook(salesloft_conn_id=conn_id).get_me()

    assert info.value.error == "invalid_grant" and store_key(conn_id) in str(info.value)
    text = str(info.value) + repr(info.value) + caplog.text
    assert not [s for s in [live, "rt-connection-long-dead", CLIENT_SECRET] if s in text]
    assert caplog.text.count("Cannot open the Salesloft token store") == 1  # once, though read 3 times


@pytest.mark.parametrize("value", ["[1, 2]", "null", '"text"', '{"refresh_token": 5}', "not json"])
def test_an_unreadable_store_is_ignored_with_a_warning(value: str, caplog: pytest.LogCaptureFixture) -> None:
    store = VariableTokenStore("sl_unreadable", CLIENT_SECRET)
    put(store.key, value)
    assert store.load() is None
    assert "does not hold the tokens" in caplog.text


def test_a_save_that_fails_says_which_variable_and_nothing_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(key: str, value: Any) -> None:
        raise RuntimeError(f"cannot write {value}")

    monkeypatch.setattr("airflow_provider_salesloft.hooks.token_store.write_variable", refuse)
    with pytest.raises(SalesloftOAuthError) as info:
        VariableTokenStore("sl_refused", CLIENT_SECRET).save(StoredToken("at-x-1234", 4e9, "rt-x-1234", 7200))
    assert store_key("sl_refused") in str(info.value) and "1234" not in str(info.value)
