"""Parsing one input row: what becomes a planned row, what is invalid and why."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from airflow_provider_salesloft.operators.sync import OUTCOMES, Outcome
from airflow_provider_salesloft.operators.sync.rows import PlannedRow, RowOutcome, parse_row

DEFAULTS = {"cadence_id": 10, "user_id": None, "step_id": None}


def test_outcome_names_are_the_summary_keys() -> None:
    assert OUTCOMES == (
        "added",
        "already_on_cadence",
        "person_not_found",
        "duplicates",
        "invalid",
        "failed",
        "do_not_contact",
        "ambiguous_email",
    )
    assert f"{Outcome.ADDED}" == str(Outcome.ADDED) == "added"
    assert {"added": 1}[Outcome.ADDED] == 1


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"email": " A@b.co "}, PlannedRow(0, None, "A@b.co", 10, None, None)),
        ({"person_id": "1001", "cadence_id": 11.0}, PlannedRow(0, 1001, None, 11, None, None)),
        ({"person_id": Decimal(7), "user_id": "", "step_id": None}, PlannedRow(0, 7, None, 10, None, None)),
        ({"person_id": 5, "cadence_id": float("nan")}, PlannedRow(0, 5, None, 10, None, None)),
    ],
)
def test_valid_rows(row: dict[str, Any], expected: PlannedRow) -> None:
    assert parse_row(0, row, DEFAULTS) == expected


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("not a mapping", "row is not a mapping: str"),
        ({}, "row has neither person_id nor email"),
        ({"email": "  "}, "row has neither person_id nor email"),
        ({"person_id": "abc"}, "person_id must be a positive integer id"),
        ({"email": "a@b.co", "step_id": -3}, "step_id must be a positive integer id"),
        ({"email": "_is_null"}, "email is not an address"),
        ({"email": "no-at-sign.example.com"}, "email is not an address"),
        ({"email": "two words@example.com"}, "email is not an address"),
        ({"email": "x@" + "y" * 300 + ".com"}, "email is not an address"),
        ({"email": "a@localhost"}, "email is not an address"),
        ({"email": 12}, "email must be text"),
    ],
)
def test_invalid_rows_say_why(row: Any, reason: str) -> None:
    outcome = parse_row(3, row, DEFAULTS)
    assert isinstance(outcome, RowOutcome)
    assert (outcome.index, outcome.outcome) == (3, Outcome.INVALID)
    assert outcome.reason is not None and reason in outcome.reason


def test_no_cadence_anywhere_is_invalid() -> None:
    outcome = parse_row(0, {"person_id": 1}, {**DEFAULTS, "cadence_id": None})
    assert isinstance(outcome, RowOutcome)
    assert outcome.reason == "no cadence_id in row or operator"
    assert outcome.as_dict() == {"index": 0, "outcome": "invalid", "person_id": 1, "reason": outcome.reason}
