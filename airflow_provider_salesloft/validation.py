"""Validation of the ids users hand to the provider, before any request is sent."""

from __future__ import annotations

import math
import re
from decimal import Decimal
from numbers import Integral
from typing import Any

from airflow_provider_salesloft.exceptions import SalesloftInvalidArgumentError

#: Salesloft ids are 64-bit integers.
MAX_ID = 2**63 - 1
_DIGITS = re.compile(r"[0-9]+")
_REASON = "must be a positive integer id (an int or a string of digits)"


def coerce_id(argument: str, value: Any) -> int:
    """Return ``value`` as a positive integer id, or raise naming ``argument`` and showing ``value``.

    Accepted: ``int`` (not ``bool``), a string of ASCII digits with optional surrounding white space (what
    Jinja renders from an XCom), and an integral ``float``/``Decimal`` (what warehouses return for numeric
    columns). Everything else is refused: ``None``, ``""``, ``"abc"``, ``"1.5"``, ``"-3"``, ``True``,
    ``[1]``, ``"None"``, zero, NaN and values beyond 64 bits.
    """
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, Integral):
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        number = int(text) if _DIGITS.fullmatch(text) else None
    elif isinstance(value, float):
        number = int(value) if math.isfinite(value) and value.is_integer() else None
    elif isinstance(value, Decimal):
        number = int(value) if value.is_finite() and value == value.to_integral_value() else None
    if number is None or not 0 < number <= MAX_ID:
        raise SalesloftInvalidArgumentError(argument, value, _REASON)
    return number


def coerce_optional_id(argument: str, value: Any) -> int | None:
    """Like :func:`coerce_id`, but ``None`` means "not given" and is returned as is."""
    return None if value is None else coerce_id(argument, value)
