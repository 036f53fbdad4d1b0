"""``results_table`` in real DAG runs against the simulator, on SQLite: one row per input row (and per
mirror removal) per run, counts equal to the summary, reruns append, and a table that cannot be written
fails the task only after the sync was done and its summary pushed."""

from __future__ import annotations

import csv
import json
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from dag_runner import load_dag, received, run_dag
from support import ROOT

from airflow_provider_salesloft.results_table import COLUMN_NAMES
from airflow_provider_salesloft.testing import SalesloftSimulator
from e2e.test_lineage_assets import asset_events
from e2e.test_sync import ALREADY_ON, KNOWN, make_leads, pre_add
from e2e.test_upsert_people import ROWS

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.salesloft_simulator(
        people=1000, rate_limit=100_000, rate_window_s=5.0, connection_extras={"retry_backoff_base_s": 0.05}
    ),
]
FILE = "salesloft_test_results"


@pytest.fixture
def leads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "leads.db"
    make_leads(path)
    monkeypatch.setenv("AIRFLOW_CONN_SALESLOFT_TEST_LEADS", f'{{"conn_type": "sqlite", "host": "{path}"}}')
    return path


def run(dag_id: str, tmp_path: Path, **conf: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    out = tmp_path / f"{dag_id}.json"
    result = run_dag(dag_id, {"out": str(out), **conf}, FILE)
    return result, received(out)


def results(path: Path, table: str) -> list[dict[str, Any]]:
    with sqlite3.connect(path) as db:
        cursor = db.execute(f"SELECT * FROM {table} ORDER BY run_id, row_index")
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def outcome_counts(summary: dict[str, Any], names: tuple[str, ...]) -> dict[str, int]:
    return {name: summary[name] for name in names if summary.get(name)}


def test_a_sync_writes_one_row_per_input_row_per_run(
    salesloft_simulator: SalesloftSimulator, leads: Path, tmp_path: Path
) -> None:
    pre_add(salesloft_simulator, ALREADY_ON)

    result, summary = run("salesloft_test_results_sync", tmp_path)

    assert result["state"] == "success"
    rows = results(leads, "sync_results")
    assert list(rows[0]) == list(COLUMN_NAMES)
    assert [row["row_index"] for row in rows] == list(range(1000))  # one row per input row
    assert {(row["run_id"], row["dag_id"], row["task_id"], row["map_index"]) for row in rows} == {
        (result["run_id"], "salesloft_test_results_sync", "sync", -1)
    }
    counts = Counter(row["outcome"] for row in rows)
    assert counts == Counter(outcome_counts(summary, tuple(counts)))  # the same counts as the summary
    assert sum(counts.values()) == summary["rows"]
    assert summary["results_table"] == {"table": "sync_results", "rows_written": 1000}
    added = [row for row in rows if row["outcome"] == "added"]
    assert len(added) == KNOWN - ALREADY_ON
    assert all(row["person_id"] and row["membership_id"] and row["cadence_id"] == 10 for row in added)
    assert all(row["row_key"] and row["recorded_at"] for row in added)
    assert all(row["reason"] for row in rows if row["outcome"] in ("invalid", "person_not_found"))

    rerun, again = run("salesloft_test_results_sync", tmp_path)

    rows = results(leads, "sync_results")
    assert len(rows) == 2000  # the rerun appended its own run's rows
    second = [row for row in rows if row["run_id"] == rerun["run_id"]]
    assert [row["row_index"] for row in second] == list(range(1000))
    assert (
        Counter(row["outcome"] for row in second)["already_on_cadence"]
        == again["already_on_cadence"]
        == KNOWN
    )


def test_mirror_removals_are_rows_too(
    salesloft_simulator: SalesloftSimulator, leads: Path, tmp_path: Path
) -> None:
    outsiders = [1950, 1951, 1952]
    for person in outsiders:
        salesloft_simulator.state.add_to_cadence(1, {"person_id": person, "cadence_id": 10}, "422")

    result, summary = run("salesloft_test_results_mirror", tmp_path)

    assert result["state"] == "success"
    assert summary["removed"] == len(outsiders)
    rows = results(leads, "sync_results")
    removals = [row for row in rows if row["outcome"] == "removed"]
    assert sorted(row["person_id"] for row in removals) == outsiders
    assert all(row["row_index"] is None and row["membership_id"] for row in removals)
    assert len(rows) == summary["rows"] + summary["removed"]


def test_results_that_cannot_be_written_fail_the_task_after_the_sync(
    salesloft_simulator: SalesloftSimulator, leads: Path, tmp_path: Path, task_logs: Any
) -> None:
    with sqlite3.connect(leads) as db:  # a table of that name, but not ours: every insert fails
        db.execute("CREATE TABLE sync_results (something_else INTEGER)")

    result, summary = run("salesloft_test_results_sync", tmp_path)

    assert result["tasks"][("sync", -1)] == "failed"
    assert summary["added"] == KNOWN  # the sync was done, and its summary pushed
    account = summary["results_table"]
    assert account["rows_written"] == 0 and account["rows_not_written"] == 1000
    assert "run_id" in account["error"]  # sqlite: table sync_results has no column named run_id
    assert "results_table 'sync_results': 0 rows written, 1000 not" in task_logs()


@pytest.mark.parametrize(
    "dag_id", ["salesloft_test_results_upsert", "salesloft_test_results_upsert_deferred"]
)
def test_an_upsert_writes_one_row_per_input_row(
    salesloft_simulator: SalesloftSimulator, leads: Path, tmp_path: Path, dag_id: str
) -> None:
    result, summary = run(dag_id, tmp_path, rows=ROWS)

    assert result["state"] == "success"
    rows = results(leads, "upsert_results")
    assert [row["row_index"] for row in rows] == list(range(len(ROWS)))
    assert Counter(row["outcome"] for row in rows) == Counter(
        outcome_counts(summary, ("created", "updated", "failed", "invalid", "duplicates"))
    )
    assert rows[0]["row_key"] == "new1@example.com" and rows[0]["person_id"] == summary["person_ids"][0]
    assert rows[1]["outcome"] == "updated" and rows[1]["person_id"] == 1005
    assert rows[2]["outcome"] == "duplicates" and rows[5]["outcome"] == "failed" and rows[5]["reason"]


@pytest.mark.salesloft_simulator(people=300, rate_limit=10_000, rate_window_s=60.0, connection_extras={})
def test_the_example_dag_writes_results_and_the_cadence_asset_event(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "leads.db"
    monkeypatch.setenv(
        "AIRFLOW_CONN_SALESLOFT_LEADS_DB", json.dumps({"conn_type": "sqlite", "host": str(path)})
    )

    # the asset known to the metadata database, as after the dag-processor's parse (Airflow 2 needs it)
    subprocess.run([sys.executable, "-m", "airflow", "dags", "reserialize"], capture_output=True, check=True)
    run = load_dag("example_salesloft_results_and_assets").test()

    assert str(getattr(run.state, "value", run.state)) == "success"
    rows = results(path, "salesloft_sync_results")
    with (ROOT / "example_dags" / "data" / "leads.csv").open() as handle:
        inbound = sum(1 for lead in csv.DictReader(handle) if lead["segment"] == "inbound")
    assert len(rows) == inbound and {row["run_id"] for row in rows} == {run.run_id}
    extras, _ = asset_events(
        "salesloft://api.salesloft.com/cadences/10", "example_salesloft_results_and_assets"
    )
    counts = Counter(row["outcome"] for row in rows if row["cadence_id"] == 10)
    assert {name: extras[-1].get(name) for name in counts} == dict(counts)
    assert extras[-1]["rows_written"] == counts["added"] > 0
