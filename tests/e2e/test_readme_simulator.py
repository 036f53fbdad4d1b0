"""The README's "testing your own DAGs" snippet, run as written (``tests/unit/test_readme.py`` checks that
the README shows exactly the region below)."""

from __future__ import annotations

import pytest
from dag_runner import load_dag

pytestmark = pytest.mark.e2e


def test_the_readme_simulator_snippet_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SALESLOFT_DEFAULT", "")  # restored after the test
    dag = load_dag("example_salesloft_cadence_membership")
    # [START readme_simulator]
    import os

    from airflow_provider_salesloft.testing import SalesloftSimulator

    faults = {"latency_ms": (20, 50), "error_503_share": 0.05}
    with SalesloftSimulator(rate_limit=600, **faults) as sim:
        os.environ["AIRFLOW_CONN_SALESLOFT_DEFAULT"] = sim.connection_uri_json()
        dag.test()
        assert 1001 in sim.memberships_on(cadence_id=10)
    # [END readme_simulator]
