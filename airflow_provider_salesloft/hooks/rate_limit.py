"""Pacing of a hook's calls to the share of the team's rate limit it may use.

Salesloft's limit is per team, shared by every integration, counted in cost per window (a minute), and
raised per customer, so it is learned from the answers instead of assumed: every response carries
``x-ratelimit-remaining-minute`` and ``x-ratelimit-endpoint-cost`` (reported; both may be absent, and then
pacing stays out of the way and 429s are simply retried). No header gives the reset time, so the pacer learns
when windows start by watching ``remaining`` jump back up.

The policy:

* until the first answer, one request at a time (it tells the limit);
* the limit ``L`` is estimated as the largest ``remaining + cost`` seen; ``(1 - share) * L`` is left for
  other integrations of the team;
* a request goes out only while ``remaining - reserve - cost in flight >= its cost``; otherwise callers wait
  for the next window and one probe request tells whether it has begun (1 % of the limit stays unspent
  for such probes, so that they find budget rather than a 429);
* window starts are located to an interval ``(lo, hi]`` (the last request that saw the old window, the
  first that saw the new one), narrowed by probing its middle: the first window costs a few probes, later
  windows are entered on time with none;
* a 429 blocks every caller of the hook until the next expected window, so a spent budget costs one 429,
  not a storm; an expected window start that has passed with the budget still spent (other tasks of the
  team spend it too), or a probe answered 429, discards the estimate: probing resumes every fifth of a
  window, never at once.

Several tasks of one team (any executor, any number of workers) share Salesloft's own counter: each one
holds its requests while ``remaining`` is within the reserve, so together they stay within ``share`` of the
limit without talking to each other. What the others spend between two of a task's answers (``remaining``
fell by more than the task's own requests explain) is kept in reserve as well, so that the requests they
have in flight, which no task can see, do not carry the team past its share at the end of a window.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from airflow_provider_salesloft.validation import check_rate_limit_share

REMAINING_HEADER = "x-ratelimit-remaining-minute"
COST_HEADER = "x-ratelimit-endpoint-cost"
#: While the window's start is unknown, probe this often (share of a window).
PROBE_EVERY = 0.2
#: Share of the limit kept unspent for probes, so that a probe finds budget instead of a 429.
PROBE_RESERVE = 0.01
#: Stop narrowing the window start once it is known this precisely (share of a window).
PHASE_PRECISION = 0.01
#: How fast the estimate of other clients' spend between two of our answers fades (per answer).
FOREIGN_DECAY = 0.95
#: Margin on that estimate: overshooting the team's share hurts others, undershooting only slows us a little.
FOREIGN_CAUTION = 1.5


@dataclass
class PacerStats:
    """What the pacer saw; read by the sync operator's progress lines and summary."""

    requests: int = 0
    rate_limited: int = 0


