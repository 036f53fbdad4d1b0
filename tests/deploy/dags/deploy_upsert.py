"""People upserted by one bulk job, waited on in the triggerer (``deferrable=True``): ``deploy_upsert``
with an API key, ``deploy_upsert_oauth`` through the OAuth connection (the trigger's polls then refresh the
access token and rotate the refresh token through the token store, a Variable).

``dag_run.conf["rows"]``: ``[{"email": ..., "first_name": ...}, ...]``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.providers.common.compat.sdk import DAG, get_current_context, task

from airflow_provider_salesloft.operators import UpsertPeopleOperator


def upsert_dag(dag_id: str, **operator_kwargs: Any) -> DAG:
    """A DAG whose ``upsert`` task upserts ``dag_run.conf["rows"]`` in one bulk job (deferred unless
    ``deferrable=False``)."""
    with DAG(dag_id=dag_id, schedule=None, start_date=datetime(2025, 1, 1), catchup=False) as dag:

        @task
        def rows() -> list[dict[str, Any]]:
            return get_current_context()["dag_run"].conf["rows"]  # type: ignore[no-any-return]

        UpsertPeopleOperator(
            task_id="upsert",
            rows=rows(),
            bulk_threshold=2,
            **{"retries": 0, "deferrable": True, **operator_kwargs},
        )
    return dag


api_key_dag = upsert_dag("deploy_upsert", poll_interval_s=2)
oauth_dag = upsert_dag("deploy_upsert_oauth", poll_interval_s=1, salesloft_conn_id="salesloft_oauth")
#: Waits in the worker, retried when its worker is killed: the retry resumes the job (Airflow 3.3+).
resume_dag = upsert_dag(
    "deploy_upsert_resume", poll_interval_s=1, deferrable=False, retries=2, retry_delay=timedelta(seconds=1)
)
