"""Leaving cadences in real DAG runs (issue #14): the single remove, and the sync's guarded mirror mode."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dag_runner import received, run_dag
from support import FAST_SIMULATOR

from airflow_provider_salesloft.testing import SalesloftSimulator

pytestmark = [pytest.mark.e2e, FAST_SIMULATOR]


def put_on(
    sim: SalesloftSimulator, people: range | list[int], cadence: int = 11, user: int = 1
) -> dict[int, int]:
    """Put people on a cadence as ``user`` (outside any DAG); person -> membership id."""
    added = {}
    for person in people:
        membership, _ = sim.state.add_to_cadence(user, {"person_id": person, "cadence_id": cadence}, "422")
        added[person] = membership["id"]
    return added


def remove(dag_id: str, out: Path, **ids: Any) -> dict[str, Any]:
    result = run_dag(dag_id, {"ids": ids, "out": str(out)}, "salesloft_test_remove")
    return {"result": result, "received": received(out) if out.exists() else None}


def mirror(dag_id: str, tmp_path: Path, rows: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    out = tmp_path / "summary.json"
    result = run_dag(dag_id, {"rows": rows, "out": str(out)}, "salesloft_test_sync")
    return result, received(out) or {}


def test_remove_by_membership_id_from_xcom(salesloft_simulator: SalesloftSimulator, tmp_path: Path) -> None:
    membership_id = put_on(salesloft_simulator, [1001])[1001]
    run = remove("salesloft_test_remove_membership", tmp_path / "out.json", membership_id=membership_id)

    assert run["result"]["state"] == "success"
    assert run["received"] == {"membership_id": membership_id, "membership_state": "removed_no_action"}
    assert 1001 not in salesloft_simulator.memberships_on(11)


def test_remove_by_person_and_cadence_skip_and_fail(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path, task_logs: Any
) -> None:
    put_on(salesloft_simulator, [1002])
    first = remove("salesloft_test_remove_person", tmp_path / "a.json", person_id=1002, cadence_id=11)
    assert first["result"]["state"] == "success"
    assert first["received"]["membership_state"] == "removed_no_action"

    again = remove("salesloft_test_remove_person", tmp_path / "b.json", person_id=1002, cadence_id=11)
    assert again["result"]["state"] == "success"  # not on the cadence any more: skipped
    assert again["received"]["membership_state"] == "not_on_cadence"

    strict = remove("salesloft_test_remove_person_fail", tmp_path / "c.json", person_id=1002, cadence_id=11)
    assert strict["result"]["tasks"][("remove", -1)] == "failed"
    assert "person 1002 (cadence 11) is not on the cadence" in task_logs()
    assert salesloft_simulator.stats.calls_by_route["DELETE /v2/cadence_memberships/:id"] == 1


def test_mirror_adds_and_removes_exactly_and_a_rerun_changes_nothing(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path
) -> None:
    put_on(salesloft_simulator, range(1001, 1031))  # 30 members
    rows = [{"person_id": person} for person in [*range(1001, 1029), 1031, 1032]]  # drops 1029, 1030

    result, summary = mirror("salesloft_test_sync_mirror", tmp_path, rows)

    assert result["state"] == "success"
    assert (summary["added"], summary["already_on_cadence"], summary["removed"]) == (2, 28, 2)
    assert sorted(line["person_id"] for line in summary["removals"]) == [1029, 1030]
    assert sorted(salesloft_simulator.memberships_on(11)) == [*range(1001, 1029), 1031, 1032]

    result, summary = mirror("salesloft_test_sync_mirror", tmp_path, rows)
    assert (summary["added"], summary["removed"]) == (0, 0)
    assert salesloft_simulator.stats.calls_by_route["DELETE /v2/cadence_memberships/:id"] == 2


def test_max_removals_stops_the_run_before_removing_anything(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path, task_logs: Any
) -> None:
    put_on(salesloft_simulator, range(1001, 1031))
    rows = [{"person_id": person} for person in range(1001, 1011)]  # would remove 20 of 30; 10 % allows 3

    result, summary = mirror("salesloft_test_sync_mirror", tmp_path, rows)

    assert result["tasks"][("sync", -1)] == "failed"
    assert "cadence 11: 20 of its 30 members would be removed, max_removals=0.1 allows 3" in task_logs()
    assert summary["removed"] == 0
    assert len(salesloft_simulator.memberships_on(11)) == 30
    assert salesloft_simulator.stats.calls_by_route["DELETE /v2/cadence_memberships/:id"] == 0


def test_an_empty_input_never_empties_a_cadence(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path
) -> None:
    put_on(salesloft_simulator, range(1001, 1006))
    result, summary = mirror("salesloft_test_sync_mirror", tmp_path, [])

    assert result["state"] == "success"
    assert (summary["rows"], summary["removed"]) == (0, 0)
    assert len(salesloft_simulator.memberships_on(11)) == 5


def test_remove_only_for_user_keeps_other_users_memberships(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path
) -> None:
    put_on(salesloft_simulator, range(1001, 1021), user=1)  # added by the integration's user
    put_on(salesloft_simulator, range(1021, 1026), user=2)  # added by a rep
    rows = [{"person_id": person} for person in range(1001, 1019)]

    result, summary = mirror("salesloft_test_sync_mirror_mine", tmp_path, rows)

    assert result["state"] == "success"
    assert summary["removed"] == 2  # 1019 and 1020; the rep's five stay
    assert sorted(salesloft_simulator.memberships_on(11)) == [*range(1001, 1019), *range(1021, 1026)]


@pytest.mark.salesloft_simulator(seed=4, lost_response_share=0.4, rate_limit=10_000, rate_window_s=5.0)
def test_lost_delete_answers_never_leave_a_wrong_count(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path
) -> None:
    put_on(salesloft_simulator, range(1001, 1041))  # 40 members; the input drops four
    rows = [{"person_id": person} for person in range(1001, 1037)]

    result, summary = mirror("salesloft_test_sync_mirror", tmp_path, rows)

    assert result["state"] == "success"
    assert (summary["removed"], summary["removal_failed"]) == (4, 0)
    assert sorted(salesloft_simulator.memberships_on(11)) == list(range(1001, 1037))
    assert salesloft_simulator.stats.lost_responses > 0  # answers to DELETEs were lost, and reconciled


def test_a_dry_run_mirror_counts_and_lists_who_would_go(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path
) -> None:
    put_on(salesloft_simulator, range(1001, 1031))
    rows = [{"person_id": person} for person in range(1001, 1028)]

    result, summary = mirror("salesloft_test_sync_mirror_dry", tmp_path, rows)

    assert result["state"] == "success"
    assert summary["removed"] == 3  # would be removed
    assert [line["person_id"] for line in summary["removals"]] == [1028, 1029, 1030]
    assert all(line["reason"] == "dry run: would be removed" for line in summary["removals"])
    assert len(salesloft_simulator.memberships_on(11)) == 30  # nothing removed
    assert salesloft_simulator.stats.calls_by_route["DELETE /v2/cadence_memberships/:id"] == 0


@pytest.mark.parametrize("email", ["second7@example.org", " Personal7@HOME.example "])
def test_mirror_keeps_a_member_a_row_names_by_another_of_their_addresses(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path, email: str
) -> None:
    """a20: a row's email names everyone whose address it is (any of the three, any case), whatever
    Salesloft's filter searches. The simulator's filter searches the primary address only (its default, as
    Salesloft may): 9007's secondary or personal address finds nobody, the row is ``person_not_found``, and
    the mirror removed 9007 all the same."""
    put_on(salesloft_simulator, [*range(1001, 1030), 9007])  # 30 members
    rows = [*({"person_id": person} for person in range(1001, 1029)), {"email": email}]  # leaves out 1029

    result, summary = mirror("salesloft_test_sync_mirror", tmp_path, rows)

    assert result["state"] == "success"
    assert summary["person_not_found"] == 1  # the lookup by email found nobody: the filter missed 9007
    assert [line["person_id"] for line in summary["removals"]] == [1029]
    assert 9007 in salesloft_simulator.memberships_on(11)
