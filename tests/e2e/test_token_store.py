"""The OAuth token store in the session's metadata db: a masked name, and tokens of 0.1.0 moved to it."""

from __future__ import annotations

import json

import pytest

from airflow_provider_salesloft.hooks.auth import VariableTokenStore

pytestmark = pytest.mark.e2e


def test_the_store_name_is_masked_by_airflow() -> None:
    try:
        from airflow.sdk.execution_time.secrets_masker import should_hide_value_for_key  # Airflow 3
    except ImportError:
        from airflow.utils.log.secrets_masker import should_hide_value_for_key  # type: ignore[no-redef]

    assert should_hide_value_for_key(VariableTokenStore("salesloft_default").key)


def test_tokens_kept_by_0_1_0_are_moved_to_the_new_name() -> None:
    from airflow.models.variable import Variable

    store = VariableTokenStore("sl_legacy")
    tokens = {"access_token": "at-old", "expires_at": 4e9, "refresh_token": "rt-old", "lifetime": 7200}
    Variable.set(store.legacy_key, json.dumps(tokens))

    loaded = store.load()

    assert loaded is not None and loaded.refresh_token == "rt-old"
    assert json.loads(Variable.get(store.key))["refresh_token"] == "rt-old"
    assert Variable.get(store.legacy_key, default_var=None) is None


@pytest.mark.parametrize("value", ["[1, 2]", "null", '"text"', '{"refresh_token": 5}'])
def test_an_unreadable_store_is_ignored_with_a_warning(value: str, caplog: pytest.LogCaptureFixture) -> None:
    from airflow.models.variable import Variable

    store = VariableTokenStore("sl_unreadable")
    Variable.set(store.key, value)
    assert store.load() is None
    assert "does not hold the tokens" in caplog.text
