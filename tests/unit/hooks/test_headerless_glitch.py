"""A server that sends no rate-limit headers except in one answer (a glitch, or a proxy that lets one
through), on a fake clock (issue #22, last round's attack). Before, that one answer was the task's first
with headers, so the limit estimate believed it (nothing to weigh it against, and no second answer with
headers ever came) and preferred it to the limit the 429s had measured: ``remaining 59999`` made a reserve
of 6,000 and the task let one request a window out for three windows (limit 100 per 10 s, share 0.9: 100,
100, 90, 1, 1, 1, 90).
"""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_provider_salesloft.hooks.rate_limit import COST_HEADER, REMAINING_HEADER, RateLimitPacer
from airflow_provider_salesloft.hooks.team_window import MAX_LIMIT
from unit.hooks.test_rate_limit_shared import Clock, WindowedTeam, run_team

WINDOW_S = 10.0
#: Windows a run without headers spends up to a 429 before it paces (the first, counted from its middle, and
#: the one that measures the limit): the harness's ``COLD_WINDOWS``.
COLD_WINDOWS = 2


class OneAnswerWithHeaders(WindowedTeam):
    """Fixed windows of ``limit``; every answer without ``x-ratelimit-*`` headers but answers number ``at``
    to ``at + repeats - 1`` (from 1), which carry ``headers``. Counts the 429s per window."""

    def __init__(self, limit: int, clock: Clock, at: int, headers: dict[str, str], repeats: int = 1) -> None:
        super().__init__(limit, WINDOW_S, clock)
        self.at, self.headers, self.answers = range(at, at + repeats), headers, 0
        self.refused: dict[int, int] = {}
        self.glitch_window: int | None = None

    def serve(self) -> tuple[int, dict[str, str]]:
        status, _ = super().serve()
        self.answers += 1
        window = int(self.clock.now // WINDOW_S)
        if status == 429:
            self.refused[window] = self.refused.get(window, 0) + 1
        if self.answers not in self.at:
            return status, {}
        self.glitch_window = window if self.glitch_window is None else self.glitch_window
        return status, dict(self.headers)


glitches = st.fixed_dictionaries(
    {REMAINING_HEADER: st.integers(min_value=0, max_value=MAX_LIMIT).map(str)},
    optional={COST_HEADER: st.integers(min_value=1, max_value=1_000_000).map(str)},
)


@settings(max_examples=20, deadline=None)
@given(
    limit=st.integers(min_value=20, max_value=120),
    share=st.sampled_from([0.5, 0.9, 1.0]),
    at=st.integers(min_value=2, max_value=600),  # amid answers without: the first has none
    repeats=st.integers(min_value=1, max_value=2),
    headers=glitches,
    join=st.floats(min_value=0.0, max_value=WINDOW_S),
)
def test_answers_with_headers_amid_answers_without_break_neither_the_share_nor_the_pace(
    limit: int, share: float, at: int, repeats: int, headers: dict[str, str], join: float
) -> None:
    """Invariant, whatever one answer with headers (or two in a row, agreeing) says and whenever it comes:
    the issue's bound (from the second window after the glitch's, at least 90 % of the share), never past
    the share, no 429, and the limit the task paces on is the team's. (A run without headers spends its
    first two windows with a 429, :data:`COLD_WINDOWS`, before it paces: the bound holds after them.)"""
    random.seed(at)  # the pacer's dice
    clock = Clock()
    team = OneAnswerWithHeaders(limit, clock, at, headers, repeats)
    pacer = RateLimitPacer(share=share, window_s=WINDOW_S, clock=clock, wall_clock=clock)
    run_team([pacer], team, clock, until=8 * WINDOW_S + join, joins=[join])
    last = int(clock.now // WINDOW_S) - 1  # the last whole window
    glitch = team.glitch_window if team.glitch_window is not None else last
    cold = min(team.refused, default=0)  # the first window with a 429
    paced = range(max(glitch + 2, cold + COLD_WINDOWS), last + 1)
    used = [team.spent.get(window, 0) for window in paced]
    assert all(0.9 * share * limit <= spent <= share * limit for spent in used), (glitch, team.spent)
    assert not any(team.refused.get(window) for window in paced), (glitch, team.refused)
    if paced:  # (two answers ending the run leave the mode off, paced on their limit until the next answer)
        assert pacer.limit_estimate == limit


def test_the_attack_s_world_one_remaining_59999_at_answer_300() -> None:
    """Last round's repro (limit 100 per 10 s, share 0.9, ``remaining 59999`` in answer 300, in window 3):
    90 a window from window 2 on, the glitch's window included."""
    random.seed(1)
    clock = Clock()
    team = OneAnswerWithHeaders(100, clock, 300, {REMAINING_HEADER: "59999"})
    pacer = RateLimitPacer(share=0.9, window_s=WINDOW_S, clock=clock, wall_clock=clock)
    run_team([pacer], team, clock, until=10 * WINDOW_S, joins=[3.3])
    assert team.glitch_window == 3
    assert [team.spent.get(window, 0) for window in range(2, 9)] == [90] * 7, team.spent
