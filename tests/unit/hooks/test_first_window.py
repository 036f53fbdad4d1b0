"""A task's first window (no window start known to it or its team): the next window surely begins within a
window of the task's earliest request, and no blind probe goes out before that window's last stretch (at a
share of 1.0, before the turn itself) (fake clock, no network)."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_provider_salesloft.hooks.first_window import LAST_STRETCH, earliest_blind_probe, turn_by
from airflow_provider_salesloft.hooks.rate_limit import (
    COST_HEADER,
    PROBE_EVERY,
    REMAINING_HEADER,
    RateLimitPacer,
)
from unit.hooks.test_rate_limit_shared import Clock, MemoryStore

WINDOW_S = 10.0


def test_the_turn_comes_within_a_window_and_a_round_trip_of_the_earliest_request_seen() -> None:
    assert turn_by(3.0, WINDOW_S, 0.05) == 13.05
    assert turn_by(3.0, WINDOW_S, -1.0) == 13.0  # a round trip is never negative
    assert turn_by(None, WINDOW_S, 0.05) is None  # nothing seen of the window: nothing bounds its turn


def test_the_earliest_blind_probe_is_the_last_stretch_before_the_turn() -> None:
    assert earliest_blind_probe(3.0, WINDOW_S, 0.0, share=0.9) == 13.0 - LAST_STRETCH * WINDOW_S
    assert earliest_blind_probe(3.0, WINDOW_S, 0.0, share=1.0) == 13.0  # a probe in the old window: a 429
    assert earliest_blind_probe(None, WINDOW_S, 0.0, share=0.9) == -math.inf


@settings(max_examples=80, deadline=None)
@given(
    phase=st.floats(min_value=0.0, max_value=WINDOW_S, exclude_max=True),
    share=st.sampled_from([0.3, 0.5, 0.9, 1.0]),
    cost=st.sampled_from([1, 3]),
    team=st.booleans(),
    trip=st.floats(min_value=0.005, max_value=0.2),
)
def test_no_blind_probe_finds_the_first_window_still_running(
    phase: float, share: float, cost: int, team: bool, trip: float
) -> None:
    """Invariant: a task that joins ``phase`` seconds into a window and spends its share there (limit 100,
    requests of ``cost``, each answered after ``trip``) sends no blind probe early in that window, where it
    would surely find the old window (and be charged past the share): at a share of 1.0 (where it would be a
    429) none before the next window began, below 1.0 none before the window's last stretch. It enters the
    next window within a window of its first request, or a probe gap after it was held."""
    clock = Clock()
    pacer = RateLimitPacer(
        share=share,
        window_s=WINDOW_S,
        clock=clock,
        wall_clock=clock,
        store=MemoryStore() if team else None,
    )
    start = 100.0  # the first window is (start - phase, start - phase + WINDOW_S]
    turn = start - phase + WINDOW_S
    clock.now, spent, blocked, blocked_at = start, 0, False, start
    while clock.now < turn + 2 * WINDOW_S:
        admitted, _ = pacer.try_acquire(cost)
        if admitted:
            sent = clock.now
            if blocked:  # the first request let out after the share was spent
                if share == 1.0:  # it would be a 429: it waits for the turn
                    assert sent > turn, (sent, turn)
                else:  # it may find the old window only in the last stretch before the turn
                    assert sent >= turn - LAST_STRETCH * WINDOW_S, (sent, turn)
                assert sent <= max(start + WINDOW_S, blocked_at + 1.5 * PROBE_EVERY * WINDOW_S) + trip + 0.05
                return
            clock.now += trip  # one request at a time: its answer before the next
            spent += cost if sent <= turn else 0
            status = 200 if spent <= 100 else 429
            headers = {REMAINING_HEADER: str(max(100 - spent, 0)), COST_HEADER: str(cost)}
            pacer.release(cost, sent, status, headers)
            if sent > turn:
                return  # the share lasted the whole first window: nothing was probed blind
        else:
            if not blocked and pacer.remaining is not None:
                blocked, blocked_at = True, clock.now
            clock.now += 0.01
    raise AssertionError("no request let out for two windows after the first")
