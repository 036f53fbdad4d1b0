"""Attacks on issue 21 (Salesloft as documented), through the operators' public surface."""

from __future__ import annotations

from pathlib import Path

import pytest
from dag_runner import received, run_dag
from support import FAST_SIMULATOR

pytestmark = [FAST_SIMULATOR]


@pytest.mark.parametrize(
    "dag_id", ["salesloft_test_custom_field_case_per_row", "salesloft_test_custom_field_case_bulk"]
)
def test_custom_field_named_in_another_case_writes_the_teams_field(
    salesloft_simulator, out_file: Path, dag_id: str
) -> None:
    """The pre-check takes custom field names in any case (``segment`` for the team's ``Segment``): the
    write must then land in the team's own field, never in a second spelling beside it."""
    sim = salesloft_simulator
    rows = [{"email": "case@example.com", "seg": "enterprise", "score": "90"}]
    run = run_dag(dag_id, {"rows": rows, "out": str(out_file)}, "salesloft_test_upsert")
    assert run["state"] == "success", run
    summary = received(out_file)
    assert summary["created"] == 1, summary
    person = sim.state.people[summary["person_id"]]
    assert person["custom_fields"] == {"Segment": "enterprise", "Lead Score": "90"}
