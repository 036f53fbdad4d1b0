"""Test DAGs for UpsertPeopleOperator: rows from ``dag_run.conf["rows"]``; the ``record`` task writes what
it received to ``dag_run.conf["out"]``."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from airflow.providers.common.compat.sdk import DAG, get_current_context, task

from airflow_provider_salesloft.operators import CreateCadenceMembershipOperator, UpsertPeopleOperator

FIELD_MAP = {"company": "person_company_name", "segment": "custom_fields.Segment"}


@task(trigger_rule="all_done")
def record(received: Any) -> None:
    with open(get_current_context()["dag_run"].conf["out"], "w") as handle:
        json.dump(received, handle)


@task
def pick() -> list[dict[str, Any]]:
    return get_current_context()["dag_run"].conf["rows"]  # type: ignore[no-any-return]


def upsert_dag(dag_id: str, **options: Any) -> DAG:
    with DAG(dag_id=dag_id, schedule=None, start_date=datetime(2025, 1, 1), catchup=False) as dag:
        upsert = UpsertPeopleOperator(
            task_id="upsert",
            retries=0,
            rows=pick(),
            max_failed_rows=1000,
            **{"field_map": FIELD_MAP, **options},
        )
        record(upsert.output)
    return dag


per_row_dag = upsert_dag("salesloft_test_upsert_per_row", bulk_threshold=1000)
bulk_dag = upsert_dag("salesloft_test_upsert_bulk", bulk_threshold=2, poll_interval_s=0.2)
deferred_dag = upsert_dag(
    "salesloft_test_upsert_deferred", bulk_threshold=2, poll_interval_s=0.2, deferrable=True
)
timeout_dag = upsert_dag(
    "salesloft_test_upsert_timeout", bulk_threshold=2, poll_interval_s=0.2, timeout_s=0.5, deferrable=True
)

with DAG(
    dag_id="salesloft_test_upsert_then_add", schedule=None, start_date=datetime(2025, 1, 1), catchup=False
) as chain_dag:
    lead = UpsertPeopleOperator(task_id="upsert", retries=0, rows=pick(), field_map=FIELD_MAP)
    add = CreateCadenceMembershipOperator(
        task_id="add", retries=0, person_id=lead.output["person_id"], cadence_id=11
    )
    record(add.output)

crm_per_row_dag = upsert_dag("salesloft_test_upsert_crm_per_row", bulk_threshold=1000, upsert_key="crm_id")
crm_bulk_dag = upsert_dag(
    "salesloft_test_upsert_crm_bulk", bulk_threshold=2, poll_interval_s=0.2, upsert_key="crm_id"
)

#: The team's custom fields named in another case than Salesloft's (``Segment``, ``Lead Score``).
CASE_FIELD_MAP = {"seg": "custom_fields.segment", "score": "custom_fields.LEAD SCORE"}
custom_field_case_per_row_dag = upsert_dag(
    "salesloft_test_custom_field_case_per_row", bulk_threshold=1000, field_map=CASE_FIELD_MAP
)
custom_field_case_bulk_dag = upsert_dag(
    "salesloft_test_custom_field_case_bulk", bulk_threshold=1, poll_interval_s=0.2, field_map=CASE_FIELD_MAP
)


class LosesItsFirstTry(UpsertPeopleOperator):
    """Its first try ends as a lost worker's would: while uploading (``lose_at="upload"``: at the third of
    five-record uploads) or once its job runs (``"poll"``). Airflow retries it."""

    def __init__(self, *, lose_at: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lose_at = lose_at

    def execute(self, context: Any) -> Any:
        from airflow_provider_salesloft.operators import upsert_resume

        hook = self.hook
        if context["ti"].try_number == 1 and self.lose_at == "poll":
            hook.wait_for_bulk_job = lose  # type: ignore[method-assign]
        if context["ti"].try_number == 1 and self.lose_at == "upload":
            upload, sent = hook.add_bulk_job_data, []

            def add_bulk_job_data(*args: Any, **kwargs: Any) -> int:
                sent.append(1)
                return lose() if len(sent) == 3 else upload(*args, **kwargs)

            hook.add_bulk_job_data = add_bulk_job_data  # type: ignore[method-assign]
        size, upsert_resume.UPLOAD_SIZE = upsert_resume.UPLOAD_SIZE, 5
        try:
            return super().execute(context)
        finally:
            upsert_resume.UPLOAD_SIZE = size


def lose(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("the worker was lost here")


def resume_dag(dag_id: str, lose_at: str) -> DAG:
    with DAG(dag_id=dag_id, schedule=None, start_date=datetime(2025, 1, 1), catchup=False) as dag:
        upsert = LosesItsFirstTry(
            task_id="upsert",
            lose_at=lose_at,
            retries=1,
            retry_delay=timedelta(0),
            rows=pick(),
            bulk_threshold=2,
            poll_interval_s=0.2,
        )
        record(upsert.output)
    return dag


resume_poll_dag = resume_dag("salesloft_test_upsert_resume_poll", "poll")
resume_upload_dag = resume_dag("salesloft_test_upsert_resume_upload", "upload")
