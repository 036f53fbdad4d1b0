"""A pytest fixture serving a fresh simulator per test, configured by a marker.

Enable it in your ``conftest.py``:
``pytest_plugins = ["airflow_provider_salesloft.testing.pytest_plugin"]``.

>>> @pytest.mark.salesloft_simulator(rate_limit=10, people=300, connection_extras={"timeout": 5})
... def test_my_dag(salesloft_simulator):
...     my_dag.test()
...     assert salesloft_simulator.stats.adds == 3

Marker keywords are :class:`~airflow_provider_salesloft.testing.SalesloftSimulator` arguments (faults
included), plus ``connection_extras`` (extras of the connection that points at it) and ``conn_id`` (default
``salesloft_default``). Markers on the test, its class and its module are merged, the closest winning.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_salesloft.testing.simulator import SalesloftSimulator

MARKER = "salesloft_simulator"


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**options): SalesloftSimulator arguments and faults, connection_extras, conn_id "
        "for the salesloft_simulator fixture",
    )


def simulator_options(node: pytest.Item) -> dict[str, Any]:
    """The merged keywords of every ``salesloft_simulator`` marker on ``node`` (closest wins)."""
    options: dict[str, Any] = {}
    for marker in reversed(list(node.iter_markers(MARKER))):  # farthest first, closest last
        extras = {**options.get("connection_extras", {}), **marker.kwargs.get("connection_extras", {})}
        options.update(marker.kwargs)
        options["connection_extras"] = extras
    return options


@pytest.fixture
def salesloft_simulator(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SalesloftSimulator]:
    """A running simulator; the connection ``conn_id`` (``salesloft_default``) points at it for the test."""
    options = simulator_options(request.node)
    extras = options.pop("connection_extras", {})
    conn_id = str(options.pop("conn_id", "salesloft_default"))
    with SalesloftSimulator(**options) as sim:
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", sim.connection_uri_json(**extras))
        yield sim
