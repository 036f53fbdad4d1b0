"""Upserting people, one call each or in one bulk job: what both the upsert operator and the sync's
``create_missing_people`` use.

One call per person costs ``n`` calls; a ``person/upsert`` bulk job costs about
``3 + n/5000 + n/100 + polls`` (create, uploads, start, result pages, polls), so it wins from a few dozen
people on; :func:`use_bulk` decides.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_salesloft.crm_ids import DEFAULT_CRM_ID_TYPE, with_crm_id_type
from airflow_provider_salesloft.exceptions import SalesloftError, error_summary
from airflow_provider_salesloft.hooks.stopping import SalesloftStopped
from airflow_provider_salesloft.operators.prechecks import Prechecks
from airflow_provider_salesloft.person_fields import (
    DO_NOT_CONTACT_EFFECT,
    MAX_RECORDS_PER_UPLOAD,
    normalize_email,
    sets_do_not_contact,
)
from airflow_provider_salesloft.validation import coerce_optional_id

if TYPE_CHECKING:
    from airflow_provider_salesloft.hooks.salesloft import SalesloftHook

#: Polls a bulk job is assumed to need when choosing between the two ways (by cost).
EXPECTED_POLLS = 4
#: Results read per call.
RESULTS_PER_PAGE = 100


def bulk_cost(count: int, polls: int = EXPECTED_POLLS) -> int:
    """API calls a bulk job of ``count`` records costs: create, uploads, start, polls, result pages."""
    return 2 + math.ceil(count / MAX_RECORDS_PER_UPLOAD) + polls + math.ceil(count / RESULTS_PER_PAGE)


def use_bulk(count: int, threshold: int | None) -> bool:
    """Whether ``count`` records go in one bulk job: from ``threshold`` records on, or (None) when the
    bulk job costs fewer calls than one upsert per record."""
    if count <= 0:
        return False
    if threshold is not None:
        return count >= threshold
    return bulk_cost(count) < count


def bulk_job_name(dag_id: str, task_id: str, context: Mapping[str, Any]) -> str:
    """A bulk job's name, unique per task try (a create whose answer was lost is found again by it): a
    mapped instance's names its map index (``task[3]``), or a lost create would be found as a sibling's."""
    ti = context["ti"]
    map_index = getattr(ti, "map_index", -1)
    task = f"{task_id}[{map_index}]" if isinstance(map_index, int) and map_index >= 0 else task_id
    return f"airflow {dag_id}.{task} {context['run_id']} try {ti.try_number}"


def upsert_key_value(fields: Mapping[str, Any], upsert_key: str) -> tuple[str | None, str | None]:
    """The value a person is matched on, normalised: ``(key, None)``, or ``(None, why it is unusable)``."""
    value = fields.get(upsert_key)
    if upsert_key == "email_address":
        email, problem = normalize_email(value)
        if email is None:
            return None, problem or "no email to match or create the person by"
        return email.lower(), None
    if upsert_key == "id":
        try:
            ident = coerce_optional_id("id", value)
        except ValueError as error:
            return None, str(error)
        return (str(ident), None) if ident is not None else (None, "no person id to match on")
    text = str(value).strip() if value is not None else ""
    return (text, None) if text else (None, f"no {upsert_key} to match on")


@dataclass(frozen=True)
class UpsertResult:
    """What became of one person's upsert.

    :param key: the normalised upsert-key value.
    :param person: the person Salesloft returned, or None on error.
    :param upsert_type: ``create`` or ``update`` (None on error).
    :param error: why it failed, or None.
    :param invalid: the person was never sent: its fields cannot be (``error`` says why).
    :param do_not_contact_set: the write set ``do_not_contact`` (the person left every cadence).
    """

    key: str
    person: Mapping[str, Any] | None
    upsert_type: str | None
    error: str | None = None
    invalid: bool = False
    do_not_contact_set: bool = False


class PeopleUpserter:
    """Upserts people for an operator, one call each or in one bulk job.

    :param hook: the Salesloft hook.
    :param upsert_key: ``email_address``, ``crm_id`` or ``id``.
    :param crm_id_type: the ``crm_id_type`` of a ``crm_id`` whose row names none.
    :param prechecks: the run's pre-checks (custom field names); a new one when not given.
    """

    def __init__(
        self,
        hook: SalesloftHook,
        upsert_key: str,
        crm_id_type: str = DEFAULT_CRM_ID_TYPE,
        prechecks: Prechecks | None = None,
    ) -> None:
        self.hook = hook
        self.upsert_key = upsert_key
        self.crm_id_type = crm_id_type
        self.prechecks = prechecks or Prechecks(hook)
        self.refused: list[UpsertResult] = []  # people of the bulk job never sent (invalid fields)
        self._warned_do_not_contact = False

    def prepare(self, fields: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
        """A person's fields as they are sent: ``crm_id`` with its ``crm_id_type`` (18-character Salesforce
        id), no ``id`` unless it is the key ("When id and another upsert_key are provided, the request will
        fail if the upsert record id and id parameter don't match"); custom fields the team has (see
        :mod:`.prechecks`, spelled as the team's); ``(fields, why they cannot be sent)``."""
        prepared, problem = with_crm_id_type(fields, self.crm_id_type)
        if self.upsert_key != "id":
            prepared.pop("id", None)
        if problem is None:
            prepared, problem = self.prechecks.team_custom_fields(prepared)
        if problem is None and not self._warned_do_not_contact and sets_do_not_contact(prepared):
            self._warned_do_not_contact = True
            self.hook.log.warning("Rows set do_not_contact: %s.", DO_NOT_CONTACT_EFFECT)
        return prepared, problem

    def record(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """A bulk-job record: the person's fields and its ``upsert_key``."""
        return {**fields, "upsert_key": self.upsert_key}

    def one_by_one(
        self, pool: ThreadPoolExecutor, people: Iterable[tuple[str, Mapping[str, Any]]]
    ) -> Iterator[UpsertResult]:
        """Upsert ``(key, fields)`` pairs concurrently on ``pool``; yield each result in input order (none
        for a person not sent because the task is stopping)."""
        for future in self.submit(pool, people):
            if not isinstance(future.exception(), SalesloftStopped):
                yield future.result()

    def submit(
        self, pool: ThreadPoolExecutor, people: Iterable[tuple[str, Mapping[str, Any]]]
    ) -> list[Future[UpsertResult]]:
        """Start upserting every ``(key, fields)`` pair on ``pool``; the future of a person not sent because
        the task is stopping raises :class:`~airflow_provider_salesloft.hooks.stopping.SalesloftStopped`."""
        return [pool.submit(self._upsert, key, fields) for key, fields in people]

    def _upsert(self, key: str, fields: Mapping[str, Any]) -> UpsertResult:
        prepared, problem = self.prepare(fields)
        if problem is not None:
            return UpsertResult(key, None, None, problem, invalid=True)
        try:
            answer = self.hook.upsert_person(prepared, upsert_key=self.upsert_key)
        except SalesloftStopped:
            raise
        except Exception as error:  # every person is accounted for, whatever went wrong
            return UpsertResult(key, None, None, error_summary(error))
        return UpsertResult(
            key,
            answer["person"],
            str(answer.get("upsert_type") or "update"),
            do_not_contact_set=sets_do_not_contact(prepared),
        )

    def start_job(self, name: str, people: Iterable[Mapping[str, Any]]) -> int:
        """Create a job, upload every person's fields (5,000 a call), start it; return the job's id.

        People whose fields cannot be sent are left out, kept in :attr:`refused` (and reported first by
        :meth:`job_results`)."""
        job_id = int(self.hook.create_bulk_job(name)["id"])
        uploaded = 0
        batch: list[dict[str, Any]] = []
        for record in self.job_records(people):
            batch.append(record)
            if len(batch) >= MAX_RECORDS_PER_UPLOAD:
                uploaded += self.hook.add_bulk_job_data(job_id, batch, uploaded_before=uploaded)
                batch = []
        if batch:
            uploaded += self.hook.add_bulk_job_data(job_id, batch, uploaded_before=uploaded)
        self.hook.start_bulk_job(job_id)
        self.hook.log.info("Salesloft bulk job %s started with %d records", job_id, uploaded)
        return job_id

    def job_records(self, people: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
        """Each person's bulk-job record, as it is uploaded; people whose fields cannot be sent are left
        out, kept in :attr:`refused`."""
        for fields in people:
            prepared, problem = self.prepare(fields)
            if problem is not None:
                key = upsert_key_value(prepared, self.upsert_key)[0] or "?"
                self.refused.append(UpsertResult(key, None, None, problem, invalid=True))
                continue
            yield self.record(prepared)

    def find(self, keys: list[str]) -> dict[str, int]:
        """Key -> the one person it matches, for keys Salesloft can look up (by email or id; a CRM id is
        not looked up). A failed lookup finds nobody (it only fills in ids; it is logged)."""
        if not keys or self.upsert_key == "crm_id":
            return {}
        try:
            if self.upsert_key == "id":
                return {str(p["id"]): int(p["id"]) for p in self.hook.get_people(int(key) for key in keys)}
            matches: dict[str, list[int]] = {}
            for person in self.hook.find_people_by_email(keys):
                email = str(person.get("email_address") or "").strip().lower()
                matches.setdefault(email, []).append(int(person["id"]))
        except SalesloftError as error:
            self.hook.log.warning("Salesloft upsert: could not look up people: %s", error_summary(error))
            return {}
        wanted = set(keys)
        return {key: ids[0] for key, ids in matches.items() if key in wanted and len(ids) == 1}

    def job_results(self, job_id: int, expected: int | None) -> Iterator[UpsertResult]:
        """The results of a done job, one per record (a record uploaded twice after a lost answer is
        reported once); people left out of the job first."""
        yield from self.refused
        seen: set[str] = set()
        for result in self.hook.iter_bulk_job_results(job_id, expected=expected):
            record = _mapping(result.get("record"))
            key, _ = upsert_key_value(record, self.upsert_key)
            key = key or f"result {result.get('id')}"
            if key in seen:
                continue
            seen.add(key)
            resource = _mapping(result.get("resource"))
            person = _mapping(resource.get("person"))
            if result.get("status") == "success" and person.get("id") is not None:
                upsert_type = str(resource.get("upsert_type") or "update")
                yield UpsertResult(key, person, upsert_type, do_not_contact_set=sets_do_not_contact(record))
            else:
                # Text from the server, like an error answer's: without secrets, capped.
                reason = self.hook.transport.redact(
                    str(result.get("error") or "the bulk job reported no person")
                )
                yield UpsertResult(key, None, None, reason)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
