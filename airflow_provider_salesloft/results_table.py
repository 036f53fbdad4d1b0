"""Row results back in the warehouse: ``results_table`` on the sync and the upsert.

One row per input row (and per mirror removal) per run is written through a common.sql hook
(``DbApiHook.insert_rows``), :data:`BATCH_ROWS` rows per transaction, into a table created when missing
with portable DDL (SQLite, PostgreSQL, and any database that knows ``CREATE TABLE IF NOT EXISTS``).

A batch that cannot be written does not stop the sync: the writer keeps the first error, writes nothing
more, and the operator fails the task *after* the sync with that reason (its summary pushed and logged
first), so the run's outcome is never lost.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from airflow_provider_salesloft.exceptions import SalesloftError, SalesloftInvalidArgumentError

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook

#: Rows per ``insert_rows`` call, each in its own transaction.
BATCH_ROWS = 1000
#: The table's columns, in order, with portable types (see docs/results-lineage-assets.md).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("run_id", "VARCHAR(250)"),  # the DAG run's run_id
    ("dag_id", "VARCHAR(250)"),
    ("task_id", "VARCHAR(250)"),
    ("map_index", "INTEGER"),  # -1 when the task is not mapped
    ("try_number", "INTEGER"),  # a retried task's rows are told apart by it
    ("dry_run", "BOOLEAN"),  # the sync's dry run: the outcomes are what would have happened
    ("row_index", "BIGINT"),  # the input row's position (0-based); NULL for a mirror removal
    ("row_key", "VARCHAR(320)"),  # the row's email, person id or upsert key
    ("person_id", "BIGINT"),
    ("cadence_id", "BIGINT"),
    ("outcome", "VARCHAR(40)"),
    ("reason", "VARCHAR(1000)"),
    ("membership_id", "BIGINT"),
    ("recorded_at", "TIMESTAMP"),  # UTC, when the row's outcome was known
)
COLUMN_NAMES = tuple(name for name, _ in COLUMNS)
_RUN_COLUMNS = COLUMN_NAMES.index("row_index")  # the columns every row of one task try shares
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_LIMITS = {"row_key": 320, "reason": 1000, "outcome": 40}


class SalesloftResultsTableError(SalesloftError):
    """The row results could not (all) be written to ``results_table``."""


def check_results_table(
    results_table: str | None, results_conn_id: str | None, sql_conn_id: str | None
) -> str | None:
    """The connection the results go through, or None without ``results_table``; raise on bad arguments.

    ``results_table`` is ``table`` or ``schema.table``, each part a plain SQL identifier (letters, digits,
    ``_``; not starting with a digit; at most 63 characters), so it can be written into DDL safely.
    """
    if results_table is None:
        if results_conn_id is not None:
            raise SalesloftInvalidArgumentError(
                "results_conn_id", results_conn_id, "is only used with results_table=; give one, or drop it"
            )
        return None
    parts = results_table.split(".") if isinstance(results_table, str) else []
    if not 1 <= len(parts) <= 2 or not all(_IDENTIFIER.fullmatch(part) for part in parts):
        raise SalesloftInvalidArgumentError(
            "results_table",
            results_table,
            "must be a table name or schema.table, each a plain SQL identifier "
            "(letters, digits and _, not starting with a digit, at most 63 characters)",
        )
    conn_id = results_conn_id or sql_conn_id
    if not conn_id:
        raise SalesloftInvalidArgumentError(
            "results_table",
            results_table,
            "needs a database connection: give results_conn_id= (or sql_conn_id= with sql=)",
        )
    return conn_id


def create_table_sql(table: str) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for the results table (``table`` checked by
    :func:`check_results_table`)."""
    columns = ", ".join(f"{name} {kind}" for name, kind in COLUMNS)
    return f"CREATE TABLE IF NOT EXISTS {table} ({columns})"


def results_hook(conn_id: str) -> DbApiHook:
    """The common.sql hook of ``conn_id`` (refused with a clear error when it is not a DB-API one)."""
    from airflow.providers.common.compat.sdk import BaseHook

    hook = BaseHook.get_connection(conn_id).get_hook()
    if not (hasattr(hook, "insert_rows") and hasattr(hook, "run")):
        raise SalesloftInvalidArgumentError(
            "results_conn_id", conn_id, "must be a common.sql (DB-API) connection: Postgres, SQLite, ..."
        )
    return hook  # type: ignore[no-any-return]


