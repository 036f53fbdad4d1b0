"""The sync's plan against an in-memory hook: each row's outcome, and how few calls the plan makes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from airflow_provider_salesloft.exceptions import SalesloftNotFoundError
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
