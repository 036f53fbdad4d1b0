"""Warehouse-to-cadence sync: ``SyncCadenceMembershipsOperator``.

Rows (from a list, an XCom, or a SQL query read in chunks) name a person (``person_id`` or ``email``) and a
cadence. The operator plans before it writes: it resolves emails 100 per call, lists each target cadence's
current members once, drops rows that repeat a (person, cadence) pair, and then adds only who is missing,
with a few requests in flight on the hook's pooled session, paced to the team's rate limit. Every row ends in
exactly one outcome, counted in the summary pushed to XCom.
"""

from __future__ import annotations

import ast
import json
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from functools import cached_property
from typing import IO, Any

from airflow.providers.common.compat.sdk import AirflowException, BaseHook, BaseOperator, ObjectStoragePath

from airflow_provider_salesloft.exceptions import (
    SalesloftAPIError,
    SalesloftInvalidArgumentError,
    SalesloftNotFoundError,
    SalesloftValidationError,
)
from airflow_provider_salesloft.hooks.salesloft import SalesloftHook
from airflow_provider_salesloft.links import CADENCE_URL_ATTRIBUTE, SalesloftCadenceLink, publish_cadence_url
from airflow_provider_salesloft.validation import coerce_optional_id

ADDED = "added"
ALREADY_ON_CADENCE = "already_on_cadence"
PERSON_NOT_FOUND = "person_not_found"
DUPLICATES = "duplicates"
INVALID = "invalid"
FAILED = "failed"
OUTCOMES = (ADDED, ALREADY_ON_CADENCE, PERSON_NOT_FOUND, DUPLICATES, INVALID, FAILED)

#: Failed and invalid rows listed in the summary (the rest are counted, and written to ``report_path``).
MAX_LISTED_FAILURES = 100
#: Longest reason kept per listed failure, so the summary stays small whatever Salesloft says.
MAX_REASON_CHARS = 300
#: Progress is logged at least this often (seconds) ...
PROGRESS_EVERY_S = 10.0
#: ... and at least every this many rows.
PROGRESS_EVERY_ROWS = 500


@dataclass
class PlannedRow:
    """One input row on its way through the plan."""

    index: int
    person_id: int | None
    email: str | None
    cadence_id: int
    user_id: int | None
    step_id: int | None

    def outcome(self, kind: str, membership_id: int | None = None, reason: str | None = None) -> RowOutcome:
        """This row's outcome, with its ids."""
        return RowOutcome(
            self.index, kind, self.person_id, self.email, self.cadence_id, membership_id, reason
        )


@dataclass(frozen=True)
class RowOutcome:
    """The outcome of one input row."""

    index: int
    outcome: str
    person_id: int | None = None
    email: str | None = None
    cadence_id: int | None = None
    membership_id: int | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Report line: the row index, outcome, ids and reason (nothing else from the row)."""
        return {key: value for key, value in self.__dict__.items() if value is not None}


class SyncReport:
    """Counts outcomes, keeps the first failures, writes every outcome to an optional report file."""

    def __init__(self, log: Any, total: int | None, stream: IO[str] | None) -> None:
        self.counts: Counter[str] = Counter({outcome: 0 for outcome in OUTCOMES})
        self.failures: list[dict[str, Any]] = []
        self.rows = 0
        self._log = log
        self._total = total
        self._stream = stream
        self._started = time.monotonic()
        self._last_log = self._started
        self._last_rows = 0

    def record(self, outcome: RowOutcome) -> None:
        """Count one row's outcome."""
        self.rows += 1
        self.counts[outcome.outcome] += 1
        if outcome.outcome in (FAILED, INVALID) and len(self.failures) < MAX_LISTED_FAILURES:
            line = outcome.as_dict()
            if line.get("reason"):
                line["reason"] = str(line["reason"])[:MAX_REASON_CHARS]
            self.failures.append(line)
        if self._stream is not None:
            self._stream.write(json.dumps(outcome.as_dict()) + "\n")

    def elapsed(self) -> float:
        """Seconds since the sync began."""
        return time.monotonic() - self._started

    def maybe_log_progress(self, api_calls: int, force: bool = False) -> None:
        """Log done/total, outcomes, calls/min and ETA every 10 s or 500 rows."""
        now = time.monotonic()
        if (
            not force
            and now - self._last_log < PROGRESS_EVERY_S
            and self.rows - self._last_rows < PROGRESS_EVERY_ROWS
        ):
            return
        self._last_log, self._last_rows = now, self.rows
        elapsed = max(now - self._started, 1e-6)
        total = str(self._total) if self._total is not None else "?"
        eta = ""
        if self._total and self.rows:
            eta = f", ETA {max(0.0, elapsed / self.rows * (self._total - self.rows)):.0f} s"
        counts = ", ".join(f"{name} {self.counts[name]}" for name in OUTCOMES)
        self._log.info(
            "Salesloft sync: %d/%s rows (%s); %.0f API calls/min%s",
            self.rows,
            total,
            counts,
            api_calls / elapsed * 60,
            eta,
        )


