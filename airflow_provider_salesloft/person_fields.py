"""What a Salesloft person is made of, as the write endpoints take it, and how warehouse rows map to it.

The field names are those of ``POST /v2/person_upserts`` (Salesloft's own API definition); a custom field
is written ``custom_fields.<name>`` as a ``field_map`` target.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_salesloft.exceptions import SalesloftInvalidArgumentError

#: The fields a person write accepts (besides ``custom_fields``).
PERSON_FIELDS = frozenset(
    {
        "account_id",
        "city",
        "contact_restrictions",
        "country",
        "crm_id",
        "crm_id_type",
        "do_not_contact",
        "email_address",
        "first_name",
        "home_phone",
        "id",
        "import_id",
        "job_seniority",
        "last_name",
        "linkedin_url",
        "locale",
        "mobile_phone",
        "owner_id",
        "person_company_industry",
        "person_company_name",
        "person_company_website",
        "person_stage_id",
        "personal_email_address",
        "personal_website",
        "phone",
        "phone_extension",
        "secondary_email_address",
        "state",
        "tags",
        "title",
        "twitter_handle",
        "work_city",
        "work_country",
        "work_state",
    }
)
#: ``field_map`` targets with this prefix are custom fields: ``custom_fields.Segment``.
CUSTOM_FIELD_PREFIX = "custom_fields."
#: Records one bulk-job upload may carry (Salesloft's limit).
MAX_RECORDS_PER_UPLOAD = 5000
#: The keys a person upsert can match on.
UPSERT_KEYS = ("email_address", "crm_id", "id")
#: Columns mapped when no ``field_map`` is given: the sync's ``email`` column, and every column named as a
#: person field.
DEFAULT_COLUMN_ALIASES = {"email": "email_address", "person_id": "id"}


def check_field_map(field_map: Mapping[str, str] | None, argument: str = "field_map") -> dict[str, str]:
    """Validate ``field_map`` (column -> Salesloft field) at parse time; return it as a plain dict.

    :raises SalesloftInvalidArgumentError: a target that is no person field, or a non-text entry.
    """
    if field_map is None:
        return {}
    if not isinstance(field_map, Mapping):
        raise SalesloftInvalidArgumentError(
            argument, type(field_map).__name__, "must map column names to Salesloft person fields"
        )
    checked: dict[str, str] = {}
    for column, target in field_map.items():
        if not isinstance(column, str) or not isinstance(target, str) or not column or not target:
            raise SalesloftInvalidArgumentError(
                argument, f"{column!r} -> {target!r}", "entries must map non-empty text to non-empty text"
            )
        custom = target.startswith(CUSTOM_FIELD_PREFIX) and len(target) > len(CUSTOM_FIELD_PREFIX)
        if target not in PERSON_FIELDS and not custom:
            raise SalesloftInvalidArgumentError(
                argument,
                f"{column!r} -> {target!r}",
                f"maps column {column!r} to {target!r}, which is no Salesloft person field; use one of "
                f"{', '.join(sorted(PERSON_FIELDS))}, or custom_fields.<name> for a custom field",
            )
        checked[column] = target
    return checked


def person_fields(row: Mapping[str, Any], field_map: Mapping[str, str]) -> dict[str, Any]:
    """The person fields of a row: ``field_map``'s columns, plus columns named as person fields (and
    ``email``); blank cells are left out, custom fields gathered under ``custom_fields``."""
    mapping = dict(field_map)
    for column in row:
        if isinstance(column, str) and column not in mapping:
            target = DEFAULT_COLUMN_ALIASES.get(column) or (column if column in PERSON_FIELDS else None)
            if target is not None and target not in mapping.values():
                mapping[column] = target
    fields: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for column, target in mapping.items():
        value = row.get(column)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if isinstance(value, float) and value != value:  # NaN
            continue
        if isinstance(value, str):
            value = value.strip()
        if target.startswith(CUSTOM_FIELD_PREFIX):
            custom[target[len(CUSTOM_FIELD_PREFIX) :]] = value
        else:
            fields[target] = value
    if custom:
        fields["custom_fields"] = custom
    return fields


#: What a write setting ``do_not_contact`` does, in Salesloft's definition's words.
DO_NOT_CONTACT_EFFECT = (
    "Setting do_not_contact to true prevents these people from being called, emailed, or added to a cadence, "
    "and Salesloft removes them from every cadence they are currently on"
)


def sets_do_not_contact(fields: Mapping[str, Any]) -> bool:
    """Whether a person write's fields set ``do_not_contact`` (true, or a text/number saying so)."""
    value = fields.get("do_not_contact")
    if isinstance(value, str):
        return value.strip().lower() in ("true", "t", "yes", "y", "1")
    return bool(value) and value == value  # NaN is not true


def do_not_contact_warning(field_map: Mapping[str, str]) -> str | None:
    """The task-log warning for a ``field_map`` that writes ``do_not_contact``, or None."""
    columns = sorted(column for column, target in field_map.items() if target == "do_not_contact")
    if not columns:
        return None
    return (
        f"field_map writes do_not_contact (from column {', '.join(map(repr, columns))}). "
        f"{DO_NOT_CONTACT_EFFECT}."
    )


#: Longest email address (RFC 5321).
MAX_EMAIL_CHARS = 254


def normalize_email(value: Any) -> tuple[str | None, str | None]:
    """A row's email, trimmed: ``(email, None)``; ``(None, None)`` when absent or blank; ``(None, problem)``
    for a value that is no address (it is never sent: ``_is_null``, for one, is a filter keyword)."""
    value = blank_to_none(value)
    if value is None:
        return None, None
    if not isinstance(value, str):
        return None, f"email must be text, got {type(value).__name__}"
    text = value.strip()
    local, at, domain = text.rpartition("@")
    if (
        not at
        or not local
        or "." not in domain
        or len(text) > MAX_EMAIL_CHARS
        or any(char.isspace() or not char.isprintable() for char in text)
        or text.lower() == "_is_null"
    ):
        return None, f"email is not an address: {text[:80]!r}"
    return text, None


def blank_to_none(value: Any) -> Any:
    """Warehouse NULLs, empty cells and NaN mean "not given"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float) and value != value:  # NaN from dataframes
        return None
    return value
