"""Person writes as the simulated Salesloft applies them: ``POST /v2/people``, ``PUT /v2/people/{id}`` and
``POST /v2/person_upserts`` (also what a ``person/upsert`` bulk job does with each record)."""

from __future__ import annotations

import re
from typing import Any

from airflow_provider_salesloft.person_fields import PERSON_FIELDS, UPSERT_KEYS
from airflow_provider_salesloft.testing.api import ApiError, invalid, not_found
from airflow_provider_salesloft.testing.state import SalesloftState, now_iso

#: Salesloft's own email check is stricter than the provider's (a TLD of letters): some rows the provider
#: lets through fail here, as per-record errors of a bulk job would.
VALID_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
#: Fields a write stores (the rest of a body is ignored, as Salesloft ignores unknown parameters).
STORED_FIELDS = (PERSON_FIELDS | {"custom_fields"}) - {
    "id",
    "account_id",
    "owner_id",
    "import_id",
    "crm_id_type",
}
#: Salesforce objects a person's ``crm_id`` may name: "either a Lead (00Q) or Contact (003) object".
SALESFORCE_OBJECTS = {"00Q": "Lead", "003": "Contact"}


def _check_crm_id(fields: dict[str, Any]) -> None:
    """Salesloft's ``crm_id`` rules (its API definition): "You must provide a crm_id_type if this is
    included"; ``crm_id_type`` "Must be one of: salesforce"; "A 'salesforce' ID must be exactly 18
    characters. A 'salesforce' ID must be either a Lead (00Q) or Contact (003) object"."""
    crm_id = fields.get("crm_id")
    if crm_id in (None, ""):
        return
    if fields.get("crm_id_type") != "salesforce":
        raise invalid("crm_id_type", "must be one of: salesforce")
    text = str(crm_id)
    if len(text) != 18:
        raise invalid("crm_id", "must be exactly 18 characters for a salesforce ID")
    if text[:3] not in SALESFORCE_OBJECTS:
        raise invalid("crm_id", "must be a salesforce Lead (00Q) or Contact (003)")


def _check_custom_fields(state: SalesloftState, fields: dict[str, Any]) -> None:
    """Custom fields "are defined by the user's team": a write naming another is refused."""
    custom = fields.get("custom_fields")
    if not isinstance(custom, dict):
        return
    known = {f["name"].lower() for f in state.custom_fields if f["field_type"] == "person"}
    unknown = sorted(name for name in custom if str(name).lower() not in known)
    if unknown:
        raise invalid("custom_fields", f"{', '.join(unknown)} is not a custom field of this team")


def _apply_do_not_contact(state: SalesloftState, person: dict[str, Any]) -> None:
    """``do_not_contact``: "If this person is currently in a cadence, they will be removed."."""
    if person.get("do_not_contact") in (True, "true", "True", 1, "1"):
        person["do_not_contact"] = True
        state.remove_from_every_cadence(person["id"])


def _check_email(fields: dict[str, Any]) -> None:
    for name in ("email_address", "personal_email_address", "secondary_email_address"):
        value = fields.get(name)
        if value not in (None, "") and not VALID_EMAIL.match(str(value)):
            raise invalid(name, "is invalid")


def _people_with_email(state: SalesloftState, email: str) -> list[int]:
    return list(state.email_index.get(email.strip().lower(), ()))


def create_person(state: SalesloftState, fields: dict[str, Any]) -> dict[str, Any]:
    """``POST /v2/people``: email, or phone with last name, is required; a taken email is a 422 unless
    the team allows intentional duplicates."""
    email = str(fields.get("email_address") or "").strip()
    if not email and not (fields.get("phone") and fields.get("last_name")):
        raise invalid("email_address", "or phone and last_name are required")
    _check_email(fields)
    _check_crm_id(fields)
    _check_custom_fields(state, fields)
    if email and _people_with_email(state, email) and not state.intentional_duplicates:
        raise invalid("email_address", "is already taken")
    stored = {key: value for key, value in fields.items() if key in STORED_FIELDS and key != "email_address"}
    stored.setdefault("first_name", None)
    stored.setdefault("last_name", None)
    state.next_person_id += 1
    person = state.add_person(state.next_person_id, email, **stored)
    _apply_do_not_contact(state, person)
    return person


def update_person(state: SalesloftState, person_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    """``PUT /v2/people/{id}``."""
    person = state.people.get(person_id)
    if person is None:
        raise not_found()
    _check_email(fields)
    _check_crm_id(fields)
    _check_custom_fields(state, fields)
    email = str(fields.get("email_address") or "").strip()
    if email and email.lower() != str(person.get("email_address") or "").lower():
        if _people_with_email(state, email) and not state.intentional_duplicates:
            raise invalid("email_address", "is already taken")
        state.unindex_email(person)
        person["email_address"] = email
        state.index_email(person)
    for key, value in fields.items():
        if key in STORED_FIELDS and key != "email_address":
            if key == "custom_fields" and isinstance(value, dict):
                person["custom_fields"] = {**(person.get("custom_fields") or {}), **value}
            else:
                person[key] = value
    person["updated_at"] = now_iso()
    _apply_do_not_contact(state, person)
    return person


def upsert_person(state: SalesloftState, fields: dict[str, Any]) -> dict[str, Any]:
    """``POST /v2/person_upserts``: ``{"person": ..., "upsert_type": "create" | "update"}``."""
    key = fields.get("upsert_key")
    if key not in UPSERT_KEYS:
        raise invalid("upsert_key", f"must be one of {', '.join(UPSERT_KEYS)}")
    value = fields.get(key)
    if value in (None, ""):
        raise invalid(str(key), "can't be blank")
    body = {name: field for name, field in fields.items() if name != "upsert_key"}
    if key == "id":
        try:
            ident = int(value)
        except (TypeError, ValueError):
            raise invalid("id", "is not a number") from None
        return {"person": update_person(state, ident, body), "upsert_type": "update"}
    if key == "email_address":
        matches = _people_with_email(state, str(value))
    else:
        _check_crm_id(body)
        matches = [p["id"] for p in state.people.values() if str(p.get("crm_id") or "") == str(value)]
    if len(matches) > 1:
        raise ApiError(422, {"errors": {str(key): ["matches more than one person"]}})
    # "When id and another upsert_key are provided, the request will fail if the upsert record id and id
    # parameter don't match."
    if body.get("id") not in (None, "") and (not matches or str(body["id"]) != str(matches[0])):
        raise invalid("id", "does not match the record the upsert_key matched")
    if matches:
        return {"person": update_person(state, matches[0], body), "upsert_type": "update"}
    return {"person": create_person(state, body), "upsert_type": "create"}
