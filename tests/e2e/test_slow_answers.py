"""A sync against answers dripped slowly (the simulator's ``drip_share`` fault): every row ends with one
outcome (retried and done, or failed with the reason), and nobody is added twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dag_runner import received, run_dag

from airflow_provider_salesloft.operators.sync import OUTCOMES
from airflow_provider_salesloft.testing import SalesloftSimulator

pytestmark = pytest.mark.e2e

PEOPLE = [1000 + n for n in range(1, 31)]
#: Answers to adds and people lookups, 16 bytes every 0.5 s: a few hundred bytes take far longer than the
#: connection's 1 s timeout, so each dripped call is given up at its deadline.
DRIP = {
    "drip_bytes": 16,
    "drip_interval_s": 0.5,
    "drip_routes": ("POST /v2/cadence_memberships", "GET /v2/people"),
}


def sync(tmp_path: Path, rows: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    out = tmp_path / "summary.json"
    conf = {"rows": rows, "out": str(out), "report": str(tmp_path / "report.jsonl")}
    return run_dag("salesloft_test_sync_rows", conf, "salesloft_test_sync"), received(out)


def rows() -> list[dict[str, Any]]:
    return [{"person_id": person} for person in PEOPLE] + [{"email": "person31@example.com"}]


@pytest.mark.salesloft_simulator(
    seed=5,
    drip_share=0.3,
    **DRIP,
    connection_extras={"timeout": 1, "retry_max_attempts": 12, "retry_backoff_base_s": 0.02},
)
def test_dripped_answers_are_retried_and_every_row_is_done_once(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path
) -> None:
    sim = salesloft_simulator
    result, summary = sync(tmp_path, rows())

    assert result["state"] == "success"
    assert sim.stats.dripped > 0  # the fault happened, to adds and lookups
    assert summary["rows"] == sum(summary[name] for name in OUTCOMES) == 31
    assert summary["added"] == 31
    assert sorted(sim.memberships_on(11)) == [*PEOPLE, 1031]
    assert sim.stats.adds == 31  # nobody added twice: a given-up add was checked before it was sent again


@pytest.mark.salesloft_simulator(
    seed=5,
    drip_share=1.0,
    **{**DRIP, "drip_routes": ("POST /v2/cadence_memberships",)},
    connection_extras={"timeout": 1, "retry_max_attempts": 1},
)
def test_adds_whose_answers_never_arrive_in_time_fail_with_the_reason_and_none_twice(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path
) -> None:
    sim = salesloft_simulator
    result, summary = sync(tmp_path, rows())

    assert result["state"] == "success"  # the DAG allows 1,000 failed rows
    assert summary["rows"] == sum(summary[name] for name in OUTCOMES) == 31
    assert summary["failed"] == 31
    reasons = {failure["reason"] for failure in summary["failures"]}
    # Given up at the deadline (or, on a loaded machine, at the read timeout that ends at the same moment).
    assert all("no complete answer" in reason for reason in reasons), reasons
    assert sim.stats.adds == 31  # each add was carried out once, never sent again
    assert sorted(sim.memberships_on(11)) == [*PEOPLE, 1031]
