"""A retried bulk upsert in real DAG runs (``dag.test()``, Airflow's own task state store on 3.3+): its
first try is lost while uploading or while waiting for the job; Airflow retries it.

On 3.3+ the retry resumes the job: one job holds every record once. Before 3.3 (no store) the retry starts
a new job and uploads every record again, as it always did, and says so in its log; people are still
created once (an upsert repeated by its key updates)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from dag_runner import received, run_dag
from packaging.version import Version
from support import FAST_SIMULATOR

from airflow_provider_salesloft.testing import SalesloftSimulator

pytestmark = [pytest.mark.e2e, FAST_SIMULATOR]


def has_task_state_store() -> bool:
    from airflow import __version__

    return Version(Version(__version__).base_version) >= Version("3.3")


@pytest.mark.parametrize("lost", ["upload", "poll"])
def test_a_retry_resumes_the_job_of_the_lost_try(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path, task_logs: Any, lost: str
) -> None:
    rows = [{"email": f"retried-{lost}{n}@example.com"} for n in range(23)]  # five uploads of five
    out = tmp_path / "out.json"
    dag_id = f"salesloft_test_upsert_resume_{lost}"
    result = run_dag(dag_id, {"rows": rows, "out": str(out)}, "salesloft_test_upsert")
    summary = received(out)

    assert result["state"] == "success" and result["tasks"][("upsert", -1)] == "success"
    emails = [row["email"] for row in rows]
    jobs = [job for job in salesloft_simulator.bulk_jobs.jobs.values() if f"{dag_id}.upsert" in str(job.name)]
    uploaded = Counter(str(record["email_address"]) for job in jobs for record in job.records)
    people = Counter(str(p["email_address"]) for p in salesloft_simulator.state.people.values())
    assert all(people[email] == 1 for email in emails)  # every row created once, on every line
    logs = task_logs()
    if has_task_state_store():
        assert len(jobs) == 1 and uploaded == Counter(emails)  # resumed: nothing uploaded twice
        assert (summary["created"], summary["bulk_job_id"]) == (len(rows), jobs[0].id)
        assert "resuming bulk job" in logs
    else:  # today's behaviour: a new job, every record again
        assert len(jobs) == 2 and summary["bulk_job_id"] == max(job.id for job in jobs)
        again = emails if lost == "poll" else emails[:10]  # try 1 lost at its third upload of five
        assert uploaded == Counter(emails) + Counter(again)
        assert summary["created"] + summary["updated"] == len(rows)
        assert "no task state store" in logs
