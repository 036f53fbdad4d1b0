"""Add a person to a cadence with ids from upstream tasks; hand the membership to a downstream task.

The upstream task stands in for whatever picks the lead (a warehouse query, a CRM webhook, ...). The
operator takes ``person_id`` through a Jinja template (rendered as a string of digits, which the operator
accepts) and ``cadence_id`` through an ``XComArg``; the downstream task reads ``membership_id`` and
``membership_state`` from XCom.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.providers.common.compat.sdk import DAG, XComArg, task

# [START imports]
from airflow_provider_salesloft.operators import CreateCadenceMembershipOperator

# [END imports]

with DAG(
    dag_id="example_salesloft_cadence_membership",
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    tags=["example", "salesloft"],
    doc_md=__doc__,
) as dag:
    # [START howto_operator_create_cadence_membership]
    @task(multiple_outputs=True)  # each key of the returned dict is an XCom of its own
    def pick_lead() -> dict[str, int]:
        """Choose who goes on which cadence (here: fixed ids the simulator knows)."""
        return {"person_id": 1001, "cadence_id": 10}

    lead = pick_lead()

    add_to_cadence = CreateCadenceMembershipOperator(
        task_id="add_to_cadence",
        # Jinja renders the id as a string: "1001" is accepted
        person_id="{{ ti.xcom_pull(task_ids='pick_lead', key='person_id') }}",
        cadence_id=lead["cadence_id"],  # an XComArg: the int itself
        if_already_on_cadence="skip",  # or "fail"
        # optional, templated too: user_id, step_id, salesloft_task_id
    )
    # [END howto_operator_create_cadence_membership]

    @task
    def report(membership_id: int, membership_state: str) -> dict[str, Any]:
        """What a downstream task receives from the operator."""
        print(f"MEMBERSHIP id={membership_id} state={membership_state}")
        return {"membership_id": membership_id, "membership_state": membership_state}

    lead >> add_to_cadence
    report(
        membership_id=XComArg(add_to_cadence, key="membership_id"),  # type: ignore[arg-type]
        membership_state=XComArg(add_to_cadence, key="membership_state"),  # type: ignore[arg-type]
    )
