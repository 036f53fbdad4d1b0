"""Attacks on issue 22's pacing (fake clock, no network unless said): a glitch in the task's first answer, a
glitch that repeats, a task held to one request a window, a team Variable holding a limit far too large."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from typing import Any

import pytest
from hostile import HostileServer, Reply, Seen

from airflow_provider_salesloft.hooks import team_window
from airflow_provider_salesloft.hooks.limit_estimate import LimitEstimate
from airflow_provider_salesloft.hooks.rate_limit import COST_HEADER, REMAINING_HEADER, RateLimitPacer
from airflow_provider_salesloft.hooks.salesloft import SalesloftHook
from airflow_provider_salesloft.hooks.team_window import MAX_LIMIT, TeamWindow
from airflow_provider_salesloft.testing import SalesloftSimulator
from unit.hooks.test_rate_limit_shared import Clock, GlitchingTeam, MemoryStore, WindowedTeam, run_team

SHARE = 0.9
LIMIT = 100


@pytest.fixture(params=[1, 2, 3])
def probe_dice(request: pytest.FixtureRequest) -> None:
    """The pacer spreads blind probes at random: the same few draws every run."""
    random.seed(request.param)


def pacer_on(clock: Clock, store: MemoryStore) -> RateLimitPacer:
    return RateLimitPacer(share=SHARE, window_s=10.0, clock=clock, store=store, wall_clock=clock)


def used_at_least(team: WindowedTeam, windows: range, part: float = 0.9) -> bool:
    return all(team.spent.get(window, 0) >= part * SHARE * LIMIT for window in windows)


@pytest.mark.usefixtures("probe_dice")
@pytest.mark.parametrize(
    "glitch",
    [{REMAINING_HEADER: "59999"}, {COST_HEADER: "1000000"}],
    ids=["remaining 59999", "endpoint-cost 1000000"],
)
def test_a_glitch_in_the_first_answer_neither_starves_the_task_nor_the_next(glitch: dict[str, str]) -> None:
    """The issue's bound, with the glitch in the task's very first answer (nothing yet to weigh it against).
    Before: the task paced on a limit of 60,000 (a reserve of 6,000), let out one probe a window, never saw a
    window begin (each probe showed ``remaining`` 99 again), so the estimate never decayed; the Variable
    held 60,000 and the next task starved as well."""
    clock, store = Clock(), MemoryStore()
    team = GlitchingTeam(limit=LIMIT, window_s=10.0, clock=clock, at=1, glitch=glitch)
    first = pacer_on(clock, store)
    run_team([first], team, clock, until=60.0, joins=[0.5])
    assert used_at_least(team, range(2, 6)), team.spent
    assert first.limit_estimate == LIMIT
    second = pacer_on(clock, store)
    run_team([second], team, clock, until=120.0, joins=[61.0])
    assert used_at_least(team, range(8, 12)), team.spent
    assert all(team.spent.get(window, 0) <= 1.02 * SHARE * LIMIT for window in range(1, 12)), team.spent
    assert store.window is not None and store.window.limit == LIMIT


class PatternGlitchTeam(WindowedTeam):
    """Answers whose number (from 1) ``glitched`` picks report ``remaining 59999``."""

    def __init__(self, clock: Clock, glitched: Callable[[int], bool]) -> None:
        super().__init__(LIMIT, 10.0, clock)
        self.glitched, self.answers = glitched, 0

    def serve(self) -> tuple[int, dict[str, str]]:
        status, answer = super().serve()
        self.answers += 1
        return status, {**answer, REMAINING_HEADER: "59999"} if self.glitched(self.answers) else answer


@pytest.mark.usefixtures("probe_dice")
def test_a_limit_no_window_reaches_again_decays_and_the_task_recovers() -> None:
    """A glitch that repeats is believed (the issue's "trust what repeats"); the estimate must then decay,
    as :mod:`~airflow_provider_salesloft.hooks.limit_estimate` promises. Before: a task held to one request
    a window (its probe) never saw a window begin, so nothing decayed, and what it had measured of other
    clients' spend (the glitch's drop of 59,900) stayed in its reserve: one request a window, for good."""
    clock, store = Clock(), MemoryStore()
    team = PatternGlitchTeam(clock, lambda answer: answer in (150, 151))  # two in a row
    pacer = pacer_on(clock, store)
    run_team([pacer], team, clock, until=200.0, joins=[0.5])
    assert pacer.limit_estimate == LIMIT
    assert used_at_least(team, range(9, 19)), team.spent  # 5 windows to decay, then others' in flight capped
    assert store.window is not None and store.window.limit == LIMIT


@pytest.mark.usefixtures("probe_dice")
def test_a_glitch_that_recurs_but_never_twice_in_a_row_is_never_believed() -> None:
    """Two glitched answers 50 apart, every answer between them in line with the limit, are not "answers
    that agree". Before: the held glitch waited for any later answer to agree with it, the next glitch did,
    and the task fell to one request a window (91, 12, 1, 1, 1, ...)."""
    clock, store = Clock(), MemoryStore()
    team = PatternGlitchTeam(clock, lambda answer: answer % 50 == 0)
    pacer = pacer_on(clock, store)
    run_team([pacer], team, clock, until=100.0, joins=[0.5])
    assert team.answers > 8 * 50
    assert pacer.limit_estimate == LIMIT
    assert used_at_least(team, range(1, 9)), team.spent


@pytest.mark.usefixtures("probe_dice")
def test_a_stored_limit_far_too_large_is_refuted_when_the_windows_start_is_known() -> None:
    """A valid but absurd limit in the team's Variable (``MAX_LIMIT``), with the window's start known: the
    task probes once a window, on time. Before: each probe showed ``remaining`` 99 again, no window was seen
    to begin, the stored limit was never refuted: one request a window until the Variable aged out (1 h)."""
    clock, store = Clock(), MemoryStore()
    store.window = TeamWindow(limit=MAX_LIMIT, starts=(-0.01, 0.0), saved_at=0.0)
    team = WindowedTeam(limit=LIMIT, window_s=10.0, clock=clock)
    pacer = pacer_on(clock, store)
    run_team([pacer], team, clock, until=60.0, joins=[0.5])
    assert used_at_least(team, range(4, 6)), team.spent
    assert store.window.limit == LIMIT


class HeaderlessTeam(WindowedTeam):
    """A Salesloft (or a proxy in front of it) that sends no rate-limit headers, only 429s."""

    def serve(self) -> tuple[int, dict[str, str]]:
        status, _ = super().serve()
        return status, {}


@pytest.mark.usefixtures("probe_dice")
def test_without_headers_a_429_does_not_hold_the_task_to_a_probe_a_window() -> None:
    """The pacer's promise without headers: it "stays out of the way and 429s are simply retried". Before:
    the first 429 set ``remaining`` to 0, no later answer (without headers) reset it, and the task let out
    a probe or two a window for good (100, 4, 5, 6, 6, 5 ... of a limit of 100)."""
    clock = Clock()
    team = HeaderlessTeam(limit=LIMIT, window_s=10.0, clock=clock)
    pacer = RateLimitPacer(share=SHARE, window_s=10.0, clock=clock)
    run_team([pacer], team, clock, until=100.0, joins=[0.5])
    assert used_at_least(team, range(1, 9), part=0.5), team.spent


def test_the_first_answer_alone_is_believed_only_until_the_second_refutes_it() -> None:
    estimate = LimitEstimate()
    assert estimate.observe(60000)  # nothing to weigh it against yet
    assert estimate.to_share(None) is None  # one answer is not shared with the team
    assert estimate.observe(99)  # far below: the first was the outlier, now held
    assert estimate.value == 99
    assert estimate.to_share(None) == 99
    assert not estimate.observe(59000)  # held...
    assert estimate.observe(59100)  # ...and believed when the next answer agrees with it
    assert estimate.value == 59100


def test_a_first_answer_the_second_confirms_stands() -> None:
    estimate = LimitEstimate()
    assert estimate.observe(600)
    assert estimate.observe(200)  # others spent 400 in between: below, yet within what a window may show
    assert estimate.value == 600


@pytest.mark.salesloft_simulator(rate_limit=600, glitch_remaining_at_call=1)
def test_through_the_hook_a_glitch_in_the_first_answer_does_not_become_the_limit(
    salesloft_simulator: SalesloftSimulator, make_hook: Any
) -> None:
    """Over HTTP: the simulator's first answer says 59999 left. Before: the hook paced on 60,000 for good."""
    hook = make_hook(salesloft_simulator)
    for _ in range(3):
        hook.get_me()
    assert 597 <= (hook.pacer.limit_estimate or 0) <= 600  # the later answers' remaining + cost