class RateLimitPacer:
    """Thread-safe gate in front of every request of one hook.

    :param share: share of the team's limit this hook may use, ``0 < share <= 1``.
    :param window_s: length of the rate-limit window in seconds.
    :param clock: monotonic clock (injectable for tests).
    """

    def __init__(
        self,
        share: float = 1.0,
        window_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.share = check_rate_limit_share(share)
        self.window_s = window_s
        self._clock = clock
        self._cond = threading.Condition()
        self.limit_estimate: int | None = None
        self.remaining: int | None = None
        self._answers = 0
        self._need_probe = False
        self._inflight = 0
        self._inflight_cost = 0
        self._blocked_until = 0.0
        self._window_started_at: float | None = None  # send time of the first request seen in this window
        self._last_in_window_at: float | None = None  # latest send time of a request seen in this window
        self._phase: tuple[float, float] | None = None  # a window started in (lo, hi]
        self._foreign = 0.0  # cost other clients of the team have in flight, estimated (decaying max)
        self._round_trip = 0.0  # seconds from letting a request out to its answer (moving average)
        self._last_answer_at: float | None = None
        self.stats = PacerStats()

    # -- window phase (call with the lock held) ----------------------------------------------------------
    def _shift(self, moment: float, near: float) -> float:
        """``moment`` moved by whole windows to the window boundary nearest ``near``."""
        return moment + round((near - moment) / self.window_s) * self.window_s

    def _next_start_interval(self, now: float) -> tuple[float, float] | None:
        """Where the window after the current one starts, as ``(lo, hi]``; None while unknown."""
        if self._phase is None:
            return None
        anchor = self._window_started_at if self._window_started_at is not None else now - self.window_s
        return (
            self._shift(self._phase[0], anchor + self.window_s),
            self._shift(self._phase[1], anchor + self.window_s),
        )

    def _saw_window_start(self, sent_at: float) -> None:
        """The request sent at ``sent_at`` was the first seen in a new window."""
        lo = self._last_in_window_at
        if lo is None or lo >= sent_at:
            lo = sent_at - PROBE_EVERY * self.window_s
        hi = sent_at
        if self._phase is not None:
            old_lo, old_hi = (self._shift(edge, hi) for edge in self._phase)
            if max(lo, old_lo) < min(hi, old_hi):  # consistent with what was known: intersect
                lo, hi = max(lo, old_lo), min(hi, old_hi)
        self._phase = (lo, hi)
        self._window_started_at = sent_at
        self._last_in_window_at = None

    def _saw_same_window(self, sent_at: float) -> None:
        """The request sent at ``sent_at`` was handled in the current window: the next one starts later."""
        if self._last_in_window_at is None or sent_at > self._last_in_window_at:
            self._last_in_window_at = sent_at
        upcoming = self._next_start_interval(sent_at)
        if upcoming is not None and upcoming[0] < sent_at < upcoming[1]:
            shift = upcoming[0] - self._phase[0] if self._phase else 0.0
            self._phase = (sent_at - shift, upcoming[1] - shift)

    def _block_until_next_window(self, now: float) -> None:
        """Hold every caller until a new window may have begun; then one probe goes first."""
        upcoming = self._next_start_interval(now)
        if upcoming is not None and upcoming[1] <= now:
            # The window should have turned already, yet the budget is still spent: other clients of the
            # team spend it too, or the estimate went stale. Forget it rather than retry at once.
            self._phase = None
            upcoming = None
        if upcoming is None:
            moment = now + PROBE_EVERY * self.window_s
        else:
            lo, hi = max(upcoming[0], now), upcoming[1]
            # Probe the middle of the uncertain interval until it is narrow; then enter at its end. With
            # other clients spending the team's budget, every task's probes landing in the old window would
            # add up past the share: enter at the end at once.
            narrow = hi - lo <= PHASE_PRECISION * self.window_s
            moment = hi if narrow or self._foreign > 0 else (lo + hi) / 2
        self._blocked_until = max(self._blocked_until, moment, now)
        self._need_probe = True

    def _reserve(self) -> float:
        limit = self.limit_estimate or 0
        base = max((1.0 - self.share) * limit, float(math.ceil(PROBE_RESERVE * limit)))
        return base + math.ceil(self._foreign * FOREIGN_CAUTION)  # what other clients may have in flight

    # -- public API ------------------------------------------------------------------------------------
    def acquire(self, cost: int = 1) -> float:
        """Block until a request of ``cost`` may go out; return the clock time it was let through."""
        with self._cond:
            while True:
                admitted, pause = self._admit(cost)
                if admitted:
                    return self._clock()
                self._cond.wait(timeout=max(pause, 0.001))

    def try_acquire(self, cost: int = 1) -> tuple[bool, float]:
        """Let a request of ``cost`` out now if it may: ``(True, 0)``; else ``(False, seconds to wait)``."""
        with self._cond:
            return self._admit(cost)

    def _admit(self, cost: int) -> tuple[bool, float]:
        now = self._clock()
        one_at_a_time = self._need_probe or self._answers == 0
        if now < self._blocked_until:
            return False, self._blocked_until - now
        if one_at_a_time and self._inflight > 0:
            return False, 0.05  # the answer in flight tells what is left: wait for it
        if (
            not self._need_probe
            and self.remaining is not None
            and self.remaining - self._reserve() - self._inflight_cost < cost
        ):
            if self._inflight > 0:
                return False, 0.05  # answers in flight may show a new window
            self._block_until_next_window(now)
            return False, self._blocked_until - now
        self._inflight += 1
        self._inflight_cost += cost
        self.stats.requests += 1
        return True, 0.0

    def release(
        self,
        cost: int,
        sent_at: float,
        status: int | None,
        headers: Mapping[str, str] | None,
    ) -> None:
        """Record the answer of a request let through by :meth:`acquire` at ``sent_at``."""
        with self._cond:
            self._inflight -= 1
            self._inflight_cost -= cost
            self._answers += 1
            self._round_trip = 0.8 * self._round_trip + 0.2 * max(0.0, self._clock() - sent_at)
            if status == 429:
                self.stats.rate_limited += 1
            stale = self._window_started_at is not None and sent_at < self._window_started_at
            if status is None:
                self._need_probe = False  # no answer at all: nothing learned
            elif stale:
                pass  # sent before the latest known window start: tells nothing about the current window
            elif status == 429:
                if self._need_probe:  # a probe at the predicted window start found it spent: wrong guess
                    self._phase = None
                self.remaining = 0
                self._saw_same_window(sent_at)
                self._block_until_next_window(self._clock())
            else:
                self._need_probe = False
                self._read_headers(sent_at, headers, cost)
            self._cond.notify_all()

    def _read_headers(self, sent_at: float, headers: Mapping[str, str] | None, cost: int) -> None:
        remaining = _int_header(headers, REMAINING_HEADER)
        if remaining is None:
            return
        charged = _int_header(headers, COST_HEADER) or cost
        if self.limit_estimate is None or remaining + charged > self.limit_estimate:
            self.limit_estimate = remaining + charged
        if self.remaining is not None and remaining > self.remaining + self._inflight_cost + charged:
            self._saw_window_start(sent_at)  # remaining went back up
            self.remaining = remaining
        else:
            self._saw_same_window(sent_at)
            now = self._clock()
            if self.remaining is not None and self._last_answer_at is not None:
                # Spent since our last look beyond this request and ours in flight is someone else's; what
                # they have in flight at any moment is that spend's rate times a round trip.
                foreign = max(0, self.remaining - remaining - charged - self._inflight_cost)
                gap = max(now - self._last_answer_at, 1e-3)
                in_flight = min(foreign * self._round_trip / gap, float(self.limit_estimate or 0))
                self._foreign = max(in_flight, self._foreign * FOREIGN_DECAY)
            self._last_answer_at = now
            self.remaining = remaining if self.remaining is None else min(self.remaining, remaining)

    def wait_after_rate_limit(self) -> float:
        """Seconds a 429'd request should wait before its retry: until a new window may have begun."""
        with self._cond:
            now = self._clock()
            self._block_until_next_window(now)
            return max(0.0, self._blocked_until - now)


def _int_header(headers: Mapping[str, str] | None, name: str) -> int | None:
    if not headers:
        return None
    value = headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
