"""A sync paced slowly (2 % of the team's limit), for the test that marks it failed while it works."""

from __future__ import annotations

from datetime import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_salesloft.operators import SyncCadenceMembershipsOperator

with DAG(dag_id="deploy_stop", schedule=None, start_date=datetime(2025, 1, 1), catchup=False) as dag:
    SyncCadenceMembershipsOperator(
        task_id="sync",
        retries=0,
        rows="{{ dag_run.conf['rows'] | tojson }}",
        cadence_id=11,
        rate_limit_share=0.02,
        max_concurrency=4,
    )
