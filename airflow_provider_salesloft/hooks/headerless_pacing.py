"""The pacer's mode without rate-limit headers: when a window's count starts, and when to hold requests.

With the ``x-ratelimit-*`` headers, an answer tells what is left and ``remaining`` jumping back up shows a
window's turn. Without them (a proxy strips them; Salesloft sends no ``Retry-After``) no answer shows a turn
unless a 429 came first: a request sent after a 429 was answered, and let through, shows that a window began
between its sending and its answer. (One sent while the refused one was in flight shows nothing: the server
may have taken it first.) So:

* until the phase is learned (an interval where windows start, at most half a window wide) or the limit is
  measured (:mod:`.headerless_limit`), the pacer does not pace: it spends to the next 429, which shows the
  window's end or measures the limit;
* once both are known, the pacer itself starts each window's count where the window surely began (the end
  of the interval where it starts) and holds every request while the window may be turning (the count
  could not tell which window a request lands in); from then on it keeps to the share as it would with
  ``remaining`` from the headers;
* the minute-aligned prior is not used (only a 429 then an answer shows a turn), and a wait for the next
  window ends at the end of the interval (an answer in its middle tells nothing unless a 429 spent the
  window; then, while the interval is too wide to count windows by time, a probe in its middle narrows it).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from airflow_provider_salesloft.hooks.headerless_limit import HeaderlessLimit
from airflow_provider_salesloft.hooks.window_phase import WindowPhase, width

#: Widest interval where windows start (share of a window) that lets the pacer count a window by time.
PHASE_KNOWN_WIDTH = 0.5
#: Answers in a row with the rate-limit headers that end the mode (one alone may be a glitch).
HEADERS_TO_LEAVE = 2
#: Successes in a row without the headers that start the mode in a task whose first answer carried them
#: (one alone may be a proxy's glitch, or a route it strips them from).
HEADERLESS_TO_ENTER = 2


class HeaderlessPacing:
    """What a pacer does while answers carry no rate-limit headers (times are the pacer's clock).

    :param windows: the pacer's window-phase tracker; this mode moves its start when a window surely began.
    :param share: the task's share of the limit (see :class:`.HeaderlessLimit`).
    """

    def __init__(self, windows: WindowPhase, share: float = 1.0) -> None:
        self._windows = windows
        self.count = HeaderlessLimit(share)
        self._with_header = 0  # answers in a row with the remaining header
        self._without_header = 0  # successes in a row without it
        self._first_had_header: bool | None = None  # whether the first answer carried it (None: none yet)
        self._straddling = 0  # cost let through that may have been charged in the next window (see answered)

    @property
    def active(self) -> bool:
        """Answers come without the remaining header."""
        return self.count.active

    @property
    def limit(self) -> int | None:
        """The limit learned from 429s (None until a 429 told it)."""
        return self.count.limit

    def paced_limit(self, from_headers: int | None) -> int | None:
        """The limit the pacer paces on, given the one its answers' headers showed (``from_headers``; None
        when none did). While answers come without headers, once a 429 measured the limit: that one. The
        pacer then counts each window against it, and its reserve must rest on the same limit: a header
        estimate in this mode comes from an answer that carried the headers alone (perhaps a glitch such as
        ``remaining 59999``, which no later answer can refute, or outweighs: every later one comes without
        them). Else the header estimate, or the 429-learned limit while there is none."""
        if self.active and self.count.limit is not None:
            return self.count.limit
        return from_headers if from_headers is not None else self.count.limit

    def takes(self, status: int, remaining: int | None, cost: int = 1) -> bool:
        """Whether an answer (not a 429) of a request of ``cost`` with ``status`` and the ``remaining`` header
        (None: absent) is counted here: a success without the header switches the mode on;
        :data:`HEADERS_TO_LEAVE` answers in a row with it switch it off. One answer with the header amid
        answers without (a glitch, or a proxy that lets a header through now and then) is counted like them,
        its header unread: believed, it was the task's first header answer, with nothing to weigh it against
        and no second one to refute it (``remaining 59999`` held the task to a request a window), and the
        429 after it went uncounted. The answer that ends the mode is counted too (the window's count, and
        the limit measured with it, would else come out short by it). Likewise, in a task whose first answer
        carried the header, :data:`HEADERLESS_TO_ENTER` successes in a row without it switch the mode on:
        one alone (a proxy's glitch, a route it strips) is left to the pacer, which counts its cost off what
        the headers said was left (before, each such answer switched to a count that knew no window, and the
        task spent unpaced to a 429)."""
        if self._first_had_header is None:
            self._first_had_header = remaining is not None
        if remaining is None:
            self._with_header = 0
            if self.count.active or not 200 <= status < 300:
                return self.count.active
            self._without_header += 1
            if self._first_had_header and self._without_header < HEADERLESS_TO_ENTER:
                return False  # left to the pacer, which counts it off what the headers said was left
            self.count.active = True
            return True
        self._without_header = 0
        if self.count.active:
            self._with_header += 1
            if self._with_header >= HEADERS_TO_LEAVE:
                self.count.active = False
                self.count.spent += cost
        return self.count.active

    def answered(self, sent_at: float, cost: int, answered_at: float | None = None) -> bool:
        """A request of ``cost`` sent at ``sent_at`` was let through (answered at ``answered_at``). True when
        it shows that a window began by its answer (it was sent after a 429, and charged somewhere between
        its sending and its answer). One sent before the window's 429, while the window is counted by time,
        and answered after the next window may have begun, may have been charged in either: it raises no
        limit (else every 429 near a turn could raise it by what was in flight), and counts in the next window
        (the one whose count it could else escape)."""
        count, upcoming = self.count, self._windows.next_start(sent_at)
        if (
            count.refused_at is not None
            and sent_at <= count.refused_at
            and answered_at is not None
            and upcoming is not None
            and upcoming[0] < answered_at
            and count.measured
            and self.phase_known()
        ):
            self._straddling += cost
            return False
        turned = count.answered(sent_at, cost)
        if turned:  # counted from the turn its answer shows, as before (a count begun by time takes them)
            self._straddling = 0
        return turned

    def wrong_turn(self, now: float, probe: bool) -> bool:
        """A request (``probe``: alone, at the predicted turn) was answered 429 ``now``. True when that says
        the predicted turn was wrong rather than the window spent: with headers, when it was a probe; without,
        when it came too soon after the turn (see :meth:`.HeaderlessLimit.refused`, which also counts the
        429)."""
        return self.count.refused(now) if self.active else probe

    def guess_phase_from_prior(self, now: float, offset: float) -> None:
        """The minute-aligned prior where it may be used (``offset``: epoch minus the clock): with headers.
        Without them only a 429 then an answer shows a turn, so a prior already taken is forgotten."""
        if not self.active:
            self._windows.guess_from_prior(now, offset)
        elif self._windows.from_prior:
            self._windows.forget()

    def at_end(self, width: float) -> bool:
        """Whether a wait for the next window, which starts in an interval ``width`` wide, ends at the end of
        the interval rather than in its middle (where a probe narrows it). Without headers a probe in the
        middle tells something only once a 429 spent the window (refused there: the old window; let through:
        the new one), and costs a 429 when early: so only then, and only while the interval is too wide to
        count windows by time (else the run would spend every window up to a 429)."""
        if not self.active:
            return False
        return self.count.refused_at is None or width <= PHASE_KNOWN_WIDTH * self._windows.window_s

    def phase_known(self) -> bool:
        """Whether windows start in a learned interval narrow enough to count a window's spend by time."""
        interval = self._windows.interval
        if interval is None or self._windows.from_prior:
            return False
        return width(interval) <= PHASE_KNOWN_WIDTH * self._windows.window_s

    def remaining(self) -> int | None:
        """What is left of the current window, as counted: none once a 429 spent it; unknown (spend to the
        next 429) while the phase or the limit is unknown; else the limit less what the window was charged."""
        if self.count.refused_at is not None:
            return 0
        return self.count.remaining() if self.phase_known() else None

    def hold_until(self, now: float, on_turn: Callable[[], None]) -> float:
        """Until when every request waits because the window may be turning (``now``: it may go). When the
        window surely turned (perhaps several times) since its count began, the count starts afresh from
        the latest turn, and ``on_turn`` tells the pacer (its other per-window counts start afresh too).
        Until a whole window measured the limit nothing is held (the count paces nothing: holds would only
        keep the run from the 429 that measures it) and the count starts only where a 429 shows a turn."""
        windows = self._windows
        upcoming = windows.next_start(now)
        if upcoming is None or windows.started_at is None or not (self.phase_known() and self.count.measured):
            return now
        lo, hi = upcoming
        if now >= hi:
            window_s = windows.window_s
            started = hi + math.floor((now - hi) / window_s) * window_s
            windows.entered(started)
            self.count.new_window()
            self.count.spent, self._straddling = self._straddling, 0
            on_turn()
            lo, hi = lo + started - hi + window_s, started + window_s
        return hi if lo < now < hi else now
