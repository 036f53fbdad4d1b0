"""The estimate of what other clients of the team have in flight, alone (times are a fake clock's)."""

from __future__ import annotations

from airflow_provider_salesloft.hooks.spend_estimate import ForeignSpend


def test_what_our_own_requests_do_not_explain_is_the_others() -> None:
    spend = ForeignSpend()
    for _ in range(10):
        spend.answered(0.1)  # a round trip of about 0.1 s
    spend.measure(10.0, 500, limit=600)
    spend.sent(10.5, 1)
    spend.sent(10.6, 1)
    spend.measure(11.0, 478, limit=600)  # fell by 22 in 1 s; our 2 explain 2: others spend 20/s
    assert 1.5 < spend.in_flight < 2.1  # 20/s over a ~0.1 s round trip
    assert spend.their_part == 20 / 22  # of what the team spent in that second, theirs


def test_alone_the_others_part_is_nothing() -> None:
    spend = ForeignSpend()
    assert spend.their_part == 0.0
    spend.answered(0.1)
    spend.measure(10.0, 500, limit=600)
    spend.sent(10.5, 3)
    spend.measure(11.0, 497, limit=600)
    assert spend.their_part == 0.0


def test_a_new_baseline_measures_nothing_across_it() -> None:
    spend = ForeignSpend()
    spend.answered(1.0)
    spend.measure(10.0, 500, limit=600)
    spend.restart(20.0, 599)  # a new window
    spend.measure(21.0, 598, limit=600)
    assert spend.in_flight <= 0.2  # 1 over 1 s, not the 100-odd across the restart


def test_the_estimate_never_exceeds_the_limit() -> None:
    spend = ForeignSpend()
    spend.answered(100.0)  # a round trip of 20 s: 600 spent in 10 s is 1,200 in flight
    spend.measure(10.0, 600, limit=600)
    spend.measure(20.0, 0, limit=600)
    assert spend.in_flight == 600.0


def test_a_drop_larger_than_the_limit_is_no_measure() -> None:
    """``remaining`` fell by more than a window holds: one of the two readings was a glitch (59999)."""
    spend = ForeignSpend()
    spend.answered(0.04)
    spend.measure(10.0, 59999, limit=100)
    spend.measure(10.1, 98, limit=100)
    assert spend.in_flight == 0.0
    spend.measure(10.2, 90, limit=100)  # measured from the later reading on
    assert 0 < spend.in_flight < 10


def test_an_estimate_no_window_measures_again_is_halved_at_each_window() -> None:
    spend = ForeignSpend()
    spend.answered(1.0)
    spend.measure(10.0, 500, limit=600)
    spend.measure(11.0, 400, limit=600)
    measured = spend.in_flight
    spend.restart()  # a window that measured: kept
    assert spend.in_flight == measured
    spend.restart()  # a window with no measure (a task held to its probes): halved
    assert spend.in_flight == measured / 2
