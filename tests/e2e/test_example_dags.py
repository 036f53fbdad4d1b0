"""The example DAGs import cleanly and run end to end against the simulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import DAGS_FOLDER, ROOT
from dag_runner import load_dag

pytestmark = pytest.mark.e2e


def test_example_dags_import_without_errors() -> None:
    try:
        from airflow.dag_processing.dagbag import DagBag  # Airflow 3
    except ImportError:
        from airflow.models.dagbag import DagBag  # type: ignore[no-redef]  # Airflow 2

    bag = DagBag(dag_folder=str(ROOT / "example_dags"))
    assert bag.import_errors == {}
    assert "example_salesloft_cadence_membership" in bag.dag_ids


def test_example_cadence_membership_dag_runs(simulator: Any, capsys: pytest.CaptureFixture[str]) -> None:
    dag = load_dag("example_salesloft_cadence_membership")
    run = dag.test()

    assert str(getattr(run.state, "value", run.state)) == "success"
    membership = simulator.memberships_on(10)[1001]
    assert f"MEMBERSHIP id={membership['id']} state=staged" in capsys.readouterr().out
    assert Path(DAGS_FOLDER / "example_salesloft_cadence_membership.py").exists()
