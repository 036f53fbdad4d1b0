"""Mirror mode's plan and guards, as pure functions."""

from __future__ import annotations

import pytest

from airflow_provider_salesloft.exceptions import SalesloftInvalidArgumentError
from airflow_provider_salesloft.operators import (
    RemoveCadenceMembershipOperator,
    SyncCadenceMembershipsOperator,
)
from airflow_provider_salesloft.operators.sync.mirror import MirrorOptions, plan_removals, row_guard
from airflow_provider_salesloft.operators.sync.named import NamedPeople, usable_ids


def members(people: range, user: int = 1) -> dict[int, dict[str, object]]:
    return {person: {"id": 50_000 + person, "user": {"id": user}} for person in people}


def test_members_left_out_are_planned_for_removal() -> None:
    removals, refusals = plan_removals(MirrorOptions(), {11: set(range(1, 19))}, {11: members(range(1, 21))})
    assert [(cadence, person) for cadence, person, _ in removals] == [(11, 19), (11, 20)]
    assert refusals == []


@pytest.mark.parametrize(("max_removals", "refused"), [(0.1, True), (0.5, False), (1, True), (10, False)])
def test_max_removals_as_a_share_or_a_number(max_removals: float, refused: bool) -> None:
    _, refusals = plan_removals(
        MirrorOptions(max_removals=max_removals), {11: set(range(1, 11))}, {11: members(range(1, 21))}
    )
    assert bool(refusals) is refused


def test_only_memberships_of_one_user() -> None:
    records = {**members(range(1, 6), user=1), **members(range(6, 11), user=2)}
    removals, _ = plan_removals(
        MirrorOptions(max_removals=1.0, remove_only_for_user=2), {11: set()}, {11: records}
    )
    assert [person for _, person, _ in removals] == [6, 7, 8, 9, 10]


@pytest.mark.parametrize("value", [-1, 1.5, "10%", True])
def test_max_removals_is_checked(value: object) -> None:
    with pytest.raises(SalesloftInvalidArgumentError, match="max_removals"):
        SyncCadenceMembershipsOperator(task_id="s", rows=[], mode="mirror", max_removals=value)  # type: ignore[arg-type]


def test_mode_and_remove_arguments_are_checked() -> None:
    with pytest.raises(SalesloftInvalidArgumentError, match="mode"):
        SyncCadenceMembershipsOperator(task_id="s", rows=[], mode="sync")
    with pytest.raises(ValueError, match="membership_id, or person_id and cadence_id"):
        RemoveCadenceMembershipOperator(task_id="r")
    with pytest.raises(ValueError, match="membership_id, or person_id and cadence_id"):
        RemoveCadenceMembershipOperator(task_id="r", membership_id=1, person_id=2, cadence_id=3)


@pytest.mark.parametrize(
    ("invalid", "failing", "max_failed_rows", "reasons"),
    [(0, 0, 0, 0), (1, 1, 5, 1), (0, 2, 1, 1), (0, 2, 2, 0), (2, 3, 0, 2)],
)
def test_invalid_rows_or_too_many_failures_refuse_every_removal(
    invalid: int, failing: int, max_failed_rows: int, reasons: int
) -> None:
    options = MirrorOptions(max_removals=1.0, max_failed_rows=max_failed_rows)
    blocked = row_guard(options, invalid, failing)
    removals, refusals = plan_removals(options, {11: set()}, {11: members(range(1, 5))}, blocked)
    assert len(blocked) == reasons
    assert (removals == []) is bool(reasons) and refusals == blocked


def test_named_people_are_kept_per_cadence_or_everywhere() -> None:
    named = NamedPeople()
    named.name(11, [1, {"id": 2}])
    named.name(None, [3])  # a row whose cadence is unreadable
    assert named.on(11) == {1, 2, 3} and named.on(10) == {3}


@pytest.mark.parametrize(
    ("row", "ids"),
    [
        ({"person_id": " 1019", "step_id": "abc"}, (1019, 11)),
        ({"person_id": 1004, "cadence_id": "eleven"}, (1004, None)),
        ({"person_id": "abc", "cadence_id": 10}, (None, 10)),
        ("not a mapping", (None, None)),
    ],
)
def test_an_invalid_row_still_names_its_readable_ids(row: object, ids: tuple[object, object]) -> None:
    assert usable_ids(row, 11) == ids
