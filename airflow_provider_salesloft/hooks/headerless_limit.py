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
"""

from __future__ import annotations


class HeaderlessLimit:
    """What a pacer learns of the limit from its requests' outcomes, while answers carry no headers."""

    def __init__(self) -> None:
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
        """A window surely began: count from nothing, from its start."""
        self.spent = 0
        self.whole_window = True
        self.refused_at = None

    def remaining(self) -> int | None:
        """What is left of the current window, as counted: none once it refused; else None until a whole
        window measured the limit."""
        if self.refused_at is not None:
            return 0
        return None if self.limit is None or not self.measured else max(0, self.limit - self.spent)