class SyncCadenceMembershipsOperator(BaseOperator):
    """Put the people a query (or a list) picks on Salesloft cadences, at the speed the rate limit allows.

    Input is ``rows`` (a list of mappings, or an ``XComArg`` of one) or ``sql`` run on ``sql_conn_id`` (any
    common.sql/DB-API connection; read in chunks). Keys/columns: ``person_id`` or ``email`` (one is enough),
    optional ``cadence_id``, ``user_id``, ``step_id``; the operator's own ``cadence_id``, ``user_id`` and
    ``step_id`` are defaults for rows that lack them.

    Every row lands in exactly one outcome: ``added``, ``already_on_cadence``, ``person_not_found``,
    ``duplicates`` (a repeated (person, cadence) pair), ``invalid`` (no usable person or bad ids), or
    ``failed`` (Salesloft refused, or kept failing). XCom ``return_value`` is a summary with the counts, the
    first 100 failed/invalid rows and their reasons, ``dry_run``, ``api_calls`` and ``elapsed_s``.

    :param rows: rows to sync (templated).
    :param sql: a query whose columns are the row keys (templated).
    :param sql_conn_id: the connection ``sql`` runs on.
    :param cadence_id: default cadence for rows without one (templated).
    :param user_id: default user for rows without one (templated).
    :param step_id: default step for rows without one (templated).
    :param dry_run: plan only: read calls, no writes; the summary counts what would happen.
    :param max_failed_rows: the task fails (after finishing every row and pushing the summary) when more
        rows than this end ``failed`` or ``invalid``.
    :param rate_limit_share: share ``(0, 1]`` of the team's rate limit to use; the rest stays free for
        the team's other integrations.
    :param max_concurrency: requests in flight at once (bounded by the hook's connection pool).
    :param chunk_size: rows planned and written per round (and fetched per SQL round trip).
    :param report_path: optional local or object-storage path (``s3://...``) for a JSON-lines report with
        one line per row (templated).
    :param salesloft_conn_id: the Salesloft connection.
    """

    template_fields: Sequence[str] = ("rows", "sql", "cadence_id", "user_id", "step_id", "report_path")
    template_fields_renderers = {"sql": "sql", "rows": "json"}
    operator_extra_links = (SalesloftCadenceLink(),)
    ui_color = "#e8f0fe"

    def __init__(
        self,
        *,
        rows: Any = None,
        sql: str | None = None,
        sql_conn_id: str | None = None,
        cadence_id: Any = None,
        user_id: Any = None,
        step_id: Any = None,
        dry_run: bool = False,
        max_failed_rows: int = 0,
        rate_limit_share: float = 0.9,
        max_concurrency: int = 8,
        chunk_size: int = 1000,
        report_path: str | None = None,
        salesloft_conn_id: str = SalesloftHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (rows is None) == (sql is None):
            raise ValueError("give exactly one of rows= or sql=")
        if sql is not None and not sql_conn_id:
            raise ValueError("sql= needs sql_conn_id=")
        if not 0 < rate_limit_share <= 1:
            raise ValueError(f"rate_limit_share must be in (0, 1], got {rate_limit_share!r}")
        if not 1 <= max_concurrency <= 64:
            raise ValueError(f"max_concurrency must be between 1 and 64, got {max_concurrency!r}")
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be positive, got {chunk_size!r}")
        if max_failed_rows < 0:
            raise ValueError(f"max_failed_rows must be >= 0, got {max_failed_rows!r}")
        self.rows = rows
        self.sql = sql
        self.sql_conn_id = sql_conn_id
        self.cadence_id = cadence_id
        self.user_id = user_id
        self.step_id = step_id
        self.is_dry_run = dry_run  # ``dry_run`` is BaseOperator's method (template rendering)
        self.max_failed_rows = max_failed_rows
        self.rate_limit_share = rate_limit_share
        self.max_concurrency = max_concurrency
        self.chunk_size = chunk_size
        self.report_path = report_path
        self.salesloft_conn_id = salesloft_conn_id

    @cached_property
    def hook(self) -> SalesloftHook:
        """The Salesloft hook, its pool sized for ``max_concurrency`` and paced to ``rate_limit_share``."""
        return SalesloftHook(
            salesloft_conn_id=self.salesloft_conn_id,
            pool_size=max(self.max_concurrency, 2),
            rate_limit_share=self.rate_limit_share,
        )

    # -- execute -----------------------------------------------------------------------------------------
    def execute(self, context: Any) -> dict[str, Any]:
        """Plan and apply the sync; push the summary; fail after it if too many rows failed."""
        setattr(self, CADENCE_URL_ATTRIBUTE, "")
        defaults = {
            "cadence_id": coerce_optional_id("cadence_id", self.cadence_id),
            "user_id": coerce_optional_id("user_id", self.user_id),
            "step_id": coerce_optional_id("step_id", self.step_id),
        }
        rows, total = self._input_rows()
        with self._report_stream() as stream:
            report = SyncReport(self.log, total, stream)
            _SyncRun(self.hook, report, defaults, self.is_dry_run, self.max_concurrency).run(
                _chunks(rows, self.chunk_size)
            )
        report.maybe_log_progress(self.hook.pacer.stats.requests, force=True)
        summary = self._summary(report)
        ti = context["ti"]
        if defaults["cadence_id"] is not None:
            publish_cadence_url(self, context, self.hook.settings.app_url, defaults["cadence_id"])
        failed = summary[FAILED] + summary[INVALID]
        if failed > self.max_failed_rows:
            ti.xcom_push(key="return_value", value=summary)
            raise AirflowException(
                f"Salesloft sync: {failed} rows failed or were invalid "
                f"(max_failed_rows={self.max_failed_rows}); "
                f"summary: {json.dumps({k: v for k, v in summary.items() if k != 'failures'})}; "
                f"first failures: {json.dumps(summary['failures'][:5])}"
            )
        return summary

    def _summary(self, report: SyncReport) -> dict[str, Any]:
        return {
            "rows": report.rows,
            **{outcome: report.counts[outcome] for outcome in OUTCOMES},
            "failures": report.failures,
            "dry_run": self.is_dry_run,
            "api_calls": self.hook.pacer.stats.requests,
            "rate_limited": self.hook.pacer.stats.rate_limited,
            "elapsed_s": round(report.elapsed(), 3),
        }

    def _input_rows(self) -> tuple[Iterable[Mapping[str, Any]], int | None]:
        if self.sql is not None:
            return self._sql_rows(), None
        rows = self.rows
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

    def _sql_rows(self) -> Iterator[Mapping[str, Any]]:
        """Stream the query's rows, ``chunk_size`` per fetch, as mappings keyed by lower-case column names."""
        db_hook = BaseHook.get_connection(str(self.sql_conn_id)).get_hook()
        connection = db_hook.get_conn()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(self.sql)
                columns = [str(column[0]).lower() for column in cursor.description]
                while batch := cursor.fetchmany(self.chunk_size):
                    for values in batch:
                        yield dict(zip(columns, values, strict=False))
            finally:
                cursor.close()
        finally:
            connection.close()

    def _report_stream(self) -> AbstractContextManager[IO[str] | None]:
        if not self.report_path:
            return nullcontext(None)
        return ObjectStoragePath(self.report_path).open("w")  # type: ignore[no-any-return]


def _chunks(rows: Iterable[Mapping[str, Any]], size: int) -> Iterator[list[tuple[int, Any]]]:
    chunk: list[tuple[int, Any]] = []
    for index, row in enumerate(rows):
        chunk.append((index, row))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _reason(error: BaseException) -> str:
    if isinstance(error, SalesloftAPIError):
        return f"{error.status_code}: {error.message}"
    return str(error) or error.__class__.__name__


class _SyncRun:
    """The plan-then-write loop of one sync (state that lives for one ``execute``)."""

    def __init__(
        self,
        hook: SalesloftHook,
        report: SyncReport,
        defaults: dict[str, int | None],
        dry_run: bool,
        concurrency: int,
    ) -> None:
        self.hook = hook
        self.report = report
        self.defaults = defaults
        self.dry_run = dry_run
        self.concurrency = concurrency
        self.seen_pairs: set[tuple[int, int]] = set()
        self.members: dict[int, set[int]] = {}  # cadence -> people on it (listed once per cadence)
        self.missing_cadences: dict[int, str] = {}  # cadence -> why it cannot be used

    def run(self, chunks: Iterable[list[tuple[int, Any]]]) -> None:
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="salesloft-sync") as pool:
            for chunk in chunks:
                planned = [p for p in (self._validate(index, row) for index, row in chunk) if p is not None]
                to_add = self._plan(planned)
                self._apply(pool, to_add)
                self.report.maybe_log_progress(self.hook.pacer.stats.requests)

    # -- planning ----------------------------------------------------------------------------------------
    def _validate(self, index: int, row: Any) -> PlannedRow | None:
        if not isinstance(row, Mapping):
            self.report.record(
                RowOutcome(index, INVALID, reason=f"row is not a mapping: {type(row).__name__}")
            )
            return None
        email = row.get("email")
        email = email.strip() if isinstance(email, str) and email.strip() else None
        try:
            person_id = coerce_optional_id("person_id", _blank_to_none(row.get("person_id")))
            cadence_id = coerce_optional_id("cadence_id", _blank_to_none(row.get("cadence_id")))
            user_id = coerce_optional_id("user_id", _blank_to_none(row.get("user_id")))
            step_id = coerce_optional_id("step_id", _blank_to_none(row.get("step_id")))
        except SalesloftInvalidArgumentError as error:
            self.report.record(RowOutcome(index, INVALID, email=email, reason=str(error)))
            return None
        cadence_id = cadence_id or self.defaults["cadence_id"]
        if person_id is None and email is None:
            self.report.record(RowOutcome(index, INVALID, reason="row has neither person_id nor email"))
            return None
        if cadence_id is None:
            self.report.record(
                RowOutcome(
                    index,
                    INVALID,
                    person_id=person_id,
                    email=email,
                    reason="no cadence_id in row or operator",
                )
            )
            return None
        return PlannedRow(
            index,
            person_id,
            email,
            cadence_id,
            user_id or self.defaults["user_id"],
            step_id or self.defaults["step_id"],
        )

    def _plan(self, rows: list[PlannedRow]) -> list[PlannedRow]:
        """Resolve emails, drop repeats, skip people already on their cadence: return the rows to add."""
        self._resolve_emails([row for row in rows if row.person_id is None])
        to_add: list[PlannedRow] = []
        for row in rows:
            if row.person_id is None:
                self.report.record(row.outcome(PERSON_NOT_FOUND, reason="no Salesloft person has this email"))
                continue
            pair = (row.person_id, row.cadence_id)
            if pair in self.seen_pairs:
                self.report.record(row.outcome(DUPLICATES))
                continue
            self.seen_pairs.add(pair)
            problem = self._cadence_problem(row.cadence_id)
            if problem is not None:
                self.report.record(row.outcome(FAILED, reason=problem))
            elif row.person_id in self._members(row.cadence_id):
                self.report.record(row.outcome(ALREADY_ON_CADENCE))
            else:
                to_add.append(row)
        return to_add

    def _resolve_emails(self, rows: list[PlannedRow]) -> None:
        emails = list(dict.fromkeys(row.email.lower() for row in rows if row.email))
        found: dict[str, int] = {}
        for person in self.hook.find_people_by_email(emails):  # 100 emails a call
            address = str(person.get("email_address") or "").lower()
            if address and address not in found:
                found[address] = int(person["id"])
        for row in rows:
            row.person_id = found.get(row.email.lower()) if row.email else None

    def _cadence_problem(self, cadence_id: int) -> str | None:
        if cadence_id not in self.missing_cadences and cadence_id not in self.members:
            try:
                self.hook.get_cadence(cadence_id)
            except SalesloftNotFoundError as error:
                self.missing_cadences[cadence_id] = (
                    f"cadence {cadence_id} not found or not visible: {error.message}"
                )
        return self.missing_cadences.get(cadence_id)

    def _members(self, cadence_id: int) -> set[int]:
        if cadence_id not in self.members:
            self.members[cadence_id] = {
                int(membership["person"]["id"])
                for membership in self.hook.iter_cadence_memberships(
                    cadence_id=cadence_id, currently_on_cadence=True
                )
                if isinstance(membership.get("person"), Mapping)
            }
        return self.members[cadence_id]

    # -- writing -----------------------------------------------------------------------------------------
    def _apply(self, pool: ThreadPoolExecutor, rows: list[PlannedRow]) -> None:
        if self.dry_run:
            for row in rows:
                self.report.record(row.outcome(ADDED, reason="dry run: would be added"))
            return
        pending: set[Future[RowOutcome]] = set()
        for row in rows:
            pending.add(pool.submit(self._add, row))
            if len(pending) >= self.concurrency * 2:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                self._collect(done)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            self._collect(done)

    def _collect(self, done: Iterable[Future[RowOutcome]]) -> None:
        for future in done:
            outcome = future.result()
            self.report.record(outcome)
            if outcome.outcome in (ADDED, ALREADY_ON_CADENCE) and outcome.person_id and outcome.cadence_id:
                self.members.setdefault(outcome.cadence_id, set()).add(outcome.person_id)
        self.report.maybe_log_progress(self.hook.pacer.stats.requests)

    def _add(self, row: PlannedRow) -> RowOutcome:
        """Add one person; never raises: every error becomes the row's outcome."""
        assert row.person_id is not None
        try:
            membership, added_now = self.hook.ensure_cadence_membership(
                row.person_id, row.cadence_id, user_id=row.user_id, step_id=row.step_id
            )
            outcome = ADDED if added_now else ALREADY_ON_CADENCE
            return row.outcome(outcome, membership.get("id"))
        except SalesloftValidationError as error:
            return row.outcome(FAILED, reason=_reason(error))
        except SalesloftNotFoundError as error:
            return row.outcome(PERSON_NOT_FOUND, reason=_reason(error))
        except Exception as error:  # every row is accounted for, whatever went wrong
            return row.outcome(FAILED, reason=_reason(error))


def _blank_to_none(value: Any) -> Any:
    """Warehouse NULLs and empty cells mean "not given"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float) and value != value:  # NaN from dataframes
        return None
    return value
