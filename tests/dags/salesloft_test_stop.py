"""Test DAGs stopped while they work: a sync and an upsert of ``dag_run.conf["rows"]``, paced slowly by the
simulator's rate limit, ended by ``execution_timeout`` (the ``*_timeout`` DAGs) or by SIGTERM (the others;
the test sends it). Each ``record`` task (trigger rule ``all_done``) writes the summary it received to
``dag_run.conf["out"]``.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from airflow.providers.common.compat.sdk import DAG, get_current_context, task

from airflow_provider_salesloft.operators import SyncCadenceMembershipsOperator, UpsertPeopleOperator

#: execution_timeout of the ``*_timeout`` DAGs: far shorter than their rows take at the simulator's pace.
TIMEOUT = timedelta(seconds=3)


@task(trigger_rule="all_done")
def record(summary: Any) -> None:
    with open(get_current_context()["dag_run"].conf["out"], "w") as handle:
        json.dump(summary, handle)


@task
def pick() -> list[dict[str, Any]]:
    return get_current_context()["dag_run"].conf["rows"]  # type: ignore[no-any-return]


def stop_dag(dag_id: str, operator: type[Any], **options: Any) -> DAG:
    with DAG(dag_id=dag_id, schedule=None, start_date=datetime(2025, 1, 1), catchup=False) as dag:
        work = operator(
            task_id="work", retries=0, rows=pick(), max_concurrency=4, max_failed_rows=1000, **options
        )
        record(work.output)
    return dag


sync_sigterm = stop_dag("salesloft_test_stop_sync", SyncCadenceMembershipsOperator, cadence_id=11)
sync_timeout = stop_dag(
    "salesloft_test_stop_sync_timeout",
    SyncCadenceMembershipsOperator,
    cadence_id=11,
    execution_timeout=TIMEOUT,
)
upsert_sigterm = stop_dag("salesloft_test_stop_upsert", UpsertPeopleOperator, bulk_threshold=10_000)
upsert_timeout = stop_dag(
    "salesloft_test_stop_upsert_timeout",
    UpsertPeopleOperator,
    bulk_threshold=10_000,
    execution_timeout=TIMEOUT,
)
# a20: a mirror stopped while its removals wait for processing memberships (SIGTERM from the test).
mirror_sigterm = stop_dag(
    "salesloft_test_stop_mirror",
    SyncCadenceMembershipsOperator,
    cadence_id=11,
    mode="mirror",
    max_removals=1.0,
)
