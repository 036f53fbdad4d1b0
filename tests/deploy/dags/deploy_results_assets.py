"""A nightly sync from a PostgreSQL warehouse table (the ``warehouse`` connection) into cadence 10, writing
its row results into ``sync_results`` there; and a DAG scheduled on cadence 10's asset, returning what the
triggering asset events said. Asset URIs use ``SALESLOFT_DEPLOY_ASSET_HOST`` (the simulator's host)."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from airflow.providers.common.compat.sdk import DAG, get_current_context, task

from airflow_provider_salesloft.assets import cadence_asset
from airflow_provider_salesloft.operators import SyncCadenceMembershipsOperator

HOST = os.environ.get("SALESLOFT_DEPLOY_ASSET_HOST", "api.salesloft.com")

with DAG(dag_id="deploy_nightly_sync", schedule=None, start_date=datetime(2025, 1, 1), catchup=False):
    SyncCadenceMembershipsOperator(
        task_id="sync",
        retries=0,
        sql="SELECT email FROM leads ORDER BY position",
        sql_conn_id="warehouse",
        cadence_id=10,
        max_failed_rows=100,
        results_table="sync_results",
        asset_host=HOST,
    )

with DAG(
    dag_id="deploy_cadence_changed",
    schedule=[cadence_asset(10, HOST)],
    start_date=datetime(2025, 1, 1),
    catchup=False,
):

    @task
    def changed() -> Any:
        context: Any = get_current_context()
        events = context.get("triggering_asset_events") or {}
        return {str(getattr(key, "uri", key)): [e.extra for e in value] for key, value in events.items()}

    changed()
