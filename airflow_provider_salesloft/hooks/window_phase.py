"""When the team's rate-limit windows start, learned from the answers (and, as a prior, calendar minutes).

No header gives the reset time. A window start is seen when ``remaining`` jumps back up: it began after the
last request that saw the old window was sent and no later than the answer to the first that saw the new one
came (the server charged it somewhere between its sending and its answer), an interval ``(lo, hi]`` (in the
pacer's clock) that later answers narrow. Windows are assumed to repeat every ``window_s``, so one interval
locates every start.

Salesloft does not document when its windows reset; public clients compute the reset from the ``Date``
header's seconds, as calendar minutes. So, while nothing is learned yet, the tracker may assume windows
start at whole multiples of ``window_s`` in epoch time (the minute-aligned prior): a task then enters the
next window on time without probing for it. Any answer inconsistent with aligned starts (a turn seen away
from a boundary, or one window seen across a boundary) refutes the prior for good, and the phase is learned
from the answers alone.
"""

from __future__ import annotations

import math

#: How precisely the window's start is pinned (share of a window): the prior's interval, and the margin
#: by which an answer must contradict aligned starts to refute them (round trips are far shorter).
PHASE_PRECISION = 0.01


class WindowPhase:
    """Where the team's windows start, as far as answers told (times are the pacer's monotonic clock).

    :param window_s: length of the window in seconds.
    :param aligned_prior: assume windows start at whole multiples of ``window_s`` in epoch time until an
        answer refutes it.
    """

    def __init__(self, window_s: float, aligned_prior: bool = False) -> None:
        self.window_s = window_s
        self.interval: tuple[float, float] | None = None  # a window started in (lo, hi]
        self.started_at: float | None = None  # send time of the first request seen in this window
        self.last_in_window_at: float | None = None  # latest send time of a request seen in this window
        self.from_prior = False  # the interval is the prior's guess, not learned
        self.prior_refuted = not aligned_prior
        self._first_seen_at: float | None = None  # earliest send time seen in the current window

    @property
    def first_seen_at(self) -> float | None:
        """Send time of the earliest request seen in the current window (None before any)."""
        return self._first_seen_at

    def shift(self, moment: float, near: float) -> float:
        """``moment`` moved by whole windows to the window boundary nearest ``near``."""
        return moment + round((near - moment) / self.window_s) * self.window_s

    def moved(self, interval: tuple[float, float], near: float) -> tuple[float, float]:
        """``interval`` moved by whole windows (both edges together) so that its end is nearest ``near``.
        (Moving each edge to its own nearest boundary inverts an interval wider than half a window.)"""
        lo, hi = interval
        moved_by = self.shift(hi, near) - hi
        return lo + moved_by, hi + moved_by

    def next_start(self, now: float) -> tuple[float, float] | None:
        """Where the window after the current one starts, as ``(lo, hi]``; None while unknown."""
        if self.interval is None:
            return None
        anchor = self.started_at if self.started_at is not None else now - self.window_s
        return self.moved(self.interval, anchor + self.window_s)

    def guess_from_prior(self, now: float, offset: float) -> bool:
        """While nothing is known, take the minute-aligned prior (``offset``: epoch minus the clock), unless
        refuted. True when the interval is now the prior's."""
        if self.interval is not None or self.prior_refuted:
            return False
        boundary = math.ceil((now + offset) / self.window_s) * self.window_s - offset
        self.interval = (boundary - PHASE_PRECISION * self.window_s, boundary)
        self.from_prior = True
        return True

    def saw_start(
        self, sent_at: float, old_seen_at: float | None, offset: float, charged_by: float | None = None
    ) -> None:
        """The request sent at ``sent_at`` was the first seen in a new window; ``old_seen_at``, when known, is
        the latest moment a request (ours or, through the team, another task's) saw the old window;
        ``charged_by``, when known, when its answer came: the server charged it, in the new window, somewhere
        between. (Taking ``sent_at`` for the latest start put it up to a round trip early: the request sent
        then, as the window's first, was charged in the old one, found it spent, and the task lost a window.)
        """
        lo = self.last_in_window_at
        if old_seen_at is not None and old_seen_at < sent_at and (lo is None or old_seen_at > lo):
            lo = old_seen_at
        if lo is None or lo >= sent_at:
            lo = sent_at - 0.2 * self.window_s  # nothing seen of the old window lately: about a probe's gap
        hi = sent_at if charged_by is None else max(sent_at, charged_by)
        if not self._aligned_boundary_in(lo - self._margin(), hi + self._margin(), offset):
            self._refute_prior()
        if self.interval is not None:
            old_lo, old_hi = self.moved(self.interval, hi)
            if max(lo, old_lo) < min(hi, old_hi):  # consistent with what was known: intersect
                lo, hi = max(lo, old_lo), min(hi, old_hi)
        self.interval = (lo, hi)
        self.from_prior = False
        self.entered(sent_at)

    def entered(self, at: float) -> None:
        """A window surely began by ``at`` (the end of the interval where it starts), though no answer has
        shown it yet (without rate-limit headers only a 429 then an answer does)."""
        self.started_at = self._first_seen_at = at
        self.last_in_window_at = None

    def saw_same(self, sent_at: float, offset: float) -> None:
        """The request sent at ``sent_at`` was handled in the current window: the next one starts later."""
        if self.last_in_window_at is None or sent_at > self.last_in_window_at:
            self.last_in_window_at = sent_at
        if self._first_seen_at is None or sent_at < self._first_seen_at:
            self._first_seen_at = sent_at
        elif self._aligned_boundary_in(self._first_seen_at + self._margin(), sent_at, offset):
            self._refute_prior()  # one window seen across an aligned boundary
        upcoming = self.next_start(sent_at)
        if upcoming is not None and upcoming[0] < sent_at < upcoming[1] and self.interval is not None:
            shift = upcoming[0] - self.interval[0]
            self.interval = (sent_at - shift, upcoming[1] - shift)

    def forget(self) -> None:
        """The estimate proved stale (the budget still spent after the expected turn)."""
        if self.from_prior:
            self._refute_prior()
        self.interval = None
        self.from_prior = False

    def adopt(self, lo: float, hi: float) -> None:
        """Take the team's (narrower) interval ``(lo, hi]``."""
        self.interval = (lo, hi)
        self.from_prior = False

    def _margin(self) -> float:
        return PHASE_PRECISION * self.window_s

    def _aligned_boundary_in(self, lo: float, hi: float, offset: float) -> bool:
        """Whether an aligned window boundary falls in ``(lo, hi]`` (clock times; ``offset`` to epoch)."""
        return math.floor((hi + offset) / self.window_s) > math.floor((lo + offset) / self.window_s)

    def _refute_prior(self) -> None:
        if self.from_prior:
            self.interval = None
            self.from_prior = False
        self.prior_refuted = True


def width(interval: tuple[float, float]) -> float:
    """How long the interval ``(lo, hi]`` is."""
    return interval[1] - interval[0]
