"""What the other clients of the team have in flight, estimated from how fast they spend.

Between the answers to two of a task's requests of one window, ``remaining`` fell by everything charged in
between; what the task's own requests let out in between do not explain is someone else's. Their rate times
a round trip is what they have in flight at any moment, unseen by the task. Measured over several answers
(not two neighbours, whose answers may arrive out of order); kept from window to window, so that the burst
at a window's start is held back by what the others spent in the last one.
"""

from __future__ import annotations

from collections import deque

#: Others' spend is measured between an answer and the one this many answers before it, in one window.
SPAN_ANSWERS = 8


class ForeignSpend:
    """The cost other clients of the team have in flight (:attr:`in_flight`), as measured so far."""

    def __init__(self) -> None:
        self.in_flight = 0.0
        self.their_part = 0.0  # what others spent over what the team spent, in the latest measure
        self.round_trip = 0.0  # seconds from letting a request out to its answer (moving average)
        self._sends: deque[tuple[float, int]] = deque(maxlen=256)  # (let out at, cost) of our requests
        self._looks: deque[tuple[float, int]] = deque(maxlen=SPAN_ANSWERS + 1)  # (sent at, remaining)
        self._measured = False  # in_flight measured since the latest window began

    def sent(self, at: float, cost: int) -> None:
        """One of our requests of ``cost`` was let out at ``at``."""
        self._sends.append((at, cost))

    def answered(self, seconds: float) -> None:
        """One of our requests was answered after ``seconds``."""
        self.round_trip = 0.8 * self.round_trip + 0.2 * max(0.0, seconds)

    def restart(
        self, sent_at: float | None = None, remaining: int | None = None, limit: int | None = None
    ) -> None:
        """A new baseline (a new window, or a lone request after a pause): no measure across it. At a new
        window (no arguments), an estimate no answer of the window before measured again is halved: a task
        held to its probes measures nothing, and would else keep a stale estimate (or a glitch's) for good."""
        if sent_at is None:
            if not self._measured:
                self.in_flight /= 2
            if limit is not None:  # never more than the limit as it stands (it may have decayed since)
                self.in_flight = min(self.in_flight, float(limit))
            self._measured = False
        self._looks.clear()
        if sent_at is not None and remaining is not None:
            self._looks.append((sent_at, remaining))

    def measure(self, sent_at: float, remaining: int, limit: int | None) -> None:
        """The answer to our request sent at ``sent_at`` showed ``remaining``: update the estimate (never
        above ``limit``)."""
        if self._looks:
            since, remaining_then = self._looks[0]
            span = sent_at - since
            if span > 0 and span >= self.round_trip / 2:
                ours = sum(cost for at, cost in self._sends if since < at <= sent_at)
                theirs = max(0, remaining_then - remaining - ours)
                if limit and theirs + ours > limit:  # more than a window holds: a reading was a glitch
                    self.restart(sent_at, remaining)
                    return
                self.in_flight = min(theirs / span * self.round_trip, float(limit or 0))
                self._measured = True
                if theirs + ours > 0:
                    self.their_part = theirs / (theirs + ours)
        self._looks.append((sent_at, remaining))
