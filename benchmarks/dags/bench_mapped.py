"""Benchmark DAG: CreateCadenceMembershipOperator mapped over ``dag_run.conf["leads"]``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.providers.common.compat.sdk import DAG, get_current_context, task

from airflow_provider_salesloft.operators import CreateCadenceMembershipOperator

with DAG(dag_id="bench_mapped", schedule=None, start_date=datetime(2025, 1, 1), catchup=False) as dag:

    @task
    def leads() -> list[dict[str, Any]]:
        return get_current_context()["dag_run"].conf["leads"]  # type: ignore[no-any-return]

    CreateCadenceMembershipOperator.partial(task_id="add", retries=0).expand_kwargs(leads())
