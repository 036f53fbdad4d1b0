"""On a real deployment (PostgreSQL, scheduler, dag-processor, LocalExecutor): a nightly sync from a
PostgreSQL table writes its results table there (one row per input row per run, counts equal to the
summary, a rerun appends), its OpenLineage event names the table through the Postgres hook's lineage
support, and its cadence's asset event triggers the DAG scheduled on it, with the counts.

Run by ``make test-deploy`` (own deployment, with only ``dags/deploy_results_assets.py``)."""

from __future__ import annotations

import json
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from deployment import Deployment

from airflow_provider_salesloft.testing import SalesloftSimulator

HERE = Path(__file__).parent
LEADS = [f"person{n}@example.com" for n in range(1, 41)] + [f"nobody{n}@example.org" for n in range(5)]
LEADS += ["not-an-email", LEADS[0]]  # an invalid row, a duplicate


@pytest.fixture(scope="module")
def sim() -> Iterator[SalesloftSimulator]:
    with SalesloftSimulator(people=1000, rate_limit=1000, rate_window_s=10.0, seed=25) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def deployment(sim: SalesloftSimulator) -> Iterator[Deployment]:
    env = {
        "AIRFLOW_CONN_SALESLOFT_DEFAULT": sim.connection_uri_json(),
        "SALESLOFT_DEPLOY_ASSET_HOST": sim.url.split("://", 1)[1],
    }
    with tempfile.TemporaryDirectory(prefix="salesloft-deploy-results-") as home:
        deployment = Deployment(Path(home), [HERE / "dags" / "deploy_results_assets.py"], env)
        deployment.env["AIRFLOW__OPENLINEAGE__TRANSPORT"] = json.dumps(
            {"type": "file", "log_file_path": f"{home}/openlineage.jsonl", "append": True}
        )
        deployment.env["AIRFLOW_CONN_WAREHOUSE"] = json.dumps(
            {
                "conn_type": "postgres",
                "host": "127.0.0.1",
                "port": deployment.pg_port,
                "login": "airflow",
                "schema": "airflow",
            }
        )
        with deployment as running:
            running.query("CREATE TABLE leads (position INTEGER, email TEXT)")
            for position, email in enumerate(LEADS):
                running.query("INSERT INTO leads VALUES (%s, %s)", position, email)
            running.wait_for_dags(["deploy_nightly_sync", "deploy_cadence_changed"])
            yield running


def downstream_runs(deployment: Deployment, count: int, timeout: float = 300) -> list[str]:
    """Wait until the asset-scheduled DAG has ``count`` finished runs; their run ids, oldest first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = deployment.query(
            "SELECT run_id, state FROM dag_run WHERE dag_id = 'deploy_cadence_changed' ORDER BY id"
        )
        if len(rows) >= count and all(state in ("success", "failed") for _, state in rows):
            return [run_id for run_id, _ in rows]
        time.sleep(2)
    raise RuntimeError(f"deploy_cadence_changed did not run {count} times; see {deployment.home}")


def test_a_nightly_sync_writes_its_results_and_triggers_the_cadence_dag(
    deployment: Deployment, sim: SalesloftSimulator
) -> None:
    deployment.trigger("deploy_nightly_sync", "night-1", {})
    assert deployment.wait_for_run("deploy_nightly_sync", "night-1") == "success"
    (summary,) = deployment.xcom("deploy_nightly_sync", "night-1", "sync")

    rows = deployment.query(
        "SELECT row_index, outcome, person_id, cadence_id, dag_id, task_id, map_index, recorded_at "
        "FROM sync_results WHERE run_id = 'night-1' ORDER BY row_index"
    )
    assert [row[0] for row in rows] == list(range(len(LEADS)))  # one row per input row
    counts = Counter(row[1] for row in rows)
    assert counts == Counter({name: summary[name] for name in counts}) and summary["added"] == 40
    assert all(row[4:7] == ("deploy_nightly_sync", "sync", -1) and row[7] is not None for row in rows)
    assert {row[2] for row in rows if row[1] == "added"} == set(sim.memberships_on(10))

    events = [json.loads(line) for line in (deployment.home / "openlineage.jsonl").read_text().splitlines()]
    (complete,) = [
        e for e in events if e["eventType"] == "COMPLETE" and e["job"]["name"] == "deploy_nightly_sync.sync"
    ]
    assert [(d["namespace"], d["name"]) for d in complete["inputs"]] == [
        (f"postgres://127.0.0.1:{deployment.pg_port}", "airflow.public.leads")
    ]
    assert [d["name"] for d in complete["outputs"]] == ["cadences/10"]
    assert complete["outputs"][0]["outputFacets"]["outputStatistics"]["rowCount"] == summary["added"]

    (first,) = downstream_runs(deployment, 1)  # the scheduler ran the DAG scheduled on cadence 10's asset
    (received,) = deployment.xcom("deploy_cadence_changed", first, "changed")
    (extras,) = received.values()
    assert extras[-1]["cadence_id"] == 10
    assert extras[-1]["added"] == extras[-1]["rows_written"] == summary["added"]

    deployment.trigger("deploy_nightly_sync", "night-2", {})
    assert deployment.wait_for_run("deploy_nightly_sync", "night-2") == "success"
    per_run = deployment.query("SELECT run_id, COUNT(*) FROM sync_results GROUP BY run_id ORDER BY run_id")
    assert per_run == [("night-1", len(LEADS)), ("night-2", len(LEADS))]  # the rerun appended its rows
    second = downstream_runs(deployment, 2)[-1]
    (received,) = deployment.xcom("deploy_cadence_changed", second, "changed")
    (extras,) = received.values()
    assert extras[-1]["rows_written"] == 0 and extras[-1]["already_on_cadence"] == 40
