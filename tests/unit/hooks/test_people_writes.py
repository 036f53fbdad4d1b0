"""The hook's people writes and bulk jobs against the simulator: shapes, argument errors before any call,
and every write's lost answer recovered without a second person, job or upload."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_salesloft.exceptions import (
    SalesloftBulkJobTimeoutError,
    SalesloftInvalidArgumentError,
    SalesloftValidationError,
)
from airflow_provider_salesloft.hooks.salesloft import SalesloftHook
from airflow_provider_salesloft.testing import SalesloftSimulator

MakeHook = Callable[..., SalesloftHook]


def people_with(sim: SalesloftSimulator, email: str) -> list[dict[str, Any]]:
    return [p for p in sim.state.people.values() if str(p["email_address"]).lower() == email.lower()]


def test_upsert_creates_then_updates(salesloft_simulator: SalesloftSimulator, make_hook: MakeHook) -> None:
    hook = make_hook(salesloft_simulator)
    first = hook.upsert_person({"email_address": "ann@example.com", "first_name": "Ann"})
    second = hook.upsert_person({"email_address": "ANN@example.com", "title": "CFO"})

    assert first["upsert_type"] == "create" and second["upsert_type"] == "update"
    assert first["person"]["id"] == second["person"]["id"]
    assert second["person"]["title"] == "CFO" and second["person"]["first_name"] == "Ann"


def test_bad_arguments_are_refused_before_any_call(
    salesloft_simulator: SalesloftSimulator, make_hook: MakeHook
) -> None:
    hook = make_hook(salesloft_simulator)
    with pytest.raises(SalesloftInvalidArgumentError, match="upsert_key"):
        hook.upsert_person({"email_address": "a@example.com"}, upsert_key="name")
    with pytest.raises(SalesloftInvalidArgumentError, match="must hold crm_id"):
        hook.upsert_person({"email_address": "a@example.com"}, upsert_key="crm_id")
    with pytest.raises(SalesloftInvalidArgumentError, match="email_address, or phone and last_name"):
        hook.create_person({"first_name": "Nameless"})
    with pytest.raises(SalesloftInvalidArgumentError, match="1 to 5000 records"):
        hook.add_bulk_job_data(1, [{"email_address": "a@example.com"}] * 5001)
    with pytest.raises(SalesloftInvalidArgumentError, match="job name"):
        hook.create_bulk_job(" ")
    assert salesloft_simulator.stats.calls == 0


@pytest.mark.salesloft_simulator(intentional_duplicates=False)
def test_a_taken_email_is_a_validation_error(
    salesloft_simulator: SalesloftSimulator, make_hook: MakeHook
) -> None:
    with pytest.raises(SalesloftValidationError, match="already taken"):
        make_hook(salesloft_simulator).create_person({"email_address": "person1@example.com"})


@pytest.mark.salesloft_simulator(bulk_job_records_per_s=2000)
def test_a_bulk_job_from_creation_to_results(
    salesloft_simulator: SalesloftSimulator, make_hook: MakeHook
) -> None:
    hook = make_hook(salesloft_simulator)
    job = hook.create_bulk_job("test job")
    records = [{"email_address": f"b{n}@example.com", "upsert_key": "email_address"} for n in range(250)]
    assert job["state"] == "open"
    assert hook.add_bulk_job_data(job["id"], records[:200], uploaded_before=0) == 200
    assert hook.add_bulk_job_data(job["id"], records[200:], uploaded_before=200) == 50
    assert hook.start_bulk_job(job["id"])["state"] == "executing"
    assert hook.start_bulk_job(job["id"])["state"] in ("executing", "done")  # repeating it changes nothing
    done = hook.wait_for_bulk_job(job["id"], poll_interval_s=0.05, timeout_s=30)
    results = list(hook.iter_bulk_job_results(job["id"]))

    assert done["state"] == "done" and done["processed"] == 250
    assert [r["status"] for r in results] == ["success"] * 250
    assert {r["resource"]["upsert_type"] for r in results} == {"create"}
    assert salesloft_simulator.stats.calls_by_route["GET /v2/bulk_jobs/:id/results"] == 4  # 3 pages + empty


@pytest.mark.salesloft_simulator(bulk_job_records_per_s=1)
def test_waiting_past_the_timeout_raises(
    salesloft_simulator: SalesloftSimulator, make_hook: MakeHook
) -> None:
    hook = make_hook(salesloft_simulator)
    job = hook.create_bulk_job("slow job")
    hook.add_bulk_job_data(job["id"], [{"email_address": f"s{n}@example.com"} for n in range(10)])
    hook.start_bulk_job(job["id"])
    with pytest.raises(SalesloftBulkJobTimeoutError, match=r"not done within 0\.3 s"):
        hook.wait_for_bulk_job(job["id"], poll_interval_s=0.1, timeout_s=0.3)


@pytest.mark.parametrize(
    "route",
    [
        "POST /v2/person_upserts",
        "POST /v2/people",
        "POST /v2/bulk_jobs",
        "POST /v2/bulk_jobs/:id/job_data",
        "PUT /v2/bulk_jobs/:id",
    ],
)
def test_a_lost_answer_never_creates_twice(
    salesloft_simulator: SalesloftSimulator, make_hook: MakeHook, route: str
) -> None:
    salesloft_simulator.set_faults(lost_response_share=0.5, lost_response_routes=(route,))
    hook = make_hook(salesloft_simulator)
    for n in range(6):
        if route == "POST /v2/people":
            hook.create_person({"email_address": f"lost{n}@example.com"})
        else:
            answer = hook.upsert_person({"email_address": f"lost{n}@example.com"})
            assert answer["upsert_type"] == "create"
    job = hook.create_bulk_job("lossy job")
    for n in range(6):
        record = {"email_address": f"bulk{n}@example.com", "upsert_key": "email_address"}
        hook.add_bulk_job_data(job["id"], [record], uploaded_before=n)
    hook.start_bulk_job(job["id"])
    hook.wait_for_bulk_job(job["id"], poll_interval_s=0.05, timeout_s=30)

    assert salesloft_simulator.stats.lost_responses > 0
    assert len(salesloft_simulator.bulk_jobs.jobs) == 1
    assert len(salesloft_simulator.bulk_jobs.jobs[job["id"]].records) == 6  # no upload went twice
    for n in range(6):
        assert len(people_with(salesloft_simulator, f"lost{n}@example.com")) == 1
        assert len(people_with(salesloft_simulator, f"bulk{n}@example.com")) == 1


def test_an_upsert_never_sends_id_with_another_key(
    salesloft_simulator: SalesloftSimulator, make_hook: MakeHook
) -> None:
    """ "When id and another upsert_key are provided, the request will fail if the upsert record id and id
    parameter don't match": a stale id column is left out, the email decides."""
    hook = make_hook(salesloft_simulator)
    answer = hook.upsert_person({"email_address": "person2@example.com", "id": 1001, "title": "VP"})

    assert answer["upsert_type"] == "update" and answer["person"]["id"] == 1002
    assert salesloft_simulator.state.people[1001].get("title") is None
