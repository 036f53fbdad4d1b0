"""Test DAGs for the results table, lineage counts and cadence assets under a dry run and a failing sync.

Rows come from ``dag_run.conf["rows"]`` or a query; results go to the ``salesloft_test_results_db``
connection.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_salesloft.assets import cadence_asset
from airflow_provider_salesloft.operators import SyncCadenceMembershipsOperator, UpsertPeopleOperator


def results_dag(dag_id: str, **options: Any) -> DAG:
    """A one-task DAG: a sync of ``dag_run.conf["rows"]`` onto cadence 10 with a results table."""
    with DAG(
        dag_id=dag_id,
        schedule=None,
        start_date=datetime(2025, 1, 1),
        catchup=False,
        render_template_as_native_obj=True,
    ) as dag:
        SyncCadenceMembershipsOperator(
            task_id="sync",
            retries=0,
            cadence_id=10,
            max_failed_rows=100_000,
            results_table="sync_results",
            results_conn_id="salesloft_test_results_db",
            **options,
        )
    return dag


dry_run_dag = results_dag("salesloft_attack_dry_run", rows="{{ dag_run.conf['rows'] }}", dry_run=True)
#: The query fails (integer overflow) when it reaches its 301st row, after 3 chunks were synced.
failing_dag = results_dag(
    "salesloft_attack_failing",
    sql="SELECT CASE WHEN n <= 300 THEN 'person' || n || '@example.com' ELSE abs(-9223372036854775808) END"
    " AS email FROM numbers",
    sql_conn_id="salesloft_test_results_db",
    chunk_size=100,
)

with DAG(
    dag_id="salesloft_attack_upsert_timeout",
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    render_template_as_native_obj=True,
) as upsert_timeout_dag:
    #: A bulk job that cannot finish within ``timeout_s``: the task fails after its invalid rows were seen.
    UpsertPeopleOperator(
        task_id="upsert",
        retries=0,
        rows="{{ dag_run.conf['rows'] }}",
        bulk_threshold=2,
        poll_interval_s=0.2,
        timeout_s=1.0,
        results_table="upsert_results",
        results_conn_id="salesloft_test_results_db",
    )

#: The cadence's asset given as an outlet too, as the docs' ``cadence_asset(10)`` invites.
outlet_twice_dag = results_dag(
    "salesloft_attack_outlet_twice", rows="{{ dag_run.conf['rows'] }}", outlets=[cadence_asset(10)]
)
