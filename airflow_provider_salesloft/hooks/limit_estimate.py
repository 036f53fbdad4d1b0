"""The team's rate limit as one task learns it: adopted when answers agree, never from one outlier.

Every answer tells ``remaining + cost``: the limit, or less when others (or this task) spent in the window
before it. One answer may be wrong (a proxy's or a counter's glitch: ``remaining 59999``, ``endpoint-cost
1000000``), and pacing on it would starve the task and, shared, the team. So:

* an answer above the estimate by more than :data:`OUTLIER` is held, not believed, until the next one
  agrees with it (a real raise shows in every later answer; an answer in line in between refutes it, so
  that a proxy glitching every 50th answer is never believed); the pacer ignores a held answer, its
  ``remaining`` too. Until the estimate rests on something (the team's stored limit, or a window the task
  saw begin), only an answer :data:`UNGROUNDED_OUTLIER` times above it is held: a task that joined while
  others spent has seen less than the limit;
* the task's first answer is believed at once (there is nothing to weigh it against), but only until the
  second: one :data:`UNGROUNDED_OUTLIER` times below it shows the first was the outlier (a glitch in the
  first answer would else hold the task, and through the team's store the next tasks, to a sliver of their
  share); an estimate resting on one answer is not shared with the team;
* the estimate is the largest believed value of the last :data:`MEMORY_WINDOWS` windows this task saw: an
  estimate that no window reaches again decays to what they reach;
* the team's stored limit (:mod:`~airflow_provider_salesloft.hooks.team_window`) is taken as it is while
  this task has not seen a window start (a task that joins while others spend sees less than the limit);
  once it has, in :data:`REFUTING_WINDOWS` windows, a stored limit above :data:`STORED_MARGIN` times what
  they reach is refuted: dropped here, and lowered in the store by the task's next save.
"""

from __future__ import annotations

from collections import deque

#: Windows whose answers are remembered: an estimate none of them reaches decays to what they reach.
MEMORY_WINDOWS = 5
#: An answer above the estimate by more than this share is held until the next one agrees (within as much).
OUTLIER = 0.1
#: The same, while the estimate rests on no window the task saw begin nor on the team's stored limit.
UNGROUNDED_OUTLIER = 3.0
#: A stored limit is trusted up to this multiple of what this task's windows reach (others may have spent
#: much of a window before this task's first answer in it, while the team learns when windows start)...
STORED_MARGIN = 2.0
#: ...in this many windows the task saw begin.
REFUTING_WINDOWS = 2


class LimitEstimate:
    """The limit (cost per window) of the team, learned from ``remaining + cost`` of each answer."""

    def __init__(self) -> None:
        # Per remembered window: whether this task saw it begin, and the largest value believed in it.
        self._windows: deque[tuple[bool, int | None]] = deque([(False, None)], maxlen=MEMORY_WINDOWS)
        self._held: int | None = None  # an answer out of line, waiting for a second one to agree
        self._stored: int | None = None
        self._lone: int | None = None  # the estimate rests on this one answer alone (the task's first)

    @property
    def own(self) -> int | None:
        """What this task's answers show: the largest believed value of the remembered windows."""
        return max((value for _, value in self._windows if value is not None), default=None)

    @property
    def value(self) -> int | None:
        """The limit to pace on: this task's own estimate, or the team's stored one where it is larger and
        not refuted."""
        own = self.own
        if self._stored is None or self.stored_refuted:
            return own
        return self._stored if own is None else max(own, self._stored)

    @property
    def stored_refuted(self) -> bool:
        """The stored limit is far above what this task saw in windows it saw begin: a glitch, or a limit
        since lowered. (A window the task joined late shows less than the limit: it does not count.)"""
        watched = [value for began, value in self._windows if began and value is not None]
        return (
            self._stored is not None
            and len(watched) >= REFUTING_WINDOWS
            and self._stored > STORED_MARGIN * max(watched)
        )

    def observe(self, seen: int) -> bool:
        """Record an answer's ``remaining + cost``; False when it is held (above the estimate by more than
        :data:`OUTLIER`, no other answer agreeing yet): the caller then ignores the answer."""
        lone, self._lone = self._lone, None
        if lone is not None and lone > (1 + UNGROUNDED_OUTLIER) * seen:  # the first answer was the outlier
            self._windows[-1] = (self._windows[-1][0], None)
        current = self.value
        if current is None and lone is None:  # the task's first answer
            self._lone = seen
        grounded = self._stored is not None or any(began for began, _ in self._windows)
        if current is not None and seen > (1 + (OUTLIER if grounded else UNGROUNDED_OUTLIER)) * current:
            held, self._held = self._held, seen
            if held is None or not _agree(held, seen):
                return False
        self._held = None  # believed: an outlier is confirmed by the very next answer, or not at all
        began, largest = self._windows[-1]
        self._windows[-1] = (began, max(seen, largest or 0))
        return True

    def new_window(self) -> None:
        """A new window began (seen by this task): the oldest remembered window is forgotten."""
        self._windows.append((True, None))

    def adopt_stored(self, limit: int) -> None:
        """The team's stored limit (validated by the store)."""
        self._stored = limit

    def to_share(self, stored: int | None) -> int | None:
        """The limit to write to the team's store holding ``stored``; None when this task knows nothing
        better (nothing seen, or no more than the store holds)."""
        own = self.own
        if own is None or self._lone is not None:
            return None
        if stored is None or own > stored or self.stored_refuted:
            return own
        return None


def _agree(first: int, second: int) -> bool:
    return max(first, second) <= (1 + OUTLIER) * min(first, second)
