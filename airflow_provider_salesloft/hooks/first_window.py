"""When a task may first probe for the next window, in the first window it sees (no window start known).

A task that spent its share before anyone of the team saw a window turn does not know when the next window
starts, and probes for it blind (a request let out alone, about every fifth of a window). Every blind probe
that finds the old window is charged past the share, and at a share of 1.0 is a 429; the task's next request
is whatever its caller sends (an add may cost 3). But the first window is not wholly unknown: it had begun
when the task's earliest request in it was charged, so the next one begins within a window of that request
(``turn_by``). Early in the first window a blind probe almost surely finds the old window; near ``turn_by``
it likely finds the new one. So the first blind probe waits for the last stretch before ``turn_by``
(:data:`LAST_STRETCH` of a window; at a share of 1.0, where a probe in the old window is a 429, for
``turn_by`` itself), and the probes after it come at the usual gaps. (Not all the way to ``turn_by`` below
a share of 1.0: the probes that find the old window narrow where windows start; without them the first
start located is up to a window wide, and narrowing it costs probes in the windows after.)

Measured in the fake-clock model (``tests/unit/hooks/test_rate_limit_costly.py``, adds costing 3, seeds
0-9): the team's first window went from 112 % to 104 % of the share (2 tasks at 0.5), 115 % to 108 % (4 at
0.5); 4 tasks at 1.0 got 15 429s in 2,587 calls instead of 60 in 2,611.
"""

from __future__ import annotations

#: The first blind probe of a task's first window goes at most this share of a window before ``turn_by``.
LAST_STRETCH = 0.25


def turn_by(first_seen_at: float | None, window_s: float, round_trip: float) -> float | None:
    """The latest moment the window after the current one starts: ``first_seen_at`` (the send time of the
    earliest request seen in the current window, None when none) plus a window and a round trip (the
    request was charged on its way, after it was sent)."""
    if first_seen_at is None:
        return None
    return first_seen_at + window_s + max(round_trip, 0.0)


def earliest_blind_probe(
    first_seen_at: float | None, window_s: float, round_trip: float, share: float
) -> float:
    """The earliest moment a blind probe may go out in the task's first window (minus infinity when
    nothing bounds it): :data:`LAST_STRETCH` of a window before :func:`turn_by` when the task's ``share`` is
    below 1 (the part kept for the team's other integrations takes a probe past the share, and the probes
    that find the old window narrow where windows start, which saves probes in the windows after); at a
    share of 1.0 (a probe that finds the old window is a 429) at :func:`turn_by` itself."""
    latest_turn = turn_by(first_seen_at, window_s, round_trip)
    if latest_turn is None:
        return float("-inf")
    return latest_turn - (LAST_STRETCH * window_s if share < 1.0 else 0.0)
