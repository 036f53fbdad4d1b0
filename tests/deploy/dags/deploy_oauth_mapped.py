"""Thirty adds through one OAuth connection, eight at a time, while Salesloft revokes access tokens.

``dag_run.conf["leads"]``: ``[{"person_id": ..., "cadence_id": ...}, ...]``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.providers.common.compat.sdk import DAG, get_current_context, task

from airflow_provider_salesloft.operators import CreateCadenceMembershipOperator

with DAG(dag_id="deploy_oauth_mapped", schedule=None, start_date=datetime(2025, 1, 1), catchup=False) as dag:

    @task
    def leads() -> list[dict[str, Any]]:
        return get_current_context()["dag_run"].conf["leads"]  # type: ignore[no-any-return]

    CreateCadenceMembershipOperator.partial(
        task_id="add", retries=0, salesloft_conn_id="salesloft_oauth", max_active_tis_per_dag=8
    ).expand_kwargs(leads())
