"""People upserted by one bulk job through an OAuth connection, waited on in the triggerer: the trigger's
polls refresh the access token (and rotate the refresh token) through the token store, a Variable.

``dag_run.conf["rows"]``: ``[{"email": ..., "first_name": ...}, ...]``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.providers.common.compat.sdk import DAG, get_current_context, task

from airflow_provider_salesloft.operators import UpsertPeopleOperator

with DAG(dag_id="deploy_upsert_oauth", schedule=None, start_date=datetime(2025, 1, 1), catchup=False) as dag:

    @task
    def rows() -> list[dict[str, Any]]:
        return get_current_context()["dag_run"].conf["rows"]  # type: ignore[no-any-return]

    UpsertPeopleOperator(
        task_id="upsert",
        retries=0,
        rows=rows(),
        salesloft_conn_id="salesloft_oauth",
        bulk_threshold=2,
        deferrable=True,
        poll_interval_s=1,
    )
