"""Checks requests and answers against Salesloft's API definition (the trimmed copy beside this module,
``salesloft-api-v2.json``; see ``extract_definition.py`` for where it comes from)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

DEFINITION = Path(__file__).with_name("salesloft-api-v2.json")
#: Parameters the project sends that the definition does not list, each with the reason it may.
ALLOWED_UNDOCUMENTED: dict[tuple[str, str], str] = {
    (
        "POST /v2/cadence_memberships",
        "task_id",
    ): "documented on Salesloft's reference page of the endpoint (create-cadence-membership: 'task_id "
    "integer'), missing from the OpenAPI file",
}
#: Record fields of a ``person/upsert`` bulk job: "an array of objects, where element contains the
#: parameters necessary to execute the individual calls", i.e. those of ``POST /v2/person_upserts``.
JOB_DATA_RECORD_OPERATION = "POST /v2/person_upserts"
#: JSON types of the definition's type names.
JSON_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "number": (int, float),
    "string": (str,),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}
#: List items of one answer whose fields are checked (the rest are shaped alike).
ITEMS_CHECKED = 3


@cache
def operations() -> dict[str, dict[str, Any]]:
    """``"GET /v2/people/{id}"`` -> the operation as the trimmed definition keeps it."""
    return dict(json.loads(DEFINITION.read_text())["operations"])


def operation_of(method: str, path: str) -> str | None:
    """The definition's operation a request is for (``/v2/people/5`` and ``/v2/people/5.json`` are
    ``/v2/people/{id}``), or None."""
    parts = path.split("?")[0].rstrip("/").removesuffix(".json").split("/")
    template = "/".join("{id}" if part.isdigit() else part for part in parts)
    key = f"{method.upper()} {template}"
    return key if key in operations() else None


def _name_and_operator(name: str) -> tuple[str, str | None]:
    """``email_addresses[]`` -> (``email_addresses``, None); ``updated_at[gte]`` -> (``updated_at``,
    ``gte``)."""
    match = re.fullmatch(r"([^\[\]]+)(?:\[([^\[\]]*)\])?", name)
    if not match:
        return name, None
    return match.group(1), match.group(2) or None


def _operators(description: str | None) -> set[str]:
    """The comparison operators a filter's description allows (``gt``, ``gte``, ``lt``, ``lte``)."""
    text = description or ""
    if "---CUSTOM---" in text:
        custom = json.loads(text.split("---CUSTOM---", 1)[1])
        return {key["name"] for key in custom.get("keys", [])}
    return set(re.findall(r"\b(gte|gt|lte|lt)\b", text))


def request_problems(method: str, path: str, query: Mapping[str, Any], body: Mapping[str, Any]) -> list[str]:
    """Why a request is not one the definition documents (empty when it is).

    A parameter may travel in the query or in the body: Salesloft's docs list most write parameters as query
    parameters, its own example sends a form body, and it accepts each (API notes: "The server accepts each
    of them").
    """
    key = operation_of(method, path)
    if key is None:
        return [f"{method} {path}: no such operation in the definition"]
    operation = operations()[key]
    documented = {**operation.get("parameters", {}), **operation.get("body", {})}
    problems = []
    for name in sorted({*query, *body}):
        base, operator = _name_and_operator(name)
        if (key, base) in ALLOWED_UNDOCUMENTED:
            continue
        if base not in documented:
            problems.append(f"{key}: parameter {name!r} is not in the definition")
        elif operator is not None and operator not in _operators(documented[base].get("description")):
            problems.append(f"{key}: parameter {name!r}: the definition allows no {operator!r} comparison")
    if key == "POST /v2/bulk_jobs/{id}/job_data":
        record_fields = operations()[JOB_DATA_RECORD_OPERATION]["body"]
        for record in body.get("data") or ():
            for name in sorted(record if isinstance(record, Mapping) else ()):
                if name not in record_fields:
                    problems.append(
                        f"{key}: record field {name!r} is no {JOB_DATA_RECORD_OPERATION} parameter"
                    )
    return problems


def answer_problems(method: str, path: str, status: int, answer: Any) -> list[str]:
    """Why a successful answer is not shaped as the definition's response (empty when it is): every field
    must be one the definition lists, with its type (or null)."""
    key = operation_of(method, path)
    if key is None or not 200 <= status < 300 or answer is None:
        return []
    response = operations()[key]["responses"].get(str(status))
    if response is None:
        return [f"{key}: status {status} is not a documented answer"]
    data = answer.get("data") if isinstance(answer, Mapping) else None
    if response["list"] != isinstance(data, list):
        return [f"{key}: data is {'not ' if response['list'] else ''}a list, unlike the definition's answer"]
    items = data[:ITEMS_CHECKED] if isinstance(data, list) else [data]
    problems = []
    for item in items:
        if not isinstance(item, Mapping):
            problems.append(f"{key}: an answer's record is {type(item).__name__}, not an object")
            continue
        for name, value in item.items():
            wanted = response["fields"].get(name)
            if wanted is None:
                problems.append(f"{key}: answer field {name!r} is not in the definition")
            elif value is not None and not _is_type(value, wanted):
                problems.append(
                    f"{key}: answer field {name!r} is {type(value).__name__}, the definition says {wanted}"
                )
    return problems


def _is_type(value: Any, wanted: str) -> bool:
    if isinstance(value, bool) and wanted in ("integer", "number"):
        return False
    return isinstance(value, JSON_TYPES.get(wanted, (object,)))
