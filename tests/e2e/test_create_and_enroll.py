"""Create and enroll (``create_missing_people``) in real DAG runs: new, existing, do-not-contact,
duplicate-email and invalid rows each counted exactly, by one call each or by a bulk job; lost answers on
every write never create a person twice; a rerun creates and adds nobody."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dag_runner import received, run_dag
from support import FAST_SIMULATOR

from airflow_provider_salesloft.testing import SalesloftSimulator

pytestmark = [pytest.mark.e2e, FAST_SIMULATOR]

MIXED_ROWS = [
    {"email": "fresh1@example.com", "first_name": "Fresh", "company": "Acme"},  # created and added
    {"email": "person3@example.com"},  # exists: added
    {"email": "optout1@example.com"},  # exists, do-not-contact
    {"email": "shared@example.com"},  # two people have it: ambiguous
    {"email": "nobody at all"},  # invalid
    {"email": "FRESH1@example.com"},  # the first new person again: duplicate
    {"email": "fresh2@example.com", "do_not_contact": True},  # created, but do-not-contact: never added
    {"email": "broken@example.c0m"},  # Salesloft refuses the address: failed, with the reason
    {"email": "fresh3@example.com", "cadence_id": 10},  # created and added to another cadence
]
EXPECTED = {
    "created_and_added": 2,
    "added": 1,
    "do_not_contact": 2,
    "ambiguous_email": 1,
    "invalid": 1,
    "duplicates": 1,
    "failed": 1,
}
NAMES = (*EXPECTED, "created", "person_not_found", "already_on_cadence")


def sync(dag_id: str, tmp_path: Path, rows: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    out = tmp_path / "summary.json"
    result = run_dag(dag_id, {"rows": rows, "out": str(out)}, "salesloft_test_sync")
    return result, received(out)


def counts(summary: dict[str, Any]) -> dict[str, int]:
    return {name: summary[name] for name in NAMES if summary[name]}


def people_with(sim: SalesloftSimulator, email: str) -> list[dict[str, Any]]:
    return [p for p in sim.state.people.values() if str(p["email_address"]).lower() == email.lower()]


@pytest.mark.parametrize("dag_id", ["salesloft_test_sync_create", "salesloft_test_sync_create_bulk"])
def test_mixed_rows_are_created_enrolled_and_counted(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path, dag_id: str
) -> None:
    result, summary = sync(dag_id, tmp_path, MIXED_ROWS)

    assert result["state"] == "success"
    assert counts(summary) == EXPECTED
    (fresh1,) = people_with(salesloft_simulator, "fresh1@example.com")
    (fresh3,) = people_with(salesloft_simulator, "fresh3@example.com")
    assert fresh1["person_company_name"] == "Acme" and fresh1["first_name"] == "Fresh"
    assert len(people_with(salesloft_simulator, "fresh2@example.com")) == 1  # created, not enrolled
    assert sorted(salesloft_simulator.memberships_on(11)) == [1003, fresh1["id"]]
    assert list(salesloft_simulator.memberships_on(10)) == [fresh3["id"]]
    assert "email_address is invalid" in summary["failures"][-1]["reason"]
    bulk = dag_id.endswith("bulk")
    routes = salesloft_simulator.stats.calls_by_route
    assert routes["POST /v2/bulk_jobs"] == (1 if bulk else 0)
    assert routes["POST /v2/person_upserts"] == (0 if bulk else 4)
    assert ("bulk_job_id" in summary) == bulk

    # A rerun creates nobody and adds nobody.
    result, again = sync(dag_id, tmp_path, MIXED_ROWS)
    assert again["created_and_added"] == 0 and again["added"] == 0
    assert again["already_on_cadence"] == 3
    assert len(people_with(salesloft_simulator, "fresh1@example.com")) == 1


def test_a_dry_run_counts_who_would_be_created(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path
) -> None:
    result, summary = sync("salesloft_test_sync_create_dry", tmp_path, MIXED_ROWS)

    assert result["state"] == "success"
    # The row's own do-not-contact field counts; Salesloft's stricter address check is not run.
    expected = {**EXPECTED, "created_and_added": 3}
    del expected["failed"]
    assert counts(summary) == expected
    assert not people_with(salesloft_simulator, "fresh1@example.com")
    assert salesloft_simulator.stats.calls_by_route["POST /v2/cadence_memberships"] == 0


@pytest.mark.salesloft_simulator(lost_response_share=0.5, seed=3)
@pytest.mark.parametrize("dag_id", ["salesloft_test_sync_create", "salesloft_test_sync_create_bulk"])
def test_lost_answers_on_every_write_never_create_a_person_twice(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path, dag_id: str
) -> None:
    rows = [{"email": f"lossy{n}@example.com"} for n in range(12)]
    result, summary = sync(dag_id, tmp_path, rows)

    assert result["state"] == "success"
    assert summary["created_and_added"] == 12
    assert salesloft_simulator.stats.lost_responses > 0
    for n in range(12):
        assert len(people_with(salesloft_simulator, f"lossy{n}@example.com")) == 1
    assert len(salesloft_simulator.memberships_on(11)) == 12
