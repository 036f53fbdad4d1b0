"""CRM ids as Salesloft's definition takes them: "You must provide a crm_id_type if this is included";
"Must be one of: salesforce"; "A 'salesforce' ID must be exactly 18 characters ... either a Lead (00Q) or
Contact (003)"."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_salesloft.crm_ids import salesforce_id_18, salesforce_suffix, with_crm_id_type

ALNUM = string.ascii_letters + string.digits
id15s = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(["003", "00Q"]),
    st.text(alphabet=ALNUM, min_size=12, max_size=12),
)


def test_salesforces_published_examples() -> None:
    # Salesforce's documented example: 001A0000006Vm9r -> 001A0000006Vm9rIAC.
    assert salesforce_suffix("001A0000006Vm9r") == "IAC"
    assert salesforce_id_18("003A0000006Vm9r") == ("003A0000006Vm9rIAC", None)
    assert salesforce_id_18(" 00Q5e00000ABCde ")[0] == "00Q5e00000ABCde" + salesforce_suffix(
        "00Q5e00000ABCde"
    )


def test_malformed_ids_are_refused_with_a_reason() -> None:
    for value, reason in [
        ("001A0000006Vm9r", "no Salesforce Lead (00Q...) or Contact (003...)"),  # an Account
        ("003A0000006Vm9", "is no Salesforce id"),  # 14 characters
        ("003A0000006Vm9rIAC".lower(), "fails Salesforce's case-safe checksum"),
        ("003A0000006Vm9-IA", "is no Salesforce id"),
        (12345, "is no Salesforce id"),
        (True, "is no Salesforce id"),
    ]:
        converted, problem = salesforce_id_18(value)
        assert converted is None and problem is not None and reason in problem, (value, problem)


@given(id15s)
def test_every_15_character_id_becomes_a_valid_case_safe_18(id15: str) -> None:
    id18, problem = salesforce_id_18(id15)
    assert problem is None and id18 is not None
    assert len(id18) == 18 and id18.startswith(id15)
    assert salesforce_id_18(id18) == (id18, None)  # the 18-character form passes as it is


@given(id15s, id15s)
def test_ids_that_differ_only_in_case_stay_apart_in_18_characters(first: str, second: str) -> None:
    """The point of the checksum: 18-character ids compare case-insensitively."""
    if first != second:
        assert salesforce_id_18(first)[0].lower() != salesforce_id_18(second)[0].lower()  # type: ignore[union-attr]


@given(id15s, st.sampled_from([None, "", "salesforce", "Salesforce"]))
def test_a_crm_id_always_travels_with_its_type(id15: str, given_type: str | None) -> None:
    fields, problem = with_crm_id_type({"crm_id": id15, "crm_id_type": given_type})
    assert problem is None
    assert fields["crm_id_type"] == "salesforce" and len(fields["crm_id"]) == 18


def test_an_unknown_type_is_refused_and_no_id_sends_no_type() -> None:
    assert with_crm_id_type({"crm_id": "003A0000006Vm9r", "crm_id_type": "hubspot"})[1] == (
        "crm_id_type 'hubspot' is not one Salesloft accepts (salesforce)"
    )
    assert with_crm_id_type({"email_address": "a@x.io", "crm_id_type": "salesforce"}) == (
        {"email_address": "a@x.io"},
        None,
    )
