"""SalesloftHook against the simulator over loopback HTTP: one method per API action, one session."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_salesloft.exceptions import (
    SalesloftAPIError,
    SalesloftAuthenticationError,
    SalesloftError,
    SalesloftNotFoundError,
    SalesloftPermissionError,
    SalesloftServerError,
    SalesloftValidationError,
)
from airflow_provider_salesloft.hooks.salesloft import SalesloftHook
from airflow_provider_salesloft.testing import SalesloftSimulator

pytestmark = pytest.mark.salesloft_simulator(rate_window_s=1.0, rate_limit=100_000)


def test_create_membership_returns_unwrapped_membership(
    salesloft_simulator: SalesloftSimulator, make_hook: Any
) -> None:
    membership = make_hook(salesloft_simulator).create_cadence_membership(1001, 10, step_id=100)

    assert membership == salesloft_simulator.memberships_on(10)[1001]
    assert set(membership) >= {"id", "added_at", "created_at", "current_state", "cadence", "person", "counts"}


def test_one_session_and_one_connection_read_for_many_calls(
    salesloft_simulator: SalesloftSimulator, make_hook: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = make_hook(salesloft_simulator)
    reads = []
    original = SalesloftHook.get_connection

    def counting(conn_id: str) -> Any:
        reads.append(conn_id)
        return original(conn_id)

    monkeypatch.setattr(SalesloftHook, "get_connection", staticmethod(counting))
    sessions = set()
    for person in range(1001, 1006):
        hook.create_cadence_membership(person, 10)
        sessions.add(id(hook.get_conn()))
    hook.get_me()

    assert reads == ["sl_test"]
    assert len(sessions) == 1


@pytest.mark.parametrize(
    ("call", "error", "status"),
    [
        (lambda h: h.create_cadence_membership(999_999, 10), SalesloftNotFoundError, 404),
        (lambda h: h.create_cadence_membership(1001, 12, user_id=3), SalesloftPermissionError, 403),
        (lambda h: h.create_cadence_membership(1001, 10, step_id=110), SalesloftValidationError, 422),
        (lambda h: h.get_cadence_membership(777), SalesloftNotFoundError, 404),
    ],
)
def test_errors_are_typed_with_status_and_salesloft_message(
    salesloft_simulator: SalesloftSimulator,
    make_hook: Any,
    call: Any,
    error: type[SalesloftAPIError],
    status: int,
) -> None:
    with pytest.raises(error) as info:
        call(make_hook(salesloft_simulator))

    assert info.value.status_code == status
    assert info.value.message
    assert isinstance(info.value, SalesloftError)
    # never retried (a 404 to an add then reads the cadence and the person once each, to say which is missing)
    assert set(salesloft_simulator.stats.calls_by_route.values()) == {1}


def test_validation_error_carries_errors_object(
    salesloft_simulator: SalesloftSimulator, make_hook: Any
) -> None:
    with pytest.raises(SalesloftValidationError) as info:
        make_hook(salesloft_simulator).create_cadence_membership(1001, 10, step_id=110)
    assert info.value.errors == {"step_id": ["does not belong to this cadence"]}
    assert "step_id 110: does not belong to this cadence" in str(info.value)  # the message names the id


def test_wrong_key_is_401_not_retried_and_not_in_message(
    salesloft_simulator: SalesloftSimulator, make_hook: Any
) -> None:
    with pytest.raises(SalesloftAuthenticationError) as info:
        make_hook(salesloft_simulator, api_key="bad-key-123456").get_me()
    assert salesloft_simulator.stats.calls == 1
    assert "bad-key-123456" not in str(info.value)
    assert "No Bearer Token" in info.value.message or "Invalid" in info.value.message


def test_503_is_retried_up_to_max_attempts(salesloft_simulator: SalesloftSimulator, make_hook: Any) -> None:
    salesloft_simulator.set_faults(error_503_share=1.0)
    with pytest.raises(SalesloftServerError) as info:
        make_hook(salesloft_simulator, retry_max_attempts=4).get_me()
    assert info.value.status_code == 503
    assert "503 Service Temporarily Unavailable" in info.value.message  # HTML body, made readable
    assert salesloft_simulator.stats.calls == 4


def test_find_people_by_email_batches_100_per_call(
    salesloft_simulator: SalesloftSimulator, make_hook: Any
) -> None:
    emails = [f"Person{n}@Example.com" for n in range(1, 151)] + ["nobody@example.com"]
    people = make_hook(salesloft_simulator).find_people_by_email(emails)

    assert len(people) == 150
    assert salesloft_simulator.stats.calls_by_route["GET /v2/people"] == 2


def test_delete_membership_takes_person_off(salesloft_simulator: SalesloftSimulator, make_hook: Any) -> None:
    hook = make_hook(salesloft_simulator)
    membership = hook.create_cadence_membership(1001, 10)
    hook.delete_cadence_membership(membership["id"])
    assert hook.get_cadence_membership(membership["id"])["currently_on_cadence"] is False
    again = hook.create_cadence_membership(1001, 10)
    assert again["id"] == membership["id"]  # Salesloft reuses the record
    assert again["created_at"] == membership["created_at"]


def test_test_connection(salesloft_simulator: SalesloftSimulator, make_hook: Any) -> None:
    assert make_hook(salesloft_simulator).test_connection() == (
        True,
        "Connected as Ada Admin (ada@example.com)",
    )
    ok, message = make_hook(salesloft_simulator, api_key="nope").test_connection()
    assert not ok
    assert "nope" not in message
    assert message


def test_get_data_returns_lists_and_objects_as_sent(
    salesloft_simulator: SalesloftSimulator, make_hook: Any
) -> None:
    hook = make_hook(salesloft_simulator)
    assert [user["id"] for user in hook.get_data("/v2/users")] == [1, 2, 3]
    assert hook.get_data("/v2/me")["id"] == 1
