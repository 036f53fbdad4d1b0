"""Pacing of a hook's calls to the share of the team's rate limit it may use.

Salesloft's limit is per team, shared by every integration, counted in cost per window (a minute), and
raised per customer, so it is learned from the answers instead of assumed: every response carries
``x-ratelimit-remaining-minute`` and ``x-ratelimit-endpoint-cost`` (reported; both may be absent, and then
pacing stays out of the way and 429s are simply retried). No header gives the reset time, so the pacer learns
the window's phase by watching ``remaining`` jump back up.

The policy:

* until the first answer, one request at a time (it tells the limit);
* the limit ``L`` is estimated as the largest ``remaining + cost`` seen; ``(1 - share) * L`` is left for
  other integrations of the team;
* a request goes out only while ``remaining - reserve - cost in flight >= its cost``; otherwise callers wait
  for the next window: until the learned reset time, or (phase not yet learned) with sparse probes;
* a 429 blocks everyone until the next expected reset, so a spent budget costs one 429, not a storm.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

REMAINING_HEADER = "x-ratelimit-remaining-minute"
COST_HEADER = "x-ratelimit-endpoint-cost"


@dataclass
class PacerStats:
    """What the pacer saw; read by the sync operator's progress lines and summary."""

    requests: int = 0
    rate_limited: int = 0
    waits: int = 0
    waited_s: float = 0.0


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
        if not 0 < share <= 1:
            raise ValueError(f"rate_limit_share must be in (0, 1], got {share!r}")
        self.share = share
        self.window_s = window_s
        self._clock = clock
        self._cond = threading.Condition()
        self.limit_estimate: int | None = None
        self.remaining: int | None = None
        self._answers = 0
        self._need_probe = False
        self._inflight = 0
        self._inflight_cost = 0
        self._reset_at: float | None = None  # a time at (or just after) which a window started
        self._blocked_until = 0.0
        self.stats = PacerStats()

    # -- helpers (call with the lock held) -------------------------------------------------------------
    def _reserve(self) -> float:
        return (1.0 - self.share) * (self.limit_estimate or 0)

    def _next_reset(self, now: float) -> float | None:
        if self._reset_at is None:
            return None
        windows = int((now - self._reset_at) // self.window_s) + 1
        return self._reset_at + windows * self.window_s

    def _block_until_next_window(self, now: float) -> None:
        upcoming = self._next_reset(now)
        if upcoming is None:
            # Phase unknown: probe a few times per window until a reset is seen.
            upcoming = now + self.window_s * random.uniform(0.04, 0.06)
        self._blocked_until = max(self._blocked_until, upcoming)
        self._need_probe = True

    # -- public API ------------------------------------------------------------------------------------
    def acquire(self, cost: int = 1) -> float:
        """Block until a request of ``cost`` may go out; return the clock time it was let through."""
        waited = 0.0
        with self._cond:
            while True:
                now = self._clock()
                one_at_a_time = self._need_probe or self._answers == 0
                if now < self._blocked_until:
                    pause = self._blocked_until - now
                elif one_at_a_time and self._inflight > 0:
                    pause = 0.05  # the answer in flight tells what is left: wait for it
                elif (
                    not self._need_probe
                    and self.remaining is not None
                    and self.remaining - self._reserve() - self._inflight_cost < cost
                ):
                    if self._inflight > 0:
                        pause = 0.05  # answers in flight may show a new window
                    else:
                        self._block_until_next_window(now)
                        pause = self._blocked_until - now
                else:
                    self._inflight += 1
                    self._inflight_cost += cost
                    self.stats.requests += 1
                    if waited:
                        self.stats.waits += 1
                        self.stats.waited_s += waited
                    return now
                self._cond.wait(timeout=max(pause, 0.001))
                waited += max(pause, 0.0)

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
            remaining = _int_header(headers, REMAINING_HEADER)
            charged = _int_header(headers, COST_HEADER) or cost
            if status == 429:
                self.stats.rate_limited += 1
                self.remaining = 0
                self._block_until_next_window(self._clock())
            elif status is None:
                self._need_probe = False  # no answer at all: nothing learned
            else:
                self._need_probe = False
                if remaining is not None:
                    seen_limit = remaining + charged
                    if self.limit_estimate is None or seen_limit > self.limit_estimate:
                        self.limit_estimate = seen_limit
                    if (
                        self.remaining is not None
                        and remaining > self.remaining + self._inflight_cost + charged
                    ):
                        # remaining went back up: a window started before this request was handled.
                        self._reset_at = sent_at
                        self.remaining = remaining
                    elif self.remaining is None or remaining < self.remaining:
                        self.remaining = remaining
            self._cond.notify_all()

    def wait_after_rate_limit(self) -> float:
        """Seconds a 429'd request should wait before its retry: until the next window is expected."""
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
