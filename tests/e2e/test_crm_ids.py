"""Upserting on ``crm_id`` in real DAG runs, against a simulator that applies Salesloft's definition:
"You must provide a crm_id_type if this is included ... Must be one of: salesforce ... A salesforce ID must
be exactly 18 characters ... either a Lead (00Q) or Contact (003)"; and "When id and another upsert_key are
provided, the request will fail if the upsert record id and id parameter don't match"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dag_runner import received, run_dag
from support import FAST_SIMULATOR

from airflow_provider_salesloft.crm_ids import salesforce_suffix
from airflow_provider_salesloft.testing import SalesloftSimulator

pytestmark = [pytest.mark.e2e, FAST_SIMULATOR]


def id15(n: int) -> str:
    return f"003Ab{n:010d}"


def crm_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {"crm_id": id15(n) + salesforce_suffix(id15(n)), "email": f"crm{n}@example.com"} for n in range(18)
    ]
    rows.append({"crm_id": "00QxY0000000042", "email": "lead15@example.com"})  # 15 characters: converted
    rows.append({"crm_id": (id15(99) + salesforce_suffix(id15(99))).lower()})  # case lost: invalid
    rows.append({"crm_id": "001Ab0000000007" + salesforce_suffix("001Ab0000000007")})  # an Account: invalid
    rows.append({"crm_id": id15(98), "crm_id_type": "hubspot"})  # no such type: invalid
    rows.append({"crm_id": id15(97), "person_id": 1001, "email": "stale@example.com"})  # id never sent
    return rows


@pytest.mark.parametrize("dag_id", ["salesloft_test_upsert_crm_per_row", "salesloft_test_upsert_crm_bulk"])
def test_upserting_on_crm_id_sends_its_type_and_18_characters(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path, dag_id: str
) -> None:
    out = tmp_path / "out.json"
    result = run_dag(dag_id, {"rows": crm_rows(), "out": str(out)}, "salesloft_test_upsert")
    summary = received(out)

    assert result["state"] == "success"
    assert (summary["created"], summary["updated"], summary["failed"], summary["invalid"]) == (20, 0, 0, 3)
    reasons = " | ".join(line["reason"] for line in summary["samples"]["invalid"])
    assert "checksum" in reasons and "Lead (00Q...) or Contact (003...)" in reasons and "hubspot" in reasons
    stored = {p["crm_id"] for p in salesloft_simulator.state.people.values() if p.get("crm_id")}
    assert "00QxY0000000042" + salesforce_suffix("00QxY0000000042") in stored
    assert all(len(crm_id) == 18 for crm_id in stored) and len(stored) == 20
    assert salesloft_simulator.state.people[1001]["crm_id"] is None  # the stale id updated nobody

    # A rerun matches every one of them by its 18-character id.
    run_dag(dag_id, {"rows": crm_rows(), "out": str(out)}, "salesloft_test_upsert")
    again = received(out)
    assert (again["created"], again["updated"], again["invalid"]) == (0, 20, 3)
