"""Bulk jobs as Salesloft's API definition runs them: ``PUT /v2/bulk_jobs/{id}`` "May only be updated if
the bulk job is still in an 'open' state", so every step after a lost answer reads the job before sending
again."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_salesloft.hooks.salesloft import SalesloftHook
from airflow_provider_salesloft.testing import DEFAULT_API_KEY, SalesloftSimulator
from airflow_provider_salesloft.testing.faults import Dice

MakeHook = Callable[..., SalesloftHook]
EXAMPLES = itertools.count()
AUTH = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}


def test_the_simulator_refuses_to_update_a_started_job(salesloft_simulator: SalesloftSimulator) -> None:
    url = f"{salesloft_simulator.url}/v2/bulk_jobs"
    job = requests.post(url, json={"type": "person/upsert", "name": "j"}, headers=AUTH, timeout=10).json()[
        "data"
    ]
    records = {"data": [{"email_address": "a@example.com", "upsert_key": "email_address"}]}
    requests.post(f"{url}/{job['id']}/job_data", json=records, headers=AUTH, timeout=10).raise_for_status()
    first = requests.put(f"{url}/{job['id']}", json={"ready_to_execute": True}, headers=AUTH, timeout=10)
    again = requests.put(f"{url}/{job['id']}", json={"ready_to_execute": True}, headers=AUTH, timeout=10)
    renamed = requests.put(f"{url}/{job['id']}", json={"name": "other"}, headers=AUTH, timeout=10)

    assert first.status_code == 200
    assert again.status_code == 422 and renamed.status_code == 422
    assert "may only be updated while open" in again.text


@pytest.mark.salesloft_simulator(lost_response_share=1.0, lost_response_routes=("PUT /v2/bulk_jobs/:id",))
def test_a_start_whose_answer_was_lost_is_read_not_sent_again(
    salesloft_simulator: SalesloftSimulator, make_hook: MakeHook
) -> None:
    hook = make_hook(salesloft_simulator)
    job = hook.create_bulk_job("lost start")
    hook.add_bulk_job_data(job["id"], [{"email_address": "ls@example.com", "upsert_key": "email_address"}], 0)

    started = hook.start_bulk_job(job["id"])

    assert started["state"] in ("executing", "done")
    assert salesloft_simulator.stats.calls_by_route["PUT /v2/bulk_jobs/:id"] == 1
    assert hook.wait_for_bulk_job(job["id"], poll_interval_s=0.05, timeout_s=30)["processed"] == 1


def test_a_start_refused_because_the_job_started_is_a_start(
    salesloft_simulator: SalesloftSimulator, make_hook: MakeHook
) -> None:
    """A retried task (or a 5xx whose work was done) starts a job that already runs: Salesloft's 422 is
    checked against the job's state, not taken as a failure."""
    hook = make_hook(salesloft_simulator)
    job = hook.create_bulk_job("started twice")
    hook.add_bulk_job_data(job["id"], [{"email_address": "st@example.com", "upsert_key": "email_address"}], 0)
    hook.start_bulk_job(job["id"])

    assert hook.start_bulk_job(job["id"])["state"] in ("executing", "done")


def test_job_data_lists_uploaded_records_by_status(
    salesloft_simulator: SalesloftSimulator, make_hook: MakeHook
) -> None:
    hook = make_hook(salesloft_simulator)
    job = hook.create_bulk_job("listed")
    records = [{"email_address": f"jd{n}@example.com", "upsert_key": "email_address"} for n in range(3)]
    records.append({"email_address": "not an email", "upsert_key": "email_address"})
    hook.add_bulk_job_data(job["id"], records, 0)
    assert [row["status"] for row in hook.iter_bulk_job_data(job["id"])] == ["pending"] * 4
    hook.start_bulk_job(job["id"])
    hook.wait_for_bulk_job(job["id"], poll_interval_s=0.05, timeout_s=30)

    assert len(list(hook.iter_bulk_job_data(job["id"], status=["success"]))) == 3
    assert [row["record"] for row in hook.iter_bulk_job_data(job["id"], status=["error"])] == [records[3]]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), share=st.sampled_from([0.3, 0.6, 0.9]), uploads=st.integers(1, 4))
def test_lost_answers_never_upload_twice_nor_fail_a_start(
    salesloft_simulator: SalesloftSimulator, make_hook: MakeHook, seed: int, share: float, uploads: int
) -> None:
    """Invariant: whichever bulk-job answers are lost, the job is created once, holds each record once, and
    starts (the task does not fail on Salesloft refusing a second start)."""
    salesloft_simulator.dice = Dice(seed)
    salesloft_simulator.set_faults(
        lost_response_share=share,
        lost_response_routes=(
            "POST /v2/bulk_jobs",
            "POST /v2/bulk_jobs/:id/job_data",
            "PUT /v2/bulk_jobs/:id",
        ),
    )
    hook = make_hook(salesloft_simulator, retry_max_attempts=20)
    name = f"invariant {next(EXAMPLES)}"
    job = hook.create_bulk_job(name)
    for n in range(uploads):
        hook.add_bulk_job_data(
            job["id"], [{"email_address": f"i{n}@example.com", "upsert_key": "email_address"}], n
        )
    started = hook.start_bulk_job(job["id"])

    jobs = [found for found in salesloft_simulator.bulk_jobs.jobs.values() if found.name == name]
    assert [found.id for found in jobs] == [job["id"]]
    assert [r["email_address"] for r in jobs[0].records] == [f"i{n}@example.com" for n in range(uploads)]
    assert started["state"] in ("executing", "done")
