"""Attack on issue 21's 15 -> 18 Salesforce id conversion: every case pattern of a 15-character id."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_salesloft.crm_ids import salesforce_id_18

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
BODY = st.text(alphabet=ALNUM, min_size=12, max_size=12)


@given(prefix=st.sampled_from(["003", "00Q"]), body=BODY)
def test_every_case_pattern_gets_an_18_char_id_that_is_case_safe(prefix: str, body: str) -> None:
    """The 18-character id keeps the 15 characters, is accepted again as is, and tells apart (ignoring
    case) every id that differs from it only in case: what the suffix is for."""
    id15 = prefix + body
    id18, problem = salesforce_id_18(id15)
    assert problem is None and id18 is not None
    assert len(id18) == 18 and id18[:15] == id15
    assert salesforce_id_18(id18) == (id18, None)
    swapped = prefix + body.swapcase()
    if swapped != id15:
        other, _ = salesforce_id_18(swapped)
        assert other is not None and other.lower() != id18.lower()


@given(body=BODY, prefix=st.sampled_from(["001", "005", "00q", "0Q3"]))
def test_no_other_object_is_sent(body: str, prefix: str) -> None:
    """Accounts (001), users (005) and near-misses of the Lead/Contact prefixes are refused, with why."""
    id18, problem = salesforce_id_18(prefix + body)
    assert id18 is None and problem and "Lead (00Q" in problem
