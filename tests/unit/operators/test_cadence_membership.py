"""The operator refuses bad ids in execute(), before any request: zero calls reach the simulator."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_salesloft.exceptions import SalesloftInvalidArgumentError
from airflow_provider_salesloft.operators import CreateCadenceMembershipOperator
from airflow_provider_salesloft.testing import SalesloftSimulator

ID_FIELDS = ("person_id", "cadence_id", "user_id", "step_id", "salesloft_task_id")


class FakeTI:
    """Collects what the operator pushes (execute() is called directly here; DAG runs are in e2e/)."""

    def __init__(self) -> None:
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


pytestmark = pytest.mark.salesloft_simulator(rate_limit=1_000_000)


def make_operator(**ids: Any) -> Any:
    return CreateCadenceMembershipOperator(task_id="add", **{"person_id": 1001, "cadence_id": 10, **ids})


def test_template_fields_cover_every_id_and_the_connection() -> None:
    assert set(CreateCadenceMembershipOperator.template_fields) == {*ID_FIELDS, "salesloft_conn_id"}


def test_if_already_on_cadence_is_checked_at_construction() -> None:
    with pytest.raises(ValueError, match="if_already_on_cadence"):
        CreateCadenceMembershipOperator(
            task_id="x", person_id=1, cadence_id=1, if_already_on_cadence="ignore"
        )  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    field=st.sampled_from(ID_FIELDS),
    value=st.one_of(
        st.sampled_from([None, "", "abc", "1.5", "-3", True, [1], "None", 0, -7, "0x1F", 3.5, {"a": 1}]),
        st.text(max_size=6).filter(lambda t: not t.strip().isdigit()),
        st.integers(max_value=0),
    ),
)
def test_any_bad_id_is_refused_before_any_request(
    salesloft_simulator: SalesloftSimulator, field: str, value: Any
) -> None:
    if value is None and field not in ("person_id", "cadence_id"):
        return  # None means "not given" for optional ids
    before = salesloft_simulator.stats.calls
    operator = make_operator(**{field: value})
    ti = FakeTI()
    with pytest.raises(SalesloftInvalidArgumentError) as info:
        operator.execute({"ti": ti})
    assert info.value.argument == field
    assert repr(value) in str(info.value)
    assert salesloft_simulator.stats.calls == before
    assert ti.pushed == {}


def test_numeric_strings_and_ints_are_accepted(salesloft_simulator: SalesloftSimulator) -> None:
    operator = make_operator(person_id=" 1050", cadence_id=11, step_id="110")
    ti = FakeTI()
    membership = operator.execute({"ti": ti})
    assert membership["person"]["id"] == 1050
    assert ti.pushed["membership_id"] == membership["id"]
    assert ti.pushed["membership_state"] == "staged"
