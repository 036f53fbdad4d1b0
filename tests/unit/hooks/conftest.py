"""Fixtures of the hook tests: a hook on a connection pointing at the test's simulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_salesloft.hooks.salesloft import SalesloftHook
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
