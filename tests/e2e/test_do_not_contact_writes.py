"""Writing ``do_not_contact``: Salesloft's definition, "If this person is currently in a cadence, they will
be removed." The upsert counts the people it marked (``do_not_contact_set``) and says in the task log that
they leave every cadence; the simulator takes them off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dag_runner import received, run_dag
from support import FAST_SIMULATOR

from airflow_provider_salesloft.testing import SalesloftSimulator

pytestmark = [pytest.mark.e2e, FAST_SIMULATOR]


@pytest.mark.parametrize("dag_id", ["salesloft_test_upsert_per_row", "salesloft_test_upsert_bulk"])
def test_marking_people_do_not_contact_is_counted_logged_and_takes_them_off_cadences(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path, task_logs: Any, dag_id: str
) -> None:
    for person in (1001, 1002, 1003):
        salesloft_simulator.state.add_to_cadence(1, {"person_id": person, "cadence_id": 11}, "422")
    rows = [
        {"email": "person1@example.com", "do_not_contact": True},
        {"email": "person2@example.com", "do_not_contact": "true"},
        {"email": "person3@example.com", "do_not_contact": False},
        {"email": "brand-new@example.com", "title": "CEO"},
    ]
    out = tmp_path / "out.json"
    result = run_dag(dag_id, {"rows": rows, "out": str(out)}, "salesloft_test_upsert")
    summary = received(out)

    assert result["state"] == "success"
    assert (summary["updated"], summary["created"], summary["do_not_contact_set"]) == (3, 1, 2)
    assert "removes them from every cadence they are currently on" in task_logs()
    assert sorted(salesloft_simulator.memberships_on(11)) == [1003]