class ResultsWriter:
    """Writes report lines (the sync's, the upsert's) as rows of the results table, in batches.

    :param hook: the common.sql hook.
    :param table: the (checked) table name.
    :param run: the run's ``run_id``, ``dag_id``, ``task_id``, ``map_index``, ``try_number`` and ``dry_run``.
    :param batch_rows: rows per ``insert_rows`` call (one transaction each).
    """

    def __init__(
        self, hook: DbApiHook, table: str, run: Mapping[str, Any], batch_rows: int = BATCH_ROWS
    ) -> None:
        self.hook = hook
        self.table = table
        self._run = tuple(run.get(name) for name in COLUMN_NAMES[:_RUN_COLUMNS])
        self._batch_rows = batch_rows
        self._batch: list[tuple[Any, ...]] = []
        self.written = 0
        self.unwritten = 0
        self.error: str | None = None

    @classmethod
    def for_task(
        cls, conn_id: str, table: str, context: Mapping[str, Any], dry_run: bool = False
    ) -> ResultsWriter:
        """A writer for this task try (a ``dry_run`` marks its rows), its table created when missing (an
        error here fails the task before the sync begins: nothing was done yet)."""
        ti = context["ti"]
        run = {
            "run_id": context["run_id"],
            "dag_id": ti.dag_id,
            "task_id": ti.task_id,
            "map_index": getattr(ti, "map_index", -1),
            "try_number": ti.try_number,
            "dry_run": dry_run,
        }
        hook = results_hook(conn_id)
        try:
            hook.run(create_table_sql(table))
        except Exception as error:
            raise SalesloftResultsTableError(
                f"results_table {table!r} on connection {conn_id!r} could not be created: {_why(error)}"
            ) from None
        return cls(hook, table, run)

    def add(self, line: Mapping[str, Any]) -> None:
        """Queue one report line (``index``, ``outcome``, ``person_id``, ``email`` or ``key``, ...)."""
        if self.error is not None:
            self.unwritten += 1
            return
        key = line.get("email") or line.get("key")
        if key is None and line.get("person_id") is not None:
            key = str(line["person_id"])
        values = {
            "row_index": line.get("index"),
            "row_key": key,
            "person_id": line.get("person_id"),
            "cadence_id": line.get("cadence_id"),
            "outcome": str(line.get("outcome")),
            "reason": line.get("reason"),
            "membership_id": line.get("membership_id"),
            "recorded_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f"),
        }
        for name, limit in _LIMITS.items():
            if values[name] is not None:
                values[name] = str(values[name])[:limit]
        self._batch.append((*self._run, *(values[name] for name in COLUMN_NAMES[_RUN_COLUMNS:])))
        if len(self._batch) >= self._batch_rows:
            self.flush()

    def flush(self) -> None:
        """Write the queued rows in one transaction; on error keep it and write nothing more."""
        batch, self._batch = self._batch, []
        if not batch or self.error is not None:
            self.unwritten += len(batch)
            return
        try:
            self.hook.insert_rows(self.table, batch, target_fields=COLUMN_NAMES, commit_every=len(batch))
        except Exception as error:
            self.error = _why(error)
            self.unwritten += len(batch)
            return
        self.written += len(batch)

    def close(self) -> dict[str, Any]:
        """Flush; what was written, for the summary (``error`` only when something was not)."""
        self.flush()
        account: dict[str, Any] = {"table": self.table, "rows_written": self.written}
        if self.error is not None:
            account.update(rows_not_written=self.unwritten, error=self.error)
        return account


@contextmanager
def kept_on_failure(writer: ResultsWriter | None, log: Any) -> Iterator[None]:
    """Around the work that feeds ``writer``: should it raise (its input breaks, the task is killed), the
    rows it finished are still written (``log`` says how many), and the error goes on."""
    try:
        yield
    except BaseException:
        if writer is not None:
            log.warning("Salesloft: the run failed; its finished rows' results: %s", writer.close())
        raise


def raise_if_unwritten(account: Mapping[str, Any] | None) -> None:
    """Fail the task (after its summary was pushed) when results could not be written."""
    if account and account.get("error"):
        raise SalesloftResultsTableError(
            f"results_table {account['table']!r}: {account['rows_written']} rows written, "
            f"{account['rows_not_written']} not: {account['error']} (the run's outcome is in its summary)"
        )


def _why(error: BaseException) -> str:
    """A database error in one line: its class and (the start of) its message."""
    return f"{type(error).__name__}: {str(error).strip()[:500]}"
