"""The pacer as a policy, on a fake clock: what it learns from headers, when it lets requests out."""

from __future__ import annotations

import pytest

from airflow_provider_salesloft.exceptions import SalesloftInvalidArgumentError
from airflow_provider_salesloft.hooks.rate_limit import (
    COST_HEADER,
    PROBE_EVERY,
    REMAINING_HEADER,
    RateLimitPacer,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def headers(remaining: int, cost: int = 1) -> dict[str, str]:
    return {REMAINING_HEADER: str(remaining), COST_HEADER: str(cost)}


def answered(pacer: RateLimitPacer, remaining: int, status: int = 200) -> None:
    """One request let out and answered now, with ``remaining`` left in the window."""
    admitted, _ = pacer.try_acquire()
    assert admitted
    pacer.release(1, pacer._clock(), status, headers(remaining))


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_first_request_goes_alone_until_its_answer_tells_the_limit(clock: Clock) -> None:
    pacer = RateLimitPacer(clock=clock)
    assert pacer.try_acquire() == (True, 0.0)
    admitted, pause = pacer.try_acquire()
    assert not admitted and pause > 0  # one at a time until an answer arrives
    pacer.release(1, clock(), 200, headers(599))
    assert pacer.limit_estimate == 600
    assert pacer.try_acquire()[0]


def test_share_leaves_the_rest_of_the_limit_unspent(clock: Clock) -> None:
    pacer = RateLimitPacer(share=0.5, clock=clock)
    for remaining in (19, 18, 17, 16, 15):  # limit 20, reserve 10: 5 may be in flight
        answered(pacer, remaining)
    admitted = [pacer.try_acquire()[0] for _ in range(6)]
    assert admitted == [True, True, True, True, True, False]


def test_slow_start_one_more_in_flight_per_answer(clock: Clock) -> None:
    """A new client does not burst before it has seen whether others of the team are spending."""
    pacer = RateLimitPacer(clock=clock)
    answered(pacer, remaining=599)
    assert [pacer.try_acquire()[0] for _ in range(3)] == [True, True, False]
    for _ in range(2):
        pacer.release(1, clock(), 200, headers(598))
    assert [pacer.try_acquire()[0] for _ in range(5)] == [True] * 4 + [False]  # 3 answers: 4 in flight


def test_spent_budget_blocks_until_a_probe_of_the_next_window(clock: Clock) -> None:
    pacer = RateLimitPacer(window_s=60, clock=clock)
    answered(pacer, remaining=0)  # the window is spent (a 1 % probe reserve is kept as well)
    admitted, pause = pacer.try_acquire()
    assert not admitted
    # The window's start is unknown: probe soon (spread at random, so that the team's tasks take turns).
    assert 0.5 * PROBE_EVERY * 60 <= pause <= 1.5 * PROBE_EVERY * 60
    clock.now += pause
    assert pacer.try_acquire()[0]  # the probe goes out alone
    assert not pacer.try_acquire()[0]


def test_window_start_is_learned_and_the_next_one_entered_on_time(clock: Clock) -> None:
    pacer = RateLimitPacer(window_s=60, clock=clock)
    answered(pacer, remaining=100)
    clock.now += 30
    answered(pacer, remaining=50)  # same window, later
    clock.now += 31
    answered(pacer, remaining=150)  # remaining went back up: a window began in (t+30, t+61]
    assert pacer._phase == (1030.0, 1061.0)
    clock.now += 40
    wait = pacer.wait_after_rate_limit()
    assert 0 < wait <= 60  # until the next window's expected start, not a whole window plus jitter


def test_429_blocks_every_caller_and_counts(clock: Clock) -> None:
    pacer = RateLimitPacer(window_s=10, clock=clock)
    answered(pacer, remaining=5)
    answered(pacer, remaining=0, status=429)
    assert pacer.stats.rate_limited == 1
    assert pacer.remaining == 0
    assert not pacer.try_acquire()[0]


def test_without_headers_pacing_stays_out_of_the_way(clock: Clock) -> None:
    pacer = RateLimitPacer(clock=clock)
    pacer.try_acquire()
    pacer.release(1, clock(), 200, {})
    assert all(pacer.try_acquire()[0] for _ in range(50))
    assert pacer.limit_estimate is None


@pytest.mark.parametrize("share", [0, -0.1, 1.5, "0.5", True])
def test_share_is_checked(share: object) -> None:
    with pytest.raises(SalesloftInvalidArgumentError, match="rate_limit_share"):
        RateLimitPacer(share=share)  # type: ignore[arg-type]
