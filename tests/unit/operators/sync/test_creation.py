"""``MissingPeople`` alone, against the simulator over HTTP: every waiting row ends added or recorded, each
person is created once, and a failed creation gives every waiting row its reason."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from airflow_provider_salesloft.hooks.salesloft import SalesloftHook
from airflow_provider_salesloft.operators.prechecks import Prechecks
from airflow_provider_salesloft.operators.sync.creation import CreateOptions, MissingPeople
from airflow_provider_salesloft.operators.sync.named import NamedPeople
from airflow_provider_salesloft.operators.sync.people import Person
from airflow_provider_salesloft.operators.sync.report import SyncReport
from airflow_provider_salesloft.operators.sync.rows import PlannedRow, RowOutcome
from airflow_provider_salesloft.testing import DEFAULT_API_KEY, SalesloftSimulator

EMAILS = ["new.ann@example.com", "NEW.ANN@example.com", "new.bo@example.com", "new.cy@example.com"]


class Log:
    def info(self, *args: Any) -> None:
        pass


def waiting_rows(cadences: list[int]) -> list[PlannedRow]:
    return [
        PlannedRow(index, None, email, cadence, None, None, fields={"first_name": email.split("@")[0]})
        for index, (email, cadence) in enumerate(zip(EMAILS, cadences, strict=True))
    ]


def missing_people(
    sim: SalesloftSimulator, monkeypatch: pytest.MonkeyPatch, bulk_threshold: int | None
) -> tuple[MissingPeople, SyncReport]:
    monkeypatch.setenv(
        "AIRFLOW_CONN_SL_TEST", sim.connection_uri_json(DEFAULT_API_KEY, retry_backoff_base_s=0.01)
    )
    hook = SalesloftHook(salesloft_conn_id="sl_test")
    report = SyncReport(Log(), len(EMAILS), None, creates=True)
    options = CreateOptions({}, bulk_threshold, poll_interval_s=0.05, timeout_s=30, job_name="unit-create")
    return MissingPeople(hook, report, Prechecks(hook), NamedPeople(), options), report


def create_all(missing: MissingPeople, rows: list[PlannedRow]) -> list[PlannedRow]:
    for row in rows:
        missing.wait_for_person(row)
    with ThreadPoolExecutor(2) as pool:
        return missing.create(pool, decide_add_all)


def decide_add_all(row: PlannedRow, candidates: list[Person]) -> RowOutcome | None:
    row.person_id = int(candidates[0]["id"])
    return None


@pytest.mark.parametrize("bulk_threshold", [1, 100], ids=["bulk job", "one by one"])
def test_every_waiting_row_is_handed_back_with_its_person_created_once(
    salesloft_simulator: SalesloftSimulator, monkeypatch: pytest.MonkeyPatch, bulk_threshold: int
) -> None:
    missing, report = missing_people(salesloft_simulator, monkeypatch, bulk_threshold)
    to_add = create_all(missing, waiting_rows([10, 11, 10, 10]))

    assert sorted(row.index for row in to_add) == [0, 1, 2, 3] and report.rows == 0
    assert all(row.created for row in to_add)
    people = {
        email.lower(): [
            p
            for p in salesloft_simulator.state.people.values()
            if p["email_address"].lower() == email.lower()
        ]
        for email in EMAILS
    }
    assert all(len(found) == 1 for found in people.values()), people
    assert {row.person_id for row in to_add} == {int(found[0]["id"]) for found in people.values()}
    ann = int(people["new.ann@example.com"][0]["id"])
    assert [row.person_id for row in to_add if row.email and row.email.lower() == "new.ann@example.com"] == [
        ann,
        ann,
    ]
    assert (missing.bulk_job_id is not None) == (bulk_threshold == 1)
    assert not missing


@pytest.mark.salesloft_simulator(error_routes={"POST /v2/person_upserts": 500, "POST /v2/bulk_jobs": 500})
@pytest.mark.parametrize("bulk_threshold", [1, 100], ids=["bulk job", "one by one"])
def test_a_failed_creation_gives_every_waiting_row_its_reason(
    salesloft_simulator: SalesloftSimulator, monkeypatch: pytest.MonkeyPatch, bulk_threshold: int
) -> None:
    missing, report = missing_people(salesloft_simulator, monkeypatch, bulk_threshold)
    to_add = create_all(missing, waiting_rows([10, 11, 10, 10]))

    assert to_add == [] and report.rows == len(EMAILS) and report.counts["failed"] == len(EMAILS)
    assert all("could not create the person" in failure["reason"] for failure in report.failures)
    assert not missing


def test_a_dry_run_creates_nobody_and_records_every_row(
    salesloft_simulator: SalesloftSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing, report = missing_people(salesloft_simulator, monkeypatch, None)
    for row in waiting_rows([10, 10, 13, 10]):  # Ann twice on 10; Bo on an archived cadence
        missing.wait_for_person(row)
    people_before = len(salesloft_simulator.state.people)

    missing.would_create()

    assert len(salesloft_simulator.state.people) == people_before and not missing
    assert (report.counts["created_and_added"], report.counts["duplicates"], report.counts["invalid"]) == (
        2,
        1,
        1,
    )
