"""Write ``salesloft-api-v2.json``: the parts of Salesloft's API definition this project uses.

Source: Salesloft's published OpenAPI definition of REST API v2 (the file Salesloft serves as
``https://developers.salesloft.com/v2_api_def.json``), taken from a public mirror (APIs.guru, February 2024;
its ``info.x-origin`` names the original). Run it again when the project uses another endpoint:

    python tests/contract/extract_definition.py /path/to/salesloft-openapi.json

Kept per operation: each parameter's name, place and type, and each request-body property's name and type
(with descriptions, where the rules are written), plus the response schema's fields and types (references
resolved one level). Paths lose Salesloft's optional ``.json`` suffix and name their id ``{id}``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
TRIMMED = HERE / "salesloft-api-v2.json"
#: The operations the provider (and so the simulator) uses, as the definition names their paths.
USED = {
    "/v2/me.json": ("get",),
    "/v2/users.json": ("get",),
    "/v2/people.json": ("get", "post"),
    "/v2/people/{id}.json": ("get", "put"),
    "/v2/person_upserts.json": ("post",),
    "/v2/cadences.json": ("get",),
    "/v2/cadences/{id}.json": ("get",),
    "/v2/steps.json": ("get",),
    "/v2/custom_fields.json": ("get",),
    "/v2/cadence_memberships.json": ("get", "post"),
    "/v2/cadence_memberships/{id}.json": ("get", "delete"),
    "/v2/bulk_jobs": ("get", "post"),
    "/v2/bulk_jobs/{id}": ("get", "put"),
    "/v2/bulk_jobs/{bulk_jobs_id}/job_data": ("get", "post"),
    "/v2/bulk_jobs/{bulk_jobs_id}/results": ("get",),
}


def _resolve(definition: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        return dict(definition["components"]["schemas"][ref.rsplit("/", 1)[-1]])
    return schema


def _fields(definition: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """``{"list": bool, "fields": {name: type}}`` of a response schema (a record, or a list of them)."""
    schema = _resolve(definition, schema)
    listed = schema.get("type") == "array"
    if listed:
        schema = _resolve(definition, schema.get("items") or {})
    fields = {}
    for name, prop in (schema.get("properties") or {}).items():
        fields[name] = "object" if "$ref" in prop else prop.get("type", "object")
    return {"list": listed, "fields": fields}


def trim(definition: dict[str, Any]) -> dict[str, Any]:
    """The used operations of ``definition``, trimmed."""
    operations: dict[str, Any] = {}
    for path, methods in USED.items():
        template = re.sub(r"\{[^}]+\}", "{id}", path.removesuffix(".json"))
        for method in methods:
            operation = definition["paths"][path][method]
            entry: dict[str, Any] = {
                "summary": operation.get("summary"),
                "description": operation.get("description"),
            }
            entry["parameters"] = {
                p["name"]: {
                    "in": p["in"],
                    "type": (p.get("schema") or {}).get("type"),
                    "description": p.get("description"),
                }
                for p in operation.get("parameters", [])
                if p["in"] != "path"
            }
            body = (operation.get("requestBody") or {}).get("content") or {}
            for media in body.values():
                schema = _resolve(definition, media.get("schema") or {})
                entry["body"] = {
                    name: {"type": prop.get("type"), "description": prop.get("description")}
                    for name, prop in (schema.get("properties") or {}).items()
                }
                entry["required_body"] = schema.get("required", [])
            answers = {}
            for status, answer in (operation.get("responses") or {}).items():
                content = answer.get("content") or {}
                schema = next(iter(content.values()), {}).get("schema")
                answers[status] = _fields(definition, schema) if schema else None
            entry["responses"] = answers
            operations[f"{method.upper()} {template}"] = entry
    return {
        "source": {
            "title": definition["info"].get("title"),
            "version": definition["info"].get("version"),
            "origin": definition["info"].get("x-origin"),
            "note": "Trimmed from Salesloft's published OpenAPI definition by "
            "tests/contract/extract_definition.py",
        },
        "operations": operations,
    }


def main(argv: list[str]) -> None:
    """Read the full definition (first argument), write the trimmed one beside this script."""
    definition = json.loads(Path(argv[1]).read_text())
    TRIMMED.write_text(json.dumps(trim(definition), indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(sys.argv)
