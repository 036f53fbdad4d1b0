"""Who each row names: people looked up by email (100 a call, matched on every address Salesloft returns)
and by id (100 a call, so do-not-contact people and unknown ids are known before any write)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from airflow_provider_salesloft.exceptions import SalesloftUnexpectedAnswerError

if TYPE_CHECKING:
    from airflow_provider_salesloft.hooks.salesloft import SalesloftHook

#: The addresses of a person a row's email is compared with (trimmed, case-insensitive).
EMAIL_FIELDS = ("email_address", "personal_email_address", "secondary_email_address")
#: Contact restrictions that leave a cadence no way to reach a person.
ALL_CHANNELS = frozenset({"call", "email", "message"})

Person = Mapping[str, Any]


def addresses(person: Person) -> set[str]:
    """A person's email addresses, trimmed and lower-cased."""
    return {str(person.get(field)).strip().lower() for field in EMAIL_FIELDS if person.get(field)}


def unreachable_reason(person: Person) -> str | None:
    """Why a cadence cannot reach ``person`` (do-not-contact, or restricted on every channel), or None."""
    if person.get("do_not_contact"):
        return f"person {person.get('id')} is marked do-not-contact in Salesloft"
    restricted = set(person.get("contact_restrictions") or ())
    if restricted >= ALL_CHANNELS:
        return f"person {person.get('id')} has contact restrictions on every channel (call, email, message)"
    return None


def restriction_note(person: Person) -> str | None:
    """A note for an added person restricted on some channels (the steps on them will be skipped)."""
    restricted = sorted(set(person.get("contact_restrictions") or ()))
    return f"added; contact restrictions: {', '.join(restricted)}" if restricted else None


def newest(people: Iterable[Person]) -> Person:
    """The most recently updated person (the highest id among equals)."""
    return max(people, key=lambda person: (str(person.get("updated_at") or ""), int(person.get("id") or 0)))


class PeopleLookup:
    """Looks up the people a chunk of rows names, in as few calls as the URL allows.

    :param hook: the Salesloft hook.
    """

    def __init__(self, hook: SalesloftHook) -> None:
        self.hook = hook

    def by_email(self, emails: Iterable[str]) -> dict[str, list[Person]]:
        """Lower-cased email -> every person Salesloft returned for it (several when duplicates exist)."""
        wanted = {email.strip().lower() for email in emails}
        if not wanted:
            return {}
        found: dict[str, dict[int, Person]] = {}
        strangers = 0
        for person in self.hook.find_people_by_email(sorted(wanted)):
            matched = addresses(person) & wanted
            strangers += not matched
            for email in matched:
                found.setdefault(email, {})[int(person["id"])] = person
        if strangers > len(wanted):
            raise SalesloftUnexpectedAnswerError(
                200,
                "GET",
                "/v2/people",
                f"{strangers} people returned for none of the {len(wanted)} emails asked: the email filter "
                "seems ignored",
            )
        return {email: list(people.values()) for email, people in found.items()}

    def by_id(self, ids: Iterable[int]) -> dict[int, Person]:
        """Person id -> the person, for the ids the connection's user can see."""
        wanted = set(ids)
        if not wanted:
            return {}
        return {
            int(person["id"]): person
            for person in self.hook.get_people(sorted(wanted))
            if person.get("id") in wanted
        }
