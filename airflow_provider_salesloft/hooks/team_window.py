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
length, is ignored, and a task that cannot read or write Variables simply learns alone. Every field is checked
before use (:func:`window_problem`: finite numbers of the right type, in range); an invalid value is ignored,
logged once, and replaced by the next save of a task that learned the window.
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import asdict, dataclass
from typing import Protocol

from airflow_provider_salesloft.hooks.answers import parse_json
from airflow_provider_salesloft.hooks.variables import read_variable, write_variable

#: A stored window older than this is not trusted (the team's limit may have changed since).
MAX_AGE_S = 3600.0
#: Largest limit taken from the store (cost per window; Salesloft's limits are in the thousands).
MAX_LIMIT = 10_000_000
#: A stored time this far ahead of the reader's clock is refused (hosts' clocks differ by less).
MAX_CLOCK_SKEW_S = 300.0

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
        self._invalid_noted = False

    def load(self) -> TeamWindow | None:
        """The stored window if it is valid, fresh and learned on this host with this window length."""
        try:
            raw = read_variable(self.key)
        except Exception as error:  # no Variables here: learn alone
            self._note_failure("read", error)
            return None
        if not raw:
            return None
        try:
            data = parse_json(raw)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            if data.get("host") != self.host or data.get("window_s") != self.window_s:
                return None  # another team's, or learned with another window length
            window = window_from_json(data)
        except (ValueError, TypeError, KeyError) as error:
            self._note_invalid(str(error) if not isinstance(error, KeyError) else f"no {error}")
            return None
        problem = window_problem(window, self.window_s, time.time())
        if problem is not None:
            self._note_invalid(problem)
            return None
        return window if time.time() - window.saved_at < MAX_AGE_S else None

    def save(self, window: TeamWindow) -> None:
        """Write the Variable; a failure is logged once and otherwise ignored (it is only a hint)."""
        try:
            data = {**asdict(window), "host": self.host, "window_s": self.window_s}
            write_variable(self.key, json.dumps(data))
        except Exception as error:
            self._note_failure("write", error)

    def _note_invalid(self, problem: str) -> None:
        if not self._invalid_noted:
            self._invalid_noted = True
            log.warning(
                "Ignoring Variable %s (%s): this task learns the team's window alone, and its next save "
                "replaces the value",
                self.key,
                problem,
            )

    def _note_failure(self, action: str, error: Exception) -> None:
        if not self._failed:
            self._failed = True
            log.info(
                "Cannot %s Variable %s (%s): this task paces on what it learns alone",
                action,
                self.key,
                type(error).__name__,
            )


def window_from_json(data: dict[str, object]) -> TeamWindow:
    """A :class:`TeamWindow` from the Variable's JSON, refusing (``ValueError``) fields of the wrong type."""
    limit, starts, saved_at, probed_at = (
        data["limit"],
        data.get("starts"),
        data["saved_at"],
        data.get("probed_at"),
    )
    if not _is_int(limit):
        raise ValueError(f"limit {limit!r} is not a whole number")
    if starts is not None and not (
        isinstance(starts, list) and len(starts) == 2 and all(_is_number(edge) for edge in starts)
    ):
        raise ValueError(f"starts {starts!r} is not a pair of numbers")
    for name, value in (("saved_at", saved_at), ("probed_at", probed_at)):
        if value is not None and not _is_number(value):
            raise ValueError(f"{name} {value!r} is not a number")
    return TeamWindow(
        limit=int(limit),  # type: ignore[call-overload]
        starts=(float(starts[0]), float(starts[1])) if starts is not None else None,  # type: ignore[index]
        saved_at=float(saved_at),  # type: ignore[arg-type]
        probed_at=float(probed_at) if probed_at is not None else None,  # type: ignore[arg-type]
    )


def window_problem(window: TeamWindow, window_s: float, now: float) -> str | None:
    """What makes ``window`` unusable (None when every field is valid): non-finite or out-of-range numbers,
    a start interval longer than a window or reversed, times ahead of ``now`` (epoch seconds)."""
    if not _is_int(window.limit) or not 0 < window.limit <= MAX_LIMIT:
        return f"limit {window.limit!r} is not a whole number in 1..{MAX_LIMIT}"
    times = {"saved_at": window.saved_at, "probed_at": window.probed_at}
    if window.starts is not None:
        times.update(starts_lo=window.starts[0], starts_hi=window.starts[1])
    for name, value in times.items():
        if value is None:
            continue
        if not _is_number(value) or not math.isfinite(value):
            return f"{name} {value!r} is not a finite time"
        if value > now + MAX_CLOCK_SKEW_S:
            return f"{name} {value!r} lies in the future"
    if window.starts is not None and not 0 <= window.starts[1] - window.starts[0] <= window_s:
        return f"starts {window.starts!r} is not an interval of at most one window"
    return None


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
