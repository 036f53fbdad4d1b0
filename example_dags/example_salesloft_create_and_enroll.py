"""New leads into Salesloft and onto a cadence, two ways.

``inbound_lead``: one lead from an upstream task is upserted (created, or updated when its email exists),
and ``UpsertPeopleOperator`` hands the person's id to ``CreateCadenceMembershipOperator`` through XCom:
``upsert.output["person_id"]``.

``nightly_leads``: a whole list goes through ``SyncCadenceMembershipsOperator`` with
``create_missing_people=True``: emails Salesloft does not know are created (in one bulk job when there are
many), then everyone is enrolled in the same run, about one API call per enrolled person.

Connection: ``salesloft_default``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.providers.common.compat.sdk import DAG, task

# [START imports]
from airflow_provider_salesloft.operators import (
    CreateCadenceMembershipOperator,
    SyncCadenceMembershipsOperator,
    UpsertPeopleOperator,
)

# Warehouse columns -> Salesloft person fields (columns named as person fields,
# and ``email``, map alone).
FIELD_MAP = {"company": "person_company_name", "segment": "custom_fields.Segment"}
# [END imports]

with DAG(
    dag_id="example_salesloft_create_and_enroll",
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    tags=["example", "salesloft"],
    doc_md=__doc__,
) as dag:
    # [START howto_operator_upsert_people]
    @task
    def inbound_lead() -> list[dict[str, Any]]:
        """Stand-in for a form fill or a CRM event."""
        return [
            {
                "email": "ada@analytical.example",
                "first_name": "Ada",
                "company": "Analytical Engines",
            },
        ]

    upsert = UpsertPeopleOperator(
        task_id="upsert_lead",
        rows=inbound_lead(),
        field_map=FIELD_MAP,
    )
    enroll = CreateCadenceMembershipOperator(
        task_id="enroll_lead", person_id=upsert.output["person_id"], cadence_id=10
    )
    # [END howto_operator_upsert_people]

    # [START howto_operator_create_missing_people]
    @task
    def nightly_leads() -> list[dict[str, Any]]:
        """Stand-in for the warehouse query: some leads are new, some are not."""
        new = [
            {
                "email": f"new{n}@leads.example",
                "first_name": f"Lead {n}",
                "segment": "SMB",
            }
            for n in range(40)
        ]
        known = [{"email": f"person{n}@example.com"} for n in range(1, 11)]
        return new + known

    sync = SyncCadenceMembershipsOperator(
        task_id="create_and_enroll",
        rows=nightly_leads(),
        cadence_id=11,
        create_missing_people=True,
        field_map=FIELD_MAP,
    )
    # [END howto_operator_create_missing_people]

    @task
    def report(membership: dict[str, Any], summary: dict[str, Any]) -> None:
        """What the downstream tasks receive."""
        print(f"ENROLLED person {membership['person']['id']} as membership {membership['id']}")
        counts = {key: summary[key] for key in ("rows", "created_and_added", "added", "failed")}
        print(f"CREATE AND ENROLL {counts} api_calls={summary['api_calls']}")

    report(enroll.output, sync.output)
