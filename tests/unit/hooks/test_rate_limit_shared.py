"""Several pacers on one team's counter (fake clock, no network): together they keep to the share."""

from __future__ import annotations

import random

import pytest

from airflow_provider_salesloft.hooks.rate_limit import COST_HEADER, REMAINING_HEADER, RateLimitPacer
from airflow_provider_salesloft.hooks.team_window import TeamWindow


@pytest.fixture(autouse=True, params=[1, 2, 3])
def probe_dice(request: pytest.FixtureRequest) -> None:
    """The pacer spreads blind probes at random: the same few draws every run."""
    random.seed(request.param)


class Team:
    """Salesloft's per-window counter, shared by every client."""

    def __init__(self, limit: int) -> None:
        self.limit, self.spent = limit, 0

    def serve(self) -> dict[str, str]:
        self.spent += 1
        return {REMAINING_HEADER: str(self.limit - self.spent), COST_HEADER: "1"}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_clients_interleaved_keep_to_the_share_together() -> None:
    """Four clients, four requests in flight each, answers arriving in rounds: the team stops near half."""
    clock, team = Clock(), Team(limit=200)
    pacers = [RateLimitPacer(share=0.5, window_s=60, clock=clock) for _ in range(4)]
    for pacer in pacers:  # each learns the limit from one answer first
        assert pacer.try_acquire()[0]
        clock.now += 0.01
        pacer.release(1, clock.now - 0.01, 200, team.serve())
    for _ in range(200):
        sent = []
        for pacer in pacers:  # each lets out what it believes it may
            while len([s for s in sent if s[0] is pacer]) < 4 and pacer.try_acquire()[0]:
                sent.append((pacer, clock.now))
        if not sent:
            break
        clock.now += 0.04  # a round trip later, every answer arrives
        for pacer, sent_at in sent:
            pacer.release(1, sent_at, 200, team.serve())
    assert 90 <= team.spent <= 102  # the share (100): 113 without the reserve for what others have in flight


