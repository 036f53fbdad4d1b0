"""UpsertPeopleOperator in real DAG runs against the simulator: one call each, a bulk job waited on in the
worker, one waited on in the triggerer (deferred), and chaining into CreateCadenceMembershipOperator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dag_runner import received, run_dag
from support import FAST_SIMULATOR

from airflow_provider_salesloft.testing import SalesloftSimulator

pytestmark = [pytest.mark.e2e, FAST_SIMULATOR]

ROWS = [
    {"email": "new1@example.com", "first_name": "Ada", "company": "Acme", "segment": "SMB"},
    {"email": "person5@example.com", "title": "CTO"},  # exists: updated
    {"email": "NEW1@example.com "},  # the first row's email again
    {"email": "not an address"},  # invalid: never sent
    {"first_name": "No key"},  # invalid: nothing to match on
    {"email": "bad@example.c0m"},  # Salesloft refuses this address
    {"email": "new2@example.com", "last_name": "Lovelace"},
]


def upsert(dag_id: str, tmp_path: Path, rows: list[dict[str, Any]]) -> tuple[dict[str, Any], Any]:
    out = tmp_path / "out.json"
    result = run_dag(dag_id, {"rows": rows, "out": str(out)}, "salesloft_test_upsert")
    return result, received(out)


def people_with(sim: SalesloftSimulator, email: str) -> list[dict[str, Any]]:
    return [p for p in sim.state.people.values() if str(p["email_address"]).lower() == email.lower()]


@pytest.mark.parametrize(
    "dag_id",
    ["salesloft_test_upsert_per_row", "salesloft_test_upsert_bulk", "salesloft_test_upsert_deferred"],
)
def test_every_row_is_counted_and_people_are_created_once(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path, dag_id: str
) -> None:
    result, summary = upsert(dag_id, tmp_path, ROWS)

    assert result["state"] == "success"
    counts = {name: summary[name] for name in ("created", "updated", "failed", "invalid", "duplicates")}
    assert counts == {"created": 2, "updated": 1, "failed": 1, "invalid": 2, "duplicates": 1}
    assert summary["rows"] == len(ROWS)
    assert summary["method"] == ("per_row" if dag_id.endswith("per_row") else "bulk")
    if summary["method"] == "bulk":  # the deferred task resumed after the trigger fired
        assert summary["waited_in"] == ("triggerer" if dag_id.endswith("deferred") else "worker")
    (ada,) = people_with(salesloft_simulator, "new1@example.com")
    assert ada["first_name"] == "Ada" and ada["person_company_name"] == "Acme"
    assert ada["custom_fields"] == {"Segment": "SMB"}
    assert people_with(salesloft_simulator, "person5@example.com")[0]["title"] == "CTO"
    assert summary["person_ids"][0] == ada["id"] and summary["person_ids"][1] == 1005
    assert summary["person_ids"][2] is None  # bad@example.c0m
    assert "email_address is invalid" in summary["samples"]["failed"][0]["reason"]
    assert {line["row"] for line in summary["samples"]["invalid"]} == {3, 4}

    # A rerun creates nobody.
    result, again = upsert(dag_id, tmp_path, ROWS)
    assert again["created"] == 0 and again["updated"] == 3
    assert len(people_with(salesloft_simulator, "new1@example.com")) == 1
    assert len(people_with(salesloft_simulator, "new2@example.com")) == 1


def test_a_bulk_job_costs_few_calls(salesloft_simulator: SalesloftSimulator, tmp_path: Path) -> None:
    rows = [{"email": f"lead{n}@example.com"} for n in range(250)]
    result, summary = upsert("salesloft_test_upsert_bulk", tmp_path, rows)

    assert result["state"] == "success" and summary["created"] == 250
    routes = salesloft_simulator.stats.calls_by_route
    assert routes["POST /v2/bulk_jobs"] == 1 and routes["POST /v2/bulk_jobs/:id/job_data"] == 1
    assert routes["GET /v2/bulk_jobs/:id/results"] == 3  # 100 + 100 + 50, no empty page
    assert routes["POST /v2/person_upserts"] == 0
    assert "person_ids" in summary and len(summary["person_ids"]) == 250


@pytest.mark.salesloft_simulator(bulk_job_records_per_s=1)
def test_a_bulk_job_past_its_timeout_fails_the_task(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path
) -> None:
    rows = [{"email": f"slow{n}@example.com"} for n in range(20)]
    out = tmp_path / "out.json"
    result = run_dag(
        "salesloft_test_upsert_timeout", {"rows": rows, "out": str(out)}, "salesloft_test_upsert"
    )

    assert result["tasks"][("upsert", -1)] == "failed"


def test_an_upserted_person_goes_on_a_cadence_downstream(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path
) -> None:
    rows = [{"email": "chain@example.com", "first_name": "Chain"}]
    result, membership = upsert("salesloft_test_upsert_then_add", tmp_path, rows)

    assert result["state"] == "success"
    (person,) = people_with(salesloft_simulator, "chain@example.com")
    assert membership["person"]["id"] == person["id"]
    assert list(salesloft_simulator.memberships_on(11)) == [person["id"]]
