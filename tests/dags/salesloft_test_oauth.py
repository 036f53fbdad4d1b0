"""Test DAG: sequential and mapped adds with token expiry between tasks and during the mapped run.

``dag_run.conf``: ``sim_url`` (the simulator, whose ``/_sim/expire_tokens`` revokes every access token),
``people`` (list of person ids; the first two are added one by one, the rest by a mapped task), ``out``.
"""

from __future__ import annotations

import json
import urllib.request
from datetime import datetime
from typing import Any

from airflow.providers.common.compat.sdk import DAG, XComArg, get_current_context, task

from airflow_provider_salesloft.operators import CreateCadenceMembershipOperator


def conf() -> dict[str, Any]:
    return get_current_context()["dag_run"].conf  # type: ignore[no-any-return]


@task
def expire_tokens() -> None:
    """Salesloft revokes every access token (as if two hours had passed)."""
    urllib.request.urlopen(urllib.request.Request(conf()["sim_url"] + "/_sim/expire_tokens", method="POST"))


@task
def mapped_leads() -> list[dict[str, int]]:
    return [{"person_id": p, "cadence_id": 11} for p in conf()["people"][2:]]


with DAG(dag_id="salesloft_test_oauth", schedule=None, start_date=datetime(2025, 1, 1), catchup=False) as dag:
    first = CreateCadenceMembershipOperator(
        task_id="first", person_id="{{ dag_run.conf['people'][0] }}", cadence_id=11, retries=0
    )
    second = CreateCadenceMembershipOperator(
        task_id="second", person_id="{{ dag_run.conf['people'][1] }}", cadence_id=11, retries=0
    )
    leads = mapped_leads()
    mapped = CreateCadenceMembershipOperator.partial(task_id="mapped", retries=0).expand_kwargs(leads)

    @task
    def record(first_id: Any, second_id: Any, mapped_ids: Any) -> None:
        with open(conf()["out"], "w") as handle:
            json.dump({"ids": [first_id, second_id, *mapped_ids]}, handle)

    first >> expire_tokens.override(task_id="expire_1")() >> second
    second >> expire_tokens.override(task_id="expire_2")() >> leads
    record(
        XComArg(first, key="membership_id"),
        XComArg(second, key="membership_id"),
        XComArg(mapped, key="membership_id"),
    )
