"""``SyncCadenceMembershipsOperator``: its arguments, its input rows, its summary.

The plan-then-write work is :class:`~airflow_provider_salesloft.operators.sync.engine.SyncRun`; the row
model and outcomes are in :mod:`~airflow_provider_salesloft.operators.sync.rows`; counting and the report
file in :mod:`~airflow_provider_salesloft.operators.sync.report`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from functools import partial
from typing import IO, TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowException, ObjectStoragePath

from airflow_provider_salesloft.exceptions import SalesloftInvalidArgumentError, SalesloftMirrorGuardError
from airflow_provider_salesloft.operators.base import SalesloftBaseOperator
from airflow_provider_salesloft.operators.input_rows import check_rows_or_sql, input_rows
from airflow_provider_salesloft.operators.person_upserts import bulk_job_name
from airflow_provider_salesloft.operators.prechecks import before_first
from airflow_provider_salesloft.operators.sync.creation import CreateOptions
from airflow_provider_salesloft.operators.sync.engine import SyncRun, chunks
from airflow_provider_salesloft.operators.sync.mirror import MirrorOptions
from airflow_provider_salesloft.operators.sync.report import SyncReport
from airflow_provider_salesloft.operators.sync.rows import Outcome
from airflow_provider_salesloft.outcomes import RunOutcomes
from airflow_provider_salesloft.person_fields import check_field_map, do_not_contact_warning
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
    coerce_optional_id,
    deprecated_alias,
)

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

#: What to do with a row whose email several people share (teams may allow duplicates by email).
DUPLICATE_EMAIL_RULES = ("skip", "most_recently_updated")
#: ``add``: put the input's people on their cadences; ``mirror``: also take off who the input leaves out.
SYNC_MODES = ("add", "mirror")


def check_max_removals(value: Any) -> None:
    """``max_removals`` is an int >= 0 or a float share in [0, 1]."""
    ok = (isinstance(value, int) and not isinstance(value, bool) and value >= 0) or (
        isinstance(value, float) and 0.0 <= value <= 1.0
    )
    if not ok:
        raise SalesloftInvalidArgumentError(
            "max_removals",
            value,
            "must be a number of members (int >= 0) or a share of them (float in [0, 1])",
        )


class SyncCadenceMembershipsOperator(SalesloftBaseOperator):
    """Put the people a query (or a list) picks on Salesloft cadences, at the speed the rate limit allows.

    Input is ``rows`` (a list of mappings, or an ``XComArg`` of one) or ``sql`` run on ``sql_conn_id`` (any
    common.sql/DB-API connection; read in chunks). Keys/columns: ``person_id`` or ``email`` (one is enough),
    optional ``cadence_id``, ``user_id``, ``step_id``; the operator's own ``cadence_id``, ``user_id`` and
    ``step_id`` are defaults for rows that lack them.

    Every row lands in exactly one outcome: ``added``, ``already_on_cadence``, ``person_not_found``,
    ``duplicates`` (a repeated (person, cadence) pair), ``invalid`` (no usable person, bad ids, an email that
    is no address), ``do_not_contact`` (marked so, or restricted on every channel: never sent),
    ``ambiguous_email`` (several people share the email, with ``on_duplicate_email="skip"``), or ``failed``
    (Salesloft refused, or kept failing). Only ``failed`` and ``invalid`` count against ``max_failed_rows``.
    XCom ``return_value`` is a summary with the counts, the first 100 failed/invalid rows, ``samples`` of
    every other outcome but success, ``dry_run``, ``api_calls`` and ``elapsed_s``.

    :param rows: rows to sync (templated).
    :param sql: a query whose columns are the row keys (templated).
    :param sql_conn_id: the connection ``sql`` runs on.
    :param cadence_id: default cadence for rows without one (templated).
    :param user_id: default user for rows without one (templated).
    :param step_id: default step for rows without one (templated).
    :param dry_run: plan only: read calls, no writes; the summary counts what would happen.
    :param max_failed_rows: the task fails (after finishing every row and pushing the summary) when more
        rows than this end ``failed`` or ``invalid``.
    :param max_concurrency: requests in flight at once (bounded by the hook's connection pool).
    :param chunk_size: rows planned and written per round (and fetched per SQL round trip).
    :param report_path: optional local or object-storage path (``s3://...``) for a JSON-lines report with
        one line per row (templated).
    :param mode: ``"add"`` (default): put the input's people on their cadences. ``"mirror"``: then take off
        each cadence the input names everyone on it the input leaves out (counted as ``removed`` /
        ``removal_failed``; report lines too), within the guards below. A person any input row names (by
        ``person_id``, or by an email that matches them, whatever became of the row) is never removed; an
        ``invalid`` row, or more failed rows than ``max_failed_rows``, stops every removal (the summary's
        ``mirror_refused`` says why, and the task fails).
    :param allow_empty_input: mirror the operator's ``cadence_id`` even when no row names it (an empty query
        then empties the cadence, within ``max_removals``). Default False: a cadence no row names is never
        touched.
    :param max_removals: most removals per cadence, an int or a share (float) of its current members
        (default 0.1): a plan that would remove more fails the task before removing anything.
    :param remove_only_for_user: only memberships whose ``user`` is this user id are removed: the user
        the person is on the cadence *for* (the add's ``user_id``). Salesloft does not record who added a
        person, so add the sync's people for one user and pass it here to leave everyone else's alone.
    :param remove_only_added_by: deprecated name of ``remove_only_for_user`` (it never checked who added).
    :param on_duplicate_email: for a row whose email several people share: ``"skip"`` (outcome
        ``ambiguous_email``) or ``"most_recently_updated"`` (that one is added, unless one of them is on
        the cadence already; counted in the summary's ``duplicate_emails_resolved``).
    :param create_missing_people: rows whose email finds nobody are created in Salesloft (upserted by
        email, with the row's fields: ``field_map``, plus columns named as person fields), then added in the
        same run: outcome ``created_and_added``, or ``created`` when the add failed (with the reason).
        Do-not-contact and duplicate rules apply to them as to everyone. Many people go in one bulk job
        (waited on in the worker), few one call each; a ``dry_run`` counts who would be created.
    :param field_map: column -> Salesloft person field for created people (custom fields as
        ``custom_fields.<name>``); checked when the DAG is parsed.
    :param bulk_threshold: people to create from which one bulk job is used (None: whichever costs fewer
        calls).
    :param bulk_poll_interval_s: seconds between looks at the bulk job.
    :param bulk_timeout_s: how long to wait for the bulk job (its rows then end ``failed``).
    :param results_table: a table (``name`` or ``schema.name``) that gets one row per input row and per
        removal of each run (outcome, reason, ids; see docs/results-lineage-assets.md), created when missing.
    :param results_conn_id: the common.sql connection of ``results_table`` (default: ``sql_conn_id``).
    """

    template_fields: Sequence[str] = (
        *SalesloftBaseOperator.template_fields,
        "rows",
        "sql",
        "cadence_id",
        "user_id",
        "step_id",
        "report_path",
    )
    template_fields_renderers = {"sql": "sql", "rows": "json"}

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
        max_concurrency: int = 8,
        chunk_size: int = 1000,
        report_path: str | None = None,
        on_duplicate_email: str = "skip",
        mode: str = "add",
        allow_empty_input: bool = False,
        max_removals: int | float = 0.1,
        remove_only_for_user: Any = None,
        remove_only_added_by: Any = None,
        create_missing_people: bool = False,
        field_map: Mapping[str, str] | None = None,
        bulk_threshold: int | None = None,
        bulk_poll_interval_s: float = 10.0,
        bulk_timeout_s: float = 3600.0,
        results_table: str | None = None,
        results_conn_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_choice("mode", mode, SYNC_MODES)
        self.results_conn_id = check_results_table(results_table, results_conn_id, sql_conn_id)
        self.results_table = results_table
        check_max_removals(max_removals)
        check_rows_or_sql(rows, sql, sql_conn_id)
        check_int_range("max_concurrency", max_concurrency, 1, 64)
        check_int_range("chunk_size", chunk_size, 1)
        check_int_range("max_failed_rows", max_failed_rows, 0)
        check_choice("on_duplicate_email", on_duplicate_email, DUPLICATE_EMAIL_RULES)
        self.rows = rows
        self.sql = sql
        self.sql_conn_id = sql_conn_id
        self.cadence_id = cadence_id
        self.user_id = user_id
        self.step_id = step_id
        self.is_dry_run = dry_run  # ``dry_run`` is BaseOperator's method (template rendering)
        self.max_failed_rows = max_failed_rows
        self.max_concurrency = max_concurrency
        self.chunk_size = chunk_size
        self.report_path = report_path
        self.on_duplicate_email = on_duplicate_email
        self.mode = mode
        self.allow_empty_input = allow_empty_input
        self.max_removals = max_removals
        self.remove_only_for_user = deprecated_alias(
            "remove_only_for_user",
            remove_only_for_user,
            "remove_only_added_by",
            remove_only_added_by,
            " (the same user id: it is matched with the membership's user, the user the person is on the "
            "cadence for; Salesloft records no 'added by')",
        )
        self.create_missing_people = create_missing_people
        self.field_map = check_field_map(field_map)
        if bulk_threshold is not None:
            check_int_range("bulk_threshold", bulk_threshold, 1)
        self.bulk_threshold = bulk_threshold
        self.bulk_poll_interval_s = check_seconds("bulk_poll_interval_s", bulk_poll_interval_s)
        self.bulk_timeout_s = check_seconds("bulk_timeout_s", bulk_timeout_s)
        self.writes_people = create_missing_people
        if not dry_run:  # a dry run changes no cadence: no asset event, no downstream run
            self.declare_cadence_outlet(cadence_id)

    def hook_kwargs(self) -> dict[str, Any]:
        """The hook's pool sized for ``max_concurrency``."""
        return {"pool_size": max(self.max_concurrency, 2)}

    # -- execute -----------------------------------------------------------------------------------------
    def execute(self, context: Context) -> dict[str, Any]:
        """Plan and apply the sync; push the summary; fail after it if too many rows failed."""
        defaults = {
            "cadence_id": coerce_optional_id("cadence_id", self.cadence_id),
            "user_id": coerce_optional_id("user_id", self.user_id),
            "step_id": coerce_optional_id("step_id", self.step_id),
        }
        if self.create_missing_people and (warning := do_not_contact_warning(self.field_map)):
            self.log.warning("%s", warning)
        rows, total = input_rows(self.rows, self.sql, self.sql_conn_id, self.chunk_size)
        results = self._results_writer(context)
        self.outcomes = RunOutcomes(dry_run=self.is_dry_run)
        with self._report_stream() as stream:
            report = SyncReport(
                self.log,
                total,
                stream,
                dry_run=self.is_dry_run,
                creates=self.create_missing_people,
                sinks=(self.outcomes.line, *((results.add,) if results else ())),
            )
            run = SyncRun(
                self.hook,
                report,
                defaults,
                self.is_dry_run,
                self.max_concurrency,
                self.on_duplicate_email,
                self._mirror_options(),
                self._create_options(context),
            )
            check = partial(run.prechecks.require_cadence, defaults["cadence_id"])
            try:
                with kept_on_failure(results, self.log):  # the rows done so far are written, too
                    run.run(before_first(chunks(rows, self.chunk_size), check))  # read, then checked
            except BaseException as error:  # stopped, timed out or failed: say what was done, then end
                written = results.close() if results else None
                self._push_partial(context, report, run, total, error, results_table=written)
                raise
        report.maybe_log_progress(self.hook.pacer.stats.requests, force=True)
        written = results.close() if results else None
        summary = self._summary(report, run, **({"results_table": written} if written else {}))
        if defaults["cadence_id"] is not None:
            self.publish_cadence_url(context, defaults["cadence_id"])
        if written and written.get("error"):
            context["ti"].xcom_push(key="return_value", value=summary)
            brief = {k: v for k, v in summary.items() if k != "failures"}
            self.log.info("Salesloft sync: %s", json.dumps(brief))
            raise_if_unwritten(written)
        if run.lookup_failed is not None:  # every row has its outcome; the mirror removed nobody
            context["ti"].xcom_push(key="return_value", value=summary)
            self.log.info(
                "Salesloft sync: %s", json.dumps({k: v for k, v in summary.items() if k != "failures"})
            )
            raise AirflowException(
                f"Salesloft sync: a lookup failed after its retries ({run.lookup_failed}); "
                f"{report.counts[Outcome.FAILED.value]} rows failed, each with the reason"
                + ("; the mirror removed nobody" if self.mode == "mirror" else "")
            )
        if run.mirror_refused is not None:
            context["ti"].xcom_push(key="return_value", value=summary)
            raise SalesloftMirrorGuardError(run.mirror_refused)
        failed = report.failing_rows() + report.removal_failed
        if failed > self.max_failed_rows:
            context["ti"].xcom_push(key="return_value", value=summary)
            raise AirflowException(
                f"Salesloft sync: {failed} rows failed or were invalid "
                f"(max_failed_rows={self.max_failed_rows}); "
                f"summary: {json.dumps({k: v for k, v in summary.items() if k != 'failures'})}; "
                f"first failures: {json.dumps(summary['failures'][:5])}"
            )
        self.emit_cadence_events(context)
        return summary

    def _results_writer(self, context: Context) -> ResultsWriter | None:
        if not (self.results_table and self.results_conn_id):
            return None
        return ResultsWriter.for_task(self.results_conn_id, self.results_table, context, self.is_dry_run)

    def _summary(self, report: SyncReport, run: SyncRun, **extra: Any) -> dict[str, Any]:
        return report.summary(
            dry_run=self.is_dry_run,
            api_calls=self.hook.pacer.stats.requests,
            rate_limited=self.hook.pacer.stats.rate_limited,
            elapsed_s=round(report.elapsed(), 3),
            duplicate_emails_resolved=run.duplicate_emails_resolved,
            mode=self.mode,
            **({"bulk_job_id": run.bulk_job_id} if run.bulk_job_id is not None else {}),
            **(report.removal_summary(run.mirror_refused) if self.mode == "mirror" else {}),
            **extra,
        )

    def _push_partial(
        self,
        context: Context,
        report: SyncReport,
        run: SyncRun,
        total: int | None,
        error: BaseException,
        results_table: dict[str, Any] | None = None,
    ) -> None:
        """Log and push the summary of an interrupted sync: what was done (every row with an outcome, every
        add in flight included) and what was not (``rows_not_done``; None when the input's size is unknown;
        a mirror's ``removals_not_done``: None when it stopped before planning its removals).
        """
        if "pacer" not in vars(self.hook):  # no request was made (e.g. the query failed): nothing to say
            return
        summary = self._summary(
            report,
            run,
            stopped=self.hook.pacer.stopped or f"interrupted by {type(error).__name__}",
            rows_not_done=None if total is None else total - report.rows,
            **({"removals_not_done": report.removals_not_done()} if self.mode == "mirror" else {}),
            **({"results_table": results_table} if results_table else {}),
        )
        self.push_partial_summary(context, "sync", summary)

    def _create_options(self, context: Context) -> CreateOptions | None:
        if not self.create_missing_people:
            return None
        return CreateOptions(
            field_map=self.field_map,
            bulk_threshold=self.bulk_threshold,
            poll_interval_s=self.bulk_poll_interval_s,
            timeout_s=self.bulk_timeout_s,
            job_name=bulk_job_name(self.dag_id, self.task_id, context),
        )

    def _mirror_options(self) -> MirrorOptions | None:
        if self.mode != "mirror":
            return None
        return MirrorOptions(
            allow_empty_input=self.allow_empty_input,
            max_removals=self.max_removals,
            remove_only_for_user=coerce_optional_id("remove_only_for_user", self.remove_only_for_user),
            max_failed_rows=self.max_failed_rows,
        )

    def _report_stream(self) -> AbstractContextManager[IO[str] | None]:
        if not self.report_path:
            return nullcontext(None)
        return ObjectStoragePath(self.report_path).open("w")  # type: ignore[no-any-return]
