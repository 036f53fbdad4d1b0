"""The plan-then-write loop of one sync: resolve, de-duplicate, skip who is on, then add the rest."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from airflow_provider_salesloft.exceptions import SalesloftError, SalesloftNotFoundError, error_summary
from airflow_provider_salesloft.hooks.stopping import SalesloftStopped, check_stop, stop_on_exit
from airflow_provider_salesloft.operators.prechecks import Prechecks
from airflow_provider_salesloft.operators.sync.creation import CreateOptions, MissingPeople
from airflow_provider_salesloft.operators.sync.mirror import MirrorOptions
from airflow_provider_salesloft.operators.sync.named import NamedPeople, usable_ids
from airflow_provider_salesloft.operators.sync.people import (
    PeopleLookup,
    Person,
    newest,
    restriction_note,
    unreachable_reason,
)
from airflow_provider_salesloft.operators.sync.removal import MemberRemoval, mirrored_cadences
from airflow_provider_salesloft.operators.sync.report import SyncReport
from airflow_provider_salesloft.operators.sync.rows import Outcome, PlannedRow, RowOutcome, parse_row
from airflow_provider_salesloft.person_fields import person_fields

if TYPE_CHECKING:
    from airflow_provider_salesloft.hooks.salesloft import SalesloftHook


def chunks(rows: Iterable[Any], size: int) -> Iterator[list[tuple[int, Any]]]:
    """Number the rows and group them ``size`` at a time."""
    chunk: list[tuple[int, Any]] = []
    for index, row in enumerate(rows):
        chunk.append((index, row))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class SyncRun:
    """The state of one sync's ``execute``: which pairs were seen, who is on each cadence.

    :param hook: the Salesloft hook (its pool sized for ``concurrency``).
    :param report: where every row's outcome is recorded.
    :param defaults: the operator's ``cadence_id``, ``user_id`` and ``step_id``.
    :param dry_run: plan only: no writes.
    :param concurrency: adds in flight at once.
    :param on_duplicate_email: ``"skip"`` rows whose email several people share, or add the
        ``"most_recently_updated"`` of them (unless one of them is already on the cadence).
    :param mirror: mirror mode's guards; None for add mode.
    :param create: how to create the people no email finds (``create_missing_people``); None: don't.
    """

    def __init__(
        self,
        hook: SalesloftHook,
        report: SyncReport,
        defaults: Mapping[str, int | None],
        dry_run: bool,
        concurrency: int,
        on_duplicate_email: str = "skip",
        mirror: MirrorOptions | None = None,
        create: CreateOptions | None = None,
    ) -> None:
        self.hook = hook
        self.report = report
        self.defaults = defaults
        self.dry_run = dry_run
        self.concurrency = concurrency
        self.seen_pairs: set[tuple[int, int]] = set()
        self.members: dict[int, set[int]] = {}  # cadence -> people on it (listed once per cadence)
        self.prechecks = Prechecks(hook)  # cadences and steps, each checked once
        self._visible_users: set[int] | None = None  # listed once, only if a 404 needs explaining
        self.member_records: dict[int, dict[int, Mapping[str, Any]]] = {}  # cadence -> person -> membership
        self.mirror = mirror
        self.mirror_refused: str | None = None
        self.lookup_failed: str | None = None  # why a lookup failed: no row is looked up after it
        self.named = NamedPeople()  # whom the rows name: the mirror never removes them
        self.people = PeopleLookup(hook)
        self.on_duplicate_email = on_duplicate_email
        self.duplicate_emails_resolved = 0
        self._lookup_lock = threading.Lock()
        self.create = create
        self.missing = MissingPeople(hook, report, self.prechecks, self.named, create) if create else None

    def run(self, numbered_chunks: Iterable[list[tuple[int, Any]]]) -> None:
        """Plan and write chunk after chunk; once stopped (:mod:`~airflow_provider_salesloft.hooks.stopping`),
        hand out no row, let the adds in flight finish and raise."""
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="salesloft-sync") as pool:
            for chunk in numbered_chunks:
                check_stop(self.hook.pacer)
                planned: list[PlannedRow] = []
                for index, row in chunk:
                    parsed = parse_row(index, row, self.defaults)
                    if isinstance(parsed, RowOutcome):
                        self.report.record(parsed)
                        person, cadence = usable_ids(row, self.defaults.get("cadence_id"))
                        self.named.name(cadence, [person] if person is not None else [])
                    else:
                        if self.create is not None and parsed.person_id is None:
                            parsed.fields = person_fields(row, self.create.field_map)
                        planned.append(parsed)
                self._apply(pool, self._plan_or_fail(planned))
                self.report.maybe_log_progress(self.hook.pacer.stats.requests)
            check_stop(self.hook.pacer)
            if self.missing:
                self._create_missing(pool)
                check_stop(self.hook.pacer)
            if self.mirror is not None:
                self._mirror(pool)

    # -- planning ----------------------------------------------------------------------------------------
    def _plan_or_fail(self, rows: list[PlannedRow]) -> list[PlannedRow]:
        """:meth:`plan` the rows; once a lookup has failed (after its retries), every later row ends
        ``failed`` with the reason, without another request (an outage would cost each chunk its whole
        retry budget)."""
        if self.lookup_failed is None:
            return self.plan(rows)
        self._fail_unresolved(rows)
        return []

    def _lookup_error(self, error: SalesloftError, rows: list[PlannedRow]) -> None:
        """A lookup failed: remember why (the mirror then removes nobody), fail ``rows`` with the reason."""
        self.lookup_failed = error_summary(error)
        self.hook.log.error("Salesloft sync: a lookup failed; no row is looked up after it: %s", error)
        self._fail_unresolved(rows)

    def _fail_unresolved(self, rows: list[PlannedRow]) -> None:
        for row in rows:
            self.report.record(row.outcome(Outcome.FAILED, reason=self._not_looked_up()))

    def _not_looked_up(self) -> str:
        return f"could not look up the row's person: {self.lookup_failed}"

    def plan(self, rows: list[PlannedRow]) -> list[PlannedRow]:
        """Find who each row names, drop repeats, skip who cannot or need not be added: return the rows to
        add (every other row's outcome is recorded)."""
        # A mirror also looks up the emails of rows with a person_id: every person a row names is kept.
        try:
            by_email = self.people.by_email(
                row.email for row in rows if row.email and (row.person_id is None or self.mirror is not None)
            )
            by_id = self.people.by_id(row.person_id for row in rows if row.person_id is not None)
        except SalesloftError as error:
            self._lookup_error(error, rows)
            return []
        to_add: list[PlannedRow] = []
        for position, row in enumerate(rows):
            if row.email:
                self.named.name(row.cadence_id, by_email.get(row.email.lower(), []))
                self.named.name_email(row.cadence_id, row.email)
            if row.person_id is not None:
                self.named.name(row.cadence_id, [row.person_id])
                person = by_id.get(row.person_id)
                candidates = [person] if person is not None else []
            else:
                candidates = by_email.get(str(row.email).lower(), [])
            if not candidates and row.person_id is None and self.missing is not None:
                self.missing.wait_for_person(row)
                continue
            try:
                outcome = self._decide(row, candidates)
            except SalesloftError as error:  # listing the cadence's members failed: the rest are unresolved
                self._lookup_error(error, rows[position:])
                return to_add
            if outcome is None:
                to_add.append(row)
            else:
                self.report.record(outcome)
        return to_add

    def _decide(self, row: PlannedRow, candidates: list[Person]) -> RowOutcome | None:
        """The outcome of a row that needs no write, or None when its person should be added."""
        hidden = "not found or not visible to the connection's user"
        if not candidates:
            by_id = row.person_id is not None
            reason = f"person {row.person_id} {hidden}" if by_id else "no Salesloft person has this email"
            return row.outcome(Outcome.PERSON_NOT_FOUND, reason=reason)
        person = candidates[0]
        if len(candidates) > 1:
            ids = ", ".join(str(candidate.get("id")) for candidate in candidates)
            if self.on_duplicate_email == "skip":
                return row.outcome(
                    Outcome.AMBIGUOUS_EMAIL,
                    reason=f"{len(candidates)} people have this email ({ids}); on_duplicate_email='skip'",
                )
            problem = self._cadence_problem(row.cadence_id)
            on = [c for c in candidates if problem is None and int(c["id"]) in self._members(row.cadence_id)]
            person = on[0] if on else newest(candidates)
            self.duplicate_emails_resolved += 1
            row.note = f"{len(candidates)} people have this email ({ids}): chose {person.get('id')}"
        row.person_id = int(person["id"])
        pair = (row.person_id, row.cadence_id)
        if pair in self.seen_pairs:
            return row.outcome(Outcome.DUPLICATES)
        self.seen_pairs.add(pair)
        unreachable = unreachable_reason(person)
        if unreachable is not None:
            return row.outcome(Outcome.DO_NOT_CONTACT, reason=unreachable)
        row.note = "; ".join(filter(None, (row.note, restriction_note(person)))) or None
        problem = self._cadence_problem(row.cadence_id, row.step_id)
        if problem is not None:
            return row.outcome(Outcome.INVALID, reason=problem)
        if row.person_id in self._members(row.cadence_id):
            return row.outcome(Outcome.ALREADY_ON_CADENCE, reason=row.note)
        return None

    def _cadence_problem(self, cadence_id: int, step_id: int | None = None) -> str | None:
        return self.prechecks.row_problem(cadence_id, step_id)

    def _members(self, cadence_id: int) -> set[int]:
        if cadence_id not in self.members:
            records: dict[int, Mapping[str, Any]] = {
                int(membership["person"]["id"]): membership
                for membership in self.hook.iter_cadence_memberships(
                    cadence_id=cadence_id, currently_on_cadence=True
                )
                if isinstance(membership.get("person"), Mapping)
            }
            self.member_records[cadence_id] = records
            self.members[cadence_id] = set(records)
        return self.members[cadence_id]

    # -- create_missing_people -----------------------------------------------------------------------------
    @property
    def bulk_job_id(self) -> int | None:
        """The bulk job that created the missing people, if one did."""
        return self.missing.bulk_job_id if self.missing is not None else None

    def _create_missing(self, pool: ThreadPoolExecutor) -> None:
        """Create the people no email found (one call each, or one bulk job), then add them like the rest."""
        assert self.missing is not None
        if self.dry_run:
            self.missing.would_create()
        else:
            self._apply(pool, self.missing.create(pool, self._decide))

    # -- mirror ------------------------------------------------------------------------------------------
    def _mirror(self, pool: ThreadPoolExecutor) -> None:
        """Take off every targeted cadence the members the input does not name, within the guards."""
        assert self.mirror is not None
        removal = MemberRemoval(self.hook, self.report, self.mirror, self.dry_run)
        if self.lookup_failed is not None:  # whom the unresolved rows name is unknown: list and remove nobody
            self.mirror_refused = removal.run(pool, {}, {}, ["a lookup failed, so whom rows name is unknown"])
            return
        wanted, cadences = mirrored_cadences(self.seen_pairs, self.mirror, self.defaults.get("cadence_id"))
        members = {}
        for cadence in cadences:
            if self._cadence_problem(cadence) is None:
                self._members(cadence)
                members[cadence] = self.member_records[cadence]
        named = {cadence: self.named.on(cadence) | wanted.get(cadence, set()) for cadence in members}
        self.named.add_by_address(named, members, self.mirror.candidate, self.people.by_id)
        self.mirror_refused = removal.run(pool, named, members)

    # -- writing -----------------------------------------------------------------------------------------
    def _apply(self, pool: ThreadPoolExecutor, rows: list[PlannedRow]) -> None:
        if self.dry_run:
            for row in rows:
                note = f"; {row.note}" if row.note else ""
                self.report.record(row.outcome(Outcome.ADDED, reason=f"dry run: would be added{note}"))
            return
        pending: set[Future[RowOutcome]] = set()
        with stop_on_exit(self.hook.pacer, then=lambda: self._collect(wait(pending).done)):
            for row in rows:
                if self.hook.pacer.stopped is not None:
                    break  # the rows not handed out keep no outcome: not done
                pending.add(pool.submit(self._add, row))
                if len(pending) >= self.concurrency * 2:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    self._collect(done)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                self._collect(done)

    def _collect(self, done: Iterable[Future[RowOutcome]]) -> None:
        for future in done:
            if isinstance(future.exception(), SalesloftStopped):
                continue  # not sent: the row was not done
            outcome = future.result()
            self.report.record(outcome)
            if (
                outcome.outcome in (Outcome.ADDED, Outcome.ALREADY_ON_CADENCE)
                and outcome.person_id
                and outcome.cadence_id
            ):
                self.members.setdefault(outcome.cadence_id, set()).add(outcome.person_id)
        self.report.maybe_log_progress(self.hook.pacer.stats.requests)

    def _add(self, row: PlannedRow) -> RowOutcome:
        """Add one person; never raises: every error becomes the row's outcome."""
        assert row.person_id is not None
        try:
            membership, added_now = self.hook.ensure_cadence_membership(
                row.person_id,
                row.cadence_id,
                user_id=row.user_id,
                step_id=row.step_id,
                explain_not_found=False,  # _explain_not_found tells the records apart without more reads
            )
            outcome = Outcome.ADDED if added_now else Outcome.ALREADY_ON_CADENCE
            if row.created and added_now:
                outcome = Outcome.CREATED_AND_ADDED
            return row.outcome(outcome, membership.get("id"), reason=row.note)
        except SalesloftNotFoundError as error:
            failed = self._explain_not_found(row, error)
        except SalesloftStopped:
            raise
        except Exception as error:  # every row is accounted for, whatever went wrong
            failed = row.outcome(Outcome.FAILED, reason=error_summary(error))
        if row.created:  # the person exists now: say so, with why the add failed
            return row.outcome(Outcome.CREATED, reason=f"created, but not added: {failed.reason}")
        return failed

    def _explain_not_found(self, row: PlannedRow, error: SalesloftNotFoundError) -> RowOutcome:
        """A 404 on an add: find out which record is missing (the cadence was checked when planning)."""
        hidden = "not found or not visible to the connection's user"
        if row.user_id is not None and row.user_id not in self._users():
            return row.outcome(Outcome.FAILED, reason=f"user_id {row.user_id} {hidden}")
        if row.email is None and row.step_id is None:
            return row.outcome(Outcome.PERSON_NOT_FOUND, reason=f"person {row.person_id} {hidden}")
        # The person was found by email a moment ago, or a step was named: say what may be missing.
        suspects = [f"person {row.person_id}" + (" (found by email)" if row.email else "")]
        if row.step_id is not None:
            suspects.append(f"step_id {row.step_id}")
        return row.outcome(
            Outcome.FAILED, reason=f"{' or '.join(suspects)} {hidden} ({error_summary(error)})"
        )

    def _users(self) -> set[int]:
        with self._lookup_lock:
            if self._visible_users is None:
                self._visible_users = {
                    int(user["id"]) for user in self.hook.iter_users() if isinstance(user.get("id"), int)
                }
            return self._visible_users
