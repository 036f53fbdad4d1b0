"""Airflow assets (datasets on Airflow 2) for Salesloft cadences: ``salesloft://<host>/cadences/<id>``.

The sync, the add and the remove declare an outlet for the cadence given literally (``cadence_id=10``,
not a template), and on success attach the run's counts on that cadence to the asset event as its extra,
so a DAG scheduled on ``cadence_asset(10)`` runs when cadence 10 changed and knows how much did.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from airflow.providers.common.compat.sdk import Asset

from airflow_provider_salesloft.exceptions import SalesloftInvalidArgumentError
from airflow_provider_salesloft.outcomes import RunOutcomes

#: The API host of the asset URIs unless an operator's ``asset_host`` says otherwise.
DEFAULT_ASSET_HOST = "api.salesloft.com"
_LITERAL_ID = re.compile(r"\s*[0-9]+\s*")
_CADENCE_URI = re.compile(r"salesloft://[^/]+/cadences/([0-9]+)")
_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?")


def check_asset_host(host: Any) -> str:
    """``asset_host`` is a host name with an optional port (``api.salesloft.com``, ``127.0.0.1:8080``)."""
    if not isinstance(host, str) or not _HOST.fullmatch(host):
        raise SalesloftInvalidArgumentError(
            "asset_host", host, "must be a host name with an optional port, like api.salesloft.com"
        )
    return host


def cadence_uri(cadence_id: int, host: str = DEFAULT_ASSET_HOST) -> str:
    """``salesloft://<host>/cadences/<id>``."""
    return f"salesloft://{host}/cadences/{int(cadence_id)}"


def cadence_asset(cadence_id: int, host: str = DEFAULT_ASSET_HOST) -> Any:
    """The asset (a dataset on Airflow 2) of a cadence: what a DAG schedules on to run when it changed."""
    return Asset(cadence_uri(cadence_id, host))


def literal_cadence_id(value: Any) -> int | None:
    """The cadence id when given literally (an int or a string of digits), else None (a template, an
    ``XComArg``, nothing): only literal cadences are declared as outlets, when the DAG is parsed."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and _LITERAL_ID.fullmatch(value):
        return int(value) or None
    return None


def cadence_outlets(cadence_id: Any, host: str) -> list[Any]:
    """The outlet for ``cadence_id`` when it is literal, else none."""
    literal = literal_cadence_id(cadence_id)
    return [] if literal is None else [cadence_asset(literal, host)]


def emit_cadence_events(context: Mapping[str, Any], outlets: list[Any], outcomes: RunOutcomes) -> None:
    """Put each declared cadence's counts in its asset event's extra: ``cadence_id``, ``rows_written`` and
    a count per outcome."""
    events = context.get("outlet_events")
    if events is None:
        return
    for outlet in outlets:
        found = _CADENCE_URI.fullmatch(str(getattr(outlet, "uri", "")))
        if found is None:
            continue
        cadence_id = int(found.group(1))
        counts = dict(outcomes.cadences.get(cadence_id, {}))
        events[outlet].extra.update(
            {"cadence_id": cadence_id, "rows_written": outcomes.cadence_written(cadence_id), **counts}
        )
