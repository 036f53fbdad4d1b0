"""Salesloft's clock, as seen from ours: tells an add made by our call from an earlier one.

A membership's ``added_at`` is written by Salesloft's clock. To judge whether a person went on a cadence
during a call that began at some moment of ours, that moment is moved to Salesloft's clock by the offset
measured from the ``Date`` header of its answers.
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


def parse_timestamp(value: Any) -> datetime | None:
    """Parse a Salesloft timestamp (``2024-01-01T00:00:00.000000+00:00``); None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


class ServerClock:
    """The offset of Salesloft's clock from ours, measured once from a ``Date`` header."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.offset: timedelta | None = None  # Salesloft's clock minus ours

    def measure(self, headers: Mapping[str, str], received: datetime) -> None:
        """Learn the offset from an answer's ``Date`` header (first readable one wins)."""
        if self.offset is not None:
            return
        try:
            server_now = email.utils.parsedate_to_datetime(headers.get("Date", ""))
        except (TypeError, ValueError):
            return
        if server_now is not None and server_now.tzinfo is not None:
            with self._lock:
                # Date is truncated to the second: the server's time was within [Date, Date + 1 s).
                self.offset = server_now + timedelta(seconds=0.5) - received

    def added_since(self, membership: Mapping[str, Any], since: datetime) -> bool:
        """True when ``membership`` is on its cadence and was (re)added at or after ``since`` (our clock)."""
        if not membership.get("currently_on_cadence"):
            return False
        added_at = parse_timestamp(membership.get("added_at"))
        if added_at is None:
            return True
        if self.offset is None:
            return added_at >= since - CLOCK_MARGIN_UNMEASURED
        return added_at >= since + self.offset - CLOCK_MARGIN_MEASURED
