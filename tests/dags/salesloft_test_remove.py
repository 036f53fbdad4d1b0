"""Test DAGs for RemoveCadenceMembershipOperator: ids come from an upstream task's XCom.

``dag_run.conf``: ``ids`` (``membership_id``, or ``person_id`` and ``cadence_id``), ``out`` (where ``record``
writes what it received).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from airflow.providers.common.compat.sdk import DAG, XComArg, get_current_context, task

from airflow_provider_salesloft.operators import RemoveCadenceMembershipOperator


def build(dag_id: str, by: str, if_not_on_cadence: Any) -> DAG:
    """pick -> remove -> record."""
    with DAG(dag_id=dag_id, schedule=None, start_date=datetime(2025, 1, 1), catchup=False) as dag:

        @task(multiple_outputs=True)
        def pick() -> dict[str, Any]:
            return get_current_context()["dag_run"].conf["ids"]  # type: ignore[no-any-return]

        ids = pick()
        if by == "membership":
            remove = RemoveCadenceMembershipOperator(
                task_id="remove",
                retries=0,
                membership_id=ids["membership_id"],
                if_not_on_cadence=if_not_on_cadence,
            )
        else:
            remove = RemoveCadenceMembershipOperator(
                task_id="remove",
                retries=0,
                person_id="{{ ti.xcom_pull(task_ids='pick', key='person_id') }}",
                cadence_id=ids["cadence_id"],
                if_not_on_cadence=if_not_on_cadence,
            )

        @task
        def record(membership_id: Any, membership_state: Any) -> None:
            with open(get_current_context()["dag_run"].conf["out"], "w") as handle:
                json.dump({"membership_id": membership_id, "membership_state": membership_state}, handle)

        ids >> remove
        record(XComArg(remove, key="membership_id"), XComArg(remove, key="membership_state"))
    return dag


by_membership_dag = build("salesloft_test_remove_membership", "membership", "skip")
by_person_dag = build("salesloft_test_remove_person", "person", "skip")
by_person_fail_dag = build("salesloft_test_remove_person_fail", "person", "fail")
