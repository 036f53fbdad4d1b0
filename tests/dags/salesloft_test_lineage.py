"""Test DAGs for OpenLineage and assets: a sync reading ``leads`` on the ``salesloft_test_leads`` SQLite
connection into cadence 10, an upsert, an add and a remove (cadence 11); a strict sync that fails; and a DAG
scheduled on cadence 10's asset. Asset URIs use ``SALESLOFT_TEST_ASSET_HOST`` (the simulator's host)."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from airflow.providers.common.compat.sdk import DAG, get_current_context, task

from airflow_provider_salesloft.assets import cadence_asset
from airflow_provider_salesloft.operators import (
    CreateCadenceMembershipOperator,
    RemoveCadenceMembershipOperator,
    SyncCadenceMembershipsOperator,
    UpsertPeopleOperator,
)

HOST = os.environ.get("SALESLOFT_TEST_ASSET_HOST", "api.salesloft.com")

with DAG(
    dag_id="salesloft_test_lineage", schedule=None, start_date=datetime(2025, 1, 1), catchup=False
) as lineage_dag:
    SyncCadenceMembershipsOperator(
        task_id="sync",
        retries=0,
        sql="SELECT email, person_id FROM leads WHERE position < 100",
        sql_conn_id="salesloft_test_leads",
        cadence_id=10,
        max_failed_rows=1000,
        asset_host=HOST,
    )
    UpsertPeopleOperator(
        task_id="upsert", retries=0, rows=[{"email": "lineage@example.com"}, {"email": "person7@example.com"}]
    )
    add = CreateCadenceMembershipOperator(
        task_id="add", retries=0, person_id=1001, cadence_id=11, asset_host=HOST
    )
    remove = RemoveCadenceMembershipOperator(
        task_id="remove", retries=0, person_id=1001, cadence_id=11, asset_host=HOST
    )
    add >> remove

with DAG(
    dag_id="salesloft_test_lineage_failed", schedule=None, start_date=datetime(2025, 1, 1), catchup=False
) as failed_dag:
    SyncCadenceMembershipsOperator(
        task_id="sync",
        retries=0,
        sql="SELECT email, person_id FROM leads",
        sql_conn_id="salesloft_test_leads",
        cadence_id=10,
        asset_host=HOST,
    )

with DAG(
    dag_id="salesloft_test_cadence_changed",
    schedule=[cadence_asset(10, HOST)],
    start_date=datetime(2025, 1, 1),
    catchup=False,
) as downstream_dag:

    @task
    def changed() -> Any:
        """What the asset events that triggered this run said."""
        context: Any = get_current_context()
        events = context.get("triggering_asset_events") or context.get("triggering_dataset_events") or {}
        return {
            str(getattr(key, "uri", key)): [event.extra for event in value] for key, value in events.items()
        }

    changed()
