"""The results table: argument checks before any request, and the writer's invariant over generated lines:
every line is a row (in order, truncated to the columns' sizes) or is counted as not written."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_provider_salesloft.exceptions import SalesloftInvalidArgumentError
from airflow_provider_salesloft.operators import SyncCadenceMembershipsOperator, UpsertPeopleOperator
from airflow_provider_salesloft.results_table import (
    COLUMN_NAMES,
    ResultsWriter,
    SalesloftResultsTableError,
    check_results_table,
    create_table_sql,
)

CONTEXT = {"run_id": "r", "ti": SimpleNamespace(dag_id="d", task_id="t", map_index=-1, try_number=1)}
RUN = {"run_id": "manual__1", "dag_id": "d", "task_id": "t", "map_index": -1, "try_number": 1}


@pytest.mark.parametrize(
    "table", ["results; DROP TABLE leads", "1results", "a.b.c", "", "x" * 64, "res ults", 'a"b', None]
)
def test_an_unsafe_table_name_is_refused_when_the_dag_is_parsed(table: Any) -> None:
    with pytest.raises(SalesloftInvalidArgumentError, match="results_table"):
        check_results_table(table if table is not None else 5, None, "warehouse")  # type: ignore[arg-type]


def test_a_results_table_needs_a_connection() -> None:
    with pytest.raises(SalesloftInvalidArgumentError, match=r"results_table.*results_conn_id="):
        SyncCadenceMembershipsOperator(task_id="s", rows=[], cadence_id=1, results_table="sync_results")
    with pytest.raises(SalesloftInvalidArgumentError, match="results_conn_id"):
        UpsertPeopleOperator(task_id="u", rows=[], results_conn_id="warehouse")
    assert check_results_table("analytics.sync_results", None, "warehouse") == "warehouse"
    assert check_results_table("sync_results", "results_db", "warehouse") == "results_db"
    assert check_results_table(None, None, "warehouse") is None


class SqliteDbApi:
    """A minimal common.sql-like hook over one SQLite file, failing from its ``fail_from``-th insert."""

    def __init__(self, path: Path, fail_from: int | None) -> None:
        self.path, self.fail_from, self.inserts = path, fail_from, 0

    def run(self, sql: str) -> None:
        with sqlite3.connect(self.path) as db:
            db.execute(sql)

    def insert_rows(
        self, table: str, rows: list[tuple[Any, ...]], target_fields: Any, commit_every: int
    ) -> None:
        self.inserts += 1
        if self.fail_from is not None and self.inserts >= self.fail_from:
            raise sqlite3.OperationalError("database is locked")
        marks = ", ".join("?" for _ in target_fields)
        with sqlite3.connect(self.path) as db:  # one transaction per call
            db.executemany(f"INSERT INTO {table} ({', '.join(target_fields)}) VALUES ({marks})", rows)


lines = st.fixed_dictionaries(
    {"outcome": st.sampled_from(["added", "invalid", "failed", "removed"])},
    optional={
        "index": st.integers(0, 10**9),
        "email": st.text(max_size=400),
        "person_id": st.integers(1, 2**63 - 1),
        "cadence_id": st.integers(1, 2**40),
        "membership_id": st.integers(1, 2**40),
        "reason": st.text(max_size=1500),
    },
)


@settings(max_examples=40, deadline=None)
@given(
    batch=st.lists(lines, max_size=60),
    batch_rows=st.integers(1, 25),
    fail_from=st.none() | st.integers(1, 4),
)
def test_every_line_is_a_row_or_counted_as_not_written(
    tmp_path_factory: pytest.TempPathFactory,
    batch: list[dict[str, Any]],
    batch_rows: int,
    fail_from: int | None,
) -> None:
    path = tmp_path_factory.mktemp("results") / "results.db"
    hook = SqliteDbApi(path, fail_from)
    hook.run(create_table_sql("results"))
    writer = ResultsWriter(hook, "results", RUN, batch_rows=batch_rows)  # type: ignore[arg-type]
    for line in batch:
        writer.add(line)
    account = writer.close()

    with sqlite3.connect(path) as db:
        rows = [dict(zip(COLUMN_NAMES, row, strict=True)) for row in db.execute("SELECT * FROM results")]
    assert account["rows_written"] == len(rows)
    assert len(rows) + account.get("rows_not_written", 0) == len(batch)
    assert ("error" in account) == (len(rows) < len(batch))
    for row, line in zip(rows, batch, strict=False):  # a prefix of the lines, in order
        assert row["outcome"] == line["outcome"] and row["row_index"] == line.get("index")
        assert row["person_id"] == line.get("person_id") and row["run_id"] == "manual__1"
        assert row["reason"] == (line["reason"][:1000] if line.get("reason") is not None else None)
        key = line.get("email") or (str(line["person_id"]) if "person_id" in line else None)
        assert row["row_key"] == (key[:320] if key is not None else None)


def test_a_connection_that_is_no_database_is_refused_before_the_sync(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_NOT_A_DB", '{"conn_type": "http", "host": "127.0.0.1"}')

    with pytest.raises(
        SalesloftInvalidArgumentError, match=r"results_conn_id must be a common.sql .*not_a_db"
    ):
        ResultsWriter.for_task("not_a_db", "results", CONTEXT)


def test_a_table_that_cannot_be_created_fails_before_the_sync(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_RESULTS_DB", f'{{"conn_type": "sqlite", "host": "{tmp_path}/none/x.db"}}'
    )

    with pytest.raises(SalesloftResultsTableError, match="could not be created"):
        ResultsWriter.for_task("results_db", "results", CONTEXT)


@given(
    name=st.text(max_size=80)
    | st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,70}(\.[A-Za-z0-9_]{1,70})?", fullmatch=True)
)
def test_only_plain_identifiers_reach_the_ddl(name: str) -> None:
    try:
        check_results_table(name, None, "warehouse")
    except SalesloftInvalidArgumentError as error:
        assert "results_table" in str(error)
        return
    parts = name.split(".")
    assert 1 <= len(parts) <= 2
    assert all(part and len(part) <= 63 and not part[0].isdigit() for part in parts)
    assert all(char.isascii() and (char.isalnum() or char in "_.") for char in name)
