"""Results table, lineage counts and cadence assets where a sync writes nothing (a dry run) or fails
halfway: a dry run's rows never read as done, and the rows a failing sync finished are not lost."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from dag_runner import load_dag, run_dag

from airflow_provider_salesloft.outcomes import RunOutcomes
from airflow_provider_salesloft.testing import SalesloftSimulator
from e2e.test_lineage_assets import asset_events
from e2e.test_results_table import results

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.salesloft_simulator(
        people=300, rate_limit=100_000, rate_window_s=5.0, connection_extras={"retry_backoff_base_s": 0.05}
    ),
]
FILE = "salesloft_attack_results"


@pytest.fixture
def results_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The results database (SQLite), as connection ``salesloft_test_results_db``."""
    path = tmp_path / "results.db"
    monkeypatch.setenv(
        "AIRFLOW_CONN_SALESLOFT_TEST_RESULTS_DB", json.dumps({"conn_type": "sqlite", "host": str(path)})
    )
    return path


def test_a_dry_run_writes_nothing_and_says_so(
    salesloft_simulator: SalesloftSimulator, results_db: Path
) -> None:
    """Its result rows are marked ``dry_run``, its task has no cadence outlet (no asset event, no
    downstream run) and its lineage counts no row written."""
    rows = [{"email": f"person{n}@example.com"} for n in range(1, 21)]
    outcome = run_dag("salesloft_attack_dry_run", {"rows": rows}, FILE)
    assert outcome["state"] == "success"
    written = results(results_db, "sync_results")
    assert len(written) == 20
    assert {row["outcome"] for row in written} == {"added"}  # what would happen ...
    assert all(row["dry_run"] for row in written)  # ... told apart from what happened
    task = load_dag("salesloft_attack_dry_run", FILE).get_task("sync")
    assert not task.outlets
    outcomes = RunOutcomes(dry_run=True)
    outcomes.count(10, "added", 20)
    outcomes.people["created"] += 3
    assert outcomes.cadence_written(10) == 0 and outcomes.people_written() == 0


def test_a_sync_failing_halfway_keeps_the_rows_it_finished(
    salesloft_simulator: SalesloftSimulator, results_db: Path
) -> None:
    """The query breaks at its 301st row, after whole chunks were added: their rows are in the results
    table."""
    with sqlite3.connect(results_db) as db:
        db.execute("CREATE TABLE numbers (n INTEGER)")
        db.executemany("INSERT INTO numbers VALUES (?)", [(n,) for n in range(1, 401)])
    outcome = run_dag("salesloft_attack_failing", {}, FILE)
    assert outcome["state"] == "failed"
    added = {m["person_id"] for m in salesloft_simulator.state.memberships.values() if m["cadence_id"] == 10}
    written = results(results_db, "sync_results")
    assert added  # the sync added people before its input broke ...
    assert [row["row_index"] for row in written] == list(range(len(added)))  # ... each has its result row
    assert {row["person_id"] for row in written} == added
    assert {row["outcome"] for row in written} == {"added"}


@pytest.mark.salesloft_simulator(people=10, bulk_job_records_per_s=0.001)
def test_an_upsert_failing_on_its_bulk_job_keeps_the_rows_it_finished(
    salesloft_simulator: SalesloftSimulator, results_db: Path
) -> None:
    """The bulk job times out: the rows known before (invalid, duplicates) are in the results table."""
    rows = [{"email": f"new{n}@example.com"} for n in range(5)]
    rows += [{"email": ""}, {"first_name": "no email"}, {"email": "new1@example.com"}]
    outcome = run_dag("salesloft_attack_upsert_timeout", {"rows": rows}, FILE)
    assert outcome["state"] == "failed"
    written = results(results_db, "upsert_results")
    assert [(row["row_index"], row["outcome"]) for row in written] == [
        (5, "invalid"),
        (6, "invalid"),
        (7, "duplicates"),
    ]


def test_a_cadence_asset_also_given_as_outlet_gets_one_event_per_run(
    salesloft_simulator: SalesloftSimulator, results_db: Path
) -> None:
    """``outlets=[cadence_asset(10)]`` next to ``cadence_id=10``: one event, not two (a downstream task
    summing its triggering events' counts would count every row twice)."""
    # the asset known to the metadata database, as after the dag-processor's parse (Airflow 2 needs it)
    subprocess.run([sys.executable, "-m", "airflow", "dags", "reserialize"], capture_output=True, check=True)
    rows = [{"email": "person1@example.com"}, {"email": "person2@example.com"}]
    outcome = run_dag("salesloft_attack_outlet_twice", {"rows": rows}, FILE)
    assert outcome["state"] == "success"
    extras, _ = asset_events("salesloft://api.salesloft.com/cadences/10", "salesloft_attack_outlet_twice")
    assert [extra["added"] for extra in extras] == [2]
