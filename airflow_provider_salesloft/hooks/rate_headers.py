"""The rate-limit headers of Salesloft's answers, read defensively (any of them may be absent or garbled:
a proxy strips them, a counter glitches)."""

from __future__ import annotations

from collections.abc import Mapping

from airflow_provider_salesloft.hooks.team_window import MAX_LIMIT

#: Cost left in the current window, after this request.
REMAINING_HEADER = "x-ratelimit-remaining-minute"
#: What this request cost (Salesloft may change an endpoint's cost at any time).
COST_HEADER = "x-ratelimit-endpoint-cost"


def int_header(headers: Mapping[str, str] | None, name: str) -> int | None:
    """The header ``name`` as a whole number in ``0..MAX_LIMIT``; None when absent or not one."""
    if not headers:
        return None
    value = headers.get(name)
    try:
        number = int(value) if value is not None else None
    except ValueError:
        return None
    # Beyond any team's limit is a glitch (and past a float's range it would break the pacer's arithmetic)
    return number if number is None or 0 <= number <= MAX_LIMIT else None
