"""Errors that say which thing is wrong: the record's id, the connection's id, the fix; no chained tracebacks
for errors raised on purpose. Against the simulator over loopback HTTP."""

from __future__ import annotations

import traceback
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_salesloft.exceptions import (
    SalesloftAuthenticationError,
    SalesloftDoNotContactError,
    SalesloftError,
    SalesloftNotFoundError,
    SalesloftPermissionError,
    SalesloftValidationError,
)
from airflow_provider_salesloft.testing import DEFAULT_API_KEY, SalesloftSimulator

EXISTING_PEOPLE = (1001, 1002, 1003)
EXISTING_CADENCES = (10, 11)
MISSING_IDS = st.integers(min_value=500_000, max_value=10**9)


def one_traceback(error: BaseException) -> bool:
    """True when the error prints as one traceback (no "During handling ..." or "direct cause" chain)."""
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return text.count("Traceback (most recent call last)") == 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    person=st.one_of(st.sampled_from(EXISTING_PEOPLE), MISSING_IDS),
    cadence=st.one_of(st.sampled_from(EXISTING_CADENCES), MISSING_IDS),
)
def test_404_on_add_names_exactly_the_missing_records(
    salesloft_simulator: SalesloftSimulator, make_hook: Any, person: int, cadence: int
) -> None:
    """Invariant: a 404 to an add names each of the person and the cadence iff it is missing, with its id."""
    if person in EXISTING_PEOPLE and cadence in EXISTING_CADENCES:
        return  # no 404: nothing to name
    hook = make_hook(salesloft_simulator)
    with pytest.raises(SalesloftNotFoundError) as caught:
        hook.create_cadence_membership(person, cadence)

    message = str(caught.value)
    assert (f"person_id {person}" in message) == (person not in EXISTING_PEOPLE)
    assert (f"cadence_id {cadence}" in message) == (cadence not in EXISTING_CADENCES)
    assert "not found or not visible" in message
    assert one_traceback(caught.value)


def test_404_lookups_only_on_the_error_path(salesloft_simulator: SalesloftSimulator, make_hook: Any) -> None:
    hook = make_hook(salesloft_simulator)
    hook.create_cadence_membership(1001, 10)
    assert salesloft_simulator.stats.calls_by_route.get("GET /v2/cadences/:id", 0) == 0

    with pytest.raises(SalesloftNotFoundError, match=r"cadence_id 99999 not found or not visible"):
        hook.create_cadence_membership(1002, 99_999)
    reads = salesloft_simulator.stats.calls_by_route
    assert sum(count for route, count in reads.items() if route.startswith("GET /v2/cadences/")) == 1
    assert sum(count for route, count in reads.items() if route.startswith("GET /v2/people/")) == 1


def test_401_names_the_connection_and_the_fix(
    salesloft_simulator: SalesloftSimulator, make_hook: Any
) -> None:
    hook = make_hook(salesloft_simulator, api_key="wrong-key-5f1d2c3b4a")
    with pytest.raises(SalesloftAuthenticationError) as caught:
        hook.create_cadence_membership(1001, 10)
    message = str(caught.value)
    assert "connection 'sl_test'" in message
    assert "put a current key in the connection's password" in message
    assert "wrong-key-5f1d2c3b4a" not in message
    assert one_traceback(caught.value)


@pytest.mark.salesloft_simulator(scopes={DEFAULT_API_KEY: ("people:read",)})
def test_403_names_the_connection_and_the_scope(
    salesloft_simulator: SalesloftSimulator, make_hook: Any
) -> None:
    hook = make_hook(salesloft_simulator)
    with pytest.raises(SalesloftPermissionError) as caught:
        hook.get_cadence(10)
    message = str(caught.value)
    assert "connection 'sl_test'" in message
    assert "cadences:read" in message
    assert one_traceback(caught.value)


def test_403_on_a_write_names_the_connection_and_the_permission(
    salesloft_simulator: SalesloftSimulator, make_hook: Any
) -> None:
    hook = make_hook(salesloft_simulator)
    with pytest.raises(SalesloftPermissionError) as caught:
        hook.create_cadence_membership(1001, 12, user_id=3)  # Bo's personal cadence, added for Cy
    assert "connection 'sl_test': its user lacks the permission" in str(caught.value)


def test_archived_cadence_message_names_the_cadence(
    salesloft_simulator: SalesloftSimulator, make_hook: Any
) -> None:
    hook = make_hook(salesloft_simulator)
    with pytest.raises(SalesloftValidationError) as caught:
        hook.ensure_cadence_membership(1001, 13)
    assert "cadence_id 13: cadence is archived" in str(caught.value)
    assert caught.value.errors == {"cadence_id": ["cadence is archived and cannot have people added"]}
    assert one_traceback(caught.value)


def test_do_not_contact_add_raises_one_traceback(
    salesloft_simulator: SalesloftSimulator, make_hook: Any
) -> None:
    hook = make_hook(salesloft_simulator)
    with pytest.raises(SalesloftDoNotContactError) as caught:
        hook.ensure_cadence_membership(9001, 10)
    assert str(caught.value).endswith(
        "person 9001 is marked do-not-contact in Salesloft and cannot be added to cadence 10"
    )
    assert one_traceback(caught.value)


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda hook: hook.get_cadence(424_242), "cadence 424242"),
        (lambda hook: hook.get_person(525_252), "person 525252"),
        (lambda hook: hook.get_cadence_membership(626_262), "membership 626262"),
    ],
)
def test_every_record_message_names_its_id(
    salesloft_simulator: SalesloftSimulator, make_hook: Any, call: Any, expected: str
) -> None:
    with pytest.raises(SalesloftError) as caught:
        call(make_hook(salesloft_simulator))
    assert expected in str(caught.value)
    assert one_traceback(caught.value)


def test_a_caller_that_explains_404s_itself_pays_no_reads(
    salesloft_simulator: SalesloftSimulator, make_hook: Any
) -> None:
    hook = make_hook(salesloft_simulator)
    with pytest.raises(SalesloftNotFoundError) as caught:
        hook.create_cadence_membership(1002, 99_999, explain_not_found=False)  # as the sync does
    assert "person_id 1002 or cadence_id 99999 not found or not visible" in str(caught.value)
    assert set(salesloft_simulator.stats.calls_by_route) == {"POST /v2/cadence_memberships"}
