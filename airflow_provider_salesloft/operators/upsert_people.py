"""Create or update Salesloft people from warehouse rows: ``UpsertPeopleOperator``."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import chain
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowException, conf

from airflow_provider_salesloft.crm_ids import CRM_ID_TYPES, DEFAULT_CRM_ID_TYPE
from airflow_provider_salesloft.hooks.stopping import SalesloftStopped, check_stop, stop_on_exit
from airflow_provider_salesloft.operators.base import SalesloftBaseOperator
from airflow_provider_salesloft.operators.input_rows import check_rows_or_sql, input_rows
from airflow_provider_salesloft.operators.person_upserts import (
    PeopleUpserter,
    UpsertResult,
    bulk_job_name,
    upsert_key_value,
    use_bulk,
)
from airflow_provider_salesloft.operators.sync.report import MAX_REASON_CHARS, MAX_SAMPLES
from airflow_provider_salesloft.operators.upsert_resume import JobStore, start_or_resume
from airflow_provider_salesloft.outcomes import RunOutcomes
from airflow_provider_salesloft.person_fields import (
    UPSERT_KEYS,
    check_field_map,
    do_not_contact_warning,
    person_fields,
)
from airflow_provider_salesloft.results_table import (
    ResultsWriter,
    check_results_table,
    kept_on_failure,
    raise_if_unwritten,
)
from airflow_provider_salesloft.validation import (
    check_choice,
    check_int_range,
    check_seconds,
)

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

#: Person ids are listed in the summary (``person_ids``, in row order) for inputs up to this many rows.
MAX_LISTED_PERSON_IDS = 1000
#: Outcome names of the summary.
UPSERT_OUTCOMES = ("created", "updated", "failed", "invalid", "duplicates")
#: The reason of a record a bulk job returned no result for.
NO_RESULT = "Salesloft returned no result for this record"


class UpsertTally:
    """Counts, samples and (for small inputs) the person id of each upserted key, in input order.

    :param carried: what :meth:`carry` returned before a deferral.
    :param sinks: also called with the line of every row refused before it is sent (see :meth:`refuse`;
        the ``results_table`` writer).
    """

    def __init__(
        self,
        carried: dict[str, Any] | None = None,
        sinks: Sequence[Callable[..., None]] = (),
    ) -> None:
        carried = carried or {}
        self._sinks = sinks
        self.counts: Counter[str] = Counter({name: 0 for name in UPSERT_OUTCOMES})
        self.counts.update(carried.get("counts") or {})
        self.samples: dict[str, list[dict[str, Any]]] = carried.get("samples") or {}
        keys = carried.get("keys", [])
        self.keys: list[str] | None = None if keys is None else list(keys)
        self.ids: dict[str, int] = {}
        self.rows = int(carried.get("rows") or 0)
        self.distinct = int(carried.get("distinct") or 0)  # distinct keys: one record each

    def note(self, outcome: str, reason: str | None = None, **line: Any) -> None:
        """Count one row's (or one person's) outcome; list it under ``samples`` while there is room."""
        self.counts[outcome] += 1
        if outcome in ("created", "updated"):
            return
        samples = self.samples.setdefault(outcome, [])
        if len(samples) < MAX_SAMPLES:
            if reason:
                line["reason"] = str(reason)[:MAX_REASON_CHARS]
            samples.append({key: value for key, value in line.items() if value is not None})

    def refuse(
        self, index: int, outcome: str, reason: str, key: str | None = None, detail: str | None = None
    ) -> None:
        """Count row ``index`` as ``invalid`` or ``duplicates`` (never sent), with ``reason`` (its sample
        says ``detail`` instead, where given); pass its line to every sink."""
        self.note(outcome, detail or reason, row=index, key=key)
        line: dict[str, Any] = {"index": index, "outcome": outcome, "reason": reason}
        if key is not None:
            line["key"] = key
        for sink in self._sinks:
            sink(**line)

    def key_seen(self, key: str) -> None:
        """Count a distinct key; remember the order of keys while the input is small enough to list ids."""
        self.distinct += 1
        if self.keys is not None:
            self.keys.append(key)
            if len(self.keys) > MAX_LISTED_PERSON_IDS:
                self.keys = None

    def result(self, result: UpsertResult) -> None:
        """Count one upsert's result."""
        if result.error is not None or result.person is None:
            self.note("invalid" if result.invalid else "failed", result.error, key=result.key)
            return
        self.note("created" if result.upsert_type == "create" else "updated")
        self.counts["do_not_contact_set"] += result.do_not_contact_set
        if self.keys is not None:
            self.ids[result.key] = int(result.person["id"])

    def carry(self) -> dict[str, Any]:
        """What a deferred task needs back to finish its summary (JSON)."""
        return {
            "counts": dict(self.counts),
            "samples": self.samples,
            "keys": self.keys,
            "rows": self.rows,
            "distinct": self.distinct,
        }

    def summary(self, **extra: Any) -> dict[str, Any]:
        """The XCom summary."""
        summary: dict[str, Any] = {"rows": self.rows, **{name: self.counts[name] for name in UPSERT_OUTCOMES}}
        summary["do_not_contact_set"] = self.counts["do_not_contact_set"]
        summary["samples"] = {name: lines for name, lines in self.samples.items() if lines}
        if self.keys is not None:
            summary["person_ids"] = [self.ids.get(key) for key in self.keys]
            if len(self.keys) == 1:
                summary["person_id"] = summary["person_ids"][0]
        summary.update(extra)
        return summary


