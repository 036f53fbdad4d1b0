"""Test DAG: ``CreateCadenceMembershipOperator`` mapped over leads with ``expand_kwargs``.

``dag_run.conf``: ``leads`` (list of {person_id, cadence_id}) and ``out``. The downstream task writes the
``membership_id`` of every mapped instance, in map-index order.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from airflow.providers.common.compat.sdk import DAG, XComArg, get_current_context, task

from airflow_provider_salesloft.operators import CreateCadenceMembershipOperator

with DAG(
    dag_id="salesloft_test_mapped", schedule=None, start_date=datetime(2025, 1, 1), catchup=False
) as dag:

    @task
    def leads() -> list[dict[str, Any]]:
        return get_current_context()["dag_run"].conf["leads"]  # type: ignore[no-any-return]

    add = CreateCadenceMembershipOperator.partial(task_id="add", retries=0).expand_kwargs(leads())

    @task
    def record(membership_ids: Any, states: Any) -> None:
        out = get_current_context()["dag_run"].conf["out"]
        with open(out, "w") as handle:
            json.dump({"membership_ids": list(membership_ids), "states": list(states)}, handle)

    record(XComArg(add, key="membership_id"), XComArg(add, key="membership_state"))
