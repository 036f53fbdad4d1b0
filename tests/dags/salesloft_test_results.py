"""Test DAGs for ``results_table``: syncs reading ``SELECT * FROM leads`` from the ``salesloft_test_leads``
SQLite connection and writing their row results into ``sync_results`` there; an upsert writing into
``upsert_results`` through ``results_conn_id``. Each ``record`` task writes the summary it received to
``dag_run.conf["out"]``."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from airflow.providers.common.compat.sdk import DAG, get_current_context, task

from airflow_provider_salesloft.operators import SyncCadenceMembershipsOperator, UpsertPeopleOperator


@task(trigger_rule="all_done")
def record(summary: Any) -> None:
    with open(get_current_context()["dag_run"].conf["out"], "w") as handle:
        json.dump(summary, handle)


@task
def pick() -> list[dict[str, Any]]:
    return get_current_context()["dag_run"].conf["rows"]  # type: ignore[no-any-return]


def sync_dag(dag_id: str, **options: Any) -> DAG:
    with DAG(dag_id=dag_id, schedule=None, start_date=datetime(2025, 1, 1), catchup=False) as dag:
        sync = SyncCadenceMembershipsOperator(
            task_id="sync",
            retries=0,
            sql=options.pop("sql", "SELECT * FROM leads ORDER BY position"),
            sql_conn_id="salesloft_test_leads",
            cadence_id=10,
            chunk_size=250,
            max_failed_rows=1000,
            results_table="sync_results",
            **options,
        )
        record(sync.output)
    return dag


results_dag = sync_dag("salesloft_test_results_sync")
# A mirror removes nobody while any row is invalid: it reads the known people's rows only (the first 200).
mirror_dag = sync_dag(
    "salesloft_test_results_mirror",
    mode="mirror",
    max_removals=1.0,
    sql="SELECT * FROM leads WHERE position < 200 ORDER BY position",
)


def upsert_dag(dag_id: str, **options: Any) -> DAG:
    with DAG(dag_id=dag_id, schedule=None, start_date=datetime(2025, 1, 1), catchup=False) as dag:
        upsert = UpsertPeopleOperator(
            task_id="upsert",
            retries=0,
            rows=pick(),
            max_failed_rows=1000,
            results_table="upsert_results",
            results_conn_id="salesloft_test_leads",
            **options,
        )
        record(upsert.output)
    return dag


upsert_per_row_dag = upsert_dag("salesloft_test_results_upsert", bulk_threshold=1000)
upsert_deferred_dag = upsert_dag(
    "salesloft_test_results_upsert_deferred", bulk_threshold=2, poll_interval_s=0.2, deferrable=True
)
