"""What the tasks of one Salesloft team learn of its rate-limit window, shared between them.

Salesloft's headers tell what is left in the current window, not the limit nor when windows start; a task
learns both by watching, and a task that joins while others are spending cannot learn them alone (what the
others spent before its first answer looks like a smaller limit). So what any task has learned is kept in an
Airflow Variable, ``salesloft_rate_window__<conn_id>``, and every task of the connection starts from it:

* ``limit``: the largest ``remaining + cost`` any task saw (the team's limit, or close below it);
* ``starts``: an interval ``(lo, hi]`` of wall-clock time in which a window started;
* ``probed_at``: when a task's request, sent only to see whether a new window began, found the old one
  (the others wait their turn rather than spend the team's budget on the same question, and the one that
  sees the new window knows it began later).

It is a hint, never a rule: a value older than :data:`MAX_AGE_S`, or learned on another host or window
length, is ignored, and a task that cannot read or write Variables simply learns alone.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from typing import Protocol

from airflow_provider_salesloft.hooks.variables import read_variable, write_variable

#: A stored window older than this is not trusted (the team's limit may have changed since).
MAX_AGE_S = 3600.0

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TeamWindow:
    """The team's rate-limit window as learned so far."""

    limit: int
    starts: tuple[float, float] | None  # a window started in (lo, hi], epoch seconds
    saved_at: float  # epoch seconds
    probed_at: float | None = None  # when a task's probe last found the old window (epoch seconds)


class TeamWindowStore(Protocol):
    """Where the tasks of one team share what they learned of its rate-limit window."""

    def load(self) -> TeamWindow | None:
        """The stored window, or None when nothing usable is stored."""
        ...

    def save(self, window: TeamWindow) -> None:
        """Store ``window`` (replacing what was there)."""
        ...


class VariableTeamWindowStore:
    """The team's window in an Airflow Variable (``salesloft_rate_window__<conn_id>``).

    :param conn_id: the Salesloft connection.
    :param host: the API's base URL (a window learned against another host is ignored).
    :param window_s: the window length the pacer assumes.
    """

    def __init__(self, conn_id: str, host: str, window_s: float) -> None:
        self.key = f"salesloft_rate_window__{conn_id}"
        self.host = host
        self.window_s = window_s
        self._failed = False

    def load(self) -> TeamWindow | None:
        """The stored window if it is fresh and learned on this host with this window length."""
        try:
            raw = read_variable(self.key)
            if not raw:
                return None
            data = json.loads(raw)
            starts = data.get("starts")
            window = TeamWindow(
                limit=int(data["limit"]),
                starts=(float(starts[0]), float(starts[1])) if starts else None,
                saved_at=float(data["saved_at"]),
                probed_at=float(data["probed_at"]) if data.get("probed_at") else None,
            )
            same_team = data.get("host") == self.host and float(data["window_s"]) == self.window_s
        except Exception as error:  # unreadable, or no Variables here: learn alone
            self._note_failure("read", error)
            return None
        fresh = time.time() - window.saved_at < MAX_AGE_S
        return window if same_team and fresh and window.limit > 0 else None

    def save(self, window: TeamWindow) -> None:
        """Write the Variable; a failure is logged once and otherwise ignored (it is only a hint)."""
        try:
            data = {**asdict(window), "host": self.host, "window_s": self.window_s}
            write_variable(self.key, json.dumps(data))
        except Exception as error:
            self._note_failure("write", error)

    def _note_failure(self, action: str, error: Exception) -> None:
        if not self._failed:
            self._failed = True
            log.info(
                "Cannot %s Variable %s (%s): this task paces on what it learns alone",
                action,
                self.key,
                type(error).__name__,
            )
