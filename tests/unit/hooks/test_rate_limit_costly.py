"""Several tasks of one team whose writes cost 3 (fake clock, no network): by cost, together they keep to the
share, and a task that finds the window spent by the others does not spend a probe on every window.

The model: each task has up to four requests in flight (the sync's default), does a few lookups (cost 1)
then adds (cost 3); every request is charged when it reaches the server (a random share of its 20-50 ms
round trip, seeded) to fixed windows whose start is unaligned with the tasks' clocks; the tasks share the
team's window through one store, as the hook's Airflow Variable does.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field

import pytest

from airflow_provider_salesloft.hooks.rate_limit import COST_HEADER, REMAINING_HEADER, RateLimitPacer
from unit.hooks.test_rate_limit_shared import Clock, MemoryStore

LOOKUP, ADD = "GET /v2/people", "POST /v2/cadence_memberships"


@dataclass
class Team:
    """What Salesloft's counter charged: cost per window, each task's part, and the 429s."""

    limit: int
    window_s: float
    origin: float
    spent: dict[int, int] = field(default_factory=dict)
    refused: int = 0
    calls: int = 0

    def charge(self, at: float, cost: int) -> tuple[int, dict[str, str]]:
        window = int((at - self.origin) // self.window_s)
        used = self.spent.get(window, 0)
        self.calls += 1
        if used + cost > self.limit:
            self.refused += 1
            return 429, {REMAINING_HEADER: str(self.limit - used), COST_HEADER: str(cost)}
        self.spent[window] = used + cost
        return 200, {REMAINING_HEADER: str(self.limit - used - cost), COST_HEADER: str(cost)}


def run_tasks(tasks: int, share: float, add_cost: int, seed: int, until: float = 70.0) -> Team:
    """``tasks`` syncs of one team, limit 100 per 10-second window, from about 1 s on, until ``until``."""
    dice = random.Random(seed)
    random.seed(seed)  # the pacer's own dice (blind probes, parts smaller than a request)
    clock, store = Clock(), MemoryStore()
    team = Team(limit=100, window_s=10.0, origin=0.37)
    pacers = [
        RateLimitPacer(share=share, window_s=10.0, clock=clock, store=store, wall_clock=clock)
        for _ in range(tasks)
    ]
    joins = [1.0 + 0.3 * n + 0.5 * dice.random() for n in range(tasks)]
    lookups = [0] * tasks
    in_flight = [0] * tasks
    events: list[tuple[float, int, int, float, str, int, int]] = []  # (at, seq, task, sent, route, cost, 0/1)
    answers: dict[int, tuple[int, dict[str, str]]] = {}
    seq = 0
    while clock.now < until:
        for n, pacer in enumerate(pacers):
            while clock.now >= joins[n] and in_flight[n] < 4:
                route = LOOKUP if lookups[n] < 12 else ADD
                cost = pacer.cost_of(route)
                if not pacer.try_acquire(cost)[0]:
                    break
                lookups[n] += route == LOOKUP
                in_flight[n] += 1
                trip = dice.uniform(0.02, 0.05)
                arrives = clock.now + trip * dice.uniform(0.3, 0.7)
                heapq.heappush(events, (arrives, seq, n, clock.now, route, cost, 0))
                heapq.heappush(events, (clock.now + trip, seq, n, clock.now, route, cost, 1))
                seq += 1
        clock.now = round(clock.now + 0.002, 6)
        while events and events[0][0] <= clock.now:
            at, number, n, sent_at, route, cost, answer = heapq.heappop(events)
            if not answer:
                answers[number] = team.charge(at, add_cost if route == ADD else 1)
                continue
            status, headers = answers.pop(number)
            pacers[n].release(cost, sent_at, status, headers, route)
            in_flight[n] -= 1
    return team


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("tasks", [2, 4])
def test_tasks_whose_writes_cost_3_keep_to_the_share_by_cost(tasks: int, seed: int) -> None:
    """Share 0.5 of 100, adds costing 3 (6 % of the share each): in the windows after the first (the tasks
    join during it), the team spends its share on average, no window more than a few adds over. Before, the
    tasks that found a window spent probed every window (3 each, past the share), and at a window's start
    each burst four adds: 4 tasks averaged 109-112 % of the share over these windows."""
    team = run_tasks(tasks, share=0.5, add_cost=3, seed=seed)
    use = [team.spent.get(window, 0) / 50 for window in range(1, 7)]
    assert 0.92 <= sum(use) / len(use) <= 1.06, use
    assert max(use) <= 1.26, use
    assert team.refused == 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_four_tasks_at_full_share_with_costly_writes_use_the_limit_without_429s(seed: int) -> None:
    """Share 1.0: after the first window (whose blind probes find the budget spent), no 429 in 1 % of the
    calls, and the limit used."""
    team = run_tasks(4, share=1.0, add_cost=3, seed=seed, until=10.37)
    cold = team.refused
    team_after = run_tasks(4, share=1.0, add_cost=3, seed=seed)
    assert team_after.refused - cold <= 0.01 * team_after.calls, (cold, team_after.refused)
    use = [team_after.spent.get(window, 0) / 100 for window in range(1, 7)]
    assert sum(use) / len(use) >= 0.9, use


@pytest.mark.parametrize(("tasks", "share"), [(2, 0.5), (4, 0.5)])
def test_the_first_window_keeps_to_the_share_too(tasks: int, share: float) -> None:
    """The window the tasks start in (what ``bench_shared.py`` measures first): once a task has spent its
    share there, it probes for the next window blind, and each blind probe that finds the old window (an
    add, cost 3) is spent past the share. The target: over seeds 0-9 the first window averages at most 109 %
    of the share (the tasks join 1-2 s into it). Measured before the first window's probes waited for its
    last stretch (:mod:`~airflow_provider_salesloft.hooks.first_window`): 112 % (2 tasks), 115 % (4 tasks),
    up to 134 %."""
    use = [
        run_tasks(tasks, share, add_cost=3, seed=seed).spent.get(0, 0) / (100 * share) for seed in range(10)
    ]
    assert sum(use) / len(use) <= 1.09, use
    assert max(use) <= 1.16, use


def test_four_tasks_at_full_share_spend_few_blind_probes_on_429s() -> None:
    """Share 1.0, four tasks, seeds 0-9: the blind probes of the first window find the budget spent (a 429
    each). The target: 429s at most 1.2 % of the calls over the whole run (60 of 2,611, 2.3 %, before the
    first window's probes waited: :mod:`~airflow_provider_salesloft.hooks.first_window`)."""
    teams = [run_tasks(4, share=1.0, add_cost=3, seed=seed) for seed in range(10)]
    refused, calls = sum(team.refused for team in teams), sum(team.calls for team in teams)
    assert refused <= 0.012 * calls, (refused, calls)
