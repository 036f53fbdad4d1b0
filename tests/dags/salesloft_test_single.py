"""Test DAGs: one add whose ids come from an upstream task, by Jinja template and by XComArg.

``dag_run.conf``: ``lead`` (what the upstream task returns: person_id, cadence_id, user_id, step_id,
salesloft_task_id, all keys present) and ``out`` (a file the downstream task writes what it received to).
``salesloft_test_single`` skips people already on the cadence, ``salesloft_test_single_fail`` fails.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from airflow.providers.common.compat.sdk import DAG, XComArg, get_current_context, task

from airflow_provider_salesloft.operators import CreateCadenceMembershipOperator


def build(dag_id: str, if_already_on_cadence: Any) -> DAG:
    """One test DAG: pick -> add -> record."""
    with DAG(dag_id=dag_id, schedule=None, start_date=datetime(2025, 1, 1), catchup=False) as dag:

        @task
        def pick() -> dict[str, Any]:
            return get_current_context()["dag_run"].conf["lead"]  # type: ignore[no-any-return]

        lead = pick()
        add = CreateCadenceMembershipOperator(
            task_id="add",
            retries=0,
            person_id="{{ ti.xcom_pull(task_ids='pick')['person_id'] }}",
            cadence_id=lead["cadence_id"],
            user_id=lead["user_id"],
            step_id=lead["step_id"],
            salesloft_task_id=lead["salesloft_task_id"],
            if_already_on_cadence=if_already_on_cadence,
        )

        @task
        def record(membership_id: Any, membership_state: Any, membership: Any) -> None:
            out = get_current_context()["dag_run"].conf["out"]
            with open(out, "w") as handle:
                json.dump(
                    {
                        "membership_id": membership_id,
                        "membership_state": membership_state,
                        "membership": membership,
                    },
                    handle,
                )

        lead >> add
        record(XComArg(add, key="membership_id"), XComArg(add, key="membership_state"), add.output)
    return dag


skip_dag = build("salesloft_test_single", "skip")
fail_dag = build("salesloft_test_single_fail", "fail")
