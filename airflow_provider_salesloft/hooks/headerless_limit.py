"""The team's limit learned without rate-limit headers (a proxy that strips them), from the 429s alone.

Salesloft answers a spent window with a 429 and no ``Retry-After``; when the ``x-ratelimit-*`` headers do
not reach the hook either, what a task can see is which of its requests were let through and which were
refused. In a window whose start is known (its first request was sent after a 429 had been *answered*, and
was let through; or the window surely began at a moment the pacer chose), the cost answered before its
first 429 is the limit, as far as this task can tell (other clients of the team spending make it lower:
pacing on it is then cautious, never past the share). The pacer then counts what it spends in each window
against that limit, as it would count ``remaining`` from the headers. Until then it is not paced: the first
window a run sees is counted from the middle (and may have turned unseen), so its count could be up to twice
the limit, and pacing on it would spend past the share without a 429 to correct it.

Paced at its share, the task never reaches the limit again, so no 429 would ever tell it that the limit rose
(Salesloft raised it, or it was measured in a window other clients of the team shared). So once
:data:`RETEST_AFTER` windows in a row used the task's share (its pace held it, not its work) without a 429,
the next window re-measures: it is spent up to a 429 like the one that measured the limit (a window that
takes more than the estimate without a 429 raises it to what it took). A re-measure costs at most one window
spent up to the limit, and the 429s of the requests then in flight; one that finds the limit unchanged
doubles the wait before the next, up to :data:`RETEST_MAX` windows, so that they cannot add up to a storm.
"""

from __future__ import annotations

#: Windows in a row that used the task's share, without a 429, before a window re-measures the limit.
RETEST_AFTER = 8
#: The longest wait (windows) between re-measures that found the limit unchanged (each one doubles it).
RETEST_MAX = 64
#: Share of the task's share a window must use to count towards a re-measure (less: the work held it).
SATURATED = 0.9


class HeaderlessLimit:
    """What a pacer learns of the limit from its requests' outcomes, while answers carry no headers.

    :param share: the task's share of the limit (a window that used it counts towards a re-measure).
    """

    def __init__(self, share: float = 1.0) -> None:
        self.share = share
        self.testing = False  # the current window re-measures the limit (spent up to a 429)
        self._tested_from: int | None = None  # the limit when the re-measure began
        self._saturated = 0  # windows in a row that used the share without a 429
        self._retest_after = RETEST_AFTER
        self.active = False  # answers come without the remaining header
        self.limit: int | None = None  # cost per window answered before a 429, as counted
        self.measured = False  # ``limit`` was counted over a whole window (else it is only a rough guess)
        self.spent = 0  # cost answered (not refused) in the current window
        self.whole_window = False  # ``spent`` counts from the window's start
        self.refused_at: float | None = None  # when the latest 429 of the current window was answered

    def answered(self, sent_at: float, cost: int) -> bool:
        """A request sent at ``sent_at`` was let through. True when it shows that a new window began (it was
        sent after a 429 was answered): the caller moves the window's phase, and counting restarts with it."""
        turned = self.refused_at is not None and sent_at > self.refused_at
        if turned:
            self.new_window()
        self.spent += cost
        if self.refused_at is not None and self.limit is not None and self.spent > self.limit:
            self.limit = self.spent  # sent before the 429, let through in its window: the limit is higher
        return turned

    def refused(self, at: float) -> bool:
        """A request was answered 429 at ``at``: the window is spent, at ``spent``. One sent after ``at``
        and let through shows a new window; one sent before it (while the refused one was in flight) does
        not, since the server may have taken it first (on a loaded machine a request let out later can reach
        the server sooner; taken for a turn, it put the phase where no window starts). True when that
        says the phase is off rather than the limit: refused before half the limit was let through since
        the turn (a turn that did not come when expected, or one inferred from requests that reached the
        server in another order than they were let out, as on a loaded machine); the limit stays."""
        if self.refused_at is None or at > self.refused_at:
            self.refused_at = at
        if self.limit is not None and 2 * self.spent < self.limit:
            return True
        if self.whole_window or self.limit is None:
            self.limit = max(self.spent, 1)
            self.measured = self.measured or self.whole_window
        else:  # counted from the middle of a run across a window's turn: only ever lower the guess
            self.limit = max(min(self.limit, self.spent), 1)
        return False

    def new_window(self) -> None:
        """A window surely began: count from nothing, from its start (after weighing the one that ended)."""
        self._weigh_window()
        self.spent = 0
        self.whole_window = True
        self.refused_at = None

    def _weigh_window(self) -> None:
        """What the window that ended says of the limit: a re-measure's outcome, or one more window at the
        share (the next then re-measures, once there were enough in a row)."""
        if not (self.whole_window and self.measured) or self.limit is None:
            return
        if self.testing:
            self.testing, self._saturated = False, 0
            if self.refused_at is None and self.spent > self.limit:
                self.limit = self.spent  # it took more than the estimate without a 429
            if self._tested_from is not None and self.limit > self._tested_from:
                self._retest_after = RETEST_AFTER  # it rose: soon again, it may have risen further
            elif self.refused_at is not None:  # unchanged: less often
                self._retest_after = min(2 * self._retest_after, RETEST_MAX)
            return
        used = self.refused_at is None and self.spent >= SATURATED * self.share * self.limit
        self._saturated = self._saturated + 1 if used else 0
        if self._saturated >= self._retest_after:
            self.testing, self._tested_from = True, self.limit

    def remaining(self) -> int | None:
        """What is left of the current window, as counted: none once it refused; else None (spend to the next
        429) until a whole window measured the limit, and in a window that re-measures it."""
        if self.refused_at is not None:
            return 0
        if self.limit is None or not self.measured or self.testing:
            return None
        return max(0, self.limit - self.spent)
