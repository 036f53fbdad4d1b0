"""Every lookup is complete, whatever page size the server serves and whether it says there is a next page."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_salesloft.hooks.paging import next_page
from airflow_provider_salesloft.testing import SalesloftSimulator

pytestmark = pytest.mark.salesloft_simulator(people=250, rate_limit=1_000_000)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cap=st.integers(1, 100),
    omit_paging=st.booleans(),
    ids=st.lists(st.integers(1001, 1300), min_size=1, max_size=150, unique=True),
)
def test_id_and_email_lookups_find_everyone_on_short_pages(
    salesloft_simulator: SalesloftSimulator, make_hook: Any, cap: int, omit_paging: bool, ids: list[int]
) -> None:
    salesloft_simulator.set_faults(page_size_cap=cap, omit_paging=omit_paging)
    hook = make_hook(salesloft_simulator)
    existing = sorted(ident for ident in ids if ident <= 1250)

    assert sorted(person["id"] for person in hook.get_people(ids)) == existing
    emails = [f" Person{ident - 1000}@EXAMPLE.com" for ident in ids]
    assert sorted(person["id"] for person in hook.find_people_by_email(emails)) == existing


@pytest.mark.parametrize(
    ("paging", "records", "previous", "expected"),
    [
        ({"next_page": 3}, 90, None, 3),  # honest metadata wins, however short the page
        ({"next_page": None}, 100, None, None),
        (None, 90, None, 3),  # no metadata, first page short: asked again
        (None, 90, 90, 3),
        (None, 10, 90, None),  # shorter than the page before: the last
        (None, 0, None, None),
    ],
)
def test_next_page_without_metadata_asks_again_after_a_short_page(
    paging: Any, records: int, previous: int | None, expected: int | None
) -> None:
    assert next_page(paging, 2, records, previous) == expected