class WindowedTeam:
    """Salesloft's counter with fixed windows: ``limit`` per ``window_s``, refusing what is over."""

    def __init__(self, limit: int, window_s: float, clock: Clock) -> None:
        self.limit, self.window_s, self.clock = limit, window_s, clock
        self.spent: dict[int, int] = {}

    def serve(self) -> tuple[int, dict[str, str]]:
        window = int(self.clock.now // self.window_s)
        used = self.spent.get(window, 0)
        if used + 1 > self.limit:
            return 429, {REMAINING_HEADER: "0", COST_HEADER: "1"}
        self.spent[window] = used + 1
        return 200, {REMAINING_HEADER: str(self.limit - used - 1), COST_HEADER: "1"}


class MemoryStore:
    """The team's shared window, in memory (the hook keeps it in an Airflow Variable)."""

    def __init__(self) -> None:
        self.window: TeamWindow | None = None
        self.saves = 0

    def load(self) -> TeamWindow | None:
        return self.window

    def save(self, window: TeamWindow) -> None:
        self.window, self.saves = window, self.saves + 1


def run_team(
    pacers: list[RateLimitPacer], team: WindowedTeam, clock: Clock, until: float, joins: list[float]
) -> None:
    """Each pacer keeps up to four requests in flight from its join time on; answers come 40 ms later."""
    in_flight: list[tuple[float, RateLimitPacer, float]] = []  # (answer due, pacer, sent at)
    step = 0.01
    while clock.now < until:
        for pacer, joined in zip(pacers, joins, strict=True):
            mine = sum(1 for _, owner, _ in in_flight if owner is pacer)
            while clock.now >= joined and mine < 4 and pacer.try_acquire()[0]:
                in_flight.append((clock.now + 0.04, pacer, clock.now))
                mine += 1
        clock.now = round(clock.now + step, 6)
        due = [entry for entry in in_flight if entry[0] <= clock.now]
        in_flight = [entry for entry in in_flight if entry[0] > clock.now]
        for _, pacer, sent_at in due:
            status, answer = team.serve()
            pacer.release(1, sent_at, status, answer)


def test_clients_joining_mid_window_keep_to_the_share_with_the_teams_window() -> None:
    """Four clients join one after another while the window is half spent. Alone, the late ones would take
    what is left for the team's limit (what others spent before their first answer looks like a smaller
    limit); with the window shared, every later window stays within the share and the first one close."""
    clock = Clock()
    team = WindowedTeam(limit=100, window_s=10.0, clock=clock)
    store = MemoryStore()
    pacers = [
        RateLimitPacer(share=0.5, window_s=10.0, clock=clock, store=store, wall_clock=clock) for _ in range(4)
    ]
    run_team(pacers, team, clock, until=60.0, joins=[2.0, 2.5, 3.0, 3.5])
    later = [team.spent.get(window, 0) for window in range(1, 6)]
    # The share of windows 1-5 together: 90-104 % in this lockstep model, whatever the probes' dice (40 seeds
    # tried; the real benchmark, with answers spread in time, measures 98-101 % at a 600/min limit).
    assert 0.9 * 250 <= sum(later) <= 1.04 * 250, later
    assert max(later) <= 60 and team.spent[0] <= 60, team.spent
    assert store.window is not None and store.window.limit == 100
    assert store.window.starts is not None and store.window.starts[1] - store.window.starts[0] <= 3.0


def test_a_client_alone_learns_a_smaller_limit_when_others_spent_first() -> None:
    """Why the window is shared: the same late client without the store undercounts the limit."""
    clock = Clock()
    team = WindowedTeam(limit=100, window_s=10.0, clock=clock)
    team.spent[0] = 40  # the others' spend before this client's first answer
    pacer = RateLimitPacer(share=0.5, window_s=10.0, clock=clock)
    run_team([pacer], team, clock, until=5.0, joins=[1.0])
    assert pacer.limit_estimate == 60
    assert team.spent[0] > 50  # it took the team past its share

    clock, store = Clock(), MemoryStore()
    team = WindowedTeam(limit=100, window_s=10.0, clock=clock)
    team.spent[0] = 40
    store.window = TeamWindow(limit=100, starts=(-0.2, 0.0), saved_at=0.0)
    pacer = RateLimitPacer(share=0.5, window_s=10.0, clock=clock, store=store, wall_clock=clock)
    run_team([pacer], team, clock, until=5.0, joins=[1.0])
    assert pacer.limit_estimate == 100
    assert team.spent[0] <= 51


def test_a_blind_probe_waits_while_another_task_has_just_probed() -> None:
    clock, store = Clock(), MemoryStore()
    store.window = TeamWindow(limit=100, starts=None, saved_at=0.0)  # the limit is known, the start not
    pacer = RateLimitPacer(share=0.5, window_s=10.0, clock=clock, store=store, wall_clock=clock)
    assert pacer.try_acquire()[0]
    pacer.release(1, clock.now, 200, {REMAINING_HEADER: "40", COST_HEADER: "1"})  # within the reserve
    admitted, pause = pacer.try_acquire()
    assert not admitted and pause > 0  # spent: wait to probe for the next window
    clock.now += pause
    store.window = TeamWindow(limit=100, starts=None, saved_at=clock.now, probed_at=clock.now - 0.1)
    assert not pacer.try_acquire()[0]  # asks the team first...
    admitted, pause = pacer.try_acquire()
    assert not admitted and pause > 0.5  # ...and waits its turn: another task probed 0.1 s ago


class GlitchingTeam(WindowedTeam):
    """A team whose answer number ``at`` carries one glitched header (a proxy's or a counter's)."""

    def __init__(self, limit: int, window_s: float, clock: Clock, at: int, glitch: dict[str, str]) -> None:
        super().__init__(limit, window_s, clock)
        self.at, self.glitch, self.answers = at, glitch, 0

    def serve(self) -> tuple[int, dict[str, str]]:
        status, answer = super().serve()
        self.answers += 1
        return status, {**answer, **self.glitch} if self.answers == self.at else answer


@pytest.mark.parametrize(
    "glitch",
    [{REMAINING_HEADER: "59999"}, {COST_HEADER: "1000000"}],
    ids=["remaining 59999", "endpoint-cost 1000000"],
)
def test_one_glitched_answer_neither_starves_the_task_nor_the_next(glitch: dict[str, str]) -> None:
    """The issue's case: limit 100 per 10-second window, share 0.9, one answer out of line in the task's
    third window. Bound: in every full window after the second, this task and a task started after it
    (reading the team's Variable) use at least 90 % of their share. (Before: about 10 calls a minute, for
    the task and, through the Variable, for every task of the next hour.)"""
    clock, store = Clock(), MemoryStore()
    team = GlitchingTeam(limit=100, window_s=10.0, clock=clock, at=190, glitch=glitch)
    first = RateLimitPacer(share=0.9, window_s=10.0, clock=clock, store=store, wall_clock=clock)
    run_team([first], team, clock, until=60.0, joins=[0.5])
    assert team.answers > 190  # the glitch was served
    share = 0.9 * 100
    assert all(team.spent.get(window, 0) >= 0.9 * share for window in range(2, 6)), team.spent
    second = RateLimitPacer(share=0.9, window_s=10.0, clock=clock, store=store, wall_clock=clock)
    run_team([second], team, clock, until=120.0, joins=[61.0])
    assert all(team.spent.get(window, 0) >= 0.9 * share for window in range(8, 12)), team.spent
    assert all(team.spent.get(window, 0) <= 1.02 * share for window in range(1, 12)), team.spent  # 0: cold
    assert store.window is not None and store.window.limit == 100


def test_a_glitch_stored_by_an_older_version_is_refuted_and_lowered() -> None:
    """A Variable holding a glitched limit (saved before answers had to agree): the task paces on it only
    until two windows it saw begin show the real limit, then lowers the team's Variable."""
    clock, store = Clock(), MemoryStore()
    store.window = TeamWindow(limit=60000, starts=None, saved_at=0.0)
    team = WindowedTeam(limit=100, window_s=10.0, clock=clock)
    pacer = RateLimitPacer(share=0.9, window_s=10.0, clock=clock, store=store, wall_clock=clock)
    run_team([pacer], team, clock, until=60.0, joins=[0.5])
    assert store.window.limit == 100
    assert all(team.spent.get(window, 0) >= 0.9 * 90 for window in range(4, 6)), team.spent


def test_a_task_that_finds_the_window_spent_asks_the_team_when_it_turns() -> None:
    """A task that knows the window's start only roughly, finding the budget spent by the others, reads the
    team's window before it waits: it enters the next window when the team knows it starts, instead of
    probing the middle of its own guess (which, window after window, spends a request past the share)."""
    clock, store = Clock(), MemoryStore()
    store.window = TeamWindow(limit=100, starts=None, saved_at=0.0)
    pacer = RateLimitPacer(share=0.5, window_s=10.0, clock=clock, store=store, wall_clock=clock)
    for at, remaining in ((1.0, 60), (3.0, 95), (3.5, 40)):  # a window began in (1, 3]; then others spent
        clock.now = at
        assert pacer.try_acquire()[0]
        pacer.release(1, at, 200, {REMAINING_HEADER: str(remaining), COST_HEADER: "1"})
    store.window = TeamWindow(limit=100, starts=(12.9, 13.0), saved_at=3.5)  # another task narrowed it
    clock.now = 4.0
    assert not pacer.try_acquire()[0]  # spent: it waits for the next window, after a look at the team's
    admitted, pause = pacer.try_acquire()
    assert not admitted and pause == pytest.approx(9.0)  # to 13.0, the team's start (not 12.0, its own)


@pytest.mark.parametrize("prior", [True, False], ids=["minute-aligned prior", "no prior"])
def test_windows_on_the_minute_are_entered_on_time_without_probing_for_them(prior: bool) -> None:
    """Windows on the calendar boundaries (the team's clock is the epoch clock): with the minute-aligned
    prior the task enters every window on time and no probe finds an old window; without it, it probes."""
    clock = Clock()
    team = WindowedTeam(limit=100, window_s=10.0, clock=clock)
    pacer = RateLimitPacer(share=0.9, window_s=10.0, clock=clock, wall_clock=clock, minute_aligned=prior)
    run_team([pacer], team, clock, until=60.0, joins=[0.5])
    if prior:
        assert pacer.stats.early_probes == 0 and not pacer._windows.prior_refuted
        assert all(team.spent.get(window, 0) >= 0.9 * 90 for window in range(1, 6)), team.spent
    else:
        assert pacer.stats.early_probes > 0


def test_windows_off_the_minute_refute_the_prior_and_are_learned() -> None:
    """Windows starting 3.7 s past the boundary: the prior is refuted, the phase learned from the answers, and
    the share used in every window after the second."""
    clock = Clock()
    team = WindowedTeam(limit=100, window_s=10.0, clock=clock)
    pacer = RateLimitPacer(
        share=0.9, window_s=10.0, clock=clock, wall_clock=lambda: clock() + 3.7, minute_aligned=True
    )
    run_team([pacer], team, clock, until=60.0, joins=[0.5])
    assert pacer._windows.prior_refuted
    assert all(team.spent.get(window, 0) >= 0.9 * 90 for window in range(2, 6)), team.spent
    assert all(team.spent.get(window, 0) <= 1.02 * 90 for window in range(1, 6)), team.spent  # 0: cold
