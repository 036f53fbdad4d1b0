"""The rate-limit headers of Salesloft's answers, read defensively (any of them may be absent or garbled:
a proxy strips them, a counter glitches)."""

from __future__ import annotations

from collections.abc import Mapping

#: Cost left in the current window, after this request.
REMAINING_HEADER = "x-ratelimit-remaining-minute"
#: What this request cost (Salesloft may change an endpoint's cost at any time).
COST_HEADER = "x-ratelimit-endpoint-cost"


def int_header(headers: Mapping[str, str] | None, name: str) -> int | None:
    """The header ``name`` as a whole number of at least 0; None when absent or not one."""
    if not headers:
        return None
    value = headers.get(name)
    try:
        number = int(value) if value is not None else None
    except ValueError:
        return None
    return number if number is None or number >= 0 else None
