"""The retry policy as a policy: which errors retry, how often, how long it waits (time is faked)."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_salesloft.exceptions import (
    SalesloftAPIError,
    SalesloftTransportError,
    api_error_class,
)
from airflow_provider_salesloft.hooks.retry import RetryPolicy as Policy
from airflow_provider_salesloft.hooks.retry import window_wait


class Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def warning(self, message: str, *args: Any) -> None:
        self.lines.append(message % args)


SLEPT: list[float] = []


@pytest.fixture(autouse=True)
def no_sleep() -> list[float]:
    SLEPT.clear()
    return SLEPT


def RetryPolicy(**kwargs: Any) -> Policy:
    return Policy(sleep=SLEPT.append, **kwargs)


def api_error(status: int, retry_after: float | None = None) -> SalesloftAPIError:
    return api_error_class(status)(status, "GET", "/v2/me", "boom", retry_after=retry_after)


def run(policy: Policy, errors: list[BaseException], window_s: float = 60.0) -> tuple[int, Any]:
    calls = 0

    def attempt(number: int) -> str:
        nonlocal calls
        calls += 1
        assert number == calls
        if errors:
            raise errors.pop(0)
        return "ok"

    outcome: Any
    try:
        outcome = policy.call(
            attempt, describe="GET /v2/me", log=Log(), rate_limit_wait=window_wait(window_s)
        )
    except Exception as error:
        outcome = error
    return calls, outcome


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_client_errors_are_never_retried(status: int) -> None:
    calls, outcome = run(RetryPolicy(), [api_error(status)] * 5)
    assert calls == 1
    assert isinstance(outcome, SalesloftAPIError)
    assert outcome.status_code == status


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_429_and_5xx_are_retried_until_success(status: int) -> None:
    calls, outcome = run(RetryPolicy(), [api_error(status)] * 3, window_s=1)
    assert (calls, outcome) == (4, "ok")


@pytest.mark.parametrize("committed", [True, False])
def test_transport_errors_are_retried(committed: bool) -> None:
    calls, outcome = run(RetryPolicy(), [SalesloftTransportError("x", committed_maybe=committed)] * 2)
    assert (calls, outcome) == (3, "ok")


def test_attempts_are_bounded() -> None:
    calls, outcome = run(RetryPolicy(max_attempts=3), [api_error(503)] * 10)
    assert calls == 3
    assert outcome.status_code == 503


def test_total_wait_is_bounded(no_sleep: list[float]) -> None:
    policy = RetryPolicy(max_attempts=100, max_elapsed_s=150)
    calls, outcome = run(policy, [api_error(429)] * 100, window_s=60)
    assert outcome.status_code == 429
    assert sum(no_sleep) <= 150
    assert calls == 3  # two waits of 60-66 s fit in 150 s, a third would not


def test_retry_after_is_obeyed(no_sleep: list[float]) -> None:
    run(RetryPolicy(), [api_error(429, retry_after=7)])
    assert no_sleep == [7]


def test_429_without_retry_after_waits_a_window_with_jitter(no_sleep: list[float]) -> None:
    run(RetryPolicy(), [api_error(429)] * 4, window_s=60)
    assert len(no_sleep) == 4
    assert all(60 <= s <= 66 for s in no_sleep)
    assert len(set(no_sleep)) > 1  # jittered


def test_5xx_backoff_is_exponential_with_jitter_and_capped(no_sleep: list[float]) -> None:
    run(
        RetryPolicy(max_attempts=10, backoff_base_s=1, backoff_max_s=8, max_elapsed_s=1000),
        [api_error(503)] * 9,
    )
    ceilings = [1, 2, 4, 8, 8, 8, 8, 8, 8]
    assert all(c / 2 <= s <= c for s, c in zip(no_sleep, ceilings, strict=False))


def test_retries_are_logged_with_attempt_and_wait() -> None:
    log = Log()
    errors = [api_error(503)]

    def attempt(number: int) -> str:
        if errors:
            raise errors.pop()
        return "ok"

    RetryPolicy(max_attempts=4).call(attempt, describe="POST /v2/cadence_memberships", log=log)
    assert len(log.lines) == 1
    assert "attempt 1 " in log.lines[0]
    assert "at most 4 attempts" in log.lines[0]
    assert "503 boom" in log.lines[0]
    assert "retrying in" in log.lines[0]


def test_policy_from_extras() -> None:
    policy = Policy.from_extras(
        {"retry_max_attempts": "3", "retry_max_elapsed_s": 9, "rate_limit_window_s": 2}
    )
    assert (policy.max_attempts, policy.max_elapsed_s) == (3, 9.0)  # the window: test_settings
