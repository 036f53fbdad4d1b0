"""A pytest fixture serving a fresh simulator per test.

Enable it in your ``conftest.py``:
``pytest_plugins = ["airflow_provider_salesloft.testing.pytest_plugin"]``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airflow_provider_salesloft.testing.simulator import SalesloftSimulator


@pytest.fixture
def salesloft_simulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[SalesloftSimulator]:
    """A running simulator; ``salesloft_default`` points at it for the test's duration."""
    with SalesloftSimulator() as sim:
        monkeypatch.setenv("AIRFLOW_CONN_SALESLOFT_DEFAULT", sim.connection_uri_json())
        yield sim
