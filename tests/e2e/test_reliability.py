"""Never lose, never double: real mapped DAG runs (Airflow retries off) under injected faults.

Every scenario adds 40 people with ``CreateCadenceMembershipOperator.partial(...).expand_kwargs(...)`` and
checks, from the simulator's own records, that each person is on the cadence exactly once, that every mapped
instance pushed that person's membership id, and that re-runs succeed with the same ids.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dag_runner import received, run_dag, single_conf
from support import FAST_SIMULATOR

from airflow_provider_salesloft.testing import SalesloftSimulator

pytestmark = [pytest.mark.e2e, FAST_SIMULATOR]

PEOPLE = list(range(1101, 1141))
CADENCE = 11
RETRY_EXTRAS = {
    "retry_max_attempts": 12,
    "retry_max_elapsed_s": 120,
    "retry_backoff_base_s": 0.02,
    "retry_backoff_max_s": 0.2,
}
TIGHT = {"rate_limit": 2, "rate_window_s": 1.0}
SCENARIOS = {
    "no_faults": {},
    "503s": {"error_503_share": 0.15},
    "dropped_connections": {"drop_share": 0.1},
    "lost_responses": {"lost_response_share": 0.15},
    "tight_rate_limit": TIGHT,
    "latency": {"latency_ms": (20, 50)},
    # The acceptance mix: 8 % 503s, 3 % drops, 5 % lost responses and a tight rate limit at once.
    "all_together": {
        "error_503_share": 0.08,
        "drop_share": 0.03,
        "lost_response_share": 0.05,
        "latency_ms": (5, 20),
        **TIGHT,
    },
}


def mapped_run(sim: SalesloftSimulator, out: Path) -> list[int]:
    leads = [{"person_id": p, "cadence_id": CADENCE} for p in PEOPLE]
    result = run_dag("salesloft_test_mapped", {"leads": leads, "out": str(out)})
    assert result["state"] == "success", result
    assert sorted(i for (t, i) in result["tasks"] if t == "add") == list(range(len(PEOPLE)))
    return received(out)["membership_ids"]  # type: ignore[no-any-return]


def assert_each_person_once(sim: SalesloftSimulator, membership_ids: list[int]) -> None:
    on_cadence = sim.memberships_on(CADENCE)
    assert sorted(on_cadence) == PEOPLE
    assert membership_ids == [on_cadence[p]["id"] for p in PEOPLE]  # map index i pushed person i's id
    assert len(set(membership_ids)) == len(PEOPLE)
    assert sim.stats.memberships_created == len(PEOPLE)
    assert sim.stats.adds == len(PEOPLE)  # no person was added twice


@pytest.mark.parametrize("scenario", list(SCENARIOS), ids=list(SCENARIOS))
@pytest.mark.salesloft_simulator(
    seed=7, rate_limit=100_000, rate_window_s=1.0, connection_extras=RETRY_EXTRAS
)
def test_mapped_adds_under_faults(
    scenario: str, salesloft_simulator: SalesloftSimulator, tmp_path: Path
) -> None:
    sim = salesloft_simulator
    sim.set_faults(**SCENARIOS[scenario])

    first = mapped_run(sim, tmp_path / "first.json")
    assert_each_person_once(sim, first)
    if scenario in ("all_together", "no_faults"):
        sim.age_memberships(3600)  # the first run was an hour ago
        # A re-run: Salesloft answers "already on" with 422 ...
        sim.set_faults(already_on_cadence="422")
        assert mapped_run(sim, tmp_path / "rerun_422.json") == first
        # ... or with 200 and the existing membership: both give the same ids, nobody added twice.
        sim.set_faults(already_on_cadence="200")
        assert mapped_run(sim, tmp_path / "rerun_200.json") == first
        assert_each_person_once(sim, first)

    injected = {
        "503s": sim.stats.errors_503,
        "dropped_connections": sim.stats.dropped,
        "lost_responses": sim.stats.lost_responses,
        "tight_rate_limit": sim.stats.rate_limited,
    }
    for name, count in injected.items():
        if scenario in (name, "all_together"):
            assert count > 0, f"{name} were not injected: the scenario tested nothing"


@pytest.mark.parametrize("answer", ["422", "200"])
def test_already_on_cadence_skip_pushes_existing_membership(
    salesloft_simulator: SalesloftSimulator, out_file: Path, task_logs: Any, answer: str
) -> None:
    salesloft_simulator.set_faults(already_on_cadence=answer)
    conf = single_conf(out_file)
    run_dag("salesloft_test_single", conf, "salesloft_test_single")
    first = received(out_file)
    salesloft_simulator.age_memberships(3600)  # the first run was an hour ago

    result = run_dag("salesloft_test_single", conf, "salesloft_test_single")

    assert result["state"] == "success"
    assert received(out_file)["membership_id"] == first["membership_id"]
    assert received(out_file)["membership"] == salesloft_simulator.memberships_on(10)[1001]
    assert salesloft_simulator.stats.adds == 1
    assert "already on cadence 10" in task_logs()


@pytest.mark.parametrize("answer", ["422", "200"])
def test_already_on_cadence_fail_names_person_cadence_and_membership(
    salesloft_simulator: SalesloftSimulator, out_file: Path, task_logs: Any, answer: str
) -> None:
    salesloft_simulator.set_faults(already_on_cadence=answer)
    conf = single_conf(out_file)
    run_dag("salesloft_test_single_fail", conf, "salesloft_test_single")
    membership_id = salesloft_simulator.memberships_on(10)[1001]["id"]
    salesloft_simulator.age_memberships(3600)  # the first run was an hour ago

    result = run_dag("salesloft_test_single_fail", conf, "salesloft_test_single")

    assert result["tasks"][("add", -1)] == "failed"
    assert f"Person 1001 is already on cadence 10 (membership {membership_id})" in task_logs()
    assert salesloft_simulator.stats.adds == 1


def test_readding_a_removed_person_is_a_new_add(
    salesloft_simulator: SalesloftSimulator, out_file: Path
) -> None:
    conf = single_conf(out_file)
    run_dag("salesloft_test_single_fail", conf, "salesloft_test_single")
    membership_id = salesloft_simulator.memberships_on(10)[1001]["id"]
    salesloft_simulator.state.remove_membership(membership_id)

    result = run_dag("salesloft_test_single_fail", conf, "salesloft_test_single")

    assert result["state"] == "success"
    assert received(out_file)["membership_id"] == membership_id  # Salesloft reuses the record
    assert salesloft_simulator.stats.adds == 2
