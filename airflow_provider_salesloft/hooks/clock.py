"""Salesloft's clock, as seen from ours: tells an add made by our call from an earlier one.

A membership's ``added_at`` is written by Salesloft's clock. To judge whether a person went on a cadence
during a call that began at some moment of ours, that moment is moved to Salesloft's clock by an offset.

The offset comes from the ``Date`` header, which a proxy with a bad clock may get wrong, or leave out. So it
is checked against Salesloft's own timestamps in the records it returns:

* a record cannot have been written in Salesloft's future, so every timestamp seen is a lower bound of
  Salesloft's clock at that moment: a ``Date`` behind it is corrected up;
* a ``Date`` is *corroborated* once a record written "just now" by its measure is seen (the add we just
  made). Until then, a ``Date`` ahead of Salesloft's clock cannot be ruled out, and an ``added_at`` up to
  :data:`DATE_DOUBT` before the call began cannot be told apart: :meth:`ServerClock.added_since` answers
  None (undecided), and callers choose the answer that neither loses a person nor adds one twice.
"""

from __future__ import annotations

import email.utils
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

#: Margin with the server's clock offset measured from its ``Date`` header (1 s resolution) ...
CLOCK_MARGIN_MEASURED = timedelta(seconds=2)
#: ... and without it (clocks merely NTP-synced).
CLOCK_MARGIN_UNMEASURED = timedelta(seconds=120)
#: How far ahead of Salesloft's clock an uncorroborated ``Date`` is suspected to be (a proxy's bad clock).
DATE_DOUBT = timedelta(minutes=10)
#: A record counts as written "just now" when its timestamp is this close to the ``Date`` measure of now.
JUST_NOW = timedelta(seconds=5)
RECORD_TIMESTAMPS = ("added_at", "created_at", "updated_at")


def parse_timestamp(value: Any) -> datetime | None:
    """Parse a Salesloft timestamp (``2024-01-01T00:00:00.000000+00:00``); None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def parse_date_header(value: str | None) -> datetime | None:
    """An HTTP ``Date`` with an explicit zone; None when absent, unreadable or zone-less (``-0000``)."""
    if not value:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo is not None else None


class ServerClock:
    """The offset of Salesloft's clock from ours, from ``Date`` headers checked against record timestamps."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.offset: timedelta | None = None  # Salesloft's clock minus ours, from Date (corrected up)
        self.lower_bound: timedelta | None = None  # the offset is at least this (record timestamps)
        self.corroborated = False  # a record written "just now" by the Date measure was seen

    def measure(self, headers: Mapping[str, str], received: datetime) -> None:
        """Learn the offset from an answer's ``Date`` header (first readable one wins)."""
        if self.offset is not None:
            return
        server_now = parse_date_header(headers.get("Date"))
        if server_now is None:
            return
        with self._lock:
            # Date is truncated to the second: the server's time was within [Date, Date + 1 s).
            self.offset = server_now + timedelta(seconds=0.5) - received
            if self.lower_bound is not None and self.offset < self.lower_bound:
                self.offset = self.lower_bound

    def observe(self, record: Mapping[str, Any], received: datetime) -> None:
        """Check the offset against a record Salesloft returned at ``received`` (our clock)."""
        stamps = [parse_timestamp(record.get(name)) for name in RECORD_TIMESTAMPS]
        latest = max((stamp for stamp in stamps if stamp is not None), default=None)
        if latest is None:
            return
        with self._lock:
            bound = latest - received  # Salesloft's clock had reached ``latest`` by ``received``
            if self.lower_bound is None or bound > self.lower_bound:
                self.lower_bound = bound
            if self.offset is None:
                return
            if self.offset < bound:  # Date is behind Salesloft's own timestamps: correct it
                self.offset = bound
            if abs((received + self.offset) - latest) <= JUST_NOW:
                self.corroborated = True

    def added_since(self, membership: Mapping[str, Any], since: datetime) -> bool | None:
        """Whether ``membership`` is on its cadence and was (re)added at or after ``since`` (our clock).

        True or False when it can be told; None when it cannot (an uncorroborated ``Date`` might be ahead).
        """
        if not membership.get("currently_on_cadence"):
            return False
        return self.stamped_since(membership.get("added_at"), since)

    def stamped_since(self, timestamp: Any, since: datetime) -> bool | None:
        """Whether Salesloft's ``timestamp`` (e.g. a person's ``created_at``) is at or after ``since`` (our
        clock): True or False when it can be told, None when it cannot; True when the timestamp is missing.
        """
        added_at = parse_timestamp(timestamp)
        if added_at is None:
            return True
        if self.lower_bound is not None and added_at < since + self.lower_bound - CLOCK_MARGIN_MEASURED:
            return False  # before the call began, by Salesloft's own timestamps
        if self.offset is None:
            return added_at >= since - CLOCK_MARGIN_UNMEASURED
        start = since + self.offset - CLOCK_MARGIN_MEASURED
        if added_at >= start:
            return True
        if not self.corroborated and added_at >= start - DATE_DOUBT:
            return None
        return False