@pytest.mark.parametrize("nested", ["[" * 100_000, '{"limit": ' * 50_000], ids=["array", "object"])
def test_a_variable_nested_too_deep_is_ignored_not_raised(
    salesloft_simulator: SalesloftSimulator,
    make_hook: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    nested: str,
) -> None:
    """The team's Variable is "a hint, never a rule": one holding JSON nested past Python's recursion limit
    is ignored and logged like any other invalid value. Before: ``RecursionError`` from every call that
    read it (``json.loads`` raises it; only ``ValueError``, ``TypeError`` and ``KeyError`` were caught)."""
    monkeypatch.setattr(team_window, "read_variable", lambda key: nested)
    monkeypatch.setattr(team_window, "write_variable", lambda key, value: None)
    hook = make_hook(salesloft_simulator)
    with caplog.at_level(logging.WARNING, logger=team_window.__name__):
        assert hook.get_me()["id"]
    assert "Ignoring Variable salesloft_rate_window__sl_test" in caplog.text


@pytest.mark.parametrize("header", [REMAINING_HEADER, COST_HEADER])
def test_a_header_past_a_floats_range_is_ignored_not_raised(
    header: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first answer saying ``remaining`` (or ``endpoint-cost``) is a 400-digit number. Before: the pacer's
    arithmetic raised ``OverflowError: int too large to convert to float`` from every later call."""
    answers = iter(range(1, 100))

    def script(seen: Seen) -> Reply:
        number = next(answers)
        glitch = {header: "9" * 400} if number == 1 else {}
        return Reply(
            200, {"data": {"id": 1}}, {REMAINING_HEADER: str(600 - number), COST_HEADER: "1", **glitch}
        )

    with HostileServer(script) as server:
        conn = {"conn_type": "salesloft", "host": server.url, "password": "sk-attack-22", "extra": {}}
        monkeypatch.setenv("AIRFLOW_CONN_SL_BIG", json.dumps(conn))
        hook = SalesloftHook(salesloft_conn_id="sl_big")
        for _ in range(4):
            assert hook.get_me() == {"id": 1}
    assert 590 <= (hook.pacer.limit_estimate or 0) <= 600
