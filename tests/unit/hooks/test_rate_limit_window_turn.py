"""A window's turn located from answers whose round trips vary (fake clock, no network): the server charges a
request between its sending and its answer, as Salesloft and the simulator do, and answers come out of order.

Before: the first request seen in a new window set the latest possible start to its *sending*; the window
may have begun up to a round trip later. The start drifted early, the request sent there as a window's first
was charged in the old window and found it spent, and the task, told by the team's Variable that the window
had turned before that request, waited for the one after: a whole window lost (through the simulator with
2-second windows, every other window: 19, 1, 19, 0 ...).
"""

from __future__ import annotations

import math
import random

from hypothesis import example, given, settings
from hypothesis import strategies as st

from airflow_provider_salesloft.hooks.rate_limit import REMAINING_HEADER, RateLimitPacer
from airflow_provider_salesloft.hooks.window_phase import WindowPhase
from unit.hooks.test_rate_limit_shared import Clock, MemoryStore, WindowedTeam

LIMIT, WINDOW_S, SHARE = 100, 10.0, 0.9


class GlitchOnce(WindowedTeam):
    """The team's counter; answer number ``at`` (from 1) reports ``remaining 59999``."""

    def __init__(self, clock: Clock, at: int) -> None:
        super().__init__(LIMIT, WINDOW_S, clock)
        self.at, self.answers = at, 0

    def serve(self) -> tuple[int, dict[str, str]]:
        status, answer = super().serve()
        self.answers += 1
        return status, {**answer, REMAINING_HEADER: "59999"} if self.answers == self.at else answer


def run_task(
    pacer: RateLimitPacer, team: WindowedTeam, clock: Clock, until: float, rng: random.Random
) -> None:
    """Four requests in flight; each charged when its answer comes, 20-60 ms after it was sent (the
    simulator's latency comes before the charge), so answers overtake each other."""
    in_flight: list[tuple[float, float]] = []  # (answer due, sent at)
    while clock.now < until or in_flight:
        while clock.now < until and len(in_flight) < 4 and pacer.try_acquire()[0]:
            in_flight.append((clock.now + rng.uniform(0.02, 0.06), clock.now))
        clock.now = round(clock.now + 0.01, 6)
        due = sorted(entry for entry in in_flight if entry[0] <= clock.now)
        in_flight = [entry for entry in in_flight if entry[0] > clock.now]
        for _, sent_at in due:
            status, answer = team.serve()
            pacer.release(1, sent_at, status, answer)


def windows_after_second(started: float, ended: float) -> range:
    """The windows a task covered from start to end, after its second (its first: the one it started in)."""
    return range(math.floor(started / WINDOW_S) + 2, math.floor(ended / WINDOW_S))


def test_a_window_start_is_placed_no_earlier_than_the_answer_that_showed_it() -> None:
    """The request sent at 39.95 and answered at 40.01 was charged in the new window somewhere between:
    the window began by 40.01, not by 39.95."""
    phase = WindowPhase(WINDOW_S)
    phase.saw_same(39.0, 0.0)
    phase.saw_start(39.95, None, 0.0, charged_by=40.01)
    assert phase.interval == (39.0, 40.01)
    assert phase.started_at == 39.95  # what was sent before it may still show the old window


@settings(max_examples=15, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1))
@example(seed=1)
@example(seed=18)
@example(seed=26)
@example(seed=15297512)  # a window lost before answers out of order were told apart (found by u22)
def test_one_glitched_answer_with_round_trips_that_vary_costs_no_window(seed: int) -> None:
    """Invariant (the issue's bound, with the simulator's kind of latency): whatever the moment the first task
    starts, the answer that reports ``remaining 59999`` (one of the first 500), the round trips and the gap
    before the second task, this task and a second one started after it (reading the team's store) use at
    least 90 % of their share in every window they covered after their second. Before, with seeds 1, 18 and
    26 (and 8 of the seeds 0-39): a window used 0 or 1, often every other one."""
    rng = random.Random(seed)
    random.seed(seed)  # the pacer's own draws (blind probes)
    clock, store = Clock(), MemoryStore()
    team = GlitchOnce(clock, at=rng.randint(1, 500))
    clock.now = rng.uniform(0.0, WINDOW_S)
    for _ in range(2):
        started = clock.now
        pacer = RateLimitPacer(share=SHARE, window_s=WINDOW_S, clock=clock, store=store, wall_clock=clock)
        run_task(pacer, team, clock, until=started + 75.0, rng=rng)
        use = {window: team.spent.get(window, 0) for window in windows_after_second(started, clock.now)}
        assert len(use) >= 5
        assert all(spent >= 0.9 * SHARE * LIMIT for spent in use.values()), (seed, use)
        clock.now += rng.uniform(1.0, 8.0)  # the next task starts a little later
    assert team.answers >= team.at  # the glitch was served
    assert store.window is not None and store.window.limit == LIMIT
