"""Pre-checks, once per run and before any write (real DAG runs against a simulator that follows
Salesloft's definition): the cadence exists, is not archived ("archived_at"), is not a draft; step ids
belong to their cadence (``GET /v2/steps?cadence_id=``); custom fields exist (``GET /v2/custom_fields``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from dag_runner import received, run_dag
from support import FAST_SIMULATOR

from airflow_provider_salesloft.testing import DEFAULT_API_KEY, SalesloftSimulator

pytestmark = [pytest.mark.e2e, FAST_SIMULATOR]


def run(dag_id: str, tmp_path: Path, rows: list[dict[str, Any]]) -> tuple[dict[str, Any], Any]:
    out = tmp_path / "out.json"
    result = run_dag(dag_id, {"rows": rows, "out": str(out)}, "salesloft_test_prechecks")
    return result, received(out) if out.exists() else None


def test_archived_cadences_are_listed_unless_filtered(salesloft_simulator: SalesloftSimulator) -> None:
    """ "Excluding this field will result in both archived and unarchived Cadences to return." """

    def names(**params: Any) -> set[str]:
        answer = requests.get(
            f"{salesloft_simulator.url}/v2/cadences",
            params=params,
            headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"},
            timeout=10,
        )
        return {cadence["name"] for cadence in answer.json()["data"]}

    assert "Archived Campaign" in names()
    assert "Archived Campaign" not in names(archived="false")
    assert names(archived="true") == {"Archived Campaign"}


@pytest.mark.parametrize(
    ("dag_id", "words"),
    [
        ("salesloft_test_precheck_archived", "cadence_id=13: cadence 13 ('Archived Campaign') is archived"),
        ("salesloft_test_precheck_draft", "cadence_id=14: cadence 14 ('Draft Sequence') is a draft"),
    ],
)
def test_an_unusable_cadence_fails_the_task_before_any_write(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path, task_logs: Any, dag_id: str, words: str
) -> None:
    rows = [{"person_id": person} for person in range(1001, 1006)]
    result, _ = run(dag_id, tmp_path, rows)

    assert result["tasks"][("sync", -1)] == "failed"
    assert words in task_logs()
    writes = {
        route: n
        for route, n in salesloft_simulator.stats.calls_by_route.items()
        if not route.startswith("GET")
    }
    assert writes == {}


def test_rows_naming_a_wrong_step_or_cadence_are_invalid(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path
) -> None:
    rows = [
        {"person_id": 1001, "step_id": 101},  # a step of cadence 10: added there
        {"person_id": 1002, "step_id": 110},  # cadence 11's step: invalid
        {"person_id": 1003, "cadence_id": 13},  # archived: invalid
        {"person_id": 1004, "cadence_id": 11, "step_id": 110},  # fine
        {"person_id": 1005, "step_id": 110},  # invalid, without asking again
    ]
    result, summary = run("salesloft_test_precheck_steps", tmp_path, rows)

    assert result["state"] == "success"
    assert (summary["added"], summary["invalid"], summary["failed"]) == (2, 3, 0)
    reasons = [line["reason"] for line in summary["failures"]]
    assert "step 110 is not a step of cadence 10 (its steps: 100, 101)" in reasons
    assert any("cadence 13 ('Archived Campaign') is archived" in reason for reason in reasons)
    routes = salesloft_simulator.stats.calls_by_route
    assert routes["POST /v2/cadence_memberships"] == 2  # nothing sent for the invalid rows
    assert routes["GET /v2/steps"] == 2  # once per cadence a row named a step of


def test_an_unknown_custom_field_makes_its_rows_invalid(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path
) -> None:
    rows = [
        {"email": "cf1@example.com", "segment": "SMB"},
        {"email": "cf2@example.com", "segment": "SMB", "tier": "Gold"},  # no 'Tier' custom field
        {"email": "cf3@example.com"},
    ]
    result, summary = run("salesloft_test_precheck_custom_fields", tmp_path, rows)

    assert result["state"] == "success"
    assert (summary["created"], summary["invalid"], summary["failed"]) == (2, 1, 0)
    assert (
        "custom field 'Tier' not defined for people in Salesloft"
        in summary["samples"]["invalid"][0]["reason"]
    )
    routes = salesloft_simulator.stats.calls_by_route
    assert routes["GET /v2/custom_fields"] == 1 and routes["POST /v2/person_upserts"] == 2
