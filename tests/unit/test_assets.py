"""Cadence assets: only a cadence given literally is declared as an outlet (a template or an XCom is not
known when the DAG is parsed); the URI names the asset host and the cadence; the event's extra has the
counts on that cadence."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_salesloft.assets import (
    cadence_asset,
    cadence_uri,
    emit_cadence_events,
    literal_cadence_id,
)
from airflow_provider_salesloft.exceptions import SalesloftInvalidArgumentError
from airflow_provider_salesloft.operators import (
    CreateCadenceMembershipOperator,
    RemoveCadenceMembershipOperator,
    SyncCadenceMembershipsOperator,
)
from airflow_provider_salesloft.outcomes import RunOutcomes


@pytest.mark.parametrize(
    ("value", "expected"),
    [(10, 10), ("10", 10), (" 7 ", 7), ("{{ params.cadence }}", None), (None, None), (True, None), (0, None)],
)
def test_only_literal_cadences_are_known_at_parse(value: Any, expected: int | None) -> None:
    assert literal_cadence_id(value) == expected


def test_the_operators_declare_their_literal_cadence_as_an_outlet() -> None:
    sync = SyncCadenceMembershipsOperator(task_id="sync", rows=[], cadence_id=10)
    add = CreateCadenceMembershipOperator(task_id="add", person_id=1, cadence_id="11", asset_host="h:1")
    remove = RemoveCadenceMembershipOperator(task_id="remove", membership_id=5)
    templated = SyncCadenceMembershipsOperator(task_id="t", rows=[], cadence_id="{{ params.c }}")

    assert [outlet.uri for outlet in sync.outlets] == ["salesloft://api.salesloft.com/cadences/10"]
    assert [outlet.uri for outlet in add.outlets] == ["salesloft://h:1/cadences/11"]
    assert list(remove.outlets) == [] and list(templated.outlets) == []
    assert cadence_asset(10) == sync.outlets[0]  # what a downstream DAG schedules on


@pytest.mark.parametrize("host", ["https://api.salesloft.com", "a/b", "", "host name", None])
def test_a_bad_asset_host_is_refused(host: Any) -> None:
    with pytest.raises(SalesloftInvalidArgumentError, match="asset_host"):
        SyncCadenceMembershipsOperator(task_id="sync", rows=[], cadence_id=10, asset_host=host)


def test_the_event_extra_has_the_counts_on_its_cadence() -> None:
    class Event:
        def __init__(self) -> None:
            self.extra: dict[str, Any] = {}

    outcomes = RunOutcomes()
    for line in [{"outcome": "added", "cadence_id": 10}] * 3 + [{"outcome": "invalid"}]:
        outcomes.line(line)
    outcomes.count(11, "removed")
    outlets = [cadence_asset(10), cadence_asset(12)]
    events = {outlet: Event() for outlet in outlets}

    emit_cadence_events({"outlet_events": events}, outlets, outcomes)

    assert events[outlets[0]].extra == {"cadence_id": 10, "rows_written": 3, "added": 3}
    assert events[outlets[1]].extra == {"cadence_id": 12, "rows_written": 0}
    assert cadence_uri(10, "h") == "salesloft://h/cadences/10"
