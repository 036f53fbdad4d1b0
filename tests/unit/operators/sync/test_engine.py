"""The sync's plan against an in-memory hook: each row's outcome, and how few calls the plan makes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from airflow_provider_salesloft.exceptions import SalesloftNotFoundError, SalesloftServerError
from airflow_provider_salesloft.operators.sync.engine import SyncRun, chunks
from airflow_provider_salesloft.operators.sync.report import SyncReport
from airflow_provider_salesloft.operators.sync.rows import OUTCOMES


class Log:
    def info(self, *args: Any) -> None:
        pass


class Pacer:
    stopped: str | None = None

    class stats:
        requests = 0
        rate_limited = 0

    def stop(self, reason: str) -> None:
        self.stopped = reason


class MemoryHook:
    """People 1..9 (``p<n>@x.co``), cadence 10 with person 1 on it; counts every call."""

    pacer = Pacer()

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.members = {10: {1}}

    def find_people_by_email(self, emails: Iterable[str]) -> list[dict[str, Any]]:
        self.calls["find_people_by_email"] += 1
        return [self.person(int(e[1:].split("@")[0])) for e in emails if e.lower().startswith("p")]

    def get_people(self, ids: Iterable[int]) -> list[dict[str, Any]]:
        self.calls["get_people"] += 1
        return [self.person(ident) for ident in ids if ident < 10]

    @staticmethod
    def person(ident: int) -> dict[str, Any]:
        return {"id": ident, "email_address": f"p{ident}@x.co", "do_not_contact": ident == 9}

    def get_cadence(self, cadence_id: int) -> dict[str, Any]:
        self.calls["get_cadence"] += 1
        if cadence_id not in self.members:
            raise SalesloftNotFoundError(404, "GET", f"/v2/cadences/{cadence_id}", "Not Found")
        return {"id": cadence_id}

    def iter_cadence_memberships(self, *, cadence_id: int, **_: Any) -> Iterator[dict[str, Any]]:
        self.calls["iter_cadence_memberships"] += 1
        return iter([{"person": {"id": p}} for p in self.members[cadence_id]])

    def ensure_cadence_membership(
        self, person_id: int, cadence_id: int, **_: Any
    ) -> tuple[dict[str, Any], bool]:
        self.calls["ensure_cadence_membership"] += 1
        self.members[cadence_id].add(person_id)
        return {"id": 50_000 + person_id}, True


def sync(rows: list[Any], dry_run: bool = False) -> tuple[SyncReport, MemoryHook]:
    hook = MemoryHook()
    report = SyncReport(Log(), len(rows), None)
    run = SyncRun(hook, report, {"cadence_id": 10, "user_id": None, "step_id": None}, dry_run, 2)  # type: ignore[arg-type]
    run.run(chunks(rows, 3))
    return report, hook


def test_every_row_gets_one_outcome_and_the_plan_reads_once() -> None:
    rows = [
        {"email": "P2@x.co"},  # added (case-insensitive match)
        {"person_id": 1},  # already on cadence 10
        {"email": "nobody@x.co"},  # person not found
        {"person_id": 2},  # duplicate of the first row
        {"person_id": 3, "cadence_id": 99},  # cadence 99 does not exist: invalid (pre-check)
        {"person_id": "x"},  # invalid
        {"email": "p4@x.co"},  # added
    ]
    report, hook = sync(rows)

    assert dict(report.counts) == dict(zip(OUTCOMES, (2, 1, 1, 1, 2, 0, 0, 0), strict=True))
    assert report.rows == len(rows)
    assert [f["outcome"] for f in report.failures] == ["invalid", "invalid"]
    assert "cadence 99 not found or not visible" in report.failures[1]["reason"]
    assert hook.calls["ensure_cadence_membership"] == 2
    assert hook.calls["iter_cadence_memberships"] == 1  # cadence 10 listed once for all chunks
    assert hook.calls["find_people_by_email"] == 2  # one lookup per chunk of 3 rows that has emails
    assert hook.calls["get_people"] == 2  # and one per chunk that has ids
    assert hook.calls["get_cadence"] == 2  # 10 and 99, each once


def test_do_not_contact_people_are_never_sent() -> None:
    report, hook = sync([{"person_id": 9}, {"email": "P9@x.co"}, {"person_id": 5}])
    assert (report.counts["do_not_contact"], report.counts["duplicates"], report.counts["added"]) == (1, 1, 1)
    assert hook.calls["ensure_cadence_membership"] == 1
    assert report.failing_rows() == 0


def test_dry_run_plans_without_writing() -> None:
    report, hook = sync([{"person_id": 5}, {"person_id": 6}], dry_run=True)
    assert report.counts["added"] == 2
    assert hook.calls["ensure_cadence_membership"] == 0


def test_chunks_number_rows_in_order() -> None:
    assert list(chunks("abcde", 2)) == [[(0, "a"), (1, "b")], [(2, "c"), (3, "d")], [(4, "e")]]


def test_sql_without_a_result_set_is_refused_by_name(tmp_path: Any, monkeypatch: Any) -> None:
    import json as json_module

    import pytest

    from airflow_provider_salesloft.exceptions import SalesloftInvalidArgumentError
    from airflow_provider_salesloft.operators import SyncCadenceMembershipsOperator

    monkeypatch.setenv(
        "AIRFLOW_CONN_LEADS", json_module.dumps({"conn_type": "sqlite", "host": str(tmp_path / "x.db")})
    )
    operator = SyncCadenceMembershipsOperator(
        task_id="sync", sql="CREATE TABLE IF NOT EXISTS t (x)", sql_conn_id="leads", cadence_id=10
    )
    with pytest.raises(SalesloftInvalidArgumentError, match="sql must be a query that returns rows"):
        operator.execute({"ti": None})  # type: ignore[arg-type]


class OutageHook(MemoryHook):
    """A MemoryHook whose id lookups fail from the ``fail_from``-th call, or whose members listing fails."""

    def __init__(self, fail_from: int | None = None, members_fail: bool = False) -> None:
        super().__init__()
        self.fail_from, self.members_fail = fail_from, members_fail
        self.log = self  # the engine logs the failed lookup

    def error(self, *args: Any) -> None:
        pass

    def get_people(self, ids: Iterable[int]) -> list[dict[str, Any]]:
        if self.fail_from is not None and self.calls["get_people"] + 1 >= self.fail_from:
            self.calls["get_people"] += 1
            raise SalesloftServerError(500, "GET", "/v2/people", "Internal Server Error")
        return super().get_people(ids)

    def iter_cadence_memberships(self, *, cadence_id: int, **_: Any) -> Iterator[dict[str, Any]]:
        if self.members_fail:
            self.calls["iter_cadence_memberships"] += 1
            raise SalesloftServerError(500, "GET", "/v2/cadence_memberships", "Internal Server Error")
        return super().iter_cadence_memberships(cadence_id=cadence_id)


def run_with(hook: OutageHook, rows: list[Any]) -> tuple[SyncReport, SyncRun]:
    report = SyncReport(Log(), len(rows), None)
    run = SyncRun(hook, report, {"cadence_id": 10, "user_id": None, "step_id": None}, False, 2)  # type: ignore[arg-type]
    run.run(chunks(rows, 3))
    return report, run


def test_a_failed_lookup_fails_its_rows_and_every_later_one_without_another_call() -> None:
    hook = OutageHook(fail_from=2)
    report, run = run_with(hook, [{"person_id": ident} for ident in range(1, 9)])

    assert run.lookup_failed is not None and "500" in run.lookup_failed
    assert report.rows == 8 == sum(report.counts[name] for name in OUTCOMES)
    assert (report.counts["already_on_cadence"], report.counts["added"], report.counts["failed"]) == (1, 2, 5)
    assert all("could not look up" in failure["reason"] for failure in report.failures)
    assert hook.calls["get_people"] == 2  # the third chunk asked nothing


def test_a_failed_members_listing_fails_the_rows_not_yet_decided() -> None:
    hook = OutageHook(members_fail=True)
    report, run = run_with(hook, [{"person_id": ident} for ident in range(1, 7)])

    assert run.lookup_failed is not None
    assert report.rows == 6 == report.counts["failed"]
    assert (hook.calls["iter_cadence_memberships"], hook.calls["ensure_cadence_membership"]) == (1, 0)
