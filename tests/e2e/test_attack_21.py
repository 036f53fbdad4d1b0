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


@pytest.mark.parametrize(
    "broken",
    [
        {"step_id": 999},  # not a step of cadence 11: invalid by the pre-check
        {"step_id": "abc"},  # no id at all: invalid when the row is read
        {"user_id": "-3"},
    ],
)
def test_mirror_keeps_a_person_whose_row_is_invalid(
    salesloft_simulator, out_file: Path, broken: dict[str, object]
) -> None:
    """A row that names a person but cannot be written (its step or user is wrong) still names that
    person: the mirror must not take them off the cadence."""
    sim = salesloft_simulator
    rows = [{"email": f"person{n}@example.com"} for n in range(1, 11)]
    first = run_dag("salesloft_test_sync_mirror", {"rows": rows, "out": str(out_file)}, "salesloft_test_sync")
    assert first["state"] == "success", first
    on_before = set(sim.memberships_on(11))
    assert len(on_before) == 10
    rows[0] = {**rows[0], **broken}
    run_dag("salesloft_test_sync_mirror", {"rows": rows, "out": str(out_file)}, "salesloft_test_sync")
    summary = received(out_file)
    assert summary["invalid"] == 1, summary
    assert set(sim.memberships_on(11)) == on_before, summary


def test_mirror_keeps_people_an_ambiguous_email_names(salesloft_simulator, out_file: Path) -> None:
    """A row whose email two people share is skipped (``on_duplicate_email='skip'``), yet it names them
    both: the mirror must not take either off the cadence."""
    sim = salesloft_simulator
    rows = [{"person_id": 9005}, *({"email": f"person{n}@example.com"} for n in range(1, 11))]
    run_dag("salesloft_test_sync_mirror", {"rows": rows, "out": str(out_file)}, "salesloft_test_sync")
    on_before = set(sim.memberships_on(11))
    assert 9005 in on_before
    rows[0] = {"email": "shared@example.com"}
    run_dag("salesloft_test_sync_mirror", {"rows": rows, "out": str(out_file)}, "salesloft_test_sync")
    summary = received(out_file)
    assert summary["ambiguous_email"] == 1, summary
    assert set(sim.memberships_on(11)) == on_before, summary


def test_custom_field_named_exactly_wins_over_one_differing_in_case(
    salesloft_simulator, out_file: Path
) -> None:
    """A team with both ``Segment`` and ``segment``: a field_map naming ``Segment`` writes ``Segment``."""
    sim = salesloft_simulator
    sim.state.custom_fields.append({"id": 9, "name": "segment", "field_type": "person", "value_type": "text"})
    rows = [{"email": "exact@example.com", "segment": "smb"}]
    run = run_dag(
        "salesloft_test_upsert_per_row", {"rows": rows, "out": str(out_file)}, "salesloft_test_upsert"
    )
    assert run["state"] == "success", run
    summary = received(out_file)
    assert sim.state.people[summary["person_id"]]["custom_fields"] == {"Segment": "smb"}
