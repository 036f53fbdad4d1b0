"""Where an operator's rows come from: a list (or an XCom of one), or a SQL query read in chunks."""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from airflow.providers.common.compat.sdk import BaseHook

from airflow_provider_salesloft.exceptions import SalesloftInvalidArgumentError


def check_rows_or_sql(rows: Any, sql: str | None, sql_conn_id: str | None) -> None:
    """Exactly one of ``rows`` and ``sql``; ``sql`` needs ``sql_conn_id``."""
    if (rows is None) == (sql is None):
        raise ValueError("give exactly one of rows= or sql=")
    if sql is not None and not sql_conn_id:
        raise ValueError("sql= needs sql_conn_id=")


def input_rows(
    rows: Any, sql: str | None, sql_conn_id: str | None, chunk_size: int
) -> tuple[Iterable[Mapping[str, Any]], int | None]:
    """The rows to work on and their number (None for a query, which is streamed)."""
    if sql is not None:
        return sql_rows(sql, str(sql_conn_id), chunk_size), None
    if isinstance(rows, str):  # a Jinja-rendered list, without render_template_as_native_obj
        try:
            rows = json.loads(rows)
        except ValueError:
            try:
                rows = ast.literal_eval(rows)
            except (ValueError, SyntaxError):
                raise SalesloftInvalidArgumentError(
                    "rows", rows[:200], "must be a list of mappings"
                ) from None
    if isinstance(rows, Mapping) or not isinstance(rows, Iterable):
        raise SalesloftInvalidArgumentError("rows", rows, "must be a list of mappings")
    rows = list(rows)
    return rows, len(rows)


def sql_rows(sql: str, sql_conn_id: str, chunk_size: int) -> Iterator[Mapping[str, Any]]:
    """Stream a query's rows, ``chunk_size`` per fetch, as mappings keyed by lower-case column names."""
    db_hook = BaseHook.get_connection(sql_conn_id).get_hook()
    connection = db_hook.get_conn()
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(sql)
            if not cursor.description:
                raise SalesloftInvalidArgumentError(
                    "sql", str(sql)[:200], "must be a query that returns rows (a SELECT)"
                )
            columns = [str(column[0]).lower() for column in cursor.description]
            while batch := cursor.fetchmany(chunk_size):
                for values in batch:
                    yield dict(zip(columns, values, strict=False))
        finally:
            cursor.close()
    finally:
        connection.close()
