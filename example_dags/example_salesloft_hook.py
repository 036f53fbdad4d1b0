"""The hook in a custom task: read what the operators do not, with the same auth, pacing and retries.

``cadence_health`` looks a cadence up, counts who is on it, and checks a few emails: is the person known,
and may a cadence contact them? Every call goes through ``SalesloftHook`` (one pooled session, the
connection's API key or OAuth, the team's rate limit, typed errors).

Connection: ``salesloft_default``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.providers.common.compat.sdk import DAG, task

with DAG(
    dag_id="example_salesloft_hook",
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    tags=["example", "salesloft"],
    doc_md=__doc__,
) as dag:
    # [START howto_hook_in_a_task]
    @task
    def cadence_health(cadence_id: int, emails: list[str]) -> dict[str, Any]:
        from airflow_provider_salesloft.hooks import SalesloftHook

        hook = SalesloftHook()  # salesloft_conn_id="salesloft_default"
        cadence = hook.get_cadence(cadence_id)
        members = hook.iter_cadence_memberships(
            cadence_id=cadence_id,
            currently_on_cadence=True,
        )
        found = hook.find_people_by_email(emails)
        people = {p["email_address"].lower(): p for p in found}
        return {
            "cadence": cadence["name"],
            "on_cadence": sum(1 for _ in members),
            "unknown": [e for e in emails if e.lower() not in people],
            "do_not_contact": [e for e, p in people.items() if p.get("do_not_contact")],
        }

    health = cadence_health(
        10,
        ["person1@example.com", "optout1@example.com", "nobody@example.com"],
    )
    # [END howto_hook_in_a_task]

    @task
    def report(health: dict[str, Any]) -> None:
        print(f"CADENCE HEALTH {health}")

    report(health)
