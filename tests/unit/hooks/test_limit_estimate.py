"""The limit estimate alone: adopted when answers agree, never from one outlier; decays; a stored limit is
refuted by what the task's own windows show."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_salesloft.hooks.limit_estimate import MEMORY_WINDOWS, REFUTING_WINDOWS, LimitEstimate


def test_the_first_answer_stands_until_others_come() -> None:
    limit = LimitEstimate()
    assert limit.value is None
    assert limit.observe(600)
    assert limit.value == 600


def test_one_outlier_is_held_and_never_adopted() -> None:
    limit = LimitEstimate()
    limit.new_window()
    for seen in (600, 599, 598):
        limit.observe(seen)
    assert not limit.observe(60000)
    assert limit.observe(597)
    assert limit.value == 600


def test_a_raise_is_adopted_at_its_second_answer() -> None:
    limit = LimitEstimate()
    limit.new_window()
    limit.observe(600)
    assert not limit.observe(1200)
    assert limit.observe(1199)
    assert limit.value == 1199


def test_an_estimate_no_window_reaches_again_decays() -> None:
    limit = LimitEstimate()
    limit.observe(1000)
    for _ in range(MEMORY_WINDOWS):
        limit.new_window()
        limit.observe(600)
    assert limit.value == 600


def test_a_stored_limit_counts_until_windows_the_task_saw_begin_refute_it() -> None:
    limit = LimitEstimate()
    limit.adopt_stored(100)
    limit.observe(60)  # joined while others spent: less than the limit
    assert limit.value == 100 and limit.to_share(100) is None
    limit.adopt_stored(60000)
    for window in range(REFUTING_WINDOWS):
        assert limit.value == 60000
        limit.new_window()
        limit.observe(100 - window)
    assert limit.value == 100
    assert limit.to_share(60000) == 100  # the team's Variable is lowered


@given(answers=st.lists(st.integers(50, 100), min_size=2), outlier=st.integers(111, 10**7), at=st.integers(0))
def test_no_single_outlier_is_ever_adopted(answers: list[int], outlier: int, at: int) -> None:
    """Invariant: answers of a limit of at most 100, with one outlier anywhere after the first answer: the
    estimate never exceeds what the real answers showed."""
    limit = LimitEstimate()
    limit.adopt_stored(50)
    at = 1 + at % len(answers)
    for index, seen in enumerate([*answers[:at], outlier, *answers[at:]]):
        limit.observe(seen)
        if index >= at:
            assert limit.value is not None and limit.value <= max(answers)


def test_before_any_ground_a_larger_answer_is_believed() -> None:
    """A task that joined while others spent saw less than the limit: until it has seen a window begin (or
    has the team's stored limit), the first full window's answers are what it learns from."""
    limit = LimitEstimate()
    assert limit.observe(31)
    assert limit.observe(100)
    assert limit.value == 100
    assert not _after(600, 60000)  # but a glitch a hundred times the first answer is held


def _after(first: int, second: int) -> bool:
    limit = LimitEstimate()
    limit.observe(first)
    return limit.observe(second)
