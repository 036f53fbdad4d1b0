"""``remove_only_for_user``: a membership's ``user`` is the user the person is on the cadence *for* (the
add's ``user_id``); Salesloft records no "added by". A sync that adds people for a rep mirrors exactly
those people, and leaves everyone on the cadence for other users alone."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from airflow.exceptions import AirflowProviderDeprecationWarning
from dag_runner import received, run_dag
from support import FAST_SIMULATOR

from airflow_provider_salesloft.exceptions import SalesloftInvalidArgumentError
from airflow_provider_salesloft.operators import SyncCadenceMembershipsOperator
from airflow_provider_salesloft.testing import SalesloftSimulator

pytestmark = [pytest.mark.e2e, FAST_SIMULATOR]


def test_a_sync_for_a_rep_mirrors_the_reps_memberships_only(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path
) -> None:
    for person in range(1001, 1011):  # on the cadence for user 1, outside this sync
        salesloft_simulator.state.add_to_cadence(1, {"person_id": person, "cadence_id": 11}, "422")
    out = tmp_path / "summary.json"
    rows = [{"person_id": person, "user_id": 2} for person in range(1011, 1031)]  # added for rep 2
    first = run_dag(
        "salesloft_test_sync_mirror_for_rep", {"rows": rows, "out": str(out)}, "salesloft_test_sync"
    )
    assert first["state"] == "success" and received(out)["added"] == 20

    second = run_dag(
        "salesloft_test_sync_mirror_for_rep", {"rows": rows[:-3], "out": str(out)}, "salesloft_test_sync"
    )
    summary = received(out)

    assert second["state"] == "success"
    assert summary["removed"] == 3  # 1028-1030, on the cadence for rep 2 and out of the input
    assert sorted(salesloft_simulator.memberships_on(11)) == list(range(1001, 1028))


def test_the_old_name_still_works_with_a_deprecation_warning() -> None:
    with pytest.warns(AirflowProviderDeprecationWarning, match="remove_only_added_by is deprecated"):
        old = SyncCadenceMembershipsOperator(
            task_id="old", rows=[], cadence_id=11, mode="mirror", remove_only_added_by=2
        )
    assert old.remove_only_for_user == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        new = SyncCadenceMembershipsOperator(
            task_id="new", rows=[], cadence_id=11, mode="mirror", remove_only_for_user=2
        )
    assert new.remove_only_for_user == 2
    with pytest.raises(SalesloftInvalidArgumentError, match="give only remove_only_for_user"):
        SyncCadenceMembershipsOperator(
            task_id="both", rows=[], cadence_id=11, remove_only_for_user=2, remove_only_added_by=2
        )
