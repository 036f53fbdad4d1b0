"""A mirror whose removals meet ``processing`` memberships ("Cadence-related changes cannot be made at this
time"): those still processing after the hook's bounded wait are ``removal_failed`` with Salesloft's
reason; the rest are removed."""

from __future__ import annotations

from pathlib import Path

import pytest
from dag_runner import received, run_dag
from support import FAST_SIMULATOR

from airflow_provider_salesloft.hooks import salesloft as salesloft_hook
from airflow_provider_salesloft.testing import SalesloftSimulator

pytestmark = [pytest.mark.e2e, FAST_SIMULATOR]


@pytest.mark.salesloft_simulator(processing_refuses_removal=True)
def test_removals_of_processing_memberships_wait_then_fail_with_the_reason(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(salesloft_hook, "PROCESSING_WAIT_S", 1.0)
    for person in [*range(1001, 1028), 1030]:
        salesloft_simulator.state.add_to_cadence(1, {"person_id": person, "cadence_id": 11}, "422")
    for person in (1028, 1029):  # still processing, whatever the wait
        salesloft_simulator.state.add_to_cadence(
            1, {"person_id": person, "cadence_id": 11}, "422", "processing"
        )
    out = tmp_path / "summary.json"
    rows = [{"person_id": person} for person in range(1001, 1028)]  # 1028-1030 leave (3 of 30 allowed)

    result = run_dag("salesloft_test_sync_mirror", {"rows": rows, "out": str(out)}, "salesloft_test_sync")
    summary = received(out)

    assert (summary["removed"], summary["removal_failed"]) == (1, 2)
    failed = [line for line in summary["removals"] if line["person_id"] in (1028, 1029)]
    assert len(failed) == 2
    assert all("still processing after 1 s" in line["reason"] for line in failed)  # waited, then gave up
    assert all("Cadence-related changes cannot be made at this time" in line["reason"] for line in failed)
    assert sorted(salesloft_simulator.memberships_on(11)) == [*range(1001, 1030)]
    assert result["tasks"][("sync", -1)] == "failed"  # removal_failed counts against max_failed_rows (0)
