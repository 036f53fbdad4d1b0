"""The one reader of a ``salesloft`` connection's extras, and the range of every numeric extra.

Every numeric extra is checked when the connection is read (before any request): a finite number within
its range in :data:`NUMBER_RANGES`, else :class:`~airflow_provider_salesloft.exceptions.SalesloftConfigError`
naming the extra, its value and the range. A new numeric extra adds one line to that table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_salesloft.exceptions import SalesloftConfigError
from airflow_provider_salesloft.validation import MIN_RATE_LIMIT_SHARE

CONN_TYPE = "salesloft"


@dataclass(frozen=True)
class NumberRange:
    """The values a numeric extra may take: ``low <= value <= high`` (``low < value`` when ``low_open``).

    :param low: the lowest value.
    :param high: the highest value.
    :param low_open: ``low`` itself is refused (a length of time that must be more than zero).
    """

    low: float
    high: float
    low_open: bool = False

    def holds(self, value: float) -> bool:
        """True when ``value`` is in the range."""
        above = value > self.low if self.low_open else value >= self.low
        return above and value <= self.high

    def __str__(self) -> str:
        return f"{'(' if self.low_open else '['}{self.low:g}, {self.high:g}]"


#: Every numeric extra and its range (seconds for the ``_s`` and ``timeout`` extras).
NUMBER_RANGES: dict[str, NumberRange] = {
    "timeout": NumberRange(0, 3600, low_open=True),
    "rate_limit_window_s": NumberRange(0, 3600, low_open=True),
    "retry_max_attempts": NumberRange(1, 100),
    "retry_max_elapsed_s": NumberRange(0, 7 * 86400, low_open=True),
    "retry_backoff_base_s": NumberRange(0, 3600),
    "retry_backoff_max_s": NumberRange(0, 3600),
    "rate_limit_share": NumberRange(MIN_RATE_LIMIT_SHARE, 1),  # validation.check_rate_limit_share's range
}


class ConnectionExtras:
    """The one reader of a ``salesloft`` connection's extras.

    An extra may be set as ``name`` (JSON, current connection forms) or ``extra__salesloft__name`` (older
    forms); an empty value counts as not set. Typed getters refuse a value of the wrong kind with an error
    naming the extra.

    :param extras: the connection's ``extra_dejson``.
    """

    def __init__(self, extras: Mapping[str, Any]) -> None:
        self._extras = extras

    def get(self, name: str, default: Any = None) -> Any:
        """The extra ``name`` (either spelling), or ``default`` when unset or empty."""
        for key in (name, f"extra__{CONN_TYPE}__{name}"):
            value = self._extras.get(key)
            if value not in (None, ""):
                return value
        return default

    def text(self, name: str, default: str | None = None) -> str | None:
        """The extra as a string."""
        value = self.get(name)
        return default if value is None else str(value)

    def number(self, name: str, default: float) -> float:
        """The extra as a float (a number, or a string of one), within its range in :data:`NUMBER_RANGES`."""
        value = self.get(name, default)
        allowed = NUMBER_RANGES.get(name)
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):  # OverflowError: an int too large for a float
            number = math.nan
        if isinstance(value, bool) or not math.isfinite(number) or (allowed and not allowed.holds(number)):
            within = f" in {allowed}" if allowed else ""
            raise SalesloftConfigError(
                f"connection extra {name} must be a finite number{within}, got {value!r}: fix it in the "
                "connection's extras, or remove it to use the default"
            )
        return number

    def integer(self, name: str, default: int) -> int:
        """The extra as an int."""
        number = self.number(name, default)
        if not number.is_integer():
            raise SalesloftConfigError(
                f"connection extra {name} must be a whole number in {NUMBER_RANGES.get(name, 'range')}, got "
                f"{self.get(name)!r}: fix it in the connection's extras, or remove it to use the default"
            )
        return int(number)

    def flag(self, name: str, default: bool) -> bool:
        """The extra as a bool (``true``/``yes``/``on``/``1`` in any case are true)."""
        value = self.get(name)
        if value is None:
            return default
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        return bool(value)

    def mapping(self, name: str) -> dict[str, str]:
        """The extra as a dict (e.g. ``proxies``)."""
        value = self.get(name)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise SalesloftConfigError(f"connection extra {name} must be a JSON object")
        return {str(key): str(item) for key, item in value.items()}
