"""The example DAGs import cleanly and run end to end against the simulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from dag_runner import load_dag
from support import DAGS_FOLDER, FAST_SIMULATOR, ROOT

pytestmark = [pytest.mark.e2e, FAST_SIMULATOR]


def test_example_dags_import_without_errors() -> None:
    try:
        from airflow.dag_processing.dagbag import DagBag  # Airflow 3
    except ImportError:
        from airflow.models.dagbag import DagBag  # type: ignore[no-redef]  # Airflow 2

    bag = DagBag(dag_folder=str(ROOT / "example_dags"))
    assert bag.import_errors == {}
    assert "example_salesloft_cadence_membership" in bag.dag_ids


def test_example_cadence_membership_dag_runs(
    salesloft_simulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    dag = load_dag("example_salesloft_cadence_membership")
    run = dag.test()

    assert str(getattr(run.state, "value", run.state)) == "success"
    membership = salesloft_simulator.memberships_on(10)[1001]
    assert f"MEMBERSHIP id={membership['id']} state=staged" in capsys.readouterr().out
    assert Path(DAGS_FOLDER / "example_salesloft_cadence_membership.py").exists()


@pytest.mark.salesloft_simulator(people=300, rate_limit=10_000, rate_window_s=60.0, connection_extras={})
def test_example_sync_dag_runs(
    salesloft_simulator: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_SALESLOFT_LEADS_DB",
        json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "leads.db")}),
    )
    run = load_dag("example_salesloft_sync").test()

    assert str(getattr(run.state, "value", run.state)) == "success"
    sim = salesloft_simulator
    on_cadences = len(sim.memberships_on(10)) + len(sim.memberships_on(11))
    out = capsys.readouterr().out
    assert f"'added': {on_cadences}" in out
    assert "'rows': 198" in out
    assert "'person_not_found': 8" in out
    assert "'duplicates': 4" in out
    assert "'invalid': 2" in out
    assert "'do_not_contact': 3" in out  # the sample data holds real data's opt-outs ...
    assert "'ambiguous_email': 1" in out  # ... and an email two people share


@pytest.mark.salesloft_simulator(people=60)
def test_example_mirror_dag_runs(salesloft_simulator: Any, capsys: pytest.CaptureFixture[str]) -> None:
    sim = salesloft_simulator
    for person in (*range(1001, 1031), 1040, 1041, 1042):  # 30 of the segment, and 3 who fell out of it
        sim.state.add_to_cadence(1, {"person_id": person, "cadence_id": 11}, "422")

    run = load_dag("example_salesloft_mirror").test()

    assert str(getattr(run.state, "value", run.state)) == "success"
    assert "MIRROR added=9 removed=3 take_off_state=removed_no_action" in capsys.readouterr().out
    assert sorted(sim.memberships_on(11)) == list(range(1001, 1039))  # 1039 was then taken off by hand


def test_example_create_and_enroll_dag_runs(
    salesloft_simulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run = load_dag("example_salesloft_create_and_enroll").test()

    assert str(getattr(run.state, "value", run.state)) == "success"
    sim = salesloft_simulator
    (ada,) = [p for p in sim.state.people.values() if p["email_address"] == "ada@analytical.example"]
    assert ada["person_company_name"] == "Analytical Engines"
    assert list(sim.memberships_on(10)) == [ada["id"]]
    assert len(sim.memberships_on(11)) == 50
    out = capsys.readouterr().out
    assert f"ENROLLED person {ada['id']} as membership" in out
    assert "CREATE AND ENROLL {'rows': 50, 'created_and_added': 40, 'added': 10, 'failed': 0}" in out
    assert sim.stats.calls_by_route["POST /v2/bulk_jobs"] == 1  # 40 new people: one bulk job


def test_example_hook_dag_runs(salesloft_simulator: Any, capsys: pytest.CaptureFixture[str]) -> None:
    salesloft_simulator.state.add_to_cadence(1, {"person_id": 1002, "cadence_id": 10}, "422")
    run = load_dag("example_salesloft_hook").test()

    assert str(getattr(run.state, "value", run.state)) == "success"
    out = capsys.readouterr().out
    assert "'on_cadence': 1" in out
    assert "'unknown': ['nobody@example.com'], 'do_not_contact': ['optout1@example.com']" in out
