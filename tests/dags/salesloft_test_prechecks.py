"""Test DAGs for the pre-checks: syncs onto an archived (13) and a draft (14) cadence, a sync checking
rows' steps, and an upsert writing a custom field the team does not have."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from airflow.providers.common.compat.sdk import DAG, get_current_context, task

from airflow_provider_salesloft.operators import SyncCadenceMembershipsOperator, UpsertPeopleOperator


@task(trigger_rule="all_done")
def record(received: Any) -> None:
    with open(get_current_context()["dag_run"].conf["out"], "w") as handle:
        json.dump(received, handle)


@task
def pick() -> list[dict[str, Any]]:
    return get_current_context()["dag_run"].conf["rows"]  # type: ignore[no-any-return]


def sync_dag(dag_id: str, cadence_id: int) -> DAG:
    with DAG(dag_id=dag_id, schedule=None, start_date=datetime(2025, 1, 1), catchup=False) as dag:
        sync = SyncCadenceMembershipsOperator(
            task_id="sync", retries=0, rows=pick(), cadence_id=cadence_id, max_failed_rows=1000
        )
        record(sync.output)
    return dag


archived_dag = sync_dag("salesloft_test_precheck_archived", 13)
draft_dag = sync_dag("salesloft_test_precheck_draft", 14)
steps_dag = sync_dag("salesloft_test_precheck_steps", 10)

with DAG(
    dag_id="salesloft_test_precheck_custom_fields",
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
) as custom_fields_dag:
    upsert = UpsertPeopleOperator(
        task_id="upsert",
        retries=0,
        rows=pick(),
        field_map={"segment": "custom_fields.Segment", "tier": "custom_fields.Tier"},
        max_failed_rows=1000,
        bulk_threshold=1000,
    )
    record(upsert.output)
