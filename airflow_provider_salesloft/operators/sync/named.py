"""Who the input names, for the mirror: a person any input row names is never removed.

A row names a person by its ``person_id``, and by its email: every person whose address the email matches
(all of them when several share it). What became of the row does not matter: a row that ended
``ambiguous_email``, ``person_not_found``, ``do_not_contact``, ``failed`` or ``invalid`` still names whom it
names. A row names them for its cadence; a row whose cadence is unreadable names them for every cadence.

Which addresses Salesloft's email filter searches, and in which case, is not documented: a lookup may miss a
person whose personal or secondary address a row holds. So the rows' emails are kept too
(:meth:`NamedPeople.name_email`), and the mirror compares them with every address of each member it would
remove (:meth:`NamedPeople.named_by_address`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from airflow_provider_salesloft.operators.sync.people import addresses
from airflow_provider_salesloft.person_fields import blank_to_none
from airflow_provider_salesloft.validation import coerce_optional_id


class NamedPeople:
    """The people the input names, per cadence (filled in while the rows are planned)."""

    def __init__(self) -> None:
        self._by_cadence: dict[int, set[int]] = {}
        self._everywhere: set[int] = set()
        self._emails: dict[int | None, set[str]] = {}  # cadence (None: every cadence) -> rows' emails

    def name(self, cadence_id: int | None, people: Iterable[Any]) -> None:
        """Note that a row for ``cadence_id`` (None: unknown, so every cadence) names ``people`` (person ids,
        or people records)."""
        ids = {int(person["id"]) if isinstance(person, Mapping) else int(person) for person in people}
        target = self._everywhere if cadence_id is None else self._by_cadence.setdefault(cadence_id, set())
        target.update(ids)

    def name_email(self, cadence_id: int | None, email: str) -> None:
        """Note that a row for ``cadence_id`` (None: every cadence) holds ``email``: whoever has that address
        is named, whether or not the lookup by email found them."""
        self._emails.setdefault(cadence_id, set()).add(email.strip().lower())

    def named_by_address(self, cadence_id: int, person: Mapping[str, Any]) -> bool:
        """Whether a row for ``cadence_id`` holds one of ``person``'s addresses (trimmed, any case)."""
        emails = self._emails.get(cadence_id, set()) | self._emails.get(None, set())
        return bool(emails and addresses(person) & emails)

    def has_emails(self, cadence_id: int) -> bool:
        """Whether any row for ``cadence_id`` (or for every cadence) holds an email."""
        return bool(self._emails.get(cadence_id) or self._emails.get(None))

    def add_by_address(
        self,
        named: dict[int, set[int]],
        members: Mapping[int, Mapping[int, Mapping[str, Any]]],
        removable: Callable[[Mapping[str, Any]], bool],
        read_people: Callable[[Iterable[int]], Mapping[int, Mapping[str, Any]]],
    ) -> None:
        """Add to ``named`` (cadence -> person ids) the members a row's email names by any of their addresses,
        though the lookup by email did not find them. ``members`` is cadence -> person id -> membership;
        only the members ``removable`` accepts are read, with ``read_people`` (ids -> people records)."""
        unnamed = {
            person
            for cadence, records in members.items()
            if self.has_emails(cadence)
            for person, membership in records.items()
            if person not in named[cadence] and removable(membership)
        }
        for person_id, person in read_people(unnamed).items():
            for cadence, records in members.items():
                if person_id in records and self.named_by_address(cadence, person):
                    named[cadence].add(person_id)

    def on(self, cadence_id: int) -> set[int]:
        """Everyone the input names for ``cadence_id``: none of them may be removed from it."""
        return self._by_cadence.get(cadence_id, set()) | self._everywhere


def usable_ids(row: Any, default_cadence: int | None) -> tuple[int | None, int | None]:
    """``(person_id, cadence_id)`` of a row, each None where the row has no usable value: what an invalid
    row still names (a bad ``step_id`` does not make its ``person_id`` unusable)."""
    if not isinstance(row, Mapping):
        return None, None

    def usable(name: str) -> int | None:
        try:
            return coerce_optional_id(name, blank_to_none(row.get(name)))
        except ValueError:
            return None

    cadence = usable("cadence_id") if blank_to_none(row.get("cadence_id")) is not None else default_cadence
    return usable("person_id"), cadence
