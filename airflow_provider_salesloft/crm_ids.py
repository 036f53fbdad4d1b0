"""CRM ids as Salesloft takes them on person writes.

Salesloft's API definition (``POST /v2/people``, ``PUT /v2/people/{id}``, ``POST /v2/person_upserts``):

* ``crm_id``: "You must provide a crm_id_type if this is included." "A 'salesforce' ID must be exactly 18
  characters. A 'salesforce' ID must be either a Lead (00Q) or Contact (003) object. The type will be
  validated using the 18 character ID." "This field can only be used if your application or API key has the
  'person:set_crm_id' scope."
* ``crm_id_type``: "The CRM that the provided crm_id is for. Must be one of: salesforce".

So every write carrying a ``crm_id`` carries a ``crm_id_type`` (``salesforce`` unless the row or argument
says otherwise); a 15-character Salesforce id (the case-sensitive form Salesforce shows in its UI and
reports) is turned into its 18-character case-safe form with Salesforce's published checksum, and any other
malformed id is refused before it is sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: The CRM types Salesloft's definition accepts ("Must be one of: salesforce").
CRM_ID_TYPES = ("salesforce",)
DEFAULT_CRM_ID_TYPE = "salesforce"
#: Salesforce object key prefixes Salesloft accepts for a person: "either a Lead (00Q) or Contact (003)".
SALESFORCE_PERSON_PREFIXES = {"00Q": "Lead", "003": "Contact"}
#: The characters of Salesforce's case-safe suffix, indexed by a 5-bit value.
_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ALPHANUMERIC = re.compile(r"[A-Za-z0-9]+")


def salesforce_suffix(id15: str) -> str:
    """The 3 characters Salesforce appends to a 15-character id to make it case-safe.

    Salesforce's published algorithm: split the id into three 5-character chunks; in each, bit ``i`` is set
    when character ``i`` is an upper-case letter (A-Z); each 5-bit value picks a character of
    ``ABCDEFGHIJKLMNOPQRSTUVWXYZ012345``.
    """
    suffix = ""
    for start in range(0, 15, 5):
        bits = sum(1 << i for i, char in enumerate(id15[start : start + 5]) if "A" <= char <= "Z")
        suffix += _SUFFIX_ALPHABET[bits]
    return suffix


def salesforce_id_18(value: Any) -> tuple[str | None, str | None]:
    """A Salesforce person id in the 18-character form Salesloft requires: ``(id18, None)``, or
    ``(None, why it cannot be sent)``.

    15 characters: the checksum is appended. 18 characters: its checksum must match its first 15 (an id
    whose case was changed, e.g. lower-cased by a warehouse, no longer names the same record). Either way it
    must name a Lead (``00Q``) or a Contact (``003``).
    """
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not text or not _ALPHANUMERIC.fullmatch(text) or len(text) not in (15, 18):
        return None, (
            f"crm_id {str(value)[:40]!r} is no Salesforce id: Salesloft needs 18 letters and digits "
            "(a 15-character id is converted)"
        )
    if len(text) == 18 and text[15:] != salesforce_suffix(text[:15]):
        return None, (
            f"crm_id {text!r} fails Salesforce's case-safe checksum (expected suffix "
            f"{salesforce_suffix(text[:15])!r}): was its case changed?"
        )
    if text[:3] not in SALESFORCE_PERSON_PREFIXES:
        return None, (
            f"crm_id {text!r} is no Salesforce Lead (00Q...) or Contact (003...): "
            "Salesloft accepts only those"
        )
    return text[:15] + salesforce_suffix(text[:15]), None


def with_crm_id_type(
    fields: Mapping[str, Any], crm_id_type: str = DEFAULT_CRM_ID_TYPE
) -> tuple[dict[str, Any], str | None]:
    """``fields`` ready to send: with a ``crm_id``, its ``crm_id_type`` (the fields' own, else
    ``crm_id_type``) and, for Salesforce, the 18-character id. Returns ``(fields, None)`` or
    ``(fields, why they cannot be sent)``."""
    checked = dict(fields)
    if checked.get("crm_id") in (None, ""):
        checked.pop("crm_id_type", None)  # a type without an id says nothing
        checked.pop("crm_id", None)
        return checked, None
    kind = str(checked.get("crm_id_type") or crm_id_type).strip().lower()
    if kind not in CRM_ID_TYPES:
        return checked, f"crm_id_type {kind!r} is not one Salesloft accepts ({', '.join(CRM_ID_TYPES)})"
    checked["crm_id_type"] = kind
    if kind == "salesforce":
        id18, problem = salesforce_id_18(checked["crm_id"])
        if id18 is None:
            return checked, problem
        checked["crm_id"] = id18
    return checked, None
