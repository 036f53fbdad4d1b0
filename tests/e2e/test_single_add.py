"""Real DAG runs: one add, ids from upstream XComs, against the simulator over loopback HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dag_runner import lead, received, run_dag
from support import FAST_SIMULATOR

pytestmark = [pytest.mark.e2e, FAST_SIMULATOR]


def test_downstream_receives_membership_id_and_state(salesloft_simulator: Any, out_file: Path) -> None:
    result = run_dag("salesloft_test_single", {"lead": lead(), "out": str(out_file)}, "salesloft_test_single")

    assert result["state"] == "success"
    got = received(out_file)
    on_cadence = salesloft_simulator.memberships_on(10)
    assert set(on_cadence) == {1001}
    assert got["membership_id"] == on_cadence[1001]["id"]
    assert isinstance(got["membership_id"], int)
    assert got["membership_state"] == "staged"
    assert got["membership"] == on_cadence[1001]  # return_value is the membership as Salesloft sent it
    assert salesloft_simulator.stats.calls_by_route["POST /v2/cadence_memberships"] == 1


def test_optional_ids_reach_salesloft(salesloft_simulator: Any, out_file: Path) -> None:
    conf = {"lead": lead(1002, 10, user_id="1", step_id="101", salesloft_task_id=905), "out": str(out_file)}
    result = run_dag("salesloft_test_single", conf, "salesloft_test_single")

    assert result["state"] == "success"
    assert received(out_file)["membership"]["user"]["id"] == 1
    assert salesloft_simulator.state.tasks[905]["state"] == "completed"


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("person_id", "abc"),
        ("person_id", None),
        ("cadence_id", "-3"),
        ("cadence_id", "1.5"),
        ("step_id", "None"),
        ("user_id", True),
        ("salesloft_task_id", [1]),
        ("person_id", ""),
    ],
)
def test_bad_id_fails_task_and_sends_nothing(
    salesloft_simulator: Any, out_file: Path, field: str, bad: Any, task_logs: Any
) -> None:
    result = run_dag(
        "salesloft_test_single", {"lead": lead(**{field: bad}), "out": str(out_file)}, "salesloft_test_single"
    )

    assert result["state"] == "failed"
    assert result["tasks"][("add", -1)] == "failed"
    assert salesloft_simulator.stats.calls == 0
    assert not out_file.exists()
    logs = task_logs()
    assert f"{field} must be a positive integer id" in logs
    assert repr(bad) in logs


def test_wrong_api_key_fails_fast_without_retry(
    salesloft_simulator: Any, out_file: Path, monkeypatch: pytest.MonkeyPatch, task_logs: Any
) -> None:
    wrong_key = "wrong-key-5f1d2c3b4a"
    monkeypatch.setenv(
        "AIRFLOW_CONN_SALESLOFT_DEFAULT", salesloft_simulator.connection_uri_json(api_key=wrong_key)
    )

    result = run_dag("salesloft_test_single", {"lead": lead(), "out": str(out_file)}, "salesloft_test_single")

    assert result["tasks"][("add", -1)] == "failed"
    assert salesloft_simulator.stats.unauthorized == 1  # one call, no retry
    logs = task_logs()
    assert "401" in logs
    assert wrong_key not in logs


def test_unknown_person_fails_with_salesloft_message(
    salesloft_simulator: Any, out_file: Path, task_logs: Any
) -> None:
    result = run_dag(
        "salesloft_test_single",
        {"lead": lead(person_id=424242), "out": str(out_file)},
        "salesloft_test_single",
    )

    assert result["tasks"][("add", -1)] == "failed"
    assert salesloft_simulator.stats.calls_by_route["POST /v2/cadence_memberships"] == 1
    logs = task_logs()
    assert "404" in logs and "Not Found" in logs
