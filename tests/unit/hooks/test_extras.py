"""Every numeric connection extra is checked when the connection is read: finite and within its range."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import airflow_provider_salesloft
from airflow_provider_salesloft.exceptions import SalesloftConfigError
from airflow_provider_salesloft.hooks.extras import NUMBER_RANGES
from airflow_provider_salesloft.hooks.settings import ConnectionSettings


def connection(**extras: Any) -> Any:
    from airflow.models.connection import Connection

    return Connection(
        conn_id="x", conn_type="salesloft", host="https://api.salesloft.com", extra=json.dumps(extras)
    )


def test_every_numeric_extra_read_anywhere_has_a_range() -> None:
    read = {
        match.group(1)
        for path in Path(airflow_provider_salesloft.__file__).parent.rglob("*.py")
        for match in re.finditer(r"\.(?:number|integer)\(\s*\"(\w+)\"", path.read_text())
    }
    assert {"timeout", "rate_limit_window_s", "retry_max_attempts"} <= read
    assert read <= set(NUMBER_RANGES)


BAD = {
    "rate_limit_window_s": [0, -60, "nan", float("nan"), float("inf"), "abc", True],
    "timeout": [float("inf"), "inf", float("nan"), "nan", 0, -1, "-1", 10**9, 10**400, "1e309", -0.0],
    "retry_max_attempts": [0, -3, 2.5, "many", 10**6, float("nan"), 10**400],
    "retry_max_elapsed_s": [0, -1, float("inf")],
    "retry_backoff_base_s": [-1, float("nan"), 10**7],
    "retry_backoff_max_s": [-0.5, float("inf")],
    # a20: integers too large for a float (JSON holds them), "1e309" (inf once read), negative zero
    "rate_limit_share": [10**400, -(10**400), "1e309", -0.0, "-0"],
}


@pytest.mark.parametrize(
    ("name", "value"),
    [(name, value) for name, values in BAD.items() for value in values],
    ids=lambda item: str(item)[:24],
)
def test_a_broken_extra_is_refused_naming_extra_value_and_range(name: str, value: Any) -> None:
    with pytest.raises(SalesloftConfigError) as raised:
        ConnectionSettings.from_connection(connection(**{name: value}))
    message = str(raised.value)
    assert name in message
    assert repr(json.loads(json.dumps(value))) in message  # the value as the connection holds it
    assert str(NUMBER_RANGES[name]) in message


@given(
    name=st.sampled_from(sorted(NUMBER_RANGES)),
    value=st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(10**9), 10**9),
)
def test_an_extra_is_accepted_exactly_when_finite_and_in_range(name: str, value: float) -> None:
    allowed = NUMBER_RANGES[name]
    whole = name == "retry_max_attempts"
    ok = math.isfinite(value) and allowed.holds(float(value)) and (not whole or float(value).is_integer())
    if ok:
        ConnectionSettings.from_connection(connection(**{name: value}))
    else:
        with pytest.raises(SalesloftConfigError, match=name):
            ConnectionSettings.from_connection(connection(**{name: value}))
