"""The pacer as a policy, on a fake clock: what it learns from headers, when it lets requests out."""

from __future__ import annotations

import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_provider_salesloft.exceptions import SalesloftInvalidArgumentError
from airflow_provider_salesloft.hooks.rate_limit import (
    COST_HEADER,
    MIN_WAIT_S,
    PROBE_EVERY,
    REMAINING_HEADER,
    RateLimitPacer,
)
from airflow_provider_salesloft.hooks.team_window import TeamWindow


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


def test_slow_start_in_flight_at_most_the_cost_answered_since_the_start(clock: Clock) -> None:
    """A new client does not burst before it has seen whether others of the team are spending: it has in
    flight at most the cost answered so far (one request at least), so it doubles every round trip."""
    pacer = RateLimitPacer(clock=clock)
    answered(pacer, remaining=599)
    assert [pacer.try_acquire()[0] for _ in range(2)] == [True, False]
    pacer.release(1, clock(), 200, headers(598))
    assert [pacer.try_acquire()[0] for _ in range(3)] == [True, True, False]  # 2 answered: 2 in flight
    for _ in range(2):
        pacer.release(1, clock(), 200, headers(597))
    assert [pacer.try_acquire()[0] for _ in range(5)] == [True] * 4 + [False]  # 4 answered: 4 in flight


def test_slow_start_counts_cost(clock: Clock) -> None:
    """Answers of cost 3 open room for one more request of cost 3 each, not three."""
    pacer = RateLimitPacer(clock=clock)
    assert pacer.try_acquire(3)[0]
    pacer.release(3, clock(), 200, headers(597, cost=3))
    assert [pacer.try_acquire(3)[0] for _ in range(2)] == [True, False]


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
    answered(pacer, remaining=99)  # remaining went back up: a window began in (t+30, t+61]
    assert pacer._windows.interval == (1030.0, 1061.0)
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


class SlowStore:
    """The team's window in a slow metadata database: every read and write takes a second."""

    def __init__(self) -> None:
        self.window: TeamWindow | None = None
        self.calls = 0

    def load(self) -> TeamWindow | None:
        self.calls += 1
        time.sleep(1.0)
        return self.window

    def save(self, window: TeamWindow) -> None:
        self.calls += 1
        time.sleep(1.0)
        self.window = window


def test_waiting_threads_sleep_while_a_slow_store_is_busy() -> None:
    """Eight threads of one pacer spend a team's one-second windows (20 each) while the team's store takes a
    second for every read and write: a thread that cannot go sleeps on the condition instead of spinning, so
    the pacer is asked a bounded number of times per request (before: hundreds of thousands). The pacer runs
    on the real clock here (its sleeps are real), and the test counts calls, never times."""
    store = SlowStore()
    pacer = RateLimitPacer(window_s=1.0, store=store)
    admits = 0
    admit = pacer._admit

    def counted(cost: int) -> tuple[bool, float]:
        nonlocal admits
        admits += 1
        return admit(cost)

    pacer._admit = counted  # type: ignore[method-assign]
    spent: dict[int, int] = {}
    lock = threading.Lock()

    def serve() -> tuple[int, dict[str, str]]:
        with lock:
            window = int(time.monotonic())
            used = spent.get(window, 0)
            if used >= 20:
                return 429, headers(0)
            spent[window] = used + 1
            return 200, headers(19 - used)

    def work() -> None:
        for _ in range(10):
            sent_at = pacer.acquire()
            status, answer = serve()
            pacer.release(1, sent_at, status, answer)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.calls >= 2  # the store was busy while the threads waited
    assert admits <= 20 * pacer.stats.requests, (admits, pacer.stats.requests)


class MemoryStore:
    def __init__(self) -> None:
        self.window: TeamWindow | None = None

    def load(self) -> TeamWindow | None:
        return self.window

    def save(self, window: TeamWindow) -> None:
        self.window = window


header_values = st.one_of(st.integers(-5, 70000).map(str), st.sampled_from(["", "x", "1e9", "NaN"]))
steps = st.lists(
    st.tuples(
        st.floats(-5.0, 30.0),  # the clock moves, backwards too
        st.sampled_from([200, 429, 503, None]),
        st.fixed_dictionaries({}, optional={REMAINING_HEADER: header_values, COST_HEADER: header_values}),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(history=steps, shared=st.booleans())
def test_a_refused_caller_always_sleeps_on_the_condition(
    history: list[tuple[float, int | None, dict[str, str]]], shared: bool
) -> None:
    """Invariant: whatever the clock, the headers and the store do, a caller the pacer refuses sleeps on the
    condition for at least MIN_WAIT_S, unless the team's store is due and free, and then that caller's next
    step goes to the store (and clears it)."""
    clock = Clock()
    pacer = RateLimitPacer(
        share=0.9, window_s=10.0, clock=clock, store=MemoryStore() if shared else None, wall_clock=clock
    )
    waits: list[float | None] = []
    pacer._cond.wait = lambda timeout=None: waits.append(timeout) or True  # type: ignore[method-assign]
    in_flight: list[float] = []
    for moved, status, answer in history:
        clock.now += moved
        pacer._share_with_team()
        with pacer._cond:
            admitted, pause = pacer._admit(1)
            if admitted:
                in_flight.append(clock.now)
            else:
                before = len(waits)
                pacer._wait(pause)
                if len(waits) == before:  # did not sleep: the store is due and this caller goes to it
                    assert shared and (pacer._load_due or pacer._save_due)
                else:
                    assert waits[-1] is not None and waits[-1] >= MIN_WAIT_S
        if (in_flight and status is not None) or len(in_flight) > 3:
            pacer.release(1, in_flight.pop(0), status, answer)
