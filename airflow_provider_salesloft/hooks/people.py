"""The hook's people actions: lookups in batches that fit a URL, and writes that a lost answer never
repeats into a second person."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from airflow_provider_salesloft.crm_ids import DEFAULT_CRM_ID_TYPE, with_crm_id_type
from airflow_provider_salesloft.exceptions import (
    SalesloftAPIError,
    SalesloftInvalidArgumentError,
    SalesloftUnexpectedAnswerError,
)
from airflow_provider_salesloft.hooks.actions import HookActions
from airflow_provider_salesloft.hooks.paging import lookup_batches
from airflow_provider_salesloft.hooks.transport import query_params, record_of
from airflow_provider_salesloft.person_fields import UPSERT_KEYS
from airflow_provider_salesloft.validation import check_choice, coerce_id


class PeopleActions(HookActions):
    """``/v2/people`` and ``/v2/person_upserts`` (mixed into :class:`~.salesloft.SalesloftHook`)."""

    def find_people_by_email(self, emails: Iterable[str]) -> list[dict[str, Any]]:
        """``GET /v2/people?email_addresses[]=…``: the people Salesloft returns for these emails.

        Emails are de-duplicated case-insensitively (the first spelling is sent) and asked in batches of at
        most 100 emails and :data:`~.paging.MAX_LOOKUP_QUERY_BYTES` of query string (proxies commonly
        refuse URLs over 8 KB); a batch refused as too long (414, or 400) is split in two and asked again.
        Which of a person's addresses Salesloft matches is not documented: compare the answer with every
        address.
        """
        unique: dict[str, str] = {}
        for email in emails:
            if email and email.strip():
                unique.setdefault(email.strip().lower(), email.strip())
        return self._lookup("/v2/people", "email_addresses", list(unique.values()))

    def get_people(self, ids: Iterable[int]) -> list[dict[str, Any]]:
        """``GET /v2/people?ids[]=…``: the people with these ids that the connection's user can see."""
        unique = list(dict.fromkeys(coerce_id("person_id", ident) for ident in ids))
        return self._lookup("/v2/people", "ids", unique)

    def get_person(self, person_id: int) -> dict[str, Any]:
        """``GET /v2/people/{id}``."""
        return self.transport.get_record(f"/v2/people/{coerce_id('person_id', person_id)}")

    def create_person(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /v2/people``: create a person from ``fields`` (``email_address``, or ``phone`` with
        ``last_name``, is required); return the person.

        An attempt whose answer was lost is checked before it is sent again: a person with this email
        created since the call began is that attempt's result (without an email there is nothing to look
        up by, so such a create is sent once and its doubt raised).

        :raises SalesloftValidationError: 422, e.g. the email is taken (unless the team allows duplicates).
        """
        body = _person_body(fields)
        email = str(body.get("email_address") or "").strip()
        if not email and not (body.get("phone") and body.get("last_name")):
            raise SalesloftInvalidArgumentError(
                "fields", sorted(body), "must hold email_address, or phone and last_name, to create a person"
            )
        started = datetime.now(timezone.utc)

        def reconcile() -> dict[str, Any] | None:  # shaped as Salesloft's answer
            created = self._created_since(email, started) if email else None
            return {"data": created} if created is not None else None

        answer = self.transport.request("POST", "/v2/people", body=body, reconcile=reconcile)
        return record_of(answer, "POST", "/v2/people")

    def update_person(self, person_id: int, fields: Mapping[str, Any]) -> dict[str, Any]:
        """``PUT /v2/people/{id}``: change the given fields; return the person (safe to repeat)."""
        path = f"/v2/people/{coerce_id('person_id', person_id)}"
        return record_of(self.transport.request("PUT", path, body=_person_body(fields)), "PUT", path)

    def upsert_person(
        self,
        fields: Mapping[str, Any],
        upsert_key: str = "email_address",
        crm_id_type: str = DEFAULT_CRM_ID_TYPE,
    ) -> dict[str, Any]:
        """``POST /v2/person_upserts``: update the person ``upsert_key`` matches, or create one; return
        Salesloft's answer, ``{"person": {...}, "upsert_type": "create" | "update"}``.

        Upserting is repeatable, so a lost answer is retried; with ``email_address`` as the key, a person
        with that email created since the call began is looked up first, so the answer still says
        ``create``. A key matching several people is a 422 ("The request will also fail if there are
        multiple records matched by the upsert field").

        ``id`` is sent only when it is the key: "When id and another upsert_key are provided, the request
        will fail if the upsert record id and id parameter don't match", so a stale id would fail the write.

        :param fields: person fields; must include the ``upsert_key`` field.
        :param upsert_key: ``email_address``, ``crm_id`` or ``id``.
        :param crm_id_type: the ``crm_id_type`` sent with a ``crm_id`` whose fields name none (see
            :func:`~airflow_provider_salesloft.crm_ids.with_crm_id_type`).
        """
        key = check_choice("upsert_key", upsert_key, UPSERT_KEYS)
        body = upsert_body(fields, key, crm_id_type)
        if body.get(key) in (None, ""):
            raise SalesloftInvalidArgumentError("fields", sorted(body), f"must hold {key} (the upsert_key)")
        body["upsert_key"] = key
        started = datetime.now(timezone.utc)

        def reconcile() -> dict[str, Any] | None:  # shaped as Salesloft's answer
            if key != "email_address":
                return None  # sent again: an upsert by id or CRM id never creates twice
            created = self._created_since(str(body[key]), started)
            return {"data": {"person": created, "upsert_type": "create"}} if created is not None else None

        upserted = record_of(
            self.transport.request("POST", "/v2/person_upserts", body=body, reconcile=reconcile),
            "POST",
            "/v2/person_upserts",
        )
        person = upserted.get("person")
        if not isinstance(person, dict) or not isinstance(person.get("id"), int):
            raise SalesloftUnexpectedAnswerError(
                200, "POST", "/v2/person_upserts", "the answer holds no person"
            )
        return upserted

    def _created_since(self, email: str, started: datetime) -> dict[str, Any] | None:
        """The person with ``email`` (primary address) created since ``started``, if any."""
        wanted = email.strip().lower()
        for person in self.find_people_by_email([email]):
            if str(person.get("email_address") or "").strip().lower() != wanted:
                continue
            if self.clock.stamped_since(person.get("created_at"), started) is not False:
                return person
        return None

    def _lookup(self, path: str, name: str, values: list[Any]) -> list[dict[str, Any]]:
        """Look records up by a list filter, in batches that fit a URL."""
        found: list[dict[str, Any]] = []
        for batch in lookup_batches(f"{name}[]", values):
            found.extend(self._lookup_batch(path, name, batch))
        return found

    def _lookup_batch(self, path: str, name: str, batch: list[Any]) -> list[dict[str, Any]]:
        try:
            # Every page is read, whatever its size (a server may serve fewer than asked); ids are bounded
            # by the batch (each page holds at least one of them, or paging stops) should a filter be
            # ignored. Emails may match several people each (intentional duplicates).
            pages = len(batch) + 1 if name == "ids" else None
            return list(self.paginate(path, query_params({name: batch}), max_pages=pages))
        except SalesloftAPIError as error:
            if error.status_code not in (400, 414) or len(batch) < 2:
                raise
            self.log.warning(
                "Salesloft refused a lookup of %d values (%d): splitting it", len(batch), error.status_code
            )
            half = len(batch) // 2
            return self._lookup_batch(path, name, batch[:half]) + self._lookup_batch(path, name, batch[half:])


def _person_body(fields: Mapping[str, Any], crm_id_type: str = DEFAULT_CRM_ID_TYPE) -> dict[str, Any]:
    """A person write's body: ``fields`` (a mapping is required), a ``crm_id`` with its ``crm_id_type``
    and in the form Salesloft takes (see :mod:`~airflow_provider_salesloft.crm_ids`)."""
    if not isinstance(fields, Mapping):
        raise SalesloftInvalidArgumentError(
            "fields", type(fields).__name__, "must be a mapping of person fields"
        )
    body, problem = with_crm_id_type(fields, crm_id_type)
    if problem is not None:
        raise SalesloftInvalidArgumentError("fields", body.get("crm_id"), problem)
    return body


def upsert_body(
    fields: Mapping[str, Any], upsert_key: str, crm_id_type: str = DEFAULT_CRM_ID_TYPE
) -> dict[str, Any]:
    """A person upsert's fields (single or bulk record): :func:`_person_body`, without ``id`` unless it is
    the ``upsert_key`` (Salesloft fails the write when the two name different people)."""
    body = _person_body(fields, crm_id_type)
    if upsert_key != "id":
        body.pop("id", None)
    return body
