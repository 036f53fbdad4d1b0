"""Validation of the ids users hand to the provider, before any request is sent."""

from __future__ import annotations

import math
import re
import warnings
from decimal import Decimal
from numbers import Integral
from typing import Any

from airflow_provider_salesloft.exceptions import SalesloftInvalidArgumentError

#: Salesloft ids are 64-bit integers.
MAX_ID = 2**63 - 1
#: Largest integer a float holds exactly; a float id beyond it may stand for its neighbour.
FLOAT_EXACT = 2**53
#: The smallest ``rate_limit_share``: 1 % of the team's limit, the part the pacer keeps for its probes.
#: Whatever the share, a waiting task lets one request a window out (a probe: has a new window begun?);
#: at Salesloft's default limit (600 a minute) a share below 1/600 is less than that probe, so the task
#: would silently take more than its share. At 1 % it has 6 a minute there, the probe included.
MIN_RATE_LIMIT_SHARE = 0.01
_DIGITS = re.compile(r"[0-9]+")
_REASON = "must be a positive integer id (an int or a string of digits)"


def coerce_id(argument: str, value: Any) -> int:
    """Return ``value`` as a positive integer id, or raise naming ``argument`` and showing ``value``.

    Accepted: ``int`` (not ``bool``), a string of ASCII digits with optional surrounding white space (what
    Jinja renders from an XCom), and an integral ``float``/``Decimal`` (what warehouses return for numeric
    columns). Everything else is refused: ``None``, ``""``, ``"abc"``, ``"1.5"``, ``"-3"``, ``True``,
    ``[1]``, ``"None"``, zero, NaN, values beyond 64 bits, and floats beyond 2**53 (not exact).
    """
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, Integral):
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        number = int(text) if _DIGITS.fullmatch(text) else None
    elif isinstance(value, float):  # exact only up to 2**53: beyond, the float is not the id it was
        number = (
            int(value) if math.isfinite(value) and value.is_integer() and abs(value) <= FLOAT_EXACT else None
        )
    elif isinstance(value, Decimal):
        number = int(value) if value.is_finite() and value == value.to_integral_value() else None
    if number is None or not 0 < number <= MAX_ID:
        raise SalesloftInvalidArgumentError(argument, value, _REASON)
    return number


def coerce_optional_id(argument: str, value: Any) -> int | None:
    """Like :func:`coerce_id`, but ``None`` means "not given" and is returned as is."""
    return None if value is None else coerce_id(argument, value)


def check_rate_limit_share(value: Any) -> float:
    """Return ``rate_limit_share`` if it is a number in ``[MIN_RATE_LIMIT_SHARE, 1]``, else raise naming it
    (the one rule for the argument; the connection's extra is held to the same range)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not MIN_RATE_LIMIT_SHARE <= value <= 1
    ):
        raise SalesloftInvalidArgumentError(
            "rate_limit_share",
            value,
            f"must be a number in [{MIN_RATE_LIMIT_SHARE:g}, 1] (a task lets at least one request a window "
            f"out, more than a smaller share of the limit): give {MIN_RATE_LIMIT_SHARE:g} or more, or run "
            "fewer such tasks at once (an Airflow pool)",
        )
    return float(value)


def check_choice(argument: str, value: Any, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise naming ``argument`` and the choices."""
    if value not in choices:
        raise SalesloftInvalidArgumentError(
            argument, value, f"must be one of {', '.join(map(repr, choices))}"
        )
    return str(value)


def check_int_range(argument: str, value: Any, low: int, high: int | None = None) -> int:
    """Return ``value`` if it is an int within ``[low, high]``, else raise naming ``argument``."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < low
        or (high is not None and value > high)
    ):
        bounds = f"between {low} and {high}" if high is not None else f"an integer >= {low}"
        raise SalesloftInvalidArgumentError(argument, value, f"must be {bounds}")
    return value


def check_seconds(argument: str, value: Any) -> float:
    """Return ``value`` as float seconds if it is a number > 0, else raise naming ``argument``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise SalesloftInvalidArgumentError(argument, value, "must be a number of seconds > 0")
    return float(value)


def deprecated_alias(name: str, value: Any, old_name: str, old_value: Any, why: str = "") -> Any:
    """``value``, or ``old_value`` given under a deprecated argument name (with a deprecation warning
    ending in ``why``); both given is an error naming them."""
    if old_value is None:
        return value
    if value is not None:
        raise SalesloftInvalidArgumentError(
            old_name, old_value, f"is the deprecated name of {name}: give only {name}"
        )
    from airflow.exceptions import AirflowProviderDeprecationWarning

    warnings.warn(
        f"{old_name} is deprecated: use {name}{why}",
        AirflowProviderDeprecationWarning,
        stacklevel=3,
    )
    return old_value
