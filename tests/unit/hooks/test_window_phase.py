"""The window-phase tracker alone (times are a fake clock's; ``offset`` turns them into epoch seconds)."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_provider_salesloft.hooks.window_phase import PHASE_PRECISION, WindowPhase


def test_a_turn_locates_the_start_and_later_answers_narrow_it() -> None:
    phase = WindowPhase(window_s=60.0)
    phase.saw_same(1000.0, offset=0.0)
    phase.saw_same(1030.0, offset=0.0)
    phase.saw_start(1061.0, None, offset=0.0)  # remaining went back up
    assert phase.interval == (1030.0, 1061.0)
    assert phase.next_start(1062.0) == (1090.0, 1121.0)
    phase.saw_same(1100.0, offset=0.0)  # still the same window at 1100: the next starts after it
    assert phase.next_start(1101.0) == (1100.0, 1121.0)


def test_another_tasks_view_of_the_old_window_narrows_the_start() -> None:
    phase = WindowPhase(window_s=60.0)
    phase.saw_same(1000.0, offset=0.0)
    phase.saw_start(1061.0, 1058.5, offset=0.0)  # another task's probe saw the old window at 1058.5
    assert phase.interval == (1058.5, 1061.0)


def test_without_the_prior_nothing_is_guessed() -> None:
    phase = WindowPhase(window_s=60.0)
    assert not phase.guess_from_prior(1000.0, offset=0.0)
    assert phase.interval is None


def test_the_prior_guesses_the_next_calendar_minute() -> None:
    """Clock 1000 is epoch 1_700_000_013 (offset): the next minute begins at epoch 1_700_000_040."""
    offset = 1_700_000_013.0 - 1000.0
    phase = WindowPhase(window_s=60.0, aligned_prior=True)
    assert phase.guess_from_prior(1000.0, offset)
    assert phase.from_prior
    assert phase.interval == (1027.0 - PHASE_PRECISION * 60.0, 1027.0)
    assert phase.next_start(1000.0) == phase.interval


def test_a_turn_on_the_minute_keeps_the_prior() -> None:
    phase = WindowPhase(window_s=60.0, aligned_prior=True)
    phase.guess_from_prior(1000.0, offset=0.0)  # boundary at 1020
    phase.saw_same(1019.0, offset=0.0)
    phase.saw_start(1020.05, None, offset=0.0)  # seen 50 ms after the minute: consistent
    assert not phase.prior_refuted and phase.interval == (1019.4, 1020.0)


def test_a_turn_away_from_the_minute_refutes_the_prior_for_good() -> None:
    phase = WindowPhase(window_s=60.0, aligned_prior=True)
    phase.guess_from_prior(1000.0, offset=0.0)
    phase.saw_same(1025.0, offset=0.0)
    phase.saw_start(1026.0, None, offset=0.0)  # the window turned between 1025 and 1026: not on a minute
    assert phase.prior_refuted and not phase.from_prior
    assert phase.interval == (1025.0, 1026.0)  # learned from the answers alone
    phase.forget()
    assert not phase.guess_from_prior(1030.0, offset=0.0)


def test_one_window_seen_across_a_minute_refutes_the_prior() -> None:
    phase = WindowPhase(window_s=60.0, aligned_prior=True)
    phase.guess_from_prior(1010.0, offset=0.0)
    phase.saw_same(1010.0, offset=0.0)
    phase.saw_same(1030.0, offset=0.0)  # still the same window 10 s after the minute (1020)
    assert phase.prior_refuted and phase.interval is None


def test_a_stale_prior_is_refuted() -> None:
    phase = WindowPhase(window_s=60.0, aligned_prior=True)
    phase.guess_from_prior(1000.0, offset=0.0)
    phase.forget()  # the budget was still spent after the guessed turn
    assert phase.prior_refuted


def watch(origin: float, offset: float, gaps: list[float], window_s: float = 10.0) -> WindowPhase:
    """A tracker with the prior, told what requests at ``gaps`` apart saw of windows starting ``origin``
    windows past the calendar boundary (``offset``: the clock's zero, on a boundary)."""
    phase = WindowPhase(window_s=window_s, aligned_prior=True)
    now, seen = 0.0, None
    phase.guess_from_prior(now, offset)
    for gap in gaps:
        now += gap
        number = math.floor(now / window_s - origin)
        if seen is not None and number != seen:
            phase.saw_start(now, None, offset)
        else:
            phase.saw_same(now, offset)
        seen = number
    return phase


boundaries = st.integers(-(10**8), 10**8).map(lambda n: n * 10.0)


@settings(max_examples=100, deadline=None)
@given(offset=boundaries, gaps=st.lists(st.floats(0.01, 4.0), min_size=10, max_size=80))
def test_aligned_windows_never_refute_the_prior(offset: float, gaps: list[float]) -> None:
    """Invariant: whatever the times of the requests, windows on the calendar boundaries keep the prior."""
    assert not watch(0.0, offset, gaps).prior_refuted


@settings(max_examples=100, deadline=None)
@given(
    origin=st.floats(2.5 * PHASE_PRECISION, 1.0 - 2.5 * PHASE_PRECISION),
    offset=boundaries,
    step=st.floats(0.01, PHASE_PRECISION * 10.0),
)
def test_windows_off_the_calendar_refute_the_prior(origin: float, offset: float, step: float) -> None:
    """Invariant: windows starting more than twice the margin away from the calendar boundaries, watched by
    requests closer together than the margin over more than a window, refute the prior (the phase is then
    learned from the answers alone)."""
    assert watch(origin, offset, [step] * math.ceil(12.0 / step)).prior_refuted
