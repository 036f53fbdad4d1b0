"""The row model of a sync: outcomes, a row on its way through the plan, and one row's result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from airflow_provider_salesloft.exceptions import SalesloftInvalidArgumentError
from airflow_provider_salesloft.person_fields import blank_to_none, normalize_email
from airflow_provider_salesloft.validation import coerce_optional_id


class Outcome(str, Enum):
    """Where a row ends: every input row ends in exactly one of these (its value names it in summaries)."""

    ADDED = "added"
    ALREADY_ON_CADENCE = "already_on_cadence"
    PERSON_NOT_FOUND = "person_not_found"
    DUPLICATES = "duplicates"
    INVALID = "invalid"
    FAILED = "failed"
    DO_NOT_CONTACT = "do_not_contact"
    AMBIGUOUS_EMAIL = "ambiguous_email"
    CREATED_AND_ADDED = "created_and_added"  # with create_missing_people
    CREATED = "created"  # created, but the add failed (with the reason)

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


#: Outcomes of ``create_missing_people`` (in the summary only when it is on).
CREATE_OUTCOMES: tuple[str, ...] = (Outcome.CREATED_AND_ADDED.value, Outcome.CREATED.value)
#: Outcome names in summary order (without :data:`CREATE_OUTCOMES`).
OUTCOMES: tuple[str, ...] = tuple(o.value for o in Outcome if o.value not in CREATE_OUTCOMES)
#: Outcomes that count against ``max_failed_rows``.
FAILING_OUTCOMES = (Outcome.FAILED, Outcome.INVALID, Outcome.CREATED)
#: Outcomes whose first rows the summary shows under ``samples``.
SAMPLED_OUTCOMES = (
    Outcome.PERSON_NOT_FOUND,
    Outcome.DUPLICATES,
    Outcome.INVALID,
    Outcome.FAILED,
    Outcome.DO_NOT_CONTACT,
    Outcome.AMBIGUOUS_EMAIL,
    Outcome.CREATED,
)


@dataclass(frozen=True)
class RowOutcome:
    """The outcome of one input row."""

    index: int
    outcome: Outcome
    person_id: int | None = None
    email: str | None = None
    cadence_id: int | None = None
    membership_id: int | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Report line: the row index, outcome, ids and reason (nothing else from the row)."""
        line = {key: value for key, value in self.__dict__.items() if value is not None}
        line["outcome"] = self.outcome.value
        return line


@dataclass
class PlannedRow:
    """One valid input row on its way through the plan (``person_id`` is filled in from the email)."""

    index: int
    person_id: int | None
    email: str | None
    cadence_id: int
    user_id: int | None
    step_id: int | None
    note: str | None = None  # for the report line when added: restrictions, which duplicate was chosen
    fields: dict[str, Any] | None = None  # person fields, for create_missing_people
    created: bool = False  # its person was created by this sync

    def outcome(
        self, kind: Outcome, membership_id: int | None = None, reason: str | None = None
    ) -> RowOutcome:
        """This row's outcome, with its ids."""
        return RowOutcome(
            self.index, kind, self.person_id, self.email, self.cadence_id, membership_id, reason
        )


def parse_row(index: int, row: Any, defaults: Mapping[str, int | None]) -> PlannedRow | RowOutcome:
    """Validate one input row: a :class:`PlannedRow`, or the ``invalid`` outcome saying why.

    :param defaults: the operator's ``cadence_id``, ``user_id`` and ``step_id`` for rows that lack them.
    """
    if not isinstance(row, Mapping):
        return RowOutcome(index, Outcome.INVALID, reason=f"row is not a mapping: {type(row).__name__}")
    email, email_problem = normalize_email(row.get("email"))
    try:
        ids = {name: coerce_optional_id(name, blank_to_none(row.get(name))) for name in _ID_COLUMNS}
    except SalesloftInvalidArgumentError as error:
        return RowOutcome(index, Outcome.INVALID, email=email, reason=str(error))
    person_id = ids["person_id"]
    cadence_id = ids["cadence_id"] or defaults["cadence_id"]
    if person_id is None and email_problem is not None:
        return RowOutcome(index, Outcome.INVALID, reason=email_problem)
    if person_id is None and email is None:
        return RowOutcome(index, Outcome.INVALID, reason="row has neither person_id nor email")
    if cadence_id is None:
        return RowOutcome(
            index,
            Outcome.INVALID,
            person_id=person_id,
            email=email,
            reason="no cadence_id in row or operator",
        )
    return PlannedRow(
        index,
        person_id,
        email,
        cadence_id,
        ids["user_id"] or defaults["user_id"],
        ids["step_id"] or defaults["step_id"],
    )


_ID_COLUMNS = ("person_id", "cadence_id", "user_id", "step_id")
