"""Mirror a warehouse segment onto a cadence, and take one person off by hand.

``segment`` stands in for a warehouse query: the leads who should be on cadence 11 tonight. The sync in
``mode="mirror"`` adds who is missing and takes off who fell out of the segment (converted, churned), but
only people on the cadence for the integration's user (``remove_only_for_user``; Salesloft records no
"added by"), never more than 10 % of the cadence in one run (``max_removals``), and never anyone from a
cadence the input does not name (an empty query is not an instruction to empty the cadence).

``take_off`` shows the single removal: a person id from an upstream task's XCom.

Connection: ``salesloft_default``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.providers.common.compat.sdk import DAG, task

# [START imports]
from airflow_provider_salesloft.operators import (
    RemoveCadenceMembershipOperator,
    SyncCadenceMembershipsOperator,
)

# [END imports]

with DAG(
    dag_id="example_salesloft_mirror",
    schedule="@daily",
    start_date=datetime(2025, 1, 1),
    catchup=False,
    tags=["example", "salesloft"],
    doc_md=__doc__,
) as dag:

    @task
    def segment() -> list[dict[str, Any]]:
        """Stand-in for the warehouse: who should be on the cadence tonight."""
        return [{"email": f"person{n}@example.com"} for n in range(1, 40)]

    mirror = SyncCadenceMembershipsOperator(
        task_id="mirror_segment_to_cadence",
        rows=segment(),
        cadence_id=11,
        mode="mirror",
        max_removals=0.1,  # fail before removing anything if more than 10 % of the cadence would go
        remove_only_for_user=1,  # people on the cadence for reps stay (Salesloft records no "added by")
        pool="salesloft_api",
    )

    # [START howto_operator_remove_cadence_membership]
    @task(multiple_outputs=True)
    def churned() -> dict[str, int]:
        """Stand-in for an event: a customer converted and must leave now."""
        return {"person_id": 1039, "cadence_id": 11}

    lead = churned()
    take_off = RemoveCadenceMembershipOperator(
        task_id="take_off_cadence",
        person_id=lead["person_id"],
        cadence_id=lead["cadence_id"],
        if_not_on_cadence="skip",
    )
    # [END howto_operator_remove_cadence_membership]

    @task
    def report(summary: dict[str, Any], membership: dict[str, Any]) -> None:
        """What the downstream task receives."""
        state = membership["current_state"]
        print(f"MIRROR added={summary['added']} removed={summary['removed']} take_off_state={state}")

    mirror >> lead
    report(mirror.output, take_off.output)  # type: ignore[arg-type]
