"""Pytest plugin: the ``smoke`` marker, put on the tests CI runs on every Airflow 3 minor line that does not
get the whole suite (see ``SMOKE_LINES`` in the Makefile and ``.ci/run``).

One test per promise a user of that line relies on, listed here in one place (the test files stay as their
owners wrote them). The connection form's WTForms path is left out: Airflow 3.0/3.1 ship without WTForms and
read no provider-info form, so there the form keeps Airflow's standard fields (docs/index.md says so). A
listed test that no longer exists fails the collection, so a rename cannot quietly shrink the smoke suite.
"""

from __future__ import annotations

import pytest

#: test node id (without parameters) -> what it shows on the line.
SMOKE_TESTS = {
    "tests/e2e/test_single_add.py::test_optional_ids_reach_salesloft": "a single add with ids from XComs",
    "tests/e2e/test_sync.py::test_sql_sync_accounts_for_every_row": "a sync accounts for every row",
    "tests/e2e/test_oauth.py::test_rotating_refresh_token_survives_expiry_twice_in_a_row": "OAuth rotation",
    "tests/e2e/test_upsert_people.py::test_every_row_is_counted_and_people_are_created_once": (
        "the upsert, per row, bulk in the worker and deferred to the trigger"
    ),
    "tests/e2e/test_links.py::test_link_uses_app_url_from_connection": "the extra link",
    "tests/unit/test_connection_form.py::test_provider_info_carries_form_metadata_for_airflow_3": (
        "the connection form from provider info"
    ),
    "tests/unit/test_get_provider_info.py::test_provider_manager_registers_hook_and_link_without_warnings": (
        "Airflow finds the hook and the link"
    ),
}

#: Airflow minor line -> smoke test -> the Airflow bug it meets there. Marked ``xfail(strict=True)`` on that
#: line only: it is reported, never counted as passed, and an Airflow release that fixes the bug fails the
#: run until the entry is removed.
AIRFLOW_BUGS = {
    "3.0": {
        "tests/e2e/test_links.py::test_link_uses_app_url_from_connection": (
            "the test DAG pushes None ids through XCom, and Airflow 3.0's execution API refuses a None XCom "
            "(apache/airflow#55062, fixed in 3.1); the single add with ids from XComs is shown by "
            "test_optional_ids_reach_salesloft"
        ),
        "tests/e2e/test_oauth.py::test_rotating_refresh_token_survives_expiry_twice_in_a_row": (
            "Airflow 3.0's dag.test() does not register a DAG's assets, so a task with a literal cadence_id "
            "(its outlet, the cadence's asset) fails with AirflowInactiveAssetInInletOrOutletException (not "
            "on 3.1+); a deployment's dag-processor registers them: make test-deploy-lines shows OAuth "
            "rotation in the worker and the triggerer on 3.0.6"
        ),
    },
}


def _airflow_minor() -> str:
    from importlib.metadata import version

    return ".".join(version("apache-airflow").split(".")[:2])


def pytest_configure(config: pytest.Config) -> None:
    """Declare the marker."""
    config.addinivalue_line("markers", "smoke: the smoke suite run on each other Airflow 3 minor line")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the listed tests; when the whole test directory is collected, each must exist."""
    found: set[str] = set()
    bugs = AIRFLOW_BUGS.get(_airflow_minor(), {})
    for item in items:
        node = item.nodeid.split("[", 1)[0]
        if node in SMOKE_TESTS:
            item.add_marker(pytest.mark.smoke)
            found.add(node)
        if node in bugs:
            item.add_marker(pytest.mark.xfail(strict=True, reason=f"Airflow bug: {bugs[node]}"))
    if config.getoption("markexpr", "") == "smoke":
        missing = sorted(set(SMOKE_TESTS) - found)
        if missing:
            raise pytest.UsageError("smoke tests not found (renamed?): " + ", ".join(missing))
