"""Ids of every type: accepted as the right positive int, or refused naming the argument and the value."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_provider_salesloft.exceptions import SalesloftInvalidArgumentError
from airflow_provider_salesloft.validation import MAX_ID, coerce_id, coerce_optional_id

BAD = [
    None,
    "",
    "abc",
    "1.5",
    "-3",
    True,
    False,
    [1],
    "None",
    0,
    "0",
    -1,
    1.5,
    float("nan"),
    float("inf"),
    {"id": 1},
    b"12",
    "1e3",
    " ",
    "12abc",
    "١٢",
    2**63,
    Decimal("1.5"),
    object(),
    float(2**53 + 2),  # beyond 2**53 a float is not exact: it may stand for a neighbouring id
    1e18,
]


@pytest.mark.parametrize("value", BAD, ids=repr)
def test_bad_values_are_refused_naming_argument_and_value(value: Any) -> None:
    with pytest.raises(SalesloftInvalidArgumentError) as info:
        coerce_id("person_id", value)
    assert info.value.argument == "person_id"
    assert str(info.value).startswith("person_id must be a positive integer id")
    assert repr(value) in str(info.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, 1), ("42", 42), (" 42 ", 42), ("007", 7), (42.0, 42), (Decimal("42"), 42), (MAX_ID, MAX_ID)],
)
def test_good_values(value: Any, expected: int) -> None:
    assert coerce_id("cadence_id", value) == expected


def test_optional_none_means_not_given() -> None:
    assert coerce_optional_id("step_id", None) is None
    with pytest.raises(SalesloftInvalidArgumentError, match="step_id"):
        coerce_optional_id("step_id", "None")


ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(),
    st.binary(),
    st.decimals(allow_nan=True),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(), st.integers()),
    st.integers().map(str),
    st.integers().map(lambda n: f" {n}\t"),
)


@settings(max_examples=400, deadline=None)
@given(ANYTHING)
def test_every_value_is_accepted_exactly_or_refused_clearly(value: Any) -> None:
    try:
        result = coerce_id("user_id", value)
    except SalesloftInvalidArgumentError as error:
        assert error.argument == "user_id"
        assert error.value is value
        assert "user_id" in str(error)
        return
    assert type(result) is int
    assert 0 < result <= MAX_ID
    assert not isinstance(value, bool)
    if isinstance(value, str):
        assert value.strip().isascii() and value.strip().isdigit() and int(value.strip()) == result
    else:
        assert value == result
