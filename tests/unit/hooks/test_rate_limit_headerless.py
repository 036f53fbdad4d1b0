"""Pacing without rate-limit headers (a proxy that strips them), on a fake clock: the pacer learns the limit
and when windows start from the 429s alone, then paces at its share.

The model: one sync with up to three requests in flight (the simulation's paced worlds), round trips of
20-50 ms (seeded), each request charged when it reaches the server to fixed windows unaligned with the clock;
answers carry no ``x-ratelimit-*`` header and no ``Retry-After`` (Salesloft documents none); a 429'd request
is sent again. Before, once a 429 had made the window's start unknown, the pacer let one request out per
probe gap (a fifth of a window): about five a window whatever the limit.
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass, field

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from airflow_provider_salesloft.hooks.headerless_limit import HeaderlessLimit
from airflow_provider_salesloft.hooks.rate_limit import PROBE_EVERY, RateLimitPacer
from unit.hooks.test_rate_limit_shared import Clock

WINDOW_S = 2.0


@dataclass
class Server:
    """Fixed windows of ``limit``: what each window was charged, and the 429s per window."""

    limit: int
    origin: float
    spent: dict[int, int] = field(default_factory=dict)
    refused: dict[int, int] = field(default_factory=dict)

    def charge(self, at: float) -> int:
        window = int((at - self.origin) // WINDOW_S)
        if self.spent.get(window, 0) + 1 > self.limit:
            self.refused[window] = self.refused.get(window, 0) + 1
            return 429
        self.spent[window] = self.spent.get(window, 0) + 1
        return 200

    def spanned(self) -> int:
        windows = set(self.spent) | set(self.refused)
        return max(windows) - min(windows) + 1


def run(cost: int, limit: int, share: float, seed: int, origin: float = 0.37, start: float = 1.3) -> Server:
    """A sync of ``cost`` requests of cost 1 without rate-limit headers, until all were answered 200."""
    dice = random.Random(seed)
    random.seed(seed)  # the pacer's own dice
    clock = Clock()
    clock.now = start
    server = Server(limit=limit, origin=origin)
    pacer = RateLimitPacer(share=share, window_s=WINDOW_S, clock=clock, wall_clock=clock, minute_aligned=True)
    left, in_flight, seq = cost, 0, 0
    events: list[tuple[float, int, float, int]] = []  # (answer at, seq, sent at, status)
    while left > 0:
        assert clock.now < start + 200 * WINDOW_S, f"still {left} to send; {server}"
        while in_flight < 3 and in_flight < left and pacer.try_acquire()[0]:
            trip = dice.uniform(0.02, 0.05)
            status = server.charge(clock.now + trip * dice.uniform(0.3, 0.7))
            heapq.heappush(events, (clock.now + trip, seq, clock.now, status))
            in_flight, seq = in_flight + 1, seq + 1
        clock.now = round(clock.now + 0.002, 6)
        while events and events[0][0] <= clock.now:
            _, _, sent_at, status = heapq.heappop(events)
            pacer.release(1, sent_at, status, {})
            in_flight -= 1
            left -= status == 200
    return server


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_without_headers_a_run_spans_only_the_windows_its_cost_needs(seed: int) -> None:
    """The paced regression world's numbers: 80 at 22.5 a window (limit 25, share 0.9) needs 4 windows; one
    more for starting mid-window. Before: 13 windows (about 5 requests a window after the first 429)."""
    server = run(cost=80, limit=25, share=0.9, seed=seed)
    assert server.spanned() <= math.ceil(80 / 22.5) + 1, server
    assert sum(server.refused.values()) <= 2 * server.spanned(), server


@settings(max_examples=40, deadline=None)
@given(
    limit=st.integers(min_value=10, max_value=120),
    share=st.sampled_from([0.3, 0.5, 0.9, 1.0]),
    windows=st.integers(min_value=3, max_value=8),
    origin=st.floats(min_value=0.0, max_value=WINDOW_S),
    seed=st.integers(min_value=0, max_value=1000),
)
# the phase learned to 0.94 s before the limit was measured: the pacer held every window's possible turn while
# its count paced nothing, kept to 90 of 120, and no 429 ever came to measure the limit (9 windows)
@example(limit=120, share=1.0, windows=6, origin=0.0, seed=236)
# a request sent before the 429 that measured the limit, let through after the window turned, raised it to 118
# and was counted in the old window: the next windows spent 107 and 106 of a share of 105.3
@example(limit=117, share=0.9, windows=5, origin=0.0, seed=111)
def test_without_headers_the_pace_follows_the_limit_and_never_hammers(
    limit: int, share: float, windows: int, origin: float, seed: int
) -> None:
    """Invariant, whatever the limit, share and phase: a run needing ``windows`` windows of its share spans
    at most two more (the first one, and the one that measures the limit); its 429s are bounded: in the
    first window that refuses, what was in flight plus the probes for the turn (one per probe gap, at least a
    tenth of a window), after it at most 3 (what is in flight) per window spanned; and once a 429 has come in
    a window counted whole (the second that refuses), the windows after the last 429 keep to the share."""
    cost = max(1, int(windows * limit * share))
    server = run(cost=cost, limit=limit, share=share, seed=seed, origin=origin)
    assert server.spanned() <= math.ceil(cost / (limit * share)) + 2, server
    if not server.refused:
        return  # the limit was never reached: nothing told the pacer what it is, nor needed to
    cold = min(server.refused)
    assert server.refused[cold] <= 3 + math.ceil(1 / (0.5 * PROBE_EVERY)), server
    later = sum(count for window, count in server.refused.items() if window > cold)
    assert later <= 3 * (server.spanned() - 1), server
    if len(server.refused) >= 2:  # the first refusing window is counted from the middle; the next measures
        measured = max(server.refused)
        paced = [spent for window, spent in server.spent.items() if window > measured]
        assert all(spent <= limit * share for spent in paced), server


def test_the_limit_is_measured_only_over_a_whole_window_and_not_by_a_window_that_had_not_turned() -> None:
    """The first window is counted from the middle: its count paces nothing. A window counted from its start
    measures the limit; a 429 before anything was let through in a window says the turn had not come (the
    phase is off), not that the limit is 0."""
    seen = HeaderlessLimit()
    for sent_at in range(30):
        seen.answered(float(sent_at), 1)
    seen.refused(30.0)
    assert (seen.limit, seen.measured, seen.remaining()) == (30, False, 0)  # 30: perhaps two windows
    assert seen.answered(31.0, 1)  # sent after the 429 and let through: a new window
    assert seen.remaining() is None  # the rough guess paces nothing: spend to the next 429
    for sent_at in range(32, 52):
        assert not seen.answered(float(sent_at), 1)
    seen.refused(52.0)
    assert (seen.limit, seen.measured, seen.remaining()) == (21, True, 0)
    seen.new_window()
    assert seen.refused(60.0)  # refused first: the phase is off, not the limit
    assert (seen.limit, seen.remaining()) == (21, 0)
    assert seen.answered(61.0, 1) and seen.remaining() == 20
    # 1 of 21 let through since a turn: the turn was inferred wrongly (a request let out after a 429 reached
    # the server before it, in the old window), not a limit of 1 (which left a run one request a window)
    assert seen.refused(62.0)
    assert seen.limit == 21


def test_a_request_sent_while_the_refused_one_was_in_flight_is_not_taken_for_a_turn() -> None:
    """Seen under load in the simulation (windows [25, 25, 25, 3], 9 429s): A and B in flight, A let out
    first but reaching the server after B took the window's last unit; A's 429 came back first, B's 200 after
    it. B was taken for a window's turn, which put the phase where no window starts: the pacer then counted
    the next real window as the old one and spent it twice. Only a request sent after the 429 was answered
    shows a turn."""
    clock = Clock()
    clock.now = 10.0
    pacer = RateLimitPacer(share=0.9, window_s=WINDOW_S, clock=clock, wall_clock=clock)
    for _ in range(23):
        assert pacer.try_acquire()[0]
        sent_at = clock.now
        clock.now += 0.01
        pacer.release(1, sent_at, 200, {})
    assert pacer.try_acquire()[0]
    a_sent = clock.now
    clock.now += 0.001
    assert pacer.try_acquire()[0]
    b_sent = clock.now
    clock.now += 0.01
    pacer.release(1, a_sent, 429, {})  # A reached the server second: the window was spent
    clock.now += 0.001
    pacer.release(1, b_sent, 200, {})  # B, let out after A, took the window's last unit before it
    assert pacer._windows.interval is None  # no turn seen: the phase is still to be learned
    assert pacer.limit_estimate == 24  # B was let through in the spent window: the limit is one higher


def spend_to_a_429(pacer: RateLimitPacer, clock: Clock, let_through: int) -> None:
    """``let_through`` requests answered 200 one after another, then one answered 429 (no headers)."""
    for status in [200] * let_through + [429]:
        assert pacer.try_acquire()[0], clock.now
        sent_at = clock.now
        clock.now += 0.01
        pacer.release(1, sent_at, status, {})


def test_a_turn_located_too_widely_to_count_windows_is_narrowed_by_a_probe_after_the_next_429() -> None:
    """Seen under load in the simulation (windows [25, 25, 25, 3]): every request 429'd in the first window
    waited the retry's least wait (1 s, half of the 2-s window) before the next went out, so the turn was
    located only to an interval wider than half a window: too wide to count windows by time, so the next
    windows were spent up to a 429 too, and nothing narrowed it (the wait always ended at the interval's
    end). After a 429, the wait ends in the middle of such an interval: its answer narrows it."""
    random.seed(1)
    clock = Clock()
    clock.now = 10.0
    pacer = RateLimitPacer(share=0.9, window_s=WINDOW_S, clock=clock, wall_clock=clock)
    spend_to_a_429(pacer, clock, 24)
    clock.now += 1.0  # the retries' least wait: no probe in between
    spend_to_a_429(pacer, clock, 24)  # a new window (its first answer shows the turn), spent, measured
    lo, hi = pacer._windows.next_start(clock.now) or (0.0, 0.0)
    assert hi - lo > 0.5 * WINDOW_S  # the turn is known only to more than half a window
    assert math.isclose(clock.now + pacer.wait_after_rate_limit(), (lo + hi) / 2)  # a probe in its middle