class UpsertPeopleOperator(SalesloftBaseOperator):
    """Create or update Salesloft people from rows (a list, an XCom, or a SQL query read in chunks).

    Each row's columns map to person fields: through ``field_map`` (column -> Salesloft field, custom fields
    as ``custom_fields.<name>``; an unknown field is refused when the DAG is parsed), plus every column
    already named as a person field, and ``email`` as ``email_address``. People are matched on
    ``upsert_key`` (``email_address``, ``crm_id`` or ``id``): matched ones are updated, others created.

    Few rows are upserted one call each (``POST /v2/person_upserts``, a few at a time); many go in one
    ``person/upsert`` bulk job (about ``3 + rows/5000 + rows/100 + polls`` calls in all), from
    ``bulk_threshold`` rows on, or, by default, whenever the job costs fewer calls. With
    ``deferrable=True`` the task waits for the job in the triggerer, holding no worker slot.

    XCom ``return_value``: ``rows``, ``created``, ``updated``, ``failed`` (Salesloft refused, with reasons
    under ``samples``), ``do_not_contact_set`` (people this run marked do-not-contact: Salesloft took them
    off every cadence they were on), ``invalid`` (no usable key, or fields Salesloft would refuse),
    ``duplicates`` (a key repeated in the input: upserted once), ``samples``, ``method`` (``per_row`` or
    ``bulk``), ``bulk_job_id`` and ``waited_in`` (``worker`` or ``triggerer``) for a bulk job,
    ``api_calls``, and for inputs of at most 1,000 rows ``person_ids`` (per distinct key, in input order;
    None where it failed) and, for one row, ``person_id``. Both are also pushed as XCom keys of their own, so
    ``CreateCadenceMembershipOperator(person_id=upsert.output["person_id"], ...)`` chains the two.

    :param rows: rows to upsert (templated).
    :param sql: a query whose columns are the rows' fields (templated).
    :param sql_conn_id: the connection ``sql`` runs on.
    :param field_map: column -> Salesloft person field.
    :param upsert_key: the field people are matched on.
    :param crm_id_type: the CRM a ``crm_id`` belongs to, for rows without a ``crm_id_type`` column
        (Salesloft: "You must provide a crm_id_type if [crm_id] is included ... Must be one of: salesforce").
        A 15-character Salesforce id is sent in its 18-character form; an id Salesloft would refuse makes
        the row ``invalid``.
    :param bulk_threshold: rows from which a bulk job is used (None: whichever costs fewer calls).
    :param deferrable: wait for a bulk job in the triggerer (default: ``[operators] default_deferrable``).
    :param poll_interval_s: seconds between looks at a running bulk job.
    :param timeout_s: how long to wait for a bulk job before failing the task (the job keeps running).
    :param max_failed_rows: the task fails (after pushing the summary) when more rows than this end
        ``failed`` or ``invalid``.
    :param max_concurrency: upserts in flight at once on the one-call-each path.
    :param chunk_size: rows fetched per SQL round trip.
    :param results_table: a table (``name`` or ``schema.name``) that gets one row per input row of each run
        (outcome, reason, upsert key, person id; see docs/results-lineage-assets.md), created when missing.
    :param results_conn_id: the common.sql connection of ``results_table`` (default: ``sql_conn_id``).
    """

    template_fields: Sequence[str] = (*SalesloftBaseOperator.template_fields, "rows", "sql")
    template_fields_renderers = {"sql": "sql", "rows": "json"}
    writes_people = True

    def __init__(
        self,
        *,
        rows: Any = None,
        sql: str | None = None,
        sql_conn_id: str | None = None,
        field_map: Mapping[str, str] | None = None,
        upsert_key: str = "email_address",
        crm_id_type: str = DEFAULT_CRM_ID_TYPE,
        bulk_threshold: int | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval_s: float = 10.0,
        timeout_s: float = 3600.0,
        max_failed_rows: int = 0,
        max_concurrency: int = 8,
        chunk_size: int = 1000,
        results_table: str | None = None,
        results_conn_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_rows_or_sql(rows, sql, sql_conn_id)
        self.results_conn_id = check_results_table(results_table, results_conn_id, sql_conn_id)
        self.results_table = results_table
        self._results: ResultsWriter | None = None
        self._row_of: dict[str, int] = {}  # upsert key -> input row index, for the results table
        self.field_map = check_field_map(field_map)
        self.upsert_key = check_choice("upsert_key", upsert_key, UPSERT_KEYS)
        self.crm_id_type = check_choice("crm_id_type", crm_id_type, CRM_ID_TYPES)
        if bulk_threshold is not None:
            check_int_range("bulk_threshold", bulk_threshold, 1)
        check_int_range("max_concurrency", max_concurrency, 1, 64)
        check_int_range("chunk_size", chunk_size, 1)
        check_int_range("max_failed_rows", max_failed_rows, 0)
        self.rows = rows
        self.sql = sql
        self.sql_conn_id = sql_conn_id
        self.bulk_threshold = bulk_threshold
        self.deferrable = deferrable
        self.poll_interval_s = check_seconds("poll_interval_s", poll_interval_s)
        self.timeout_s = check_seconds("timeout_s", timeout_s)
        self.max_failed_rows = max_failed_rows
        self.max_concurrency = max_concurrency
        self.chunk_size = chunk_size

    def hook_kwargs(self) -> dict[str, Any]:
        """The hook's pool sized for ``max_concurrency``."""
        return {"pool_size": max(self.max_concurrency, 2)}

    # -- execute -----------------------------------------------------------------------------------------
    def execute(self, context: Context) -> dict[str, Any]:
        """Validate the rows, then upsert them one call each or in a bulk job (deferring if asked)."""
        started = time.monotonic()
        warning = do_not_contact_warning(self.field_map)
        if warning:
            self.log.warning("%s", warning)
        rows, total = input_rows(self.rows, self.sql, self.sql_conn_id, self.chunk_size)
        self._open_results(context)
        tally = UpsertTally(sinks=(self._result_line,))
        upserter = PeopleUpserter(self.hook, self.upsert_key, self.crm_id_type)
        people = self._valid_people(rows, tally, upserter)
        with kept_on_failure(self._results, self.log):
            # Read ahead until the way is decided: a bulk job from the threshold (or break-even) on.
            ahead: list[tuple[str, dict[str, Any]]] = []
            for person in people:
                ahead.append(person)
                if use_bulk(len(ahead), self.bulk_threshold):
                    break
            if not use_bulk(len(ahead), self.bulk_threshold):
                with self._partial_summary_if_interrupted(context, tally, total):
                    self._one_by_one(upserter, ahead, tally)
                return self._finish(context, tally, method="per_row", elapsed=time.monotonic() - started)
            name = bulk_job_name(self.dag_id, self.task_id, context)
            jobs = JobStore.of(context, self.log, lambda: self.hook.pacer.stats.requests)
            job_id = start_or_resume(upserter, name, (fields for _, fields in chain(ahead, people)), jobs)
            if not self.deferrable:
                with self._partial_summary_if_interrupted(context, tally, total, bulk_job_id=job_id):
                    job = self.hook.wait_for_bulk_job(job_id, self.poll_interval_s, self.timeout_s)
                return self._read_results(
                    context, upserter, tally, job_id, job, jobs, carried_calls=jobs.earlier_calls
                )
        from airflow_provider_salesloft.triggers.bulk_job import SalesloftBulkJobTrigger

        carry = {"tally": tally.carry(), "api_calls": jobs.earlier_calls + self.hook.pacer.stats.requests}
        if self._results is not None:
            carry.update(results=self._results.close(), row_of=self._row_of)
        self.defer(
            trigger=SalesloftBulkJobTrigger(
                salesloft_conn_id=self.salesloft_conn_id,
                job_id=job_id,
                poll_interval_s=self.poll_interval_s,
                deadline=time.time() + self.timeout_s,
                carry=carry,
                rate_limit_share=self.rate_limit_share,
            ),
            method_name="execute_complete",
        )
        raise AssertionError("defer() returned")  # pragma: no cover

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        """Resume after the trigger: read the job's results and push the summary.

        The job id and the tally so far come in the trigger's event (``defer(kwargs=...)`` does not reach
        this method on every Airflow line)."""
        if not event or "job_id" not in event:
            raise AirflowException(f"Salesloft bulk job trigger ended without an event: {event!r}")
        job_id = int(event["job_id"])
        if event.get("status") != "done":
            raise AirflowException(
                f"Salesloft bulk job {job_id}: {event.get('message') or event.get('status')}"
            )
        carry = event.get("carry") or {}
        tally = UpsertTally(carry.get("tally"))
        self._open_results(context, carry.get("results"))
        self._row_of = dict(carry.get("row_of") or {})
        upserter = PeopleUpserter(self.hook, self.upsert_key, self.crm_id_type)
        with kept_on_failure(self._results, self.log):
            return self._read_results(
                context,
                upserter,
                tally,
                job_id,
                event.get("job") or {},
                JobStore(context.get("task_state_store"), self.log),
                carried_calls=int(carry.get("api_calls", 0)),
                waited_in="triggerer",
            )

    # -- steps ---------------------------------------------------------------------------------------------
    def _valid_people(
        self, rows: Iterable[Any], tally: UpsertTally, upserter: PeopleUpserter
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(key, fields)`` of each row that can be upserted, as it is sent; every other row counted as
        it passes (a ``crm_id`` Salesloft would refuse is ``invalid``: never sent)."""
        seen: set[str] = set()
        for index, row in enumerate(rows):
            tally.rows += 1
            if not isinstance(row, Mapping):
                detail = f"row is not a mapping: {type(row).__name__}"
                tally.refuse(index, "invalid", "row is not a mapping", detail=detail)
                continue
            fields, problem = upserter.prepare(person_fields(row, self.field_map))
            key = None
            if problem is None:
                key, problem = upsert_key_value(fields, self.upsert_key)
            if key is None:
                tally.refuse(index, "invalid", str(problem))
                continue
            if key in seen:
                detail = f"{self.upsert_key} repeats an earlier row's"
                tally.refuse(index, "duplicates", "repeats an earlier row", key=key, detail=detail)
                continue
            seen.add(key)
            if self._results is not None:
                self._row_of[key] = index
            tally.key_seen(key)
            yield key, fields

    def _one_by_one(
        self, upserter: PeopleUpserter, people: list[tuple[str, dict[str, Any]]], tally: UpsertTally
    ) -> None:
        from concurrent.futures import Future, ThreadPoolExecutor, wait

        pacer = self.hook.pacer
        futures: list[Future[UpsertResult]] = []
        try:
            with (
                ThreadPoolExecutor(self.max_concurrency, thread_name_prefix="salesloft-upsert") as pool,
                stop_on_exit(pacer),
            ):
                futures = upserter.submit(pool, people)
                wait(futures)
        finally:  # interrupted too: every upsert that ran is counted (the pool has waited for them)
            for future in futures:
                if (
                    future.done()
                    and not future.cancelled()
                    and not isinstance(future.exception(), SalesloftStopped)
                ):
                    tally.result(future.result())
                    self._keyed_result(future.result())
        check_stop(pacer)  # people not sent: the task ends as stopped

    @contextmanager
    def _partial_summary_if_interrupted(
        self, context: Context, tally: UpsertTally, total: int | None, **extra: Any
    ) -> Iterator[None]:
        """When the block is interrupted (stopped, timed out, failed): log and push what was done, and how
        many rows were not (``rows_not_done``; None when the input's size is unknown), then re-raise."""
        try:
            yield
        except BaseException as error:
            done = sum(tally.counts.values())
            summary = tally.summary(
                api_calls=self.hook.pacer.stats.requests,
                stopped=self.hook.pacer.stopped or f"interrupted by {type(error).__name__}",
                rows_not_done=None if total is None else total - done,
                **extra,
            )
            self.push_partial_summary(context, "upsert", summary)
            raise

    def _read_results(
        self,
        context: Context,
        upserter: PeopleUpserter,
        tally: UpsertTally,
        job_id: int,
        job: Mapping[str, Any],
        jobs: JobStore,
        carried_calls: int = 0,
        waited_in: str = "worker",
    ) -> dict[str, Any]:
        """Count the done job's results and finish; once the try succeeds the job is forgotten by the task
        state store (a cleared task upserts again). A try that fails here (``max_failed_rows``, the results
        table) keeps it: its retry reads the same job's results instead of uploading every record again."""
        processed = job.get("processed")
        returned: set[str] = set()
        for result in upserter.job_results(job_id, processed if isinstance(processed, int) else None):
            returned.add(result.key)
            tally.result(result)
            self._keyed_result(result)
        self._account_for_missing(upserter, tally, returned)
        for key, index in self._row_of.items() if self._results is not None else ():
            if key not in returned:
                self._result_line(index=index, key=key, outcome="failed", reason=NO_RESULT)
        summary = self._finish(
            context,
            tally,
            method="bulk",
            bulk_job_id=job_id,
            waited_in=waited_in,
            carried_calls=carried_calls,
        )
        jobs.forget()  # only once the try succeeds: a failed try's retry reads this job's results again
        return summary

    def _account_for_missing(self, upserter: PeopleUpserter, tally: UpsertTally, returned: set[str]) -> None:
        """Every record the job returned no result for is ``failed`` (the person may exist all the same: it
        is looked up where the key allows, for ``person_ids``). Beyond 1,000 rows the keys are not kept:
        such records are counted, without their keys."""
        missing = [key for key in tally.keys if key not in returned] if tally.keys is not None else []
        unnamed = max(0, tally.distinct - len(returned)) - len(missing) if tally.keys is None else 0
        for key in missing:
            tally.note("failed", NO_RESULT, key=key)
        for _ in range(unnamed):
            tally.note(
                "failed", f"{NO_RESULT} (its key is not kept for inputs over {MAX_LISTED_PERSON_IDS} rows)"
            )
        if missing or unnamed:
            self.log.warning(
                "Salesloft upsert: the bulk job returned no result for %d records", len(missing) + unnamed
            )
        tally.ids.update(upserter.find(missing))

    def _finish(
        self,
        context: Context,
        tally: UpsertTally,
        *,
        carried_calls: int = 0,
        elapsed: float | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        summary = tally.summary(api_calls=carried_calls + self.hook.pacer.stats.requests, **extra)
        self.outcomes = RunOutcomes(people=Counter(tally.counts))
        if elapsed is not None:
            summary["elapsed_s"] = round(elapsed, 3)
        written = self._results.close() if self._results is not None else None
        if written:
            summary["results_table"] = written
        self.log.info(
            "Salesloft upsert: %s", json.dumps({k: v for k, v in summary.items() if k != "person_ids"})
        )
        for key in ("person_id", "person_ids"):  # ``upsert.output["person_id"]`` reads the XCom key
            if key in summary:
                context["ti"].xcom_push(key=key, value=summary[key])
        if written and written.get("error"):
            context["ti"].xcom_push(key="return_value", value=summary)
            raise_if_unwritten(written)
        failing = tally.counts["failed"] + tally.counts["invalid"]
        if failing > self.max_failed_rows:
            context["ti"].xcom_push(key="return_value", value=summary)
            raise AirflowException(
                f"Salesloft upsert: {failing} rows failed or were invalid (max_failed_rows="
                f"{self.max_failed_rows}); first: {json.dumps(summary['samples'])[:2000]}"
            )
        return summary

    # -- results table -------------------------------------------------------------------------------------
    def _open_results(self, context: Context, carried: Mapping[str, Any] | None = None) -> None:
        """The results writer of this try (continuing what was written before a deferral)."""
        if not (self.results_table and self.results_conn_id):
            return
        self._results = ResultsWriter.for_task(self.results_conn_id, self.results_table, context)
        if carried:
            self._results.written = int(carried.get("rows_written") or 0)
            self._results.unwritten = int(carried.get("rows_not_written") or 0)
            self._results.error = carried.get("error")

    def _result_line(self, **line: Any) -> None:
        if self._results is not None:
            self._results.add(line)

    def _keyed_result(self, result: UpsertResult) -> None:
        """One upserted key's result as its row's line."""
        if self._results is None:
            return
        person_id = result.person.get("id") if result.person is not None else None
        if result.error is not None or person_id is None:
            outcome = "invalid" if result.invalid else "failed"
        else:
            outcome = "created" if result.upsert_type == "create" else "updated"
        self._result_line(
            index=self._row_of.get(result.key),
            key=result.key,
            outcome=outcome,
            person_id=person_id,
            reason=result.error,
        )
