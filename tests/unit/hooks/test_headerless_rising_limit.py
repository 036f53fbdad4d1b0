"""Without rate-limit headers, a limit that rises is learned again (issue #22, last round's notes), on a fake
clock. Before, the limit learned from the 429s only ever fell: paced at its share, a task never reached the
limit again, so nothing told it that Salesloft had raised it, or that the window which measured it had been
shared with other clients (60 raised to 100: 54 a window for good at share 0.9, instead of 90)."""

from __future__ import annotations

import random
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_provider_salesloft.hooks.headerless_limit import RETEST_AFTER, RETEST_MAX, HeaderlessLimit
from airflow_provider_salesloft.hooks.rate_limit import RateLimitPacer
from unit.hooks.test_rate_limit_shared import Clock, WindowedTeam, run_team

WINDOW_S = 10.0
IN_FLIGHT = 4  # run_team's requests in flight
#: Windows a run without headers spends up to a 429 before it paces (the harness's ``COLD_WINDOWS``).
COLD_WINDOWS = 2


class RisingLimit(WindowedTeam):
    """Fixed windows, no rate-limit headers; the limit of window ``w`` is ``limits[min(w, len - 1)]``."""

    def __init__(self, limits: list[int], clock: Clock) -> None:
        super().__init__(limits[0], WINDOW_S, clock)
        self.limits = limits
        self.refused: dict[int, int] = {}

    def limit_of(self, window: int) -> int:
        return self.limits[min(window, len(self.limits) - 1)]

    def serve(self) -> tuple[int, dict[str, str]]:
        window = int(self.clock.now // WINDOW_S)
        self.limit = self.limit_of(window)
        status, _ = super().serve()
        if status == 429:
            self.refused[window] = self.refused.get(window, 0) + 1
        return status, {}


@settings(max_examples=12, deadline=None)
@given(
    before=st.integers(min_value=20, max_value=80),
    rise=st.sampled_from([1.0, 1.0, 1.1, 1.5, 3.0]),
    at=st.integers(min_value=2, max_value=6),
    share=st.sampled_from([0.5, 0.9, 1.0]),
    join=st.floats(min_value=0.0, max_value=WINDOW_S),
)
def test_a_raised_limit_is_learned_and_re_measures_never_add_up_to_a_storm(
    before: int, rise: float, at: int, share: float, join: float
) -> None:
    """Invariant, whatever the limit, the raise (none included), when it comes and the share: the limit the
    task paces on ends at the team's; after the cold windows, every window keeps to the share but the ones
    that re-measure (those with a 429), which come at least :data:`RETEST_AFTER` windows apart, and each cost
    at most the requests in flight; and from the window after the first re-measure that follows the raise,
    the task uses at least 90 % of its share of the raised limit."""
    random.seed(at)  # the pacer's dice
    after = int(before * rise)
    clock = Clock()
    team = RisingLimit([before] * at + [after], clock)
    pacer = RateLimitPacer(share=share, window_s=WINDOW_S, clock=clock, wall_clock=clock)
    run_team([pacer], team, clock, until=30 * WINDOW_S + join, joins=[join])
    last = int(clock.now // WINDOW_S) - 1  # the last whole window
    assert pacer.limit_estimate == after, team.spent
    cold = min(team.refused)
    measures = sorted(window for window in team.refused if window >= cold + COLD_WINDOWS)
    assert all(later - earlier > RETEST_AFTER for earlier, later in pairwise(measures)), measures
    assert all(team.refused[window] <= IN_FLIGHT for window in measures), team.refused
    for window in range(cold + COLD_WINDOWS, last + 1):
        if window not in measures and window != at:  # the raise's own window: paced on the old limit
            assert team.spent.get(window, 0) <= share * team.limit_of(window), (window, team.spent)
    learned = min(window for window in [*measures, last] if window > at)
    for window in range(learned + 1, last + 1):
        if window not in measures:
            assert team.spent.get(window, 0) >= 0.9 * share * after, (window, team.spent)


def test_re_measures_that_find_the_limit_unchanged_come_ever_less_often() -> None:
    """A limit that never changes: the wait before the next re-measure doubles each time, up to
    :data:`RETEST_MAX` windows; each window at the share counts towards it, one below (the work held it)
    starts the count again."""
    count = HeaderlessLimit(share=0.9)
    count.limit, count.measured, count.whole_window = 100, True, True
    remeasured: list[int] = []
    for window in range(400):
        count.new_window()
        if count.testing:
            remeasured.append(window)
            count.spent = 100
            count.refused(0.0)  # a 429 at the limit: unchanged
        else:
            count.spent = 90
    gaps = [later - earlier for earlier, later in pairwise(remeasured)]
    assert remeasured[0] == RETEST_AFTER
    assert gaps == [1 + min(RETEST_AFTER * 2**n, RETEST_MAX) for n in range(1, len(gaps) + 1)], remeasured
    assert count.limit == 100
    idle = HeaderlessLimit(share=0.9)
    idle.limit, idle.measured, idle.whole_window = 100, True, True
    for _ in range(3 * RETEST_AFTER):
        idle.new_window()
        idle.spent = 80 if _ % RETEST_AFTER == 0 else 90  # below the share now and then: never re-measured
        assert not idle.testing
