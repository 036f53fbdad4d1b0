"""The simulated team's rate limit: cost per fixed window, shared by every caller."""

from __future__ import annotations

import math
import threading
import time
from collections import Counter


class TeamRateLimit:
    """Charges each call's cost to the current window; refuses what would exceed the limit.

    :param lock: the simulator's state lock.
    :param started: when window 0 began (``time.time()``); default now.
    """

    def __init__(
        self,
        *,
        lock: threading.RLock,
        started: float | None = None,
    ) -> None:
        self._lock = lock
        self.started = time.time() if started is None else started

    def origin(self, window_s: float, aligned: bool = False) -> float:
        """When window 0 began: :attr:`started`, or with ``aligned`` the whole multiple of ``window_s`` in
        epoch time before it (windows on calendar minutes, as public clients of Salesloft assume)."""
        return math.floor(self.started / window_s) * window_s if aligned else self.started

    def window(self, window_s: float, aligned: bool = False) -> int:
        """The number of the current window."""
        return int((time.time() - self.origin(window_s, aligned)) // window_s)

    def charge(
        self,
        cost: int,
        *,
        limit: int,
        window_s: float,
        cost_by_window: Counter[int],
        aligned: bool = False,
    ) -> tuple[bool, int]:
        """Charge ``cost`` to the current window: ``(allowed, remaining after)``."""
        with self._lock:
            window = self.window(window_s, aligned)
            used = cost_by_window[window]
            if used + cost > limit:
                return False, max(0, limit - used)
            cost_by_window[window] = used + cost
            return True, limit - used - cost
