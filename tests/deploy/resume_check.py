"""A worker killed mid-job: ``deploy_upsert_resume``'s task process gets SIGKILL while it waits for its bulk
job, Airflow retries the task, and the retry resumes that job from the task state store (Airflow 3.3+;
before 3.3 the retry starts a new job, as it always did: asserted as such there)."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from pathlib import Path

from deployment import Deployment

from airflow_provider_salesloft.testing import SalesloftSimulator

DAG_ID, RUN_ID, ROWS = "deploy_upsert_resume", "resume-1", 150


def check_killed_upsert_resumes(deployment: Deployment, sim: SalesloftSimulator) -> None:
    """Kill the task while its job runs; one job, each record uploaded once, each person created once."""
    rows = [{"email": f"resumed{n}@example.com", "first_name": f"Resumed {n}"} for n in range(ROWS)]
    prefix = f"airflow {DAG_ID}.upsert {RUN_ID} "
    sim.set_faults(bulk_job_records_per_s=10)  # a 15-second job
    try:
        deployment.trigger(DAG_ID, RUN_ID, {"rows": rows})
        pid = _task_process_once_its_job_runs(deployment, sim, prefix)
        os.kill(pid, signal.SIGKILL)
        killed_at = sum(len(job.results) for job in _jobs(sim, prefix))
        state = deployment.wait_for_run(DAG_ID, RUN_ID)
    finally:
        sim.set_faults(bulk_job_records_per_s=500)

    assert state == "success"
    ((tries,),) = deployment.query(
        "SELECT try_number FROM task_instance WHERE dag_id = %s AND run_id = %s AND task_id = 'upsert'",
        DAG_ID,
        RUN_ID,
    )
    assert tries == 2, tries  # the killed try and the retry
    assert 0 < killed_at < ROWS  # the kill came mid-job
    jobs = _jobs(sim, prefix)
    uploaded = Counter(str(record["email_address"]) for job in jobs for record in job.records)
    people = Counter(str(person["email_address"]) for person in sim.state.people.values())
    assert all(people[row["email"]] == 1 for row in rows)  # every row created once, on every line
    (summary,) = deployment.xcom(DAG_ID, RUN_ID, "upsert")
    assert (summary["bulk_job_id"], summary["method"]) == (jobs[-1].id, "bulk")
    log = "".join(path.read_text(errors="replace") for path in _task_logs(deployment))
    if has_task_state_store():
        assert len(jobs) == 1, [job.name for job in jobs]  # one bulk job created
        assert uploaded == Counter(row["email"] for row in rows)  # no record uploaded twice
        assert summary["created"] == ROWS
        assert "resuming bulk job" in log
    else:  # before 3.3: a new job, every record again (and the log says why)
        assert len(jobs) == 2 and uploaded == Counter({row["email"]: 2 for row in rows})
        assert summary["created"] + summary["updated"] == ROWS
        assert "no task state store" in log


def has_task_state_store() -> bool:
    """Whether this Airflow keeps task state across tries (3.3+, AIP-103)."""
    from airflow import __version__
    from packaging.version import Version

    return Version(Version(__version__).base_version) >= Version("3.3")


def _jobs(sim: SalesloftSimulator, prefix: str) -> list:  # type: ignore[type-arg]
    with sim.state.lock:
        return [job for job in sim.bulk_jobs.jobs.values() if str(job.name).startswith(prefix)]


def _task_process_once_its_job_runs(deployment: Deployment, sim: SalesloftSimulator, prefix: str) -> int:
    """The pid of the task's process, once its job is executing (the task is polling it)."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        jobs = _jobs(sim, prefix)
        if jobs and jobs[0].state == "executing" and 10 < len(jobs[0].results) < ROWS // 2:
            rows = deployment.query(
                "SELECT id, pid, state FROM task_instance "
                "WHERE dag_id = %s AND run_id = %s AND task_id = 'upsert'",
                DAG_ID,
                RUN_ID,
            )
            ti_id, pid, state = rows[0]
            title = f"airflow worker -- {ti_id}"
            if (
                state == "running"
                and pid
                and title in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
            ):
                return int(pid)
            for proc in Path("/proc").iterdir():  # the task process by its title, if the pid is not its own
                try:
                    if proc.name.isdigit() and title in (proc / "cmdline").read_text(errors="replace"):
                        return int(proc.name)
                except OSError:
                    continue
        time.sleep(0.2)
    raise AssertionError("the upsert's bulk job never ran while its task did")


def _task_logs(deployment: Deployment) -> list[Path]:
    logs = deployment.home / "airflow" / "logs"
    return [path for path in logs.rglob("*") if path.is_file() and DAG_ID in str(path)]
