"""A lookup that keeps failing (the people endpoint answering 500 after every retry) fails the sync, but first
accounts for every row: each one's outcome names the reason, the report file and the summary say so, and
the mirror removes nobody."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dag_runner import received, run_dag
from support import FAST_RETRY

from airflow_provider_salesloft.operators.sync import OUTCOMES
from airflow_provider_salesloft.testing import SalesloftSimulator

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.salesloft_simulator(
        rate_window_s=5.0,
        rate_limit=10_000,
        error_routes={"GET /v2/people": 500},
        connection_extras={**FAST_RETRY, "retry_max_attempts": 2},
    ),
]

ROWS = [{"email": "person1@example.com"}, {"email": "PERSON2@example.com"}, {"person_id": 1003}]


def test_a_failed_lookup_accounts_for_every_row_and_the_mirror_removes_nobody(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path
) -> None:
    sim = salesloft_simulator
    for person in (1001, 1002, 1003, 1010):  # 1010: a member no row names
        sim.state.add_to_cadence(1, {"person_id": person, "cadence_id": 11}, "422")
    out, report = tmp_path / "summary.json", tmp_path / "report.jsonl"
    conf = {"rows": ROWS, "out": str(out), "report": str(report)}
    result = run_dag("salesloft_test_sync_mirror", conf, "salesloft_test_sync")
    summary = received(out)

    assert result["tasks"][("sync", -1)] == "failed"
    assert summary["rows"] == sum(summary[name] for name in OUTCOMES) == len(ROWS)
    assert summary["failed"] == len(ROWS)
    assert all("could not look up" in failure["reason"] for failure in summary["failures"])
    assert "500" in summary["failures"][0]["reason"]
    assert summary["removed"] == 0 and "lookup" in summary["mirror_refused"]
    assert sorted(sim.memberships_on(11)) == [1001, 1002, 1003, 1010]  # nobody removed
    lines = [json.loads(line) for line in report.read_text().splitlines()]
    assert sorted(line["index"] for line in lines if "index" in line) == [0, 1, 2]
