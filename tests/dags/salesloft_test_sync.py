"""Test DAGs for SyncCadenceMembershipsOperator.

SQL DAGs read ``SELECT * FROM leads`` from the ``salesloft_test_leads`` SQLite connection; the rows DAG takes
its rows from an upstream task (``dag_run.conf["rows"]``). Every DAG's ``record`` task (trigger rule
``all_done``, so it also runs after a failed sync) writes the summary it received to ``dag_run.conf["out"]``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from airflow.providers.common.compat.sdk import DAG, get_current_context, task

from airflow_provider_salesloft.operators import SyncCadenceMembershipsOperator


@task(trigger_rule="all_done")
def record(summary: Any) -> None:
    with open(get_current_context()["dag_run"].conf["out"], "w") as handle:
        json.dump(summary, handle)


def sql_dag(dag_id: str, **options: Any) -> DAG:
    with DAG(dag_id=dag_id, schedule=None, start_date=datetime(2025, 1, 1), catchup=False) as dag:
        sync = SyncCadenceMembershipsOperator(
            task_id="sync",
            retries=0,
            sql="SELECT * FROM leads ORDER BY position",
            sql_conn_id="salesloft_test_leads",
            cadence_id="{{ dag_run.conf.get('cadence_id', 10) }}",
            chunk_size=250,
            **options,
        )
        record(sync.output)
    return dag


sync_dag = sql_dag("salesloft_test_sync", max_failed_rows=1000, report_path="{{ dag_run.conf['report'] }}")
strict_dag = sql_dag("salesloft_test_sync_strict")
dry_dag = sql_dag("salesloft_test_sync_dry", dry_run=True, max_failed_rows=1000)

with DAG(
    dag_id="salesloft_test_sync_rows", schedule=None, start_date=datetime(2025, 1, 1), catchup=False
) as rows_dag:

    @task
    def pick() -> list[dict[str, Any]]:
        return get_current_context()["dag_run"].conf["rows"]  # type: ignore[no-any-return]

    rows_sync = SyncCadenceMembershipsOperator(
        task_id="sync",
        retries=0,
        rows=pick(),
        cadence_id=11,
        max_failed_rows=1000,
        report_path="{{ dag_run.conf.get('report') or '' }}",
    )
    record(rows_sync.output)


def make_rows_dag(dag_id: str, **options: Any) -> DAG:
    """Rows from ``dag_run.conf["rows"]`` synced onto cadence 11 with ``options``."""
    with DAG(dag_id=dag_id, schedule=None, start_date=datetime(2025, 1, 1), catchup=False) as dag:

        @task
        def pick() -> list[dict[str, Any]]:
            return get_current_context()["dag_run"].conf["rows"]  # type: ignore[no-any-return]

        sync = SyncCadenceMembershipsOperator(
            task_id="sync",
            retries=0,
            rows=pick(),
            cadence_id=11,
            report_path="{{ dag_run.conf.get('report') or '' }}",
            **options,
        )
        record(sync.output)
    return dag


strict_rows_dag = make_rows_dag("salesloft_test_sync_rows_strict")  # max_failed_rows=0
newest_rows_dag = make_rows_dag("salesloft_test_sync_rows_newest", on_duplicate_email="most_recently_updated")
mirror_dag = make_rows_dag("salesloft_test_sync_mirror", mode="mirror")
mirror_mine_dag = make_rows_dag("salesloft_test_sync_mirror_mine", mode="mirror", remove_only_for_user=1)
mirror_dry_dag = make_rows_dag("salesloft_test_sync_mirror_dry", mode="mirror", dry_run=True)
CREATE = {
    "create_missing_people": True,
    "field_map": {"company": "person_company_name"},
    "max_failed_rows": 1000,
}
create_dag = make_rows_dag("salesloft_test_sync_create", bulk_threshold=1000, **CREATE)
create_bulk_dag = make_rows_dag(
    "salesloft_test_sync_create_bulk", bulk_threshold=2, bulk_poll_interval_s=0.2, **CREATE
)
create_dry_dag = make_rows_dag("salesloft_test_sync_create_dry", dry_run=True, **CREATE)
mirror_for_rep_dag = make_rows_dag(
    "salesloft_test_sync_mirror_for_rep", mode="mirror", remove_only_for_user=2
)
