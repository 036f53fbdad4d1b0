"""OpenLineage and assets in real ``airflow dags test`` runs against the simulator: the OpenLineage
provider's file transport records the events; the COMPLETE event of the sync names the warehouse table it
read and the cadence it wrote, with the counts; a failed sync's FAIL event carries the error; no secret is
in any event; the cadence's asset event carries the counts as its extra, and queues the DAG scheduled on
it."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support import HOME

from airflow_provider_salesloft.testing import DEFAULT_API_KEY, SalesloftSimulator
from e2e.test_sync import make_leads

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.salesloft_simulator(
        people=1000, rate_limit=100_000, rate_window_s=5.0, connection_extras={"retry_backoff_base_s": 0.05}
    ),
]


def dags_test(dag_id: str, tmp_path: Path, sim: SalesloftSimulator, leads: Path) -> list[dict[str, Any]]:
    """``airflow dags test dag_id`` with the file transport; the OpenLineage events it wrote."""
    events = tmp_path / f"{dag_id}.events.jsonl"
    env = {
        **os.environ,
        "AIRFLOW_CONN_SALESLOFT_TEST_LEADS": json.dumps({"conn_type": "sqlite", "host": str(leads)}),
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(
            {"type": "file", "log_file_path": str(events), "append": True}
        ),
        "AIRFLOW__OPENLINEAGE__NAMESPACE": "salesloft-tests",
        "SALESLOFT_TEST_ASSET_HOST": host(sim),
    }
    subprocess.run(
        [sys.executable, "-m", "airflow", "dags", "test", dag_id], env=env, capture_output=True, check=False
    )
    return [json.loads(line) for line in events.read_text().splitlines()] if events.exists() else []


def host(sim: SalesloftSimulator) -> str:
    return sim.url.split("://", 1)[1]


def task_event(events: list[dict[str, Any]], task: str, kind: str) -> dict[str, Any]:
    found = [e for e in events if e["eventType"] == kind and e["job"]["name"].endswith(f".{task}")]
    assert len(found) == 1, [(e["eventType"], e["job"]["name"]) for e in events]
    return found[0]


@pytest.fixture
def leads(tmp_path: Path) -> Path:
    path = tmp_path / "leads.db"
    make_leads(path)
    return path


def test_the_complete_events_name_the_table_read_and_the_cadences_written(
    salesloft_simulator: SalesloftSimulator, leads: Path, tmp_path: Path
) -> None:
    events = dags_test("salesloft_test_lineage", tmp_path, salesloft_simulator, leads)

    namespace = f"salesloft://{host(salesloft_simulator)}"
    sync = task_event(events, "sync", "COMPLETE")
    assert [(d["namespace"], d["name"]) for d in sync["inputs"]] == [(f"sqlite://{leads}", "leads")]
    (cadence,) = sync["outputs"]
    assert (cadence["namespace"], cadence["name"]) == (namespace, "cadences/10")
    outcomes = sync["run"]["facets"]["salesloft_outcomes"]
    assert outcomes["operator"] == "SyncCadenceMembershipsOperator"
    written = outcomes["cadences"]["10"]["added"]
    assert written > 0 and cadence["outputFacets"]["outputStatistics"]["rowCount"] == written
    assert sum(outcomes["totals"].values()) == 100 - outcomes["totals"].get(
        "invalid", 0
    )  # rows with a cadence

    upsert = task_event(events, "upsert", "COMPLETE")
    assert [(d["namespace"], d["name"]) for d in upsert["outputs"]] == [(namespace, "people")]
    assert upsert["outputs"][0]["outputFacets"]["outputStatistics"]["rowCount"] == 2
    assert upsert["inputs"] == []
    for task, outcome in (("add", "added"), ("remove", "removed")):
        event = task_event(events, task, "COMPLETE")
        assert [(d["namespace"], d["name"]) for d in event["outputs"]] == [(namespace, "cadences/11")]
        assert event["run"]["facets"]["salesloft_outcomes"]["cadences"] == {"11": {outcome: 1}}
        assert event["outputs"][0]["outputFacets"]["outputStatistics"]["rowCount"] == 1
    assert DEFAULT_API_KEY not in json.dumps(events)  # no secret in any event


def test_a_failed_sync_reports_its_error_and_what_it_did(
    salesloft_simulator: SalesloftSimulator, leads: Path, tmp_path: Path
) -> None:
    events = dags_test("salesloft_test_lineage_failed", tmp_path, salesloft_simulator, leads)

    fail = task_event(events, "sync", "FAIL")
    assert "rows failed or were invalid" in fail["run"]["facets"]["errorMessage"]["message"]
    assert fail["run"]["facets"]["salesloft_outcomes"]["cadences"]["10"]["added"] > 0
    assert [d["name"] for d in fail["inputs"]] == ["leads"]
    assert DEFAULT_API_KEY not in json.dumps(events)


def test_the_cadence_asset_event_carries_the_counts_and_queues_the_downstream_dag(
    salesloft_simulator: SalesloftSimulator, leads: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "SALESLOFT_TEST_ASSET_HOST": host(salesloft_simulator)}
    for command in (["dags", "reserialize"], ["dags", "unpause", "salesloft_test_cadence_changed"]):
        # the downstream DAG known to the metadata database and active, as after the dag-processor's parse
        subprocess.run([sys.executable, "-m", "airflow", *command], env=env, capture_output=True, check=True)
    dags_test("salesloft_test_lineage", tmp_path, salesloft_simulator, leads)

    uri = f"salesloft://{host(salesloft_simulator)}/cadences/10"
    extras, queued = asset_events(uri, "salesloft_test_lineage")
    assert extras, "no asset event for cadence 10"
    extra = extras[-1]
    assert extra["cadence_id"] == 10 and extra["rows_written"] == extra["added"] > 0
    assert queued == ["salesloft_test_cadence_changed"]  # the scheduler's next loop runs it


def asset_events(uri: str, source_dag_id: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The extras of the asset events ``source_dag_id`` emitted for ``uri`` (oldest first), and the DAGs
    queued to run on it, from the session's metadata database (assets on Airflow 3, datasets on 2)."""
    with sqlite3.connect(HOME / "airflow.db") as db:
        asset, event, queue = (
            ("asset", "asset_event", "asset_dag_run_queue")
            if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'asset_event'").fetchone()
            else ("dataset", "dataset_event", "dataset_dag_run_queue")
        )
        extras = db.execute(
            f"SELECT e.extra FROM {event} e JOIN {asset} a ON a.id = e.{asset}_id "
            f"WHERE a.uri = ? AND e.source_dag_id = ? ORDER BY e.id",
            (uri, source_dag_id),
        ).fetchall()
        queued = db.execute(
            f"SELECT q.target_dag_id FROM {queue} q JOIN {asset} a ON a.id = q.{asset}_id WHERE a.uri = ?",
            (uri,),
        ).fetchall()
    return [json.loads(extra) for (extra,) in extras], [dag_id for (dag_id,) in queued]
